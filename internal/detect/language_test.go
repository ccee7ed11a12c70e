package detect

// Python and Ruby packages matched end to end: the fixtures of internal/analyzer/python
// and internal/analyzer/ruby laid out as a project folder and an installed tree, scanned
// with the default analyzers (layer.Scanner.ScanDir, as `shipshape fs` does) and matched
// against a DB built by shipshape's own feed parsers from the embedded snapshot's PyPA OSV
// and ruby-advisory-db files.
//
// TestCorrectnessRubyGems checks the RubyGems findings against an independent reading of
// the same ruby-advisory-db YAML: its own reading of the installed gems, its own
// evaluation of patched_versions/unaffected_versions requirements, and never
// internal/version or internal/feed/rubysec. Whether a version meets a requirement is what
// RubyGems 3.3.15 itself said (testdata/correctness/gem-requirements.tsv.gz, written by
// gem-requirements.rb next to it, 47,924 pairs: every version each advisory names against
// every requirement of its gem, plus the fixtures' versions); a pair the table lacks is
// decided by gemMeets below, a RubyGems version order and requirement rule written here
// from the RubyGems documentation, which must first agree with every row of the table. Where shipshape's behaviour is a
// choice, the expectation follows it as documented: an advisory's platform field is not
// modelled (it applies to every platform), and ids that alias one another (CVE, GHSA,
// OSVDB) are one vulnerability, so the comparison is of id groups per (gem, version).
//
// The PyPI side is compared with osv-scanner in scripts/osv-scanner-compare; here
// TestLanguageLockfiles checks named vulnerable pinned versions are found, that versions
// above a fix are not, that PEP 440 and RubyGems rules are the ones used, and that every
// fixed version reported is a version of its ecosystem (never a commit id).

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	analyzers "github.com/shipshape-dev/shipshape/internal/analyzer/all"
	"github.com/shipshape-dev/shipshape/internal/dbbuild"
	"github.com/shipshape-dev/shipshape/internal/feed/all"
	"github.com/shipshape-dev/shipshape/internal/inventory"
	"github.com/shipshape-dev/shipshape/internal/layer"
	"github.com/shipshape-dev/shipshape/internal/version"
	"github.com/shipshape-dev/shipshape/internal/vulndb"
	"github.com/shipshape-dev/shipshape/internal/vulndb/snapshot"
)

// langDBFiles are the embedded snapshot files the language tests match against.
var langDBFiles = map[string]bool{"pypa-osv.tar.gz": true, "rubysec.tar.gz": true}

var langDB struct {
	once sync.Once
	db   *vulndb.DB
	err  error
}

// sharedLangDB builds, once per test binary, a DB from the embedded PyPA and rubysec files.
func sharedLangDB(t testing.TB) *vulndb.DB {
	t.Helper()
	langDB.once.Do(func() {
		langDB.db, langDB.err = buildLangDB(filepath.Join(snapshotDir, "lang.db"))
	})
	if langDB.err != nil {
		t.Fatalf("building the language test DB from the embedded snapshot: %v", langDB.err)
	}
	return langDB.db
}

func buildLangDB(p string) (*vulndb.DB, error) {
	feeds := all.ByName()
	var srcs []dbbuild.Source
	for _, f := range snapshot.Files() {
		if !langDBFiles[f.Name] {
			continue
		}
		srcs = append(srcs, dbbuild.Source{Name: f.Source, Feed: feeds[f.Feed], Location: f.Name, Open: f.Open,
			DataDate: f.DataDate, Licence: f.Licence, Origin: "embedded:" + f.Origin})
	}
	if len(srcs) != len(langDBFiles) {
		return nil, fmt.Errorf("the embedded snapshot has %d of the %d files the tests need", len(srcs), len(langDBFiles))
	}
	// Upstream data has records the feeds leave out with a warning (unparsable ranges);
	// they are counted, not errors.
	if _, err := dbbuild.Build(context.Background(), p, srcs, dbbuild.Options{Now: func() time.Time { return time.Unix(0, 0) }}); err != nil {
		return nil, err
	}
	return vulndb.Open(p)
}

// The fixtures, and where each is laid out in the scanned tree.
var langFixtures = map[string]string{
	"../analyzer/python/testdata/lock/poetry.lock":                  "srv/flaskapp/poetry.lock",
	"../analyzer/python/testdata/lock/poetry-2.lock":                "srv/djangoapp/poetry.lock",
	"../analyzer/python/testdata/lock/Pipfile.lock":                 "srv/pipenvapp/Pipfile.lock",
	"../analyzer/python/testdata/lock/uv.lock":                      "srv/scraper/uv.lock",
	"../analyzer/python/testdata/lock/requirements.txt":             "srv/reqapp/requirements.txt",
	"../analyzer/python/testdata/PyYAML-6.0.dist-info.METADATA":     "usr/lib/python3/dist-packages/PyYAML-6.0.dist-info/METADATA",
	"../analyzer/python/testdata/requests-2.28.1.egg-info.PKG-INFO": "usr/lib/python3/dist-packages/requests-2.28.1.egg-info/PKG-INFO",
	"../analyzer/python/testdata/flask-3.1.3.dist-info.METADATA":    "app/.venv/lib/python3.11/site-packages/flask-3.1.3.dist-info/METADATA",
	"../analyzer/ruby/testdata/bundler-local/Gemfile.lock":          "srv/bundled/Gemfile.lock",
	"../analyzer/ruby/testdata/Gemfile.lock":                        "srv/sinatra/Gemfile.lock",
	"../analyzer/ruby/testdata/rack-2.2.22.gemspec":                 "usr/local/bundle/specifications/rack-2.2.22.gemspec",
	"../analyzer/ruby/testdata/nokogiri-1.13.10.gemspec":            "var/lib/gems/3.1.0/specifications/nokogiri-1.13.10.gemspec",
	"../analyzer/ruby/testdata/openssl-3.0.1.gemspec":               "usr/lib/ruby/gems/3.1.0/specifications/default/openssl-3.0.1.gemspec",
	"../analyzer/python/testdata/lock/requirements-dev.txt":         "srv/reqapp/requirements-dev.txt",
	"../analyzer/python/testdata/wsgiref.egg-info":                  "usr/lib/python2.7/wsgiref.egg-info",
}

// layOut copies the fixtures into a fresh tree and returns its root.
func layOut(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	for from, to := range langFixtures {
		data, err := os.ReadFile(from)
		if err != nil {
			t.Fatal(err)
		}
		dst := filepath.Join(root, filepath.FromSlash(to))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// scanLang scans the laid-out tree and matches it.
func scanLang(t *testing.T) (*inventory.Inventory, *Result) {
	t.Helper()
	db := sharedLangDB(t)
	sc := &layer.Scanner{Walker: &layer.Walker{Analyzers: analyzers.Default()}, Parallel: 2}
	inv, err := sc.ScanDir(context.Background(), layOut(t))
	if err != nil {
		t.Fatalf("scanning: %v", err)
	}
	res, err := Match(context.Background(), db, inv, Options{})
	if err != nil {
		t.Fatalf("matching: %v", err)
	}
	for _, w := range res.Warnings {
		t.Errorf("unexpected matching warning: %s", w)
	}
	return inv, res
}

func TestLanguageComparators(t *testing.T) {
	for ns, want := range map[string]version.Comparator{"pypi": version.PEP440{}, "rubygems": version.Gem{}} {
		got, err := version.For(ns)
		if err != nil || got != want {
			t.Errorf("version.For(%q) = %T %v, want %T", ns, got, err, want)
		}
	}
	for ty, want := range map[string]string{inventory.TypePyPI: "pypi", inventory.TypeGem: "rubygems"} {
		if ns, names, ok := namespaceOf(&inventory.Package{Type: ty, Name: "x", Version: "1"}, "", false); !ok || ns != want || len(names) != 1 {
			t.Errorf("namespaceOf(%s) = %q %v %v, want %q", ty, ns, names, ok, want)
		}
	}
}

func TestLanguageLockfiles(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a DB from the embedded snapshot")
	}
	inv, res := scanLang(t)
	// A vulnerability of one package version is reported once, at the first of its
	// locations; PyPI names in their normal form.
	byPkg := map[string]map[string]inventory.Finding{} // "name@version" -> id/alias -> finding
	for _, f := range res.Findings {
		k := vulndb.NormalizePackage(f.Namespace, f.PkgName) + "@" + f.InstalledVersion
		if byPkg[k] == nil {
			byPkg[k] = map[string]inventory.Finding{}
		}
		for _, id := range append([]string{f.ID}, f.Aliases...) {
			byPkg[k][id] = f
		}
		cmp, err := version.For(f.Namespace)
		if err != nil {
			t.Errorf("%s %s: namespace %q: %v", f.PkgName, f.ID, f.Namespace, err)
			continue
		}
		if f.FixedVersion != "" {
			if c, err := cmp.Compare(f.InstalledVersion, f.FixedVersion); err != nil || c >= 0 {
				t.Errorf("%s %s %s: fixed version %q is not a %s version above the installed one (%d, %v)", f.PkgName, f.InstalledVersion, f.ID, f.FixedVersion, f.Namespace, c, err)
			}
		}
	}
	var pypi, gems int
	for _, p := range inv.Packages {
		switch p.Type {
		case inventory.TypePyPI:
			pypi++
		case inventory.TypeGem:
			gems++
		}
	}
	t.Logf("%d PyPI and %d RubyGems packages, %d findings", pypi, gems, len(res.Findings))
	for _, tc := range []struct {
		ns, pkg, id, fixed string
		found              bool
		// locations holding the package; the finding names one of them.
		locations []string
	}{
		// PYSEC-2023-74 / GHSA-j8r2-6x86-q33q: requests < 2.31.0 leaks Proxy-Authorization.
		{"pypi", "requests@2.25.1", "CVE-2023-32681", "2.31.0", true, []string{"/srv/flaskapp/poetry.lock", "/srv/reqapp/requirements.txt"}},
		{"pypi", "requests@2.28.1", "CVE-2023-32681", "2.31.0", true, []string{"/usr/lib/python3/dist-packages/requests-2.28.1.egg-info/PKG-INFO"}},
		// PYSEC-2021-108 (a GIT range first, then ECOSYSTEM 1.25.4..1.26.5).
		{"pypi", "urllib3@1.26.4", "PYSEC-2021-108", "1.26.5", true, []string{"/srv/flaskapp/poetry.lock", "/srv/reqapp/requirements.txt"}},
		// CVE-2020-14343: PyYAML < 5.4 full_load; the name spelled "PyYAML" and "pyyaml".
		{"pypi", "PyYAML@5.3.1", "CVE-2020-14343", "5.4", true, []string{"/srv/djangoapp/poetry.lock", "/srv/pipenvapp/Pipfile.lock", "/srv/reqapp/requirements.txt"}},
		{"pypi", "PyYAML@6.0", "CVE-2020-14343", "", false, nil},
		// Django 3.2.4 against an advisory with one range per release branch: the 3.2 fix.
		{"pypi", "django@3.2.4", "CVE-2021-35042", "3.2.5", true, []string{"/srv/djangoapp/poetry.lock", "/srv/pipenvapp/Pipfile.lock", "/srv/reqapp/requirements.txt"}},
		// A calendar version (certifi).
		{"pypi", "certifi@2020.12.5", "CVE-2022-23491", "2022.12.7", true, []string{"/srv/flaskapp/poetry.lock"}},
		// A package of a uv project.
		{"pypi", "aiohttp@3.8.1", "CVE-2023-49081", "3.9.0", true, []string{"/srv/scraper/uv.lock"}},
		// RubyGems: rack 2.2.3 in a Gemfile.lock, rack 2.2.22 installed.
		{"rubygems", "rack@2.2.3", "CVE-2022-30122", "2.2.3.1", true, []string{"/srv/sinatra/Gemfile.lock"}},
		{"rubygems", "rack@2.2.22", "CVE-2022-30122", "", false, nil},
		{"rubygems", "json@2.2.0", "CVE-2020-10663", "2.3.0", true, []string{"/srv/sinatra/Gemfile.lock"}},
	} {
		name, ver, _ := strings.Cut(tc.pkg, "@")
		f, ok := byPkg[vulndb.NormalizePackage(tc.ns, name)+"@"+ver][tc.id]
		if ok != tc.found {
			t.Errorf("%s: %s found %v, want %v", tc.pkg, tc.id, ok, tc.found)
			continue
		}
		if ok && (f.FixedVersion != tc.fixed || !slices.Contains(tc.locations, f.Location)) {
			t.Errorf("%s: %s fixed in %q at %s, want %q at one of %q", tc.pkg, tc.id, f.FixedVersion, f.Location, tc.fixed, tc.locations)
		}
	}
}

// ---------------------------------------------------------------------------------------
// RubyGems: an independent reading of ruby-advisory-db.

// installedGems reads the gems of the laid-out fixtures without the analyzer: spec lines
// of the Gemfile.lock ("    name (version[-platform])") and the name and version
// assignments of the gemspecs.
func installedGems(t *testing.T) map[string][]string { // "name@version" -> locations
	t.Helper()
	out := map[string][]string{}
	specLine := regexp.MustCompile(`^    ([A-Za-z0-9._-]+) \(([0-9][^-)]*)(?:-[^)]*)?\)\r?$`)
	gemspecField := regexp.MustCompile(`^\s*s\.(name|version) = "([^"]+)"`)
	for from, to := range langFixtures {
		data, err := os.ReadFile(from)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case path.Base(to) == "Gemfile.lock":
			for _, l := range strings.Split(string(data), "\n") {
				if m := specLine.FindStringSubmatch(l); m != nil {
					if !slices.Contains(out[m[1]+"@"+m[2]], "/"+to) {
						out[m[1]+"@"+m[2]] = append(out[m[1]+"@"+m[2]], "/"+to)
					}
				}
			}
		case strings.HasSuffix(to, ".gemspec"):
			var name, ver string
			for _, l := range strings.Split(string(data), "\n") {
				if m := gemspecField.FindStringSubmatch(l); m != nil {
					if m[1] == "name" {
						name = m[2]
					} else {
						ver = m[2]
					}
				}
			}
			if name == "" || ver == "" {
				t.Fatalf("%s: no name and version", from)
			}
			out[name+"@"+ver] = append(out[name+"@"+ver], "/"+to)
		}
	}
	return out
}

type rubyAdvisory struct {
	file                string
	gem                 string
	ids                 []string
	patched, unaffected []string
}

// readRubysec reads every gems/<gem>/*.yml of the embedded rubysec.tar.gz for the gems
// asked for, decoding the YAML generically.
func readRubysec(t *testing.T, gems map[string]bool) []rubyAdvisory {
	t.Helper()
	var file *snapshot.File
	for _, f := range snapshot.Files() {
		if f.Name == "rubysec.tar.gz" {
			file = &f
		}
	}
	if file == nil {
		t.Fatal("the embedded snapshot has no rubysec.tar.gz")
	}
	rc, err := file.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	zr, err := gzip.NewReader(rc)
	if err != nil {
		t.Fatal(err)
	}
	var out []rubyAdvisory
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		parts := strings.Split(h.Name, "/")
		if len(parts) < 3 || parts[len(parts)-3] != "gems" || !strings.HasSuffix(h.Name, ".yml") {
			continue
		}
		var doc map[string]any
		if err := yaml.NewDecoder(tr).Decode(&doc); err != nil {
			t.Fatalf("%s: %v", h.Name, err)
		}
		gem := fmt.Sprint(doc["gem"])
		if !gems[gem] {
			continue
		}
		a := rubyAdvisory{file: h.Name, gem: gem}
		for _, k := range []string{"cve", "ghsa", "osvdb"} {
			if v, ok := doc[k]; ok && v != nil && fmt.Sprint(v) != "" {
				a.ids = append(a.ids, strings.ToUpper(k)+"-"+strings.TrimPrefix(fmt.Sprint(v), strings.ToUpper(k)+"-"))
			}
		}
		if doc["cve"] == nil && doc["ghsa"] == nil {
			a.ids = append(a.ids, "RUBYSEC-"+gem+"-"+strings.TrimSuffix(parts[len(parts)-1], ".yml"))
		}
		a.patched = stringList(t, h.Name, doc["patched_versions"])
		a.unaffected = stringList(t, h.Name, doc["unaffected_versions"])
		out = append(out, a)
	}
	return out
}

func stringList(t *testing.T, file string, v any) []string {
	if v == nil {
		return nil
	}
	list, ok := v.([]any)
	if !ok {
		t.Fatalf("%s: a version list is %T", file, v)
	}
	var out []string
	for _, x := range list {
		out = append(out, fmt.Sprint(x))
	}
	return out
}

// gemTable is RubyGems' own answer for (version, requirement) pairs.
type gemTable struct {
	rubygems string
	meets    map[[2]string]bool
	// fromTable and fromRule count the pairs decided each way.
	fromTable, fromRule int
}

var loadedGemTable = sync.OnceValues(func() (*gemTable, error) {
	f, err := os.Open(filepath.Join(correctnessData, "gem-requirements.tsv.gz"))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, err
	}
	data, err := io.ReadAll(zr)
	if err != nil {
		return nil, err
	}
	tab := &gemTable{meets: map[[2]string]bool{}}
	for i, l := range strings.Split(strings.TrimRight(string(data), "\n"), "\n") {
		if i == 0 {
			tab.rubygems, _, _ = strings.Cut(strings.TrimPrefix(l, "# "), ":")
			continue
		}
		f := strings.Split(l, "\t")
		if len(f) != 3 || (f[2] != "true" && f[2] != "false") {
			return nil, fmt.Errorf("gem-requirements.tsv.gz line %d: %q", i+1, l)
		}
		tab.meets[[2]string{f[0], f[1]}] = f[2] == "true"
	}
	return tab, nil
})

func loadGemTable(t *testing.T) *gemTable {
	t.Helper()
	tab, err := loadedGemTable()
	if err != nil {
		t.Fatal(err)
	}
	return tab
}

// meetsAny reports whether version v meets any of the entries, each a comma-separated
// list of requirements that must all hold, deciding each requirement from RubyGems' table
// or, for a pair it lacks, by gemMeets.
func (tab *gemTable) meetsAny(t *testing.T, v string, entries []string) bool {
	t.Helper()
	for _, e := range entries {
		all := true
		for _, r := range strings.Split(e, ",") {
			r = strings.TrimSpace(r)
			ok, found := tab.meets[[2]string{v, r}]
			if found {
				tab.fromTable++
			} else {
				tab.fromRule++
				ok = gemMeets(t, v, r)
			}
			if !ok {
				all = false
				break
			}
		}
		if all {
			return true
		}
	}
	return false
}

func TestCorrectnessRubyGems(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a DB from the embedded snapshot")
	}
	tab := loadGemTable(t)
	checkGemRuleAgainstTable(t, tab)
	installed := installedGems(t)
	names := map[string]bool{}
	for k := range installed {
		names[k[:strings.LastIndexByte(k, '@')]] = true
	}
	advisories := readRubysec(t, names)
	// want: "name@version" -> id groups (each sorted and joined by ",").
	want := map[string]map[string]bool{}
	patchedBy := map[string][]string{} // id -> patched requirements
	for nv := range installed {
		name, ver, _ := strings.Cut(nv, "@")
		var groups [][]string
		for _, a := range advisories {
			if a.gem != name || tab.meetsAny(t, ver, append(append([]string{}, a.patched...), a.unaffected...)) {
				continue
			}
			groups = append(groups, a.ids)
			for _, id := range a.ids {
				patchedBy[id] = append(patchedBy[id], a.patched...)
			}
		}
		for _, g := range mergeGroups(groups) {
			if want[nv] == nil {
				want[nv] = map[string]bool{}
			}
			want[nv][g] = true
		}
	}
	_, res := scanLang(t)
	got := map[string]map[string]bool{}
	for _, f := range res.Findings {
		if f.Namespace != "rubygems" {
			continue
		}
		nv := f.PkgName + "@" + f.InstalledVersion
		if !slices.Contains(installed[nv], f.Location) {
			t.Errorf("%s %s: location %s, want one of %q", nv, f.ID, f.Location, installed[nv])
		}
		ids := append([]string{f.ID}, f.Aliases...)
		sort.Strings(ids)
		if got[nv] == nil {
			got[nv] = map[string]bool{}
		}
		got[nv][strings.Join(ids, ",")] = true
		if f.FixedVersion != "" && !tab.meetsAny(t, f.FixedVersion, patchedBy[f.ID]) {
			t.Errorf("%s %s: fixed version %s meets none of the patched versions %q", nv, f.ID, f.FixedVersion, patchedBy[f.ID])
		}
	}
	var missing, extra []string
	total := 0
	for nv, gs := range want {
		for g := range gs {
			total++
			if !got[nv][g] {
				missing = append(missing, nv+" "+g)
			}
		}
	}
	for nv, gs := range got {
		for g := range gs {
			if !want[nv][g] {
				extra = append(extra, nv+" "+g)
			}
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	t.Logf("%d installed gems, %d advisories of their names, %d expected (gem, version, vulnerability) findings; %d requirement checks decided by %s's table, %d by gemMeets",
		len(installed), len(advisories), total, tab.fromTable, tab.rubygems, tab.fromRule)
	if total < 50 {
		t.Errorf("only %d expected findings: the fixtures should carry many real advisories", total)
	}
	if len(missing) > 0 {
		t.Errorf("%d findings the advisory files give that shipshape did not report:\n  %s", len(missing), strings.Join(missing, "\n  "))
	}
	if len(extra) > 0 {
		t.Errorf("%d findings shipshape reported that the advisory files do not support:\n  %s", len(extra), strings.Join(extra, "\n  "))
	}
}

// mergeGroups joins id lists that share an id and returns each group sorted and joined.
func mergeGroups(groups [][]string) []string {
	parent := map[string]string{}
	var find func(string) string
	find = func(x string) string {
		if parent[x] == "" || parent[x] == x {
			parent[x] = x
			return x
		}
		r := find(parent[x])
		parent[x] = r
		return r
	}
	for _, g := range groups {
		for _, id := range g {
			find(id)
			parent[find(id)] = find(g[0])
		}
	}
	sets := map[string][]string{}
	for id := range parent {
		r := find(id)
		sets[r] = append(sets[r], id)
	}
	var out []string
	for _, s := range sets {
		sort.Strings(s)
		out = append(out, strings.Join(s, ","))
	}
	sort.Strings(out)
	return out
}

// checkGemRuleAgainstTable fails the test unless gemMeets agrees with RubyGems on every
// pair of the table.
func checkGemRuleAgainstTable(t *testing.T, tab *gemTable) {
	t.Helper()
	var wrong []string
	for k, want := range tab.meets {
		if got := gemMeets(t, k[0], k[1]); got != want {
			wrong = append(wrong, fmt.Sprintf("%s %q: %v, RubyGems says %v", k[0], k[1], got, want))
		}
	}
	sort.Strings(wrong)
	if len(wrong) > 0 {
		t.Fatalf("gemMeets disagrees with %s on %d of %d pairs:\n  %s", tab.rubygems, len(wrong), len(tab.meets), strings.Join(wrong, "\n  "))
	}
}

// gemMeets evaluates one requirement "OP VERSION" (OP one of = != > < >= <= ~>; "=" when
// absent) as Gem::Requirement does: "~> X" is ">= X" and, comparing the release of the
// version (its prerelease part dropped), "< X bumped" (X's prerelease segments and last
// segment dropped, the new last one incremented: ~> 2.2.3 is >= 2.2.3, < 2.3).
func gemMeets(t *testing.T, v, req string) bool {
	t.Helper()
	op, rv := "=", req
	for _, o := range []string{"~>", ">=", "<=", "!=", "=", ">", "<"} {
		if rest, ok := strings.CutPrefix(req, o); ok {
			op, rv = o, strings.TrimSpace(rest)
			break
		}
	}
	c := gemCmp(t, v, rv)
	switch op {
	case "=":
		return c == 0
	case "!=":
		return c != 0
	case ">":
		return c > 0
	case "<":
		return c < 0
	case ">=":
		return c >= 0
	case "<=":
		return c <= 0
	}
	// ~>
	if c < 0 {
		return false
	}
	segs := gemSegments(t, rv)
	for len(segs) > 0 && hasString(segs) {
		segs = segs[:len(segs)-1]
	}
	if len(segs) > 1 {
		segs = segs[:len(segs)-1]
	}
	if len(segs) == 0 {
		t.Fatalf("requirement %q: nothing to bump", req)
	}
	n, err := strconv.ParseUint(segs[len(segs)-1], 10, 64)
	if err != nil {
		t.Fatalf("requirement %q: %v", req, err)
	}
	segs[len(segs)-1] = strconv.FormatUint(n+1, 10)
	release := gemSegments(t, v)
	for i, s := range release {
		if !isNum(s) {
			release = release[:i]
			break
		}
	}
	return gemCmp(t, strings.Join(release, "."), strings.Join(segs, ".")) < 0
}

func hasString(segs []string) bool {
	for _, s := range segs {
		if !isNum(s) {
			return true
		}
	}
	return false
}

func isNum(s string) bool { return s != "" && s[0] >= '0' && s[0] <= '9' }

var gemVersionRE = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^[0-9]+(\.[0-9a-zA-Z]+)*(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$`)
})

var gemSegmentRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`[0-9]+|[a-zA-Z]+`) })

// gemSegments splits a version as Gem::Version does: runs of digits and runs of letters
// ("-" first becomes ".pre.").
func gemSegments(t *testing.T, v string) []string {
	t.Helper()
	v = strings.TrimSpace(v)
	if v == "" || !gemVersionRE().MatchString(v) {
		t.Fatalf("%q is not a RubyGems version", v)
	}
	v = strings.ReplaceAll(v, "-", ".pre.")
	return gemSegmentRE().FindAllString(v, -1)
}

// gemCanonical drops the trailing zeros of the release part and of the prerelease part
// (Gem::Version#canonical_segments), so 1.0 == 1 and 1.0.a == 1.a.
func gemCanonical(segs []string) []string {
	split := len(segs)
	for i, s := range segs {
		if !isNum(s) {
			split = i
			break
		}
	}
	trim := func(p []string) []string {
		for len(p) > 0 && isNum(p[len(p)-1]) && strings.TrimLeft(p[len(p)-1], "0") == "" {
			p = p[:len(p)-1]
		}
		return p
	}
	rel := trim(append([]string{}, segs[:split]...))
	pre := trim(append([]string{}, segs[split:]...))
	return append(rel, pre...)
}

// gemCmp orders two versions as Gem::Version#<=>: segment by segment, a missing one is 0,
// numbers compare as numbers, strings as strings, and a string is less than a number.
func gemCmp(t *testing.T, a, b string) int {
	x, y := gemCanonical(gemSegments(t, a)), gemCanonical(gemSegments(t, b))
	for i := 0; i < len(x) || i < len(y); i++ {
		l, r := "0", "0"
		if i < len(x) {
			l = x[i]
		}
		if i < len(y) {
			r = y[i]
		}
		switch {
		case l == r:
			continue
		case isNum(l) && isNum(r):
			l, r = strings.TrimLeft(l, "0"), strings.TrimLeft(r, "0")
			if len(l) != len(r) {
				return sign(len(l) - len(r))
			}
			return strings.Compare(l, r)
		case isNum(l):
			return 1
		case isNum(r):
			return -1
		default:
			return strings.Compare(l, r)
		}
	}
	return 0
}

func TestGemCmpOracle(t *testing.T) {
	checkGemRuleAgainstTable(t, loadGemTable(t))
	// The order RubyGems documents for Gem::Version.
	for _, c := range []struct {
		a, b string
		want int
	}{
		{"1.0", "1", 0}, {"1.0.a", "1.a", 0}, {"1.2.3", "1.2.3.1", -1}, {"1.0.a", "1.0", -1},
		{"1.0.a", "1.0.b", -1}, {"1.0.a10", "1.0.a9", 1}, {"2.2.3.1", "2.2.10", -1},
		{"1.0.rc1", "1.0.beta2", 1}, {"1.a", "1.0.0.1", -1}, {"1.0-1", "1.0", -1}, {"0010", "9", 1},
	} {
		if got := gemCmp(t, c.a, c.b); got != c.want {
			t.Errorf("gemCmp(%s, %s) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
	for _, c := range []struct {
		v, req string
		want   bool
	}{
		{"2.2.3", "~> 2.2.3", true}, {"2.3.0", "~> 2.2.3", false}, {"2.2.99", "~> 2.2.3", true},
		{"2.3.0.a", "~> 2.2.3", false}, {"2.2.4.rc1", "~> 2.2.3", true}, {"3.0", "~> 2", false}, {"2.9", "~> 2", true},
		{"2.2.3.1", ">= 2.2.3.1", true}, {"2.2.3", ">= 2.2.3.1", false}, {"1.1", "< 1.2", true},
		{"1.2", "1.2.0", true}, {"1.2", "!= 1.2.0", false},
	} {
		if got := gemMeets(t, c.v, c.req); got != c.want {
			t.Errorf("gemMeets(%s, %q) = %v, want %v", c.v, c.req, got, c.want)
		}
	}
}
