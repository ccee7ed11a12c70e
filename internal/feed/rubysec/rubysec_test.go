package rubysec

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/shipshape-dev/shipshape/internal/feed"
	"github.com/shipshape-dev/shipshape/internal/vulndb"
)

func parse(t testing.TB, f *Feed, name string, data []byte) ([]vulndb.Record, error) {
	t.Helper()
	var recs []vulndb.Record
	err := f.Parse(context.Background(), feed.Input{Name: name, R: bytes.NewReader(data)}, func(r vulndb.Record) error {
		recs = append(recs, r)
		return nil
	})
	return recs, err
}

// testFiles lists testdata advisories by their slash path below testdata.
func testFiles(t *testing.T, top string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(filepath.Join("testdata", top), func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".yml") {
			rel, _ := filepath.Rel("testdata", p)
			out = append(out, filepath.ToSlash(rel))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestContract(t *testing.T) {
	f := New()
	if f.Name() != "rubysec" {
		t.Errorf("Name() = %q", f.Name())
	}
	if i := f.Info(); i.Licence == "" || i.Attribution == "" || i.UpstreamURL == "" {
		t.Errorf("Info() = %+v", i)
	}
	for name, want := range map[string]bool{
		"ruby-advisory-db-master/gems/rack/CVE-2011-5036.yml": true,
		"gems/rack/CVE-2011-5036.yml":                         true,
		`gems\rack\OSVDB-1.yml`:                               true,
		"rubies/ruby/CVE-2022-28739.yml":                      true,
		"gems/rack/CVE-2011-5036.yaml":                        false,
		"gems/rack.yml":                                       false,
		"spec/gems/rack/x.yml/extra":                          false,
		"lib/rack/CVE-2011-5036.yml":                          false,
		".github/workflows/ruby.yml":                          false,
		"gems/rack/.yml":                                      false,
		"README.md":                                           false,
	} {
		if got := f.Match(name); got != want {
			t.Errorf("Match(%q) = %v, want %v", name, got, want)
		}
	}
}

func readTestFile(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", filepath.FromSlash(name)))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestKnownRecords pins whole records of chosen real advisories, written out by hand.
func TestKnownRecords(t *testing.T) {
	tests := []struct {
		file string
		want vulndb.Record
	}{
		{"gems/rack/CVE-2011-5036.yml", vulndb.Record{
			Vulnerability: &vulndb.Vulnerability{
				ID: "CVE-2011-5036", Aliases: []string{"GHSA-v6j3-7jrw-hq2p", "OSVDB-78121"},
				Summary:     "CVE-2011-5036 rubygem-rack: hash table collisions DoS (oCERT-2011-003)",
				Description: "Rack before 1.1.3, 1.2.x before 1.2.5, and 1.3.x before 1.3.6 computes\nhash values for form parameters without restricting the ability to trigger hash\ncollisions predictably, which allows remote attackers to cause a denial of service\n(CPU consumption) by sending many crafted parameters.",
				Severities:  []vulndb.Severity{{Source: "rubysec", Type: "CVSS_V2", Score: 5.0, Rating: "MEDIUM"}},
				Published:   "2011-12-28",
				References:  []string{"https://nvd.nist.gov/vuln/detail/CVE-2011-5036"},
			},
			Affected: []vulndb.Affected{{VulnID: "CVE-2011-5036", Namespace: "rubygems", Package: "rack", Status: "fixed",
				Ranges: []vulndb.Range{
					{Type: "ECOSYSTEM", Fixed: "1.1.3"},
					{Type: "ECOSYSTEM", Introduced: "1.2.A", Fixed: "1.2.5"},
					{Type: "ECOSYSTEM", Introduced: "1.3.A", Fixed: "1.3.6"},
					{Type: "ECOSYSTEM", Introduced: "1.4.A", Fixed: "1.4.0"},
				}}},
		}},
		{"gems/as/OSVDB-112683.yml", vulndb.Record{
			Vulnerability: &vulndb.Vulnerability{
				ID: "RUBYSEC-as-OSVDB-112683", Aliases: []string{"OSVDB-112683"},
				Summary:     "as Gem for Ruby Process List Local Plaintext Credentials Disclosure",
				Description: "as Gem for Ruby contains a flaw that is due to the program displaying\ncredential information in plaintext in the process list. This may\nallow a local attacker to gain access to credential information.",
				Published:   "2014-09-25",
				References: []string{
					"https://security.snyk.io/vuln/SNYK-RUBY-AS-20195",
					"http://www.vapid.dhs.org/advisories/as-v1.0.html",
					"http://www.vapidlabs.com/advisory.php?v=17",
					"http://osvdb.org/show/osvdb/112683",
				},
			},
			Affected: []vulndb.Affected{{VulnID: "RUBYSEC-as-OSVDB-112683", Namespace: "rubygems", Package: "as", Status: "affected",
				Ranges: []vulndb.Range{{Type: "ECOSYSTEM"}}}},
		}},
		{"gems/activerecord-jdbc-adapter/GHSA-5qw5-wf2q-f538.yml", vulndb.Record{
			Vulnerability: &vulndb.Vulnerability{
				ID: "GHSA-5qw5-wf2q-f538", Aliases: []string{"OSVDB-114854"},
				Summary:    "ActiveRecord-JDBC-Adapter (AR-JDBC) lib/arjdbc/jdbc/adapter.rb sql.gsub() Function SQL Injection",
				Severities: []vulndb.Severity{{Source: "rubysec", Type: "CVSS_V4", Score: 8.8, Rating: "HIGH"}},
				Published:  "2013-02-25",
			},
			Affected: []vulndb.Affected{{VulnID: "GHSA-5qw5-wf2q-f538", Namespace: "rubygems", Package: "activerecord-jdbc-adapter", Status: "fixed",
				Ranges: []vulndb.Range{{Type: "ECOSYSTEM", Introduced: "1.2.6", Fixed: "1.2.8"}}}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			recs, err := parse(t, New(), tt.file, readTestFile(t, tt.file))
			if err != nil || len(recs) != 1 {
				t.Fatalf("%d records, %v", len(recs), err)
			}
			got := recs[0]
			if tt.want.Vulnerability.Description == "" { // long texts: see TestIndependentReading
				got.Vulnerability.Description = ""
				got.Vulnerability.References = nil
			}
			if !reflect.DeepEqual(got, tt.want) {
				g, _ := json.MarshalIndent(got, "", "  ")
				w, _ := json.MarshalIndent(tt.want, "", "  ")
				t.Errorf("got\n%s\nwant\n%s", g, w)
			}
		})
	}
}

// TestIndependentReading decodes each test advisory generically and checks the record
// against it: identifiers, texts, scores, and — version by version, with requirement
// semantics written from RubyGems' definition — the affected ranges.
func TestIndependentReading(t *testing.T) {
	f := New()
	files := testFiles(t, "gems")
	if len(files) < 30 {
		t.Fatalf("only %d test advisories", len(files))
	}
	for _, name := range files {
		t.Run(name, func(t *testing.T) {
			data := readTestFile(t, name)
			var raw map[string]any
			if err := yaml.Unmarshal(data, &raw); err != nil {
				t.Fatal(err)
			}
			recs, err := parse(t, f, name, data)
			if err != nil || len(recs) != 1 {
				t.Fatalf("%d records, %v", len(recs), err)
			}
			v := recs[0].Vulnerability
			str := func(k string) string {
				if raw[k] == nil {
					return ""
				}
				return strings.TrimSpace(fmt.Sprint(raw[k]))
			}
			var ids []string
			for _, k := range []struct{ key, prefix string }{{"cve", "CVE-"}, {"ghsa", "GHSA-"}, {"osvdb", "OSVDB-"}} {
				if s := str(k.key); s != "" {
					ids = append(ids, k.prefix+s)
				}
			}
			all := append([]string{v.ID}, v.Aliases...)
			if len(ids) > 0 && ids[0] != "OSVDB-"+str("osvdb") {
				if !slices.Equal(all, ids) {
					t.Errorf("ids %v, want %v", all, ids)
				}
			} else if want := "RUBYSEC-" + str("gem") + "-" + strings.TrimSuffix(filepath.Base(name), ".yml"); v.ID != want || !slices.Equal(v.Aliases, ids) {
				t.Errorf("ids %v, want %s and %v", all, want, ids)
			}
			if v.Summary != str("title") || v.Description != str("description") || v.Published[:10] != str("date")[:10] {
				t.Errorf("texts %q %q %q", v.Summary, v.Description, v.Published)
			}
			if len(v.References) == 0 || v.References[0] != str("url") {
				t.Errorf("references %v", v.References)
			}
			var scores []float64
			for _, k := range []string{"cvss_v4", "cvss_v3", "cvss_v2"} {
				if s, ok := raw[k].(float64); ok {
					scores = append(scores, s)
				}
			}
			var got []float64
			for _, s := range v.Severities {
				got = append(got, s.Score)
			}
			if !slices.Equal(got, scores) {
				t.Errorf("scores %v, want %v", got, scores)
			}
			list := func(k string) []string {
				var out []string
				l, _ := raw[k].([]any)
				for _, x := range l {
					out = append(out, fmt.Sprint(x))
				}
				return out
			}
			var aff *vulndb.Affected
			if len(recs[0].Affected) == 1 {
				aff = &recs[0].Affected[0]
				if aff.Namespace != "rubygems" || aff.Package != str("gem") || aff.VulnID != v.ID {
					t.Errorf("affected %+v", aff)
				}
				if wantFixed := len(list("patched_versions")) > 0; (aff.Status == vulndb.StatusFixed) != wantFixed {
					// every patched list in the test data names a version above an affected range
					t.Errorf("status %q with patched %v", aff.Status, list("patched_versions"))
				}
			}
			checked := checkAgainstRequirements(t, list("patched_versions"), list("unaffected_versions"))
			if !reflect.DeepEqual(checked, aff) && !(checked != nil && aff != nil && reflect.DeepEqual(checked.Ranges, aff.Ranges)) {
				t.Errorf("Parse gave %+v, the requirements %+v", aff, checked)
			}
		})
	}
	st := f.Stats()
	if st.Files != len(files) || st.Records != len(files) || len(st.Skipped) != 0 {
		t.Errorf("stats %+v", st)
	}
	if st.Warnings[WarnApproximated] < 5 || st.Warnings[WarnNothingLeft] != 2 {
		t.Errorf("warnings %v", st.Warnings)
	}
}

func TestRubiesSkipped(t *testing.T) {
	f := New()
	for _, name := range testFiles(t, "rubies") {
		recs, err := parse(t, f, name, readTestFile(t, name))
		if err != nil || len(recs) != 0 {
			t.Errorf("%s: %v %v", name, recs, err)
		}
	}
	if st := f.Stats(); st.Skipped[SkipRuby] != 2 || st.Records != 0 {
		t.Errorf("stats %+v", st)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ name, data, want, reason string }{
		{"gems/x/CVE-1.yml", "gem: x\npatched_versions:\n  - '!= 1.0'\n", "not supported", SkipBadVersions},
		{"gems/x/CVE-1.yml", "gem: x\nunaffected_versions:\n  - '~> one'\n", "RubyGems version", SkipBadVersions},
		{"gems/x/CVE-1.yml", "gem: [x\n", "yaml", SkipMalformed},
		{"gems/x/CVE-1.yml", "- a list\n", "cannot unmarshal", SkipMalformed},
		{"gems/x/CVE-1.yml", "patched_versions: {a: b}\n", "cannot unmarshal", SkipMalformed},
		{"x/CVE-1.yml", "gem: x\n", "advisory path", SkipMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.data, func(t *testing.T) {
			f := New()
			recs, err := parse(t, f, tt.name, []byte(tt.data))
			if err == nil || len(recs) != 0 || !strings.Contains(err.Error(), tt.name) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("records %v, error %v; want one naming %s and saying %q", recs, err, tt.name, tt.want)
			}
			if st := f.Stats(); st.Skipped[tt.reason] != 1 {
				t.Errorf("stats %+v, want a skip for %q", st, tt.reason)
			}
		})
	}
	// A missing gem field falls back to the folder, with a warning.
	f := New()
	recs, err := parse(t, f, "gems/fallback/OSVDB-1.yml", []byte("osvdb: 1\ntitle: t\n"))
	if err != nil || len(recs) != 1 || recs[0].Affected[0].Package != "fallback" || recs[0].Vulnerability.ID != "RUBYSEC-fallback-OSVDB-1" {
		t.Errorf("fallback: %+v %v", recs, err)
	}
	if f.Stats().Warnings[WarnGemFromPath] != 1 {
		t.Errorf("stats %+v", f.Stats())
	}
	// Identifiers written with their prefix are not prefixed twice.
	recs, err = parse(t, f, "gems/y/CVE-2.yml", []byte("gem: y\ncve: CVE-2020-1\nghsa: GHSA-aaaa-bbbb-cccc\n"))
	if err != nil || recs[0].Vulnerability.ID != "CVE-2020-1" || !slices.Equal(recs[0].Vulnerability.Aliases, []string{"GHSA-aaaa-bbbb-cccc"}) {
		t.Errorf("prefixed ids: %+v %v", recs, err)
	}
	boom := errors.New("boom")
	err = New().Parse(context.Background(), feed.Input{Name: "gems/y/CVE-2.yml", R: strings.NewReader("gem: y\n")}, func(vulndb.Record) error { return boom })
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), "gems/y/CVE-2.yml") {
		t.Errorf("emit error: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := New().Parse(ctx, feed.Input{Name: "gems/y/CVE-2.yml", R: strings.NewReader("gem: y\n")}, func(vulndb.Record) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

func FuzzRubysec(f *testing.F) {
	for _, name := range []string{"gems/activemodel/CVE-2016-0753.yml", "gems/sinatra/CVE-2018-11627.yml"} {
		data, err := os.ReadFile(filepath.Join("testdata", filepath.FromSlash(name)))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		const name = "gems/fuzz/CVE-0.yml"
		recs, err := parse(t, New(), name, data)
		if err != nil {
			if !strings.Contains(err.Error(), name) {
				t.Errorf("error does not name the input: %v", err)
			}
			return
		}
		if len(recs) != 1 || recs[0].Vulnerability == nil || recs[0].Vulnerability.ID == "" {
			t.Fatalf("records %+v", recs)
		}
		for _, a := range recs[0].Affected {
			if a.Package == "" || len(a.Ranges)+len(a.Versions) == 0 {
				t.Fatalf("affected %+v", a)
			}
			for _, r := range a.Ranges {
				for _, s := range []string{r.Introduced, r.Fixed, r.LastAffected} {
					if _, err := parseGemVersion(s); s != "" && err != nil {
						t.Fatalf("range %+v: %v", r, err)
					}
				}
				if r.Fixed != "" && r.LastAffected != "" {
					t.Fatalf("range %+v has both ends", r)
				}
				if r.Introduced != "" && r.Fixed != "" {
					if v, w := mustGem(r.Introduced), mustGem(r.Fixed); compareGem(v, w) >= 0 {
						t.Fatalf("empty range %+v", r)
					}
				}
			}
		}
	})
}

func mustGem(s string) gemVersion {
	v, err := parseGemVersion(s)
	if err != nil {
		panic(err)
	}
	return v
}
