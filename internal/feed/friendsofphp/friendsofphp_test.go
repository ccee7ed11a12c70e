package friendsofphp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
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

func testFiles(t *testing.T) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir("testdata", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".yaml") {
			rel, _ := filepath.Rel("testdata", p)
			out = append(out, filepath.ToSlash(rel))
		}
		return err
	})
	if err != nil || len(out) < 30 {
		t.Fatalf("%d test advisories, %v", len(out), err)
	}
	return out
}

func readTestFile(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", filepath.FromSlash(name)))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestContract(t *testing.T) {
	f := New()
	if f.Name() != "friendsofphp" {
		t.Errorf("Name() = %q", f.Name())
	}
	if i := f.Info(); i.Licence != "Unlicense" || i.Attribution == "" || i.UpstreamURL == "" {
		t.Errorf("Info() = %+v", i)
	}
	for name, want := range map[string]bool{
		"security-advisories-master/symfony/symfony/CVE-2023-46735.yaml": true,
		"symfony/webhook/CVE-2023-46735.yaml":                            true,
		`drupal\core\CVE-2019-6342.yaml`:                                 true,
		".github/workflows/php.yaml":                                     false,
		"x/.hidden/a.yaml":                                               false,
		"symfony/symfony/CVE-2023-46735.yml":                             false,
		"symfony/CVE-2023-46735.yaml":                                    false,
		"symfony/symfony/.yaml":                                          false,
		"composer.json":                                                  false,
	} {
		if got := f.Match(name); got != want {
			t.Errorf("Match(%q) = %v, want %v", name, got, want)
		}
	}
}

func rg(intro, fixed, last string) vulndb.Range {
	return vulndb.Range{Type: "ECOSYSTEM", Introduced: intro, Fixed: fixed, LastAffected: last}
}

// TestKnownRecords pins whole records of chosen real advisories, written out by hand.
func TestKnownRecords(t *testing.T) {
	tests := []struct {
		file string
		want vulndb.Record
	}{
		{"symfony/webhook/CVE-2023-46735.yaml", vulndb.Record{
			Vulnerability: &vulndb.Vulnerability{ID: "CVE-2023-46735", Summary: "CVE-2023-46735: Potential XSS in WebhookController",
				References: []string{"https://symfony.com/cve-2023-46735"}},
			Affected: []vulndb.Affected{{VulnID: "CVE-2023-46735", Namespace: "packagist", Package: "symfony/webhook", Status: "fixed",
				Ranges: []vulndb.Range{rg("6.3.0", "6.3.8", "")}}},
		}},
		{"drupal/core/CVE-2019-6342.yaml", vulndb.Record{
			Vulnerability: &vulndb.Vulnerability{ID: "CVE-2019-6342", Summary: "Critical - Access bypass",
				References: []string{"https://www.drupal.org/sa-core-2019-008"}},
			Affected: []vulndb.Affected{{VulnID: "CVE-2019-6342", Namespace: "packagist", Package: "drupal/core", Status: "fixed",
				Ranges: []vulndb.Range{rg("8.7.3.1", "8.7.5", "")}}},
		}},
		{"illuminate/database/2021-01-21.yaml", vulndb.Record{
			Vulnerability: &vulndb.Vulnerability{ID: "FOP-illuminate/database/2021-01-21", Summary: "Unexpected bindings in QueryBuilder",
				References: []string{"https://github.com/laravel/framework/security/advisories/GHSA-x7p5-p2c9-phvg"}},
			Affected: []vulndb.Affected{{VulnID: "FOP-illuminate/database/2021-01-21", Namespace: "packagist", Package: "illuminate/database", Status: "fixed",
				Ranges: []vulndb.Range{rg("6.0.0", "6.20.14", ""), rg("7.0.0", "7.30.4", ""), rg("8.0.0", "8.24.0", "")}}},
		}},
		{"magento/product-community-edition/CVE-2019-8090.yaml", vulndb.Record{
			Vulnerability: &vulndb.Vulnerability{ID: "CVE-2019-8090", Summary: "PRODSECBUG-2494: Arbitrary file deletion through design layout update",
				References: []string{"https://magento.com/security/patches/magento-2.3.3-and-2.2.10-security-update"}},
			Affected: []vulndb.Affected{{VulnID: "CVE-2019-8090", Namespace: "packagist", Package: "magento/product-community-edition", Status: "fixed",
				Ranges: []vulndb.Range{rg("2.2", "2.2.10", ""), rg("2.3", "2.3.2-p2", "")}}},
		}},
		{"socialiteproviders/steam/2021-01-29.yaml", vulndb.Record{
			Vulnerability: &vulndb.Vulnerability{ID: "FOP-socialiteproviders/steam/2021-01-29", Summary: "Authentication bypass via attacker provided openid server",
				References: []string{"https://github.com/SocialiteProviders/Steam/security/advisories/GHSA-hhw9-35p2-q2c5"}},
			Affected: []vulndb.Affected{{VulnID: "FOP-socialiteproviders/steam/2021-01-29", Namespace: "packagist", Package: "socialiteproviders/steam", Status: "fixed",
				Ranges: []vulndb.Range{rg("", "1.1", "")}}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			recs, err := parse(t, New(), tt.file, readTestFile(t, tt.file))
			if err != nil || len(recs) != 1 {
				t.Fatalf("%d records, %v", len(recs), err)
			}
			if !reflect.DeepEqual(recs[0], tt.want) {
				g, _ := json.MarshalIndent(recs[0], "", "  ")
				w, _ := json.MarshalIndent(tt.want, "", "  ")
				t.Errorf("got\n%s\nwant\n%s", g, w)
			}
		})
	}
}

// TestIndependentReading decodes each test advisory generically and compares the record
// with it, branch by branch.
func TestIndependentReading(t *testing.T) {
	f := New()
	files := testFiles(t)
	for _, name := range files {
		t.Run(name, func(t *testing.T) {
			data := readTestFile(t, name)
			var raw map[string]any
			if err := yaml.Unmarshal(data, &raw); err != nil {
				t.Fatal(err)
			}
			recs, err := parse(t, f, name, data)
			if err != nil || len(recs) != 1 || len(recs[0].Affected) != 1 {
				t.Fatalf("%+v, %v", recs, err)
			}
			v, a := recs[0].Vulnerability, recs[0].Affected[0]
			parts := strings.Split(name, "/")
			wantID := "FOP-" + strings.TrimSuffix(name, ".yaml")
			if cve, _ := raw["cve"].(string); cve != "" {
				wantID = cve
			}
			if v.ID != wantID || a.VulnID != wantID {
				t.Errorf("id %q, want %q", v.ID, wantID)
			}
			if v.Summary != raw["title"] || !slices.Equal(v.References, []string{raw["link"].(string)}) {
				t.Errorf("summary %q refs %v", v.Summary, v.References)
			}
			if a.Package != strings.TrimPrefix(raw["reference"].(string), "composer://") || a.Package != parts[0]+"/"+parts[1] {
				t.Errorf("package %q", a.Package)
			}
			// Every branch, in any order, as the constraint strings say.
			var want []vulndb.Range
			anyFixed := false
			for _, b := range raw["branches"].(map[string]any) {
				r := vulndb.Range{Type: "ECOSYSTEM"}
				for _, c := range b.(map[string]any)["versions"].([]any) {
					c := c.(string)
					switch {
					case strings.HasPrefix(c, ">="):
						r.Introduced = c[2:]
					case strings.HasPrefix(c, ">"):
						r.Introduced = "EXCLUSIVE " + c[1:]
					case strings.HasPrefix(c, "<="):
						r.LastAffected = c[2:]
					case strings.HasPrefix(c, "<"):
						r.Fixed = c[1:]
						anyFixed = true
					}
				}
				if !slices.Contains(want, r) {
					want = append(want, r)
				}
			}
			got := slices.Clone(a.Ranges)
			for i, r := range got {
				// The approximated start must lie above the written bound.
				for _, w := range want {
					if after, ok := strings.CutPrefix(w.Introduced, "EXCLUSIVE "); ok && w.Fixed == r.Fixed && w.LastAffected == r.LastAffected &&
						strings.HasPrefix(r.Introduced, after) && r.Introduced != after {
						got[i].Introduced = w.Introduced
					}
				}
			}
			sortRanges(got)
			sortRanges(want)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("ranges %+v, want %+v", got, want)
			}
			if (a.Status == vulndb.StatusFixed) != anyFixed {
				t.Errorf("status %q", a.Status)
			}
		})
	}
	st := f.Stats()
	if st.Files != len(files) || st.Records != len(files) || len(st.Skipped) != 0 || st.Warnings[WarnExclusiveLower] != 5 {
		t.Errorf("stats %+v", st)
	}
}

func sortRanges(rs []vulndb.Range) {
	slices.SortFunc(rs, func(a, b vulndb.Range) int {
		return strings.Compare(a.Introduced+"|"+a.Fixed+"|"+a.LastAffected, b.Introduced+"|"+b.Fixed+"|"+b.LastAffected)
	})
}

func TestTranslate(t *testing.T) {
	tests := []struct {
		in     []string
		r      vulndb.Range
		exact  string
		approx bool
		err    string
	}{
		{[]string{">=1.0", "<1.2.3"}, rg("1.0", "1.2.3", ""), "", false, ""},
		{[]string{"<1.2.3", ">=1.0"}, rg("1.0", "1.2.3", ""), "", false, ""},
		{[]string{"<=2.1.0"}, rg("", "", "2.1.0"), "", false, ""},
		{[]string{">= 2.0.0-beta1", "< 2.3.2-p2"}, rg("2.0.0-beta1", "2.3.2-p2", ""), "", false, ""},
		{[]string{">8.7.3", "<8.7.5"}, rg("8.7.3.1", "8.7.5", ""), "", true, ""},
		{[]string{">3.2", "<3.3.0"}, rg("3.2.0.1", "3.3.0", ""), "", true, ""},
		{[]string{">1.2.3.4", "<2"}, rg("1.2.3.5", "2", ""), "", true, ""},
		{[]string{">1.0-rc1", "<2"}, rg("1.0-rc1", "2", ""), "", true, ""},
		{[]string{">=v1.0", "<v1.1"}, rg("v1.0", "v1.1", ""), "", false, ""},
		{[]string{"=1.5.0"}, vulndb.Range{}, "1.5.0", false, ""},
		{[]string{"1.5.0"}, vulndb.Range{}, "1.5.0", false, ""},
		{nil, vulndb.Range{}, "", false, "no versions"},
		{[]string{">=1", ">=2", "<3"}, vulndb.Range{}, "", false, "two lower bounds"},
		{[]string{"<1", "<=2"}, vulndb.Range{}, "", false, "two upper bounds"},
		{[]string{"^1.0"}, vulndb.Range{}, "", false, "not a version"},
		{[]string{"!=1.0"}, vulndb.Range{}, "", false, "not a version"},
		{[]string{">=1.0 <2.0"}, vulndb.Range{}, "", false, "not a translatable constraint"},
		{[]string{"=1.0", "<2"}, vulndb.Range{}, "", false, "exact version"},
		{[]string{">=1.x"}, vulndb.Range{}, "", false, "not a version"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.in, ","), func(t *testing.T) {
			r, exact, approx, err := translate(tt.in)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil || r != tt.r || exact != tt.exact || approx != tt.approx {
				t.Errorf("got %+v %q %v %v", r, exact, approx, err)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ name, data, want, reason string }{
		{"v/p/1.yaml", "title: t\nbranches:\n  1.x:\n    versions: ['^1.0']\n", "not a version", SkipNoBranch},
		{"v/p/1.yaml", "title: t\nbranches: []\n", "not a mapping", SkipNoBranch},
		{"v/p/1.yaml", "title: t\n", "not a mapping", SkipNoBranch},
		{"v/p/1.yaml", "title: t\nbranches: {}\n", "no branches", SkipNoBranch},
		{"v/p/1.yaml", "title: t\nbranches:\n  1.x:\n    versions: '<1'\n", "cannot unmarshal", SkipNoBranch},
		{"v/p/1.yaml", "title: [t\n", "yaml", SkipMalformed},
		{"v/1.yaml", "title: t\n", "advisory path", SkipMalformed},
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
	// A bad branch is dropped, the others kept; a bad reference falls back to the path;
	// a non-CVE cve field is not used as the id; a GHSA file name is an alias.
	f := New()
	recs, err := parse(t, f, "acme/widget/GHSA-aaaa-bbbb-cccc.yaml", []byte(
		"title: t\ncve: pending\nreference: composer://acme\nbranches:\n  a:\n    versions: ['>=1', '>=2']\n  b:\n    versions: ['<=3.0']\n  c:\n    versions: ['<=3.0']\n  d:\n    versions: ['=4.0']\n"))
	if err != nil || len(recs) != 1 {
		t.Fatalf("%+v %v", recs, err)
	}
	want := vulndb.Record{
		Vulnerability: &vulndb.Vulnerability{ID: "FOP-acme/widget/GHSA-aaaa-bbbb-cccc", Aliases: []string{"GHSA-aaaa-bbbb-cccc"}, Summary: "t"},
		Affected: []vulndb.Affected{{VulnID: "FOP-acme/widget/GHSA-aaaa-bbbb-cccc", Namespace: "packagist", Package: "acme/widget",
			Ranges: []vulndb.Range{rg("", "", "3.0")}, Versions: []string{"4.0"}, Status: "affected"}},
	}
	if !reflect.DeepEqual(recs[0], want) {
		t.Errorf("got %+v %+v\nwant %+v %+v", recs[0].Vulnerability, recs[0].Affected, want.Vulnerability, want.Affected)
	}
	if st := f.Stats(); st.Warnings[WarnBranchDropped] != 1 || st.Warnings[WarnPackageFromPath] != 1 {
		t.Errorf("stats %+v", st)
	}
	boom := errors.New("boom")
	data := readTestFile(t, "symfony/webhook/CVE-2023-46735.yaml")
	err = New().Parse(context.Background(), feed.Input{Name: "symfony/webhook/CVE-2023-46735.yaml", R: bytes.NewReader(data)}, func(vulndb.Record) error { return boom })
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), "symfony/webhook/CVE-2023-46735.yaml") {
		t.Errorf("emit error: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := New().Parse(ctx, feed.Input{Name: "a/b/c.yaml", R: bytes.NewReader(data)}, func(vulndb.Record) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

func FuzzFriendsOfPHP(f *testing.F) {
	for _, name := range []string{"drupal/core/CVE-2019-6342.yaml", "amphp/http/CVE-2024-2653.yaml"} {
		data, err := os.ReadFile(filepath.Join("testdata", filepath.FromSlash(name)))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		const name = "vendor/package/fuzz.yaml"
		recs, err := parse(t, New(), name, data)
		if err != nil {
			if !strings.Contains(err.Error(), name) {
				t.Errorf("error does not name the input: %v", err)
			}
			return
		}
		if len(recs) != 1 || recs[0].Vulnerability == nil || recs[0].Vulnerability.ID == "" || len(recs[0].Affected) != 1 {
			t.Fatalf("records %+v", recs)
		}
		a := recs[0].Affected[0]
		if a.Package == "" || !strings.Contains(a.Package, "/") || len(a.Ranges)+len(a.Versions) == 0 {
			t.Fatalf("affected %+v", a)
		}
		for _, r := range a.Ranges {
			if r.Type != "ECOSYSTEM" || (r.Fixed != "" && r.LastAffected != "") {
				t.Fatalf("range %+v", r)
			}
		}
	})
}
