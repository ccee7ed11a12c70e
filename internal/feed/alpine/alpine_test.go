package alpine

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/shipshape-dev/shipshape/internal/feed"
	"github.com/shipshape-dev/shipshape/internal/vulndb"
)

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
	if f.Name() != "alpine-secdb" {
		t.Errorf("Name() = %q", f.Name())
	}
	info := f.Info()
	if info.Licence == "" || info.Attribution == "" || !strings.HasPrefix(info.UpstreamURL, "https://") {
		t.Errorf("Info() incomplete: %+v", info)
	}
	for name, want := range map[string]bool{
		"v3.19/main.json":                  true,
		"alpine/edge/community.json":       true,
		"v3.19/main.json.gz":               true,
		"README.md":                        false,
		"alpine/.github/workflow/x.json":   false,
		"alpine-secdb-pschou/alpine/v3.21": false,
	} {
		if got := f.Match(name); got != want {
			t.Errorf("Match(%q) = %v", name, got)
		}
	}
}

func TestSecfixIDs(t *testing.T) {
	tests := []struct {
		entry string
		want  []string
	}{
		{"CVE-2021-30473", []string{"CVE-2021-30473"}},
		{"CVE-2016-10013 XSA-204", []string{"CVE-2016-10013", "XSA-204"}},
		{"CVE-2018-12126  XSA-297", []string{"CVE-2018-12126", "XSA-297"}},
		{"CVE-2017-5753 CVE-2017-5715 CVE-2017-5754 XSA-254 XPTI", []string{"CVE-2017-5753", "CVE-2017-5715", "CVE-2017-5754", "XSA-254"}},
		{"CVE-2018-14461 (LDP)", []string{"CVE-2018-14461"}},
		{"CVE-2018-10103 (SMB - partially fixed, but SMB printing disabled)", []string{"CVE-2018-10103"}},
		{"CVE-2017-2616 (+ regression fix)", []string{"CVE-2017-2616"}},
		{"CVE N/A ZBX-11023", []string{"ZBX-11023"}},
		{"CVE-2017-17434-1", []string{"CVE-2017-17434"}},
		{"CVE-2021-35940.patch", []string{"CVE-2021-35940"}},
		{"CVE_2019-2426", []string{"CVE-2019-2426"}},
		{"cve-2020-1234,", []string{"CVE-2020-1234"}},
		{"CVE-????-?????", nil},
		{"CVE-2022-?????", nil},
		{"CVE-46838", nil},
		{"GHSA-h5c8-rqwp-cp95", []string{"GHSA-h5c8-rqwp-cp95"}},
		{"CVE-2024-34064 GHSA-h75v-3vvj-5mfj", []string{"CVE-2024-34064", "GHSA-h75v-3vvj-5mfj"}},
		{"ALPINE-13661", []string{"ALPINE-13661"}},
		{"TALOS-2017-0488", []string{"TALOS-2017-0488"}},
		{"GNUTLS-SA-2020-03-31", []string{"GNUTLS-SA-2020-03-31"}},
		{"ZDI-CAN-22093", []string{"ZDI-CAN-22093"}},
		{"wnpa-sec-2017-18", []string{"wnpa-sec-2017-18"}},
		{"DW202402-001", []string{"DW202402-001"}},
		{"CVE-2022-45060 VSV00011", []string{"CVE-2022-45060", "VSV00011"}},
		{"RUSTSEC-2020-0059", []string{"RUSTSEC-2020-0059"}},
		{"N/A", nil},
		{"--with-systemd)", nil},
		{"", nil},
	}
	for _, tt := range tests {
		if got := secfixIDs(tt.entry); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("secfixIDs(%q) = %q, want %q", tt.entry, got, tt.want)
		}
	}
}

func TestNamespace(t *testing.T) {
	tests := []struct {
		distroVersion, name, want string
	}{
		{"v3.19", "x.json", "alpine:3.19"},
		{"v3.2", "x.json", "alpine:3.2"},
		{"edge", "x.json", "alpine:edge"},
		{"", "alpine/v3.12/main.json", "alpine:3.12"},
		{"", "edge/community.json", "alpine:edge"},
		{"", "main.json", ""},
		{"v3", "v3.19/main.json", ""},
		{"nonsense", "x.json", ""},
	}
	for _, tt := range tests {
		got, err := namespace(tt.distroVersion, tt.name)
		if got != tt.want || (err != nil) != (tt.want == "") {
			t.Errorf("namespace(%q, %q) = %q, %v; want %q", tt.distroVersion, tt.name, got, err, tt.want)
		}
	}
}

func TestParseSynthetic(t *testing.T) {
	fixed := func(id, pkg, ver string) vulndb.Affected {
		return vulndb.Affected{VulnID: id, Namespace: "alpine:edge", Package: pkg, Status: vulndb.StatusFixed,
			Ranges: []vulndb.Range{{Type: "ECOSYSTEM", Fixed: ver}}}
	}
	tests := []struct {
		name    string
		file    string
		data    string
		want    [][]vulndb.Affected // per record
		wantErr bool
	}{
		{
			name: "edge, file order, version 0, duplicates, several versions",
			file: "edge/main.json",
			data: `{"distroversion":"edge","reponame":"main","packages":[
				{"pkg":{"name":"xen","secfixes":{
					"4.7.1-r3":["CVE-2016-9377 XSA-196","CVE-2016-9378 XSA-196"],
					"0":["CVE-2020-0001"],
					"4.8.0-r0":["CVE-2016-9377"]}}},
				{"pkg":{"name":"empty","secfixes":{}}},
				{"pkg":{"name":"nullfixes","secfixes":null}},
				{"pkg":{"name":"","secfixes":{"1-r0":["CVE-2020-0002"]}}},
				{"pkg":{"name":"odd","secfixes":{"1-r0":"CVE-2020-0003","2-r0":[7,"CVE-2020-0004"],"":["CVE-2020-0005"]}}}]}`,
			want: [][]vulndb.Affected{
				{
					fixed("CVE-2016-9377", "xen", "4.7.1-r3"),
					fixed("XSA-196", "xen", "4.7.1-r3"),
					fixed("CVE-2016-9378", "xen", "4.7.1-r3"),
					{VulnID: "CVE-2020-0001", Namespace: "alpine:edge", Package: "xen", Status: vulndb.StatusNotAffected},
					fixed("CVE-2016-9377", "xen", "4.8.0-r0"),
				},
				{fixed("CVE-2020-0003", "odd", "1-r0"), fixed("CVE-2020-0004", "odd", "2-r0")},
			},
		},
		{
			name: "release from the path when distroversion is missing",
			file: "secdb/v3.20/community.json",
			data: `{"packages":[{"pkg":{"name":"p","secfixes":{"1.0-r1":["CVE-2024-0001"]}}}]}`,
			want: [][]vulndb.Affected{{{VulnID: "CVE-2024-0001", Namespace: "alpine:3.20", Package: "p", Status: vulndb.StatusFixed,
				Ranges: []vulndb.Range{{Type: "ECOSYSTEM", Fixed: "1.0-r1"}}}}},
		},
		{
			name: "a malformed package entry is skipped",
			file: "v3.19/main.json",
			data: `{"distroversion":"v3.19","packages":[{"pkg":"oops"},{"pkg":{"name":"p","secfixes":{"1-r0":["CVE-2024-0002"]}}}]}`,
			want: [][]vulndb.Affected{{{VulnID: "CVE-2024-0002", Namespace: "alpine:3.19", Package: "p", Status: vulndb.StatusFixed,
				Ranges: []vulndb.Range{{Type: "ECOSYSTEM", Fixed: "1-r0"}}}}},
		},
		{name: "empty packages", file: "v3.19/main.json", data: `{"distroversion":"v3.19","packages":[]}`},
		{name: "only malformed packages", file: "v3.19/main.json", data: `{"distroversion":"v3.19","packages":[{"pkg":{"secfixes":[]}}]}`, wantErr: true},
		{name: "no packages key", file: "v3.19/main.json", data: `{"distroversion":"v3.19"}`, wantErr: true},
		{name: "no release", file: "main.json", data: `{"packages":[]}`, wantErr: true},
		{name: "broken JSON", file: "v3.19/main.json", data: `{"distroversion":"v3.19","packages":[`, wantErr: true},
		{name: "not an object", file: "v3.19/main.json", data: `[1,2]`, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			recs, err := parse(t, tt.file, []byte(tt.data))
			if tt.wantErr {
				if err == nil || !strings.Contains(err.Error(), tt.file) {
					t.Fatalf("err = %v, want one naming %s", err, tt.file)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got [][]vulndb.Affected
			for _, r := range recs {
				if r.Vulnerability != nil || r.EPSS != nil || r.KEV != nil || r.CWE != nil {
					t.Errorf("record has more than affected entries: %+v", r)
				}
				got = append(got, r.Affected)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestParseEmitErrorAndCancel(t *testing.T) {
	data := []byte(`{"distroversion":"v3.19","packages":[{"pkg":{"name":"p","secfixes":{"1-r0":["CVE-2024-0002"]}}}]}`)
	stop := errors.New("stop")
	err := New().Parse(context.Background(), feed.Input{Name: "v3.19/main.json", R: bytes.NewReader(data)},
		func(vulndb.Record) error { return stop })
	if !errors.Is(err, stop) || !strings.Contains(err.Error(), "v3.19/main.json") {
		t.Errorf("err = %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err = New().Parse(ctx, feed.Input{Name: "v3.19/main.json", R: bytes.NewReader(data)},
		func(vulndb.Record) error { return nil })
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v", err)
	}
}

// The test's own reading of which tokens are ids: the id families that occur in the
// sample files, spelled out, and the misspelt CVE ids they contain, corrected by hand.
var (
	knownID    = regexp.MustCompile(`^(CVE-\d{4}-\d{4,}|XSA-\d+|GHSA(-[0-9a-z]{4}){3}|ALPINE-\d+|TALOS-\d{4}-\d{4}|GNUTLS-SA-\d{4}-\d\d-\d\d|VSV\d{5}|ZDI-CAN-\d+|GHSL-\d{4}-\d+)$`)
	misspeltID = map[string]string{
		"CVE-2017-17434-1":     "CVE-2017-17434",
		"CVE-2017-17434-2":     "CVE-2017-17434",
		"CVE-2021-35940.patch": "CVE-2021-35940",
		"CVE_2019-2426":        "CVE-2019-2426",
	}
)

type triple struct{ pkg, id, fixed string }

func TestRealFiles(t *testing.T) {
	tests := []struct {
		file, namespace string
		// counts of distinct (package, id, version) triples and of those with version
		// "0", worked out separately (a script over the same files)
		triples, notAffected int
	}{
		{"testdata/v3.6/main.json", "alpine:3.6", 1007, 0},
		{"testdata/v3.12/main.json", "alpine:3.12", 1966, 15},
		{"testdata/v3.19/main.json", "alpine:3.19", 2809, 48},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			data, err := os.ReadFile(tt.file)
			if err != nil {
				t.Fatal(err)
			}
			want, wantNA := independentTriples(t, data)
			recs, err := parse(t, strings.TrimPrefix(tt.file, "testdata/"), data)
			if err != nil {
				t.Fatal(err)
			}
			got := map[triple]bool{}
			na := 0
			for _, r := range recs {
				pkg := ""
				for _, a := range r.Affected {
					if a.Namespace != tt.namespace {
						t.Fatalf("namespace %q", a.Namespace)
					}
					if pkg == "" {
						pkg = a.Package
					} else if a.Package != pkg {
						t.Fatalf("one record mixes packages %q and %q", pkg, a.Package)
					}
					fixed := "0"
					switch a.Status {
					case vulndb.StatusNotAffected:
						na++
						if len(a.Ranges) != 0 {
							t.Errorf("not-affected entry with ranges: %+v", a)
						}
					case vulndb.StatusFixed:
						if len(a.Ranges) != 1 || a.Ranges[0].Type != "ECOSYSTEM" || a.Ranges[0].Fixed == "" || a.Ranges[0].Introduced != "" {
							t.Fatalf("bad range: %+v", a)
						}
						fixed = a.Ranges[0].Fixed
					default:
						t.Fatalf("status %q", a.Status)
					}
					k := triple{a.Package, a.VulnID, fixed}
					if got[k] {
						t.Errorf("emitted twice: %+v", k)
					}
					got[k] = true
				}
			}
			if len(got) != tt.triples || na != tt.notAffected || na != wantNA {
				t.Errorf("%d triples, %d not-affected (file: %d); want %d and %d", len(got), na, wantNA, tt.triples, tt.notAffected)
			}
			for k := range want {
				if !got[k] {
					t.Errorf("missing %+v", k)
				}
			}
			for k := range got {
				if !want[k] {
					t.Errorf("unexpected %+v", k)
				}
			}
		})
	}
}

// independentTriples reads a secdb file with a generic decode and lists its (package, id,
// fixed version) triples.
func independentTriples(t *testing.T, data []byte) (map[triple]bool, int) {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	out := map[triple]bool{}
	na := 0
	for _, p := range doc["packages"].([]any) {
		pkg := p.(map[string]any)["pkg"].(map[string]any)
		name := pkg["name"].(string)
		fixes, _ := pkg["secfixes"].(map[string]any)
		for ver, ids := range fixes {
			list, _ := ids.([]any)
			for _, entry := range list {
				for _, tok := range strings.Fields(entry.(string)) {
					if fixed, ok := misspeltID[tok]; ok {
						tok = fixed
					}
					if !knownID.MatchString(tok) {
						continue
					}
					k := triple{name, tok, ver}
					if !out[k] && ver == "0" {
						na++
					}
					out[k] = true
				}
			}
		}
	}
	return out, na
}
