package nodejs

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

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

func testFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "vuln", "*", "*.json"))
	if err != nil || len(files) < 30 {
		t.Fatalf("testdata: %d files, %v", len(files), err)
	}
	return files
}

func TestContract(t *testing.T) {
	f := New()
	if f.Name() != "nodejs-security-wg" {
		t.Errorf("Name() = %q", f.Name())
	}
	if i := f.Info(); i.Licence != "MIT" || i.Attribution == "" || i.UpstreamURL == "" {
		t.Errorf("Info() = %+v", i)
	}
	for name, want := range map[string]bool{
		"security-wg-main/vuln/npm/1.json":   true,
		"vuln/core/171.json":                 true,
		`vuln\npm\12.json`:                   true,
		"vuln/npm/index.json":                false,
		"vuln/core/index.json":               false,
		"vuln/deps/1.json":                   false,
		"vuln/npm/1.json.orig":               false,
		"vuln/npm/.json":                     false,
		"vuln/README.md":                     false,
		"security-wg-main/package.json":      false,
		"security-wg-main/tools/npm/x1.json": false,
	} {
		if got := f.Match(name); got != want {
			t.Errorf("Match(%q) = %v, want %v", name, got, want)
		}
	}
}

// TestKnownRecords pins whole records of chosen real advisories, written out by hand.
func TestKnownRecords(t *testing.T) {
	tests := []struct {
		file string
		want vulndb.Record
	}{
		{"vuln/npm/1.json", vulndb.Record{
			Vulnerability: &vulndb.Vulnerability{
				ID: "NSWG-ECO-1", Aliases: []string{"CVE-2014-7205"},
				Summary:     "Arbitrary JavaScript Execution",
				Description: "A vulnerability exists in bassmaster <= 1.5.1 that allows for an attacker to provide arbitrary JavaScript that is then executed server side via eval.",
				Severities:  []vulndb.Severity{{Source: "nodejs-security-wg", Type: "CVSS_V3", Vector: "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:L/A:N", Score: 6.5, Rating: "MEDIUM"}},
				Published:   "2014-09-27", Modified: "2016-04-28",
				References: []string{"https://www.npmjs.org/package/bassmaster", "https://github.com/hapijs/bassmaster/commit/b751602d8cb7194ee62a61e085069679525138c4"},
			},
			Affected: []vulndb.Affected{{VulnID: "NSWG-ECO-1", Namespace: "npm", Package: "bassmaster",
				Ranges: []vulndb.Range{{Type: "SEMVER", LastAffected: "1.5.1"}}, Status: "fixed"}},
		}},
		{"vuln/npm/359.json", vulndb.Record{ // cvss_score -1 and no vector: no severity
			Vulnerability: &vulndb.Vulnerability{
				ID: "NSWG-ECO-359", Summary: "Directory Traversal",
				Description: "A crafted request can be used to traverse the directory structure of a host using the serve-here package, and request arbitrary files outside of the specified web root.",
				Published:   "2018-01-10", Modified: "2018-01-10",
				References: []string{"https://hackerone.com/reports/296254"},
			},
			Affected: []vulndb.Affected{{VulnID: "NSWG-ECO-359", Namespace: "npm", Package: "serve-here",
				Ranges: []vulndb.Range{{Type: "SEMVER", LastAffected: "3.2.0"}}, Status: "affected"}},
		}},
		{"vuln/core/18.json", vulndb.Record{
			Vulnerability: &vulndb.Vulnerability{
				ID: "NSWG-COR-18", Aliases: []string{"CVE-2016-5325"},
				Summary:    "HTTP processing security defect (CVE-2016-5325)",
				Severities: []vulndb.Severity{{Source: "nodejs-security-wg", Type: "CVSS_V3", Vector: "CVSS:3.0/AV:N/AC:H/PR:N/UI:N/S:U/C:L/I:L/A:N", Score: 4.8, Rating: "MEDIUM"}},
				References: []string{"https://github.com/nodejs/node-private/pull/60"},
			},
			Affected: []vulndb.Affected{{VulnID: "NSWG-COR-18", Namespace: "nodejs", Package: "node",
				Ranges: []vulndb.Range{{Type: "SEMVER", Introduced: "4.0.0", Fixed: "4.6.0"}, {Type: "SEMVER", Introduced: "5.0.0", Fixed: "6.7.0"}},
				Status: "fixed"}},
		}},
		{"vuln/core/171.json", vulndb.Record{
			Vulnerability: &vulndb.Vulnerability{
				ID: "NSWG-COR-171", Aliases: []string{"CVE-2026-21717"},
				Summary:    "HashDoS in V8",
				Severities: []vulndb.Severity{{Source: "nodejs-security-wg", Rating: "MEDIUM"}},
				References: []string{"https://nodejs.org/en/blog/vulnerability/march-2026-security-releases"},
			},
			Affected: []vulndb.Affected{{VulnID: "NSWG-COR-171", Namespace: "nodejs", Package: "node",
				Ranges: []vulndb.Range{
					{Type: "SEMVER", Introduced: "20.0.0", Fixed: "20.20.2"}, {Type: "SEMVER", Introduced: "22.0.0", Fixed: "22.22.2"},
					{Type: "SEMVER", Introduced: "24.0.0", Fixed: "24.14.1"}, {Type: "SEMVER", Introduced: "25.0.0", Fixed: "25.8.2"},
				},
				Status: "fixed"}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			recs, err := parse(t, New(), tt.file, data)
			if err != nil || len(recs) != 1 {
				t.Fatalf("%d records, %v", len(recs), err)
			}
			got := recs[0]
			if tt.want.Vulnerability.Description == "" { // long core texts: checked in TestIndependentReading
				got.Vulnerability.Description = ""
			}
			if !reflect.DeepEqual(got, tt.want) {
				g, _ := json.MarshalIndent(got, "", "  ")
				w, _ := json.MarshalIndent(tt.want, "", "  ")
				t.Errorf("got\n%s\nwant\n%s", g, w)
			}
		})
	}
}

// TestIndependentReading decodes every test file generically and compares it with the
// emitted record.
func TestIndependentReading(t *testing.T) {
	f := New()
	for _, file := range testFiles(t) {
		name := filepath.ToSlash(strings.TrimPrefix(file, "testdata"+string(filepath.Separator)))
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			var raw map[string]any
			if err := json.Unmarshal(data, &raw); err != nil {
				t.Fatal(err)
			}
			recs, err := parse(t, f, name, data)
			if err != nil || len(recs) != 1 {
				t.Fatalf("%d records, %v", len(recs), err)
			}
			v := recs[0].Vulnerability
			num := strings.TrimSuffix(filepath.Base(file), ".json")
			isCore := strings.Contains(name, "/core/")
			str := func(k string) string { s, _ := raw[k].(string); return strings.TrimSpace(s) }
			list := func(k string) []string {
				var out []string
				l, _ := raw[k].([]any)
				for _, x := range l {
					out = append(out, x.(string))
				}
				return out
			}
			var wantID, wantNS, wantPkg, wantSummary, wantDesc, vector string
			var aliases, refs []string
			if isCore {
				wantID, wantNS, wantPkg = "NSWG-COR-"+num, "nodejs", "node"
				wantSummary, wantDesc = str("description"), str("overview")
				aliases, vector = list("cve"), str("cvss")
				if vector != "" {
					vector = "CVSS:" + vector
				}
				if s := str("ref"); s != "" {
					refs = []string{s}
				}
			} else {
				wantID, wantNS, wantPkg = fmt.Sprintf("NSWG-ECO-%v", raw["id"]), "npm", str("module_name")
				wantSummary, wantDesc = str("title"), str("overview")
				aliases, vector, refs = list("cves"), str("cvss_vector"), list("references")
				if v.Published != str("publish_date") || v.Modified != str("updated_at") {
					t.Errorf("dates %q %q", v.Published, v.Modified)
				}
			}
			if v.ID != wantID || v.Summary != wantSummary || v.Description != wantDesc {
				t.Errorf("id/summary/description: %q %q %q", v.ID, v.Summary, v.Description)
			}
			if !slices.Equal(v.Aliases, aliases) || !slices.Equal(v.References, refs) {
				t.Errorf("aliases %v refs %v, want %v %v", v.Aliases, v.References, aliases, refs)
			}
			score, hasScore := raw["cvss_score"].(float64)
			hasScore = hasScore && score >= 0
			switch {
			case vector != "" || hasScore:
				if len(v.Severities) != 1 || v.Severities[0].Vector != vector || (hasScore && v.Severities[0].Score != score) {
					t.Errorf("severities %+v, want vector %q score %v", v.Severities, vector, score)
				}
			case str("severity") != "" && str("severity") != "unknown":
				if len(v.Severities) != 1 || v.Severities[0].Rating != strings.ToUpper(str("severity")) {
					t.Errorf("severities %+v, want rating %q", v.Severities, str("severity"))
				}
			default:
				if len(v.Severities) != 0 {
					t.Errorf("severities %+v, want none", v.Severities)
				}
			}
			for _, a := range recs[0].Affected {
				if a.VulnID != wantID || a.Namespace != wantNS || a.Package != wantPkg {
					t.Errorf("affected %+v", a)
				}
				if len(a.Ranges)+len(a.Versions) == 0 {
					t.Errorf("affected without versions: %+v", a)
				}
				for _, r := range a.Ranges {
					if r.Introduced != "" && (r.Fixed != "" || r.LastAffected != "") {
						end := r.Fixed + r.LastAffected
						if compareSemver(mustVersion(t, r.Introduced), mustVersion(t, end)) > 0 {
							t.Errorf("range ends before it starts: %+v", r)
						}
					}
				}
			}
		})
	}
	st := f.Stats()
	if st.Files != len(testFiles(t)) || st.Records != st.Files || len(st.Skipped) != 0 {
		t.Errorf("stats %+v", st)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, data, want, reason string
	}{
		{"vuln/npm/9.json", `{"id": 9, "module_name": "x", "vulnerable_versions": "not a range"}`, "vulnerable range", SkipBadRange},
		{"vuln/npm/9.json", `{"id": 9, "module_name": "x", "vulnerable_versions": null}`, "no vulnerable range", SkipBadRange},
		{"vuln/npm/9.json", `{"id": 9, "vulnerable_versions": "<1.0.0"}`, "no module_name", SkipMalformed},
		{"vuln/npm/9.json", `{"id": "9"}`, "cannot unmarshal", SkipMalformed},
		{"vuln/core/9.json", `[`, "unexpected end", SkipMalformed},
		{"vuln/core/9.json", `{"cve": [], "vulnerable": ">=1 <<2"}`, "vulnerable range", SkipBadRange},
		{"vuln/other/9.json", `{}`, "not a vuln/npm or vuln/core", SkipMalformed},
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
	// Warnings: a bad patched range, and nothing left affected.
	f := New()
	recs, err := parse(t, f, "vuln/npm/3.json", []byte(`{"id":3,"module_name":"m","vulnerable_versions":"<1.0.0","patched_versions":"soon"}`))
	if err != nil || len(recs) != 1 || len(recs[0].Affected) != 1 || recs[0].Affected[0].Status != vulndb.StatusAffected {
		t.Errorf("bad patched range: %+v %v", recs, err)
	}
	recs, err = parse(t, f, "vuln/npm/4.json", []byte(`{"id":4,"module_name":"m","vulnerable_versions":"<1.0.0","patched_versions":"*"}`))
	if err != nil || len(recs) != 1 || len(recs[0].Affected) != 0 {
		t.Errorf("all patched: %+v %v", recs, err)
	}
	if st := f.Stats(); st.Warnings[WarnBadPatched] != 1 || st.Warnings[WarnNothingLeft] != 1 || st.Records != 2 {
		t.Errorf("stats %+v", st)
	}
	// emit errors and cancellation are reported with the file name.
	boom := errors.New("boom")
	data, _ := os.ReadFile(filepath.Join("testdata", "vuln", "npm", "1.json"))
	err = New().Parse(context.Background(), feed.Input{Name: "vuln/npm/1.json", R: bytes.NewReader(data)}, func(vulndb.Record) error { return boom })
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), "vuln/npm/1.json") {
		t.Errorf("emit error: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := New().Parse(ctx, feed.Input{Name: "vuln/npm/1.json", R: bytes.NewReader(data)}, func(vulndb.Record) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

func FuzzNodejs(f *testing.F) {
	for _, file := range []string{"vuln/npm/495.json", "vuln/core/1.json"} {
		data, err := os.ReadFile(filepath.Join("testdata", file))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(strings.Contains(file, "core"), data)
	}
	f.Fuzz(func(t *testing.T, core bool, data []byte) {
		name := "vuln/npm/7.json"
		if core {
			name = "vuln/core/7.json"
		}
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
					if s == "" {
						continue
					}
					if p, err := parsePartial(s); err != nil || p.n != 3 {
						t.Fatalf("range %+v holds a bad version %q", r, s)
					}
				}
				if r.Fixed != "" && r.LastAffected != "" {
					t.Fatalf("range %+v has both ends", r)
				}
				if r.Introduced != "" && r.Fixed != "" && compareSemver(mustVersion(t, r.Introduced), mustVersion(t, r.Fixed)) >= 0 {
					t.Fatalf("empty range %+v", r)
				}
			}
		}
	})
}
