package osv

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/shipshape-dev/shipshape/internal/feed"
	"github.com/shipshape-dev/shipshape/internal/vulndb"
)

// parse runs the parser on one in-memory file and collects what it emits.
func parse(t testing.TB, name string, data []byte) ([]vulndb.Record, error) {
	t.Helper()
	var recs []vulndb.Record
	err := New().Parse(context.Background(), feed.Input{Name: name, R: bytes.NewReader(data)}, func(r vulndb.Record) error {
		recs = append(recs, r)
		return nil
	})
	return recs, err
}

func TestFeedBasics(t *testing.T) {
	f := New()
	if f.Name() != "osv" {
		t.Errorf("Name() = %q", f.Name())
	}
	info := f.Info()
	if info.Licence == "" || info.Attribution == "" || !strings.HasPrefix(info.UpstreamURL, "https://") {
		t.Errorf("Info() incomplete: %+v", info)
	}
}

func TestMatch(t *testing.T) {
	tests := []struct {
		name string
		want bool
	}{
		{"GO-2024-2916.json", true},
		{"go-vulndb/osv/GO-2024-2916.json", true},
		{"ID/GO-2024-2916.json", true},
		{"pypa/vulns/rlask/PYSEC-2026-584.yaml", true},
		{"advisories/x.YML", true},
		{"all/GHSA-xxxx.json.gz", true},
		{"README.md", false},
		{"LICENSE", false},
		{"pypa/.github/workflows/ci.yml", false},
		{".github/dependabot.yml", false},
		{"index/db.json", false},
		{"vulndb/index/modules.json", false},
		{"index/vulns.json", false},
		{"vulns/index/PYSEC-2020-1.yaml", true},
		{"data.csv", false},
	}
	f := New()
	for _, tt := range tests {
		if got := f.Match(tt.name); got != tt.want {
			t.Errorf("Match(%q) = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestNamespace(t *testing.T) {
	tests := []struct {
		eco, want string
	}{
		{"Go", "go"},
		{"npm", "npm"},
		{"PyPI", "pypi"},
		{"crates.io", "crates.io"},
		{"RubyGems", "rubygems"},
		{"Packagist", "packagist"},
		{"Maven", "maven"},
		{"NuGet", "nuget"},
		{"Debian:12", "debian:12"},
		{"Debian:11", "debian:11"},
		{"Alpine:v3.19", "alpine:3.19"},
		{"Alpine:3.20", "alpine:3.20"},
		{"Ubuntu:22.04:LTS", "ubuntu:22.04"},
		{"Ubuntu:24.10", "ubuntu:24.10"},
		{"Ubuntu:Pro:18.04:LTS", ""},
		{"Debian", ""},
		{"Debian:", ""},
		{"Hex", ""},
		{"Linux", ""},
		{"OSS-Fuzz", ""},
		{"", ""},
	}
	for _, tt := range tests {
		got, ok := Namespace(tt.eco)
		if got != tt.want || ok != (tt.want != "") {
			t.Errorf("Namespace(%q) = %q, %v; want %q", tt.eco, got, ok, tt.want)
		}
	}
}

func TestScoreSeverity(t *testing.T) {
	tests := []struct {
		typ, vector string
		score       float64
		rating      string
		source      string
		ok          bool
	}{
		{"CVSS_V3", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8, vulndb.Critical, "osv", true},
		{"CVSS_V3", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:L", 5.3, vulndb.Medium, "osv", true},
		{"CVSS_V3", "CVSS:3.0/AV:N/AC:L/PR:L/UI:R/S:U/C:H/I:H/A:H", 8.0, vulndb.High, "osv", true},
		{"CVSS_V3", "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N", 6.5, vulndb.Medium, "osv", true},
		{"CVSS_V3", "CVSS:3.1/AV:L/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N", 1.8, vulndb.Low, "osv", true},
		{"CVSS_V3", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N", 0, vulndb.Negligible, "osv", true},
		// Temporal metrics do not change the base score.
		{"CVSS_V3", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:U/RL:O/RC:C", 9.8, vulndb.Critical, "osv", true},
		{"CVSS_V4", "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", 9.3, vulndb.Critical, "osv", true},
		{"CVSS_V4", "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:N/VA:N/SC:N/SI:N/SA:N", 8.7, vulndb.High, "osv", true},
		// Threat metrics (E:U) are left out: the score is CVSS-B.
		{"CVSS_V4", "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:N/VA:N/SC:N/SI:N/SA:N/E:U", 8.7, vulndb.High, "osv", true},
		{"CVSS_V2", "AV:N/AC:L/Au:N/C:P/I:P/A:P", 7.5, vulndb.High, "osv", true},
		{"CVSS_V2", "(AV:N/AC:M/Au:N/C:N/I:P/A:N)", 4.3, vulndb.Medium, "osv", true},
		{"CVSS_V2", "AV:L/AC:H/Au:N/C:P/I:N/A:N", 1.2, vulndb.Low, "osv", true},
		// A vector that does not parse is kept, unscored.
		{"CVSS_V3", "CVSS:3.1/AV:X", 0, "", "osv", true},
		{"CVSS_V3", "CVSS:9.9/AV:N", 0, "", "osv", true},
		{"Ubuntu", "medium", 0, vulndb.Medium, "ubuntu", true},
		{"Ubuntu", "whatever", 0, "", "", false},
		{"CVSS_V3", "", 0, "", "", false},
		{"SOMETHING_ELSE", "x", 0, "", "", false},
	}
	for _, tt := range tests {
		got, ok := scoreSeverity(tt.typ, tt.vector)
		if ok != tt.ok {
			t.Errorf("scoreSeverity(%q, %q) ok = %v", tt.typ, tt.vector, ok)
			continue
		}
		if !ok {
			continue
		}
		if got.Score != tt.score || got.Rating != tt.rating || got.Source != tt.source {
			t.Errorf("scoreSeverity(%q, %q) = %+v; want score %v rating %q source %q", tt.typ, tt.vector, got, tt.score, tt.rating, tt.source)
		}
		if tt.source == "osv" && (got.Vector != tt.vector || got.Type != strings.ToUpper(tt.typ)) {
			t.Errorf("scoreSeverity(%q, %q) lost type or vector: %+v", tt.typ, tt.vector, got)
		}
	}
}

func ev(kv ...string) []map[string]text {
	var out []map[string]text
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, map[string]text{kv[i]: text(kv[i+1])})
	}
	return out
}

func TestFlatten(t *testing.T) {
	tests := []struct {
		name   string
		events []map[string]text
		want   []vulndb.Range
	}{
		{"from zero to fixed", ev("introduced", "0", "fixed", "1.2.3"),
			[]vulndb.Range{{Type: "SEMVER", Fixed: "1.2.3"}}},
		{"open ended", ev("introduced", "1.0"),
			[]vulndb.Range{{Type: "SEMVER", Introduced: "1.0"}}},
		{"last affected", ev("introduced", "0", "last_affected", "4.5.1"),
			[]vulndb.Range{{Type: "SEMVER", LastAffected: "4.5.1"}}},
		{"several intervals, last open", ev("introduced", "0", "fixed", "1.1", "introduced", "2.0", "fixed", "2.3", "introduced", "3.0"),
			[]vulndb.Range{{Type: "SEMVER", Fixed: "1.1"}, {Type: "SEMVER", Introduced: "2.0", Fixed: "2.3"}, {Type: "SEMVER", Introduced: "3.0"}}},
		{"closing events without an open interval are dropped", ev("introduced", "0", "last_affected", "3.3.18", "last_affected", "3.4.8"),
			[]vulndb.Range{{Type: "SEMVER", LastAffected: "3.3.18"}}},
		{"fixed first", ev("fixed", "1.0", "introduced", "2.0"),
			[]vulndb.Range{{Type: "SEMVER", Introduced: "2.0"}}},
		{"second introduced inside an interval", ev("introduced", "1.0", "introduced", "1.5", "fixed", "2.0"),
			[]vulndb.Range{{Type: "SEMVER", Introduced: "1.0", Fixed: "2.0"}}},
		{"limit ignored", ev("introduced", "0", "limit", "abc"),
			[]vulndb.Range{{Type: "SEMVER"}}},
		{"empty fixed keeps it open", ev("introduced", "1", "fixed", "", "fixed", "2"),
			[]vulndb.Range{{Type: "SEMVER", Introduced: "1", Fixed: "2"}}},
		{"no events", nil, nil},
	}
	for _, tt := range tests {
		got := flatten("SEMVER", tt.events)
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: flatten = %+v, want %+v", tt.name, got, tt.want)
		}
	}
}

func TestParseSynthetic(t *testing.T) {
	tests := []struct {
		name    string
		file    string
		data    string
		wantErr bool
		check   func(t *testing.T, recs []vulndb.Record)
	}{
		{
			name: "YAML keeps unquoted versions as written",
			file: "x.yaml",
			data: "id: PYSEC-0000-1\nmodified: 2024-01-02T03:04:05Z\naffected:\n- package: {name: Foo_Bar, ecosystem: PyPI}\n  ranges:\n  - type: ECOSYSTEM\n    events:\n    - introduced: 1.0\n    - fixed: 1.10\n  versions: [1.0, 1.5, 1.10]\n",
			check: func(t *testing.T, recs []vulndb.Record) {
				a := recs[0].Affected[0]
				want := vulndb.Affected{VulnID: "PYSEC-0000-1", Namespace: "pypi", Package: "Foo_Bar", Status: vulndb.StatusFixed,
					Ranges: []vulndb.Range{{Type: "ECOSYSTEM", Introduced: "1.0", Fixed: "1.10"}}, Versions: []string{"1.0", "1.5", "1.10"}}
				if !reflect.DeepEqual(a, want) {
					t.Errorf("got %+v\nwant %+v", a, want)
				}
				if m := recs[0].Vulnerability.Modified; m != "2024-01-02T03:04:05Z" {
					t.Errorf("Modified = %q", m)
				}
			},
		},
		{
			name: "JSON number versions keep their text",
			file: "x.json",
			data: `{"id":"X-1","affected":[{"package":{"name":"p","ecosystem":"npm"},"ranges":[{"type":"SEMVER","events":[{"introduced":0},{"fixed":1.10}]}]}]}`,
			check: func(t *testing.T, recs []vulndb.Record) {
				want := []vulndb.Range{{Type: "SEMVER", Fixed: "1.10"}}
				if got := recs[0].Affected[0].Ranges; !reflect.DeepEqual(got, want) {
					t.Errorf("ranges %+v", got)
				}
			},
		},
		{
			name: "withdrawn is skipped",
			file: "w.json",
			data: `{"id":"X-2","withdrawn":"2024-01-01T00:00:00Z","affected":[{"package":{"name":"p","ecosystem":"npm"},"versions":["1"]}]}`,
			check: func(t *testing.T, recs []vulndb.Record) {
				if len(recs) != 0 {
					t.Errorf("withdrawn advisory emitted: %+v", recs)
				}
			},
		},
		{
			name: "zero dates are dropped, unknown ecosystems and packageless entries skipped",
			file: "z.json",
			data: `{"id":"X-3","published":"0001-01-01T00:00:00Z","modified":"0001-01-01T00:00:00Z","affected":[
				{"package":{"name":"k","ecosystem":"Hex"},"versions":["1"]},
				{"ranges":[{"type":"GIT","events":[{"introduced":"0"}]}]},
				{"package":{"name":"openssl","ecosystem":"Debian:12"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"3.0.11-1~deb12u2"}]}]},
				{"package":{"name":"musl","ecosystem":"Alpine:v3.19"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"}]}]}]}`,
			check: func(t *testing.T, recs []vulndb.Record) {
				v := recs[0].Vulnerability
				if v.Published != "" || v.Modified != "" {
					t.Errorf("zero dates kept: %q %q", v.Published, v.Modified)
				}
				want := []vulndb.Affected{
					{VulnID: "X-3", Namespace: "debian:12", Package: "openssl", Status: vulndb.StatusFixed, Ranges: []vulndb.Range{{Type: "ECOSYSTEM", Fixed: "3.0.11-1~deb12u2"}}},
					{VulnID: "X-3", Namespace: "alpine:3.19", Package: "musl", Status: vulndb.StatusAffected, Ranges: []vulndb.Range{{Type: "ECOSYSTEM"}}},
				}
				if !reflect.DeepEqual(recs[0].Affected, want) {
					t.Errorf("got %+v\nwant %+v", recs[0].Affected, want)
				}
			},
		},
		{
			name: "a GIT fix alone does not make the status fixed",
			file: "g.json",
			data: `{"id":"X-4","affected":[{"package":{"name":"p","ecosystem":"PyPI"},"ranges":[{"type":"GIT","repo":"r","events":[{"introduced":"0"},{"fixed":"abc"}]}],"versions":["1.0"]}]}`,
			check: func(t *testing.T, recs []vulndb.Record) {
				a := recs[0].Affected[0]
				if a.Status != vulndb.StatusAffected || len(a.Ranges) != 1 || a.Ranges[0].Type != "GIT" {
					t.Errorf("got %+v", a)
				}
			},
		},
		{
			name: "odd database_specific and aliases types are tolerated",
			file: "d.json",
			data: `{"id":"GHSA-aaaa-bbbb-cccc","aliases":"CVE-2020-1","database_specific":"none","affected":[]}`,
			check: func(t *testing.T, recs []vulndb.Record) {
				v := recs[0].Vulnerability
				if !reflect.DeepEqual(v.Aliases, []string{"CVE-2020-1"}) || len(v.Severities) != 0 {
					t.Errorf("got %+v", v)
				}
			},
		},
		{
			name: "GHSA rating from an alias, MODERATE is MEDIUM",
			file: "a.json",
			data: `{"id":"PYSEC-1","aliases":["GHSA-aaaa-bbbb-cccc"],"database_specific":{"severity":"MODERATE","cwe_ids":["CWE-79","CWE-79"]}}`,
			check: func(t *testing.T, recs []vulndb.Record) {
				v := recs[0].Vulnerability
				want := []vulndb.Severity{{Source: "ghsa", Rating: vulndb.Medium}}
				if !reflect.DeepEqual(v.Severities, want) || !reflect.DeepEqual(v.CWEs, []string{"CWE-79"}) {
					t.Errorf("got %+v", v)
				}
			},
		},
		{
			name: "no GHSA rating without a GHSA id",
			file: "b.json",
			data: `{"id":"RUSTSEC-1","database_specific":{"severity":"HIGH"}}`,
			check: func(t *testing.T, recs []vulndb.Record) {
				if s := recs[0].Vulnerability.Severities; len(s) != 0 {
					t.Errorf("got %+v", s)
				}
			},
		},
		{
			name: "array of advisories skips a malformed one",
			file: "all.json",
			data: `[{"id":"A-1"}, {"id":"A-2","affected":"oops"}, {"summary":"no id"}, {"id":"A-3"}]`,
			check: func(t *testing.T, recs []vulndb.Record) {
				if len(recs) != 2 || recs[0].Vulnerability.ID != "A-1" || recs[1].Vulnerability.ID != "A-3" {
					t.Errorf("got %+v", recs)
				}
			},
		},
		{name: "array with nothing readable", file: "all.json", data: `[{"summary":"no id"}]`, wantErr: true},
		{name: "empty array", file: "all.json", data: `[]`, check: func(t *testing.T, recs []vulndb.Record) {}},
		{name: "not an advisory", file: "x.json", data: `{"modified":"2024-01-01T00:00:00Z"}`, wantErr: true},
		{name: "empty file", file: "x.json", data: "  \n", wantErr: true},
		{name: "broken JSON", file: "x.json", data: `{"id":`, wantErr: true},
		{name: "broken YAML", file: "x.yaml", data: "id: [\n", wantErr: true},
		{name: "YAML without id", file: "x.yml", data: "summary: hello\n", wantErr: true},
		{
			name: "JSON with a BOM and a .yaml-less name is read as JSON",
			file: "weird",
			data: "\xef\xbb\xbf {\"id\":\"B-1\"}",
			check: func(t *testing.T, recs []vulndb.Record) {
				if len(recs) != 1 || recs[0].Vulnerability.ID != "B-1" {
					t.Errorf("got %+v", recs)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			recs, err := parse(t, tt.file, []byte(tt.data))
			if tt.wantErr {
				if err == nil {
					t.Fatalf("no error; records %+v", recs)
				}
				if !strings.Contains(err.Error(), tt.file) {
					t.Errorf("error does not name the input: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tt.check != nil {
				if len(recs) == 0 && !strings.Contains(tt.name, "withdrawn") && !strings.Contains(tt.name, "empty array") {
					t.Fatal("no records")
				}
				tt.check(t, recs)
			}
		})
	}
}

func TestParseEmitError(t *testing.T) {
	stop := errors.New("stop")
	err := New().Parse(context.Background(), feed.Input{Name: "e.json", R: strings.NewReader(`{"id":"E-1"}`)},
		func(vulndb.Record) error { return stop })
	if !errors.Is(err, stop) || !strings.Contains(err.Error(), "e.json") {
		t.Errorf("err = %v", err)
	}
}

func TestParseCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := New().Parse(ctx, feed.Input{Name: "all.json", R: strings.NewReader(`[{"id":"A-1"}]`)},
		func(vulndb.Record) error { return nil })
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v", err)
	}
}

// Real advisories: each file's parsed content is compared with a generic reading of the
// same file (a map decode), plus expectations written by hand for the tricky parts.

// namespaces is the test's own copy of the ecosystem mapping the sample files need.
var namespaces = map[string]string{"Go": "go", "npm": "npm", "PyPI": "pypi", "crates.io": "crates.io", "Maven": "maven", "NuGet": "nuget"}

// realExpect holds what a reader of the file works out by hand.
type realExpect struct {
	withdrawn bool
	// ranges per emitted affected entry, when the events are not a plain alternation
	ranges          [][]vulndb.Range
	skippedAffected int       // affected entries without ranges or versions
	scores          []float64 // of all severities, in order (osv ones, then ghsa)
	ratings         []string
}

var realFiles = map[string]realExpect{
	"ghsa/GHSA-29mw-wpgm-hmr9.json": {scores: []float64{5.3, 0}, ratings: []string{"MEDIUM", "MEDIUM"}},
	"ghsa/GHSA-36p3-wjmg-h94x.json": {scores: []float64{9.8, 0}, ratings: []string{"CRITICAL", "CRITICAL"}},
	"ghsa/GHSA-5crp-9r3c-p9vr.json": {scores: []float64{0}, ratings: []string{"LOW"}},
	"ghsa/GHSA-74fj-2j2h-c42q.json": {scores: []float64{8.0, 0}, ratings: []string{"HIGH", "HIGH"}},
	"ghsa/GHSA-8q59-q68h-6hv4.json": {scores: []float64{9.8, 0}, ratings: []string{"CRITICAL", "CRITICAL"}},
	"go/GO-2021-0067.json":          {},
	"go/GO-2022-0177.json":          {},
	"go/GO-2022-0617.json":          {withdrawn: true},
	"go/GO-2024-2916.json":          {},
	"go/GO-2025-4252.json":          {},
	"pypa/PYSEC-2022-43170.yaml": {
		scores: []float64{6.5}, ratings: []string{"MEDIUM"},
		// tryton: fixes in 6.2.6, 6.0.16 and 5.0.46 follow the 6.2.2 fix with no
		// introduced of their own; read in version order they change nothing.
		ranges: [][]vulndb.Range{{
			{Type: "ECOSYSTEM", Introduced: "5.0.0", Fixed: "5.0.12"},
			{Type: "ECOSYSTEM", Introduced: "6.0.0", Fixed: "6.0.5"},
			{Type: "ECOSYSTEM", Introduced: "6.2.0", Fixed: "6.2.2"},
		}},
	},
	"pypa/PYSEC-2022-43182.yaml": {withdrawn: true},
	"pypa/PYSEC-2023-71.yaml":    {},
	"pypa/PYSEC-2025-75.yaml":    {skippedAffected: 1, scores: []float64{7.8}, ratings: []string{"HIGH"}},
	"pypa/PYSEC-2026-217.yaml": {
		scores: []float64{9.8}, ratings: []string{"CRITICAL"},
		// mariadb: introduced 0, last_affected 3.3.18, last_affected 3.4.8.
		ranges: [][]vulndb.Range{{{Type: "ECOSYSTEM", LastAffected: "3.3.18"}}},
	},
	"pypa/PYSEC-2026-2326.yaml":      {scores: []float64{9.1, 8.7}, ratings: []string{"CRITICAL", "HIGH"}},
	"rustsec/RUSTSEC-2019-0031.json": {withdrawn: true},
	"rustsec/RUSTSEC-2024-0445.json": {scores: []float64{2.3}, ratings: []string{"LOW"}},
	"rustsec/RUSTSEC-2026-0006.json": {scores: []float64{4.1}, ratings: []string{"MEDIUM"}},
}

func TestRealAdvisories(t *testing.T) {
	files, err := filepath.Glob("testdata/*/*")
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, path := range files {
		rel := filepath.ToSlash(strings.TrimPrefix(path, "testdata/"))
		exp, listed := realFiles[rel]
		if !listed {
			continue
		}
		seen++
		t.Run(rel, func(t *testing.T) {
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !New().Match(rel) {
				t.Fatalf("Match(%q) = false", rel)
			}
			raw := genericDecode(t, path, data)
			recs, err := parse(t, rel, data)
			if err != nil {
				t.Fatal(err)
			}
			if exp.withdrawn {
				if raw["withdrawn"] == nil {
					t.Fatal("test data: not withdrawn")
				}
				if len(recs) != 0 {
					t.Fatalf("withdrawn advisory emitted %d records", len(recs))
				}
				return
			}
			if len(recs) != 1 {
				t.Fatalf("%d records, want 1", len(recs))
			}
			checkVulnerability(t, raw, recs[0].Vulnerability, exp)
			checkAffected(t, raw, recs[0].Affected, exp)
		})
	}
	if seen != len(realFiles) {
		t.Errorf("found %d of the %d sample files", seen, len(realFiles))
	}
}

func genericDecode(t *testing.T, path string, data []byte) map[string]any {
	t.Helper()
	var m map[string]any
	var err error
	if strings.HasSuffix(path, ".yaml") {
		err = yaml.Unmarshal(data, &m)
	} else {
		err = json.Unmarshal(data, &m)
	}
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// str reads a scalar of the generic decoding; YAML turns unquoted dates into time.Time.
func str(v any) string {
	if tm, ok := v.(time.Time); ok {
		return tm.Format(time.RFC3339Nano)
	}
	s, _ := v.(string)
	return s
}

func list(v any) []any {
	l, _ := v.([]any)
	return l
}

func obj(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

func strs(v any) []string {
	var out []string
	for _, x := range list(v) {
		out = append(out, str(x))
	}
	return out
}

func checkVulnerability(t *testing.T, raw map[string]any, v *vulndb.Vulnerability, exp realExpect) {
	t.Helper()
	if v == nil {
		t.Fatal("no vulnerability")
	}
	if v.ID != str(raw["id"]) || v.Summary != str(raw["summary"]) || v.Description != str(raw["details"]) {
		t.Errorf("id/summary/details differ: %q %q", v.ID, v.Summary)
	}
	if !reflect.DeepEqual(v.Aliases, strs(raw["aliases"])) {
		t.Errorf("aliases %v, file %v", v.Aliases, raw["aliases"])
	}
	for _, k := range []string{"published", "modified"} {
		want := str(raw[k])
		if strings.HasPrefix(want, "0001-") {
			want = ""
		}
		got := v.Published
		if k == "modified" {
			got = v.Modified
		}
		if got != want {
			t.Errorf("%s = %q, file %q", k, got, want)
		}
	}
	var refs []string
	seen := map[string]bool{}
	for _, r := range list(raw["references"]) {
		u := str(obj(r)["url"])
		if !seen[u] {
			refs = append(refs, u)
			seen[u] = true
		}
	}
	if !reflect.DeepEqual(v.References, refs) {
		t.Errorf("references %v, file %v", v.References, refs)
	}
	dbs := obj(raw["database_specific"])
	if !reflect.DeepEqual(v.CWEs, strs(dbs["cwe_ids"])) {
		t.Errorf("CWEs %v, file %v", v.CWEs, dbs["cwe_ids"])
	}
	// Severities: the file's vectors in order, then the GHSA rating.
	var want []vulndb.Severity
	for _, s := range list(raw["severity"]) {
		want = append(want, vulndb.Severity{Source: "osv", Type: str(obj(s)["type"]), Vector: str(obj(s)["score"])})
	}
	if r := str(dbs["severity"]); r != "" {
		want = append(want, vulndb.Severity{Source: "ghsa"})
	}
	if len(v.Severities) != len(want) || len(want) != len(exp.scores) {
		t.Fatalf("severities %+v; file has %d, test expects %d", v.Severities, len(want), len(exp.scores))
	}
	for i, s := range v.Severities {
		w := want[i]
		w.Score, w.Rating = exp.scores[i], exp.ratings[i]
		if s != w {
			t.Errorf("severity %d = %+v, want %+v", i, s, w)
		}
	}
}

func checkAffected(t *testing.T, raw map[string]any, got []vulndb.Affected, exp realExpect) {
	t.Helper()
	var want []vulndb.Affected
	skipped := 0
	for _, a := range list(raw["affected"]) {
		am := obj(a)
		pkg := obj(am["package"])
		ns := namespaces[str(pkg["ecosystem"])]
		if ns == "" {
			t.Fatalf("test data: ecosystem %v", pkg["ecosystem"])
		}
		x := vulndb.Affected{VulnID: str(raw["id"]), Namespace: ns, Package: str(pkg["name"]), Status: vulndb.StatusAffected}
		for _, v := range list(am["versions"]) {
			x.Versions = append(x.Versions, str(v))
		}
		for _, r := range list(am["ranges"]) {
			x.Ranges = append(x.Ranges, alternating(t, obj(r))...)
		}
		if len(x.Ranges) == 0 && len(x.Versions) == 0 {
			skipped++
			continue
		}
		want = append(want, x)
	}
	if skipped != exp.skippedAffected {
		t.Errorf("test data: %d affected entries without ranges or versions, expected %d", skipped, exp.skippedAffected)
	}
	if len(got) != len(want) {
		t.Fatalf("%d affected entries, file has %d usable", len(got), len(want))
	}
	for i := range want {
		if exp.ranges != nil {
			want[i].Ranges = exp.ranges[i]
		}
		for _, r := range want[i].Ranges {
			if r.Fixed != "" && r.Type != "GIT" {
				want[i].Status = vulndb.StatusFixed
			}
		}
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Errorf("affected %d:\n got %+v\nwant %+v", i, got[i], want[i])
		}
	}
}

// alternating pairs a range's events the plain way (introduced, close, introduced,
// close, ...); ranges that are not a plain alternation need hand-written expectations.
func alternating(t *testing.T, r map[string]any) []vulndb.Range {
	var out []vulndb.Range
	typ := str(r["type"])
	events := list(r["events"])
	for i := 0; i < len(events); i += 2 {
		intro, ok := obj(events[i])["introduced"]
		if !ok {
			return nil // not plain: the expectation table says
		}
		rg := vulndb.Range{Type: typ, Introduced: str(intro)}
		if rg.Introduced == "0" {
			rg.Introduced = ""
		}
		if i+1 < len(events) {
			e := obj(events[i+1])
			rg.Fixed, rg.LastAffected = str(e["fixed"]), str(e["last_affected"])
		}
		out = append(out, rg)
	}
	return out
}
