package detect

// Packagist findings against an independent reading of the FriendsOfPHP advisory files.
//
// TestCorrectnessPackagist matches two kinds of installed Composer packages against a DB
// built by shipshape's own feed parser from the embedded friendsofphp.tar.gz: the packages
// of the composer analyzer's fixtures (read here with encoding/json, not the analyzer), and
// probes taken from the advisories themselves — for every advisory package, each version that
// appears as a bound of one of its branches (">=a" makes a affected, "<b" makes b the first
// unaffected version, "<=b" keeps b affected), which puts every boundary of the data to the
// test. The expectation is computed here from the YAML with a Composer version order written
// from Composer's documentation for plain numeric versions (an optional "v", up to four
// numbers, missing ones zero); advisories or probes with other versions (stability suffixes,
// dev branches) are left out of the comparison and counted. Ids follow the feed's documented
// choice: the advisory's cve, else FOP-<vendor>/<package>/<file stem>.

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/shipshape-dev/shipshape/internal/dbbuild"
	"github.com/shipshape-dev/shipshape/internal/feed/all"
	"github.com/shipshape-dev/shipshape/internal/inventory"
	"github.com/shipshape-dev/shipshape/internal/vulndb"
	"github.com/shipshape-dev/shipshape/internal/vulndb/snapshot"
)

type phpAdvisory struct {
	id       string
	pkg      string
	branches [][]string // each branch: constraints that must all hold
}

var plainComposer = regexp.MustCompile(`^v?[0-9]+(\.[0-9]+){0,3}$`)

// composerNumbers turns a plain version into its four numbers.
func composerNumbers(v string) ([4]int, bool) {
	var out [4]int
	if !plainComposer.MatchString(v) {
		return out, false
	}
	for i, p := range strings.Split(strings.TrimPrefix(v, "v"), ".") {
		n, err := strconv.Atoi(p)
		if err != nil {
			return out, false
		}
		out[i] = n
	}
	return out, true
}

func composerCmp(a, b [4]int) int {
	for i := range a {
		if a[i] != b[i] {
			if a[i] < b[i] {
				return -1
			}
			return 1
		}
	}
	return 0
}

var composerConstraint = regexp.MustCompile(`^(>=|<=|>|<|==|=)?\s*(\S+)$`)

// satisfies evaluates one constraint; ok is false when it is not a plain one.
func satisfies(v [4]int, constraint string) (holds, ok bool) {
	m := composerConstraint.FindStringSubmatch(strings.TrimSpace(constraint))
	if m == nil {
		return false, false
	}
	bound, ok := composerNumbers(m[2])
	if !ok {
		return false, false
	}
	c := composerCmp(v, bound)
	switch m[1] {
	case ">=":
		return c >= 0, true
	case "<=":
		return c <= 0, true
	case ">":
		return c > 0, true
	case "<":
		return c < 0, true
	default:
		return c == 0, true
	}
}

// readFriendsOfPHP reads every advisory of the embedded friendsofphp.tar.gz.
func readFriendsOfPHP(t *testing.T) []phpAdvisory {
	t.Helper()
	var file *snapshot.File
	for _, f := range snapshot.Files() {
		if f.Name == "friendsofphp.tar.gz" {
			file = &f
		}
	}
	if file == nil {
		t.Fatal("no friendsofphp.tar.gz in the embedded snapshot")
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
	tr := tar.NewReader(zr)
	var out []phpAdvisory
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasSuffix(h.Name, ".yaml") || strings.Count(h.Name, "/") < 3 {
			continue
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		var doc struct {
			Reference string `yaml:"reference"`
			CVE       string `yaml:"cve"`
			Branches  map[string]struct {
				Versions any `yaml:"versions"`
			} `yaml:"branches"`
		}
		if err := yaml.Unmarshal(data, &doc); err != nil {
			continue // the feed skips unreadable files too (counted in its stats)
		}
		parts := strings.Split(h.Name, "/")
		dirPkg := parts[len(parts)-3] + "/" + parts[len(parts)-2]
		pkg := dirPkg
		if ref, ok := strings.CutPrefix(doc.Reference, "composer://"); ok && ref != "" {
			pkg = ref
		}
		a := phpAdvisory{pkg: strings.ToLower(pkg), id: doc.CVE}
		if a.id == "" || a.id == "~" {
			a.id = "FOP-" + dirPkg + "/" + strings.TrimSuffix(parts[len(parts)-1], ".yaml")
		}
		names := make([]string, 0, len(doc.Branches))
		for n := range doc.Branches {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			var cs []string
			switch v := doc.Branches[n].Versions.(type) {
			case string:
				cs = []string{v}
			case []any:
				for _, x := range v {
					cs = append(cs, fmt.Sprint(x))
				}
			}
			a.branches = append(a.branches, cs)
		}
		out = append(out, a)
	}
	return out
}

// plainAdvisory reports whether every constraint of a is a plain one.
func plainAdvisory(a phpAdvisory) bool {
	for _, b := range a.branches {
		for _, c := range b {
			if _, ok := satisfies([4]int{}, c); !ok {
				return false
			}
		}
	}
	return len(a.branches) > 0
}

func affectedBy(a phpAdvisory, v [4]int) bool {
	for _, b := range a.branches {
		all := len(b) > 0
		for _, c := range b {
			h, _ := satisfies(v, c)
			all = all && h
		}
		if all {
			return true
		}
	}
	return false
}

// composerFixturePackages reads the composer analyzer's fixtures with encoding/json.
func composerFixturePackages(t *testing.T) map[string]string { // "name@version" -> location
	t.Helper()
	out := map[string]string{}
	read := func(file string, v any) {
		data, err := os.ReadFile(filepath.Join("..", "analyzer", "composer", "testdata", file))
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(data, v); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
	}
	type pkg struct{ Name, Version string }
	var lock struct{ Packages, PackagesDev []pkg }
	read("composer.lock", &struct {
		Packages    *[]pkg `json:"packages"`
		PackagesDev *[]pkg `json:"packages-dev"`
	}{&lock.Packages, &lock.PackagesDev})
	for _, p := range append(lock.Packages, lock.PackagesDev...) {
		out[strings.ToLower(p.Name)+"@"+p.Version] = "/app/composer.lock"
	}
	return out
}

func TestCorrectnessPackagist(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a DB from the embedded snapshot")
	}
	advisories := readFriendsOfPHP(t)
	byPkg := map[string][]phpAdvisory{}
	skipped := 0
	skippedIDs := map[string]bool{} // "package id" of advisories left out
	for _, a := range advisories {
		if !plainAdvisory(a) {
			skipped++
			skippedIDs[a.pkg+" "+a.id] = true
			continue
		}
		byPkg[a.pkg] = append(byPkg[a.pkg], a)
	}
	// Probes: the fixture packages, and every bound of every branch.
	probes := composerFixturePackages(t)
	fixtures := len(probes)
	for pkg, as := range byPkg {
		for _, a := range as {
			for _, b := range a.branches {
				for _, c := range b {
					m := composerConstraint.FindStringSubmatch(strings.TrimSpace(c))
					probes[pkg+"@"+m[2]] = "/probe"
				}
			}
		}
	}
	inv := &inventory.Inventory{}
	want := map[string]map[string]bool{} // "name@version" -> advisory ids
	unplain := 0
	for nv, loc := range probes {
		name, ver, _ := strings.Cut(nv, "@")
		v, ok := composerNumbers(ver)
		if !ok {
			unplain++
			continue
		}
		inv.Packages = append(inv.Packages, inventory.Package{Type: inventory.TypeComposer, Name: name, Version: ver, Location: loc})
		for _, a := range byPkg[name] {
			if affectedBy(a, v) {
				if want[nv] == nil {
					want[nv] = map[string]bool{}
				}
				want[nv][a.id] = true
			}
		}
	}
	sort.Slice(inv.Packages, func(i, j int) bool { return inv.Packages[i].Key() < inv.Packages[j].Key() })

	db := packagistDB(t)
	res, err := Match(context.Background(), db, inv, Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]map[string]bool{}
	for _, f := range res.Findings {
		if f.Namespace != "packagist" {
			t.Errorf("%s %s: namespace %q", f.PkgName, f.ID, f.Namespace)
			continue
		}
		nv := f.PkgName + "@" + f.InstalledVersion
		if got[nv] == nil {
			got[nv] = map[string]bool{}
		}
		// The ids of the package's own advisories among the finding's id and aliases; a
		// finding naming none of them is reported as extra under its id.
		known, left := false, false
		for _, id := range append([]string{f.ID}, f.Aliases...) {
			for _, a := range byPkg[f.PkgName] {
				if a.id == id {
					got[nv][id], known = true, true
				}
			}
			left = left || skippedIDs[f.PkgName+" "+id]
		}
		if !known && !left {
			got[nv][f.ID] = true
		}
	}
	var missing, extra []string
	total := 0
	for nv, ids := range want {
		for id := range ids {
			total++
			if !got[nv][id] {
				missing = append(missing, nv+" "+id)
			}
		}
	}
	for nv, ids := range got {
		for id := range ids {
			if !want[nv][id] {
				extra = append(extra, nv+" "+id)
			}
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	fixtureFindings := 0
	for nv := range composerFixturePackages(t) {
		fixtureFindings += len(want[nv])
	}
	t.Logf("%d advisories (%d with non-numeric versions left out), %d probes (%d from the fixtures; %d non-numeric left out), %d expected (package, version, advisory) findings, %d of them in the fixtures",
		len(advisories), skipped, len(inv.Packages), fixtures, unplain, total, fixtureFindings)
	if total < 1000 || fixtureFindings < 5 {
		t.Errorf("only %d expected findings (%d in the fixtures): the comparison would prove little", total, fixtureFindings)
	}
	if len(missing) > 0 {
		t.Errorf("%d findings the advisory files give that shipshape did not report:\n  %s", len(missing), strings.Join(head(missing, 40), "\n  "))
	}
	if len(extra) > 0 {
		t.Errorf("%d findings shipshape reported that the advisory files do not support:\n  %s", len(extra), strings.Join(head(extra, 400), "\n  "))
	}
}

func head(ss []string, n int) []string {
	if len(ss) > n {
		return append(ss[:n:n], fmt.Sprintf("... and %d more", len(ss)-n))
	}
	return ss
}

// packagistDB builds a DB from the embedded FriendsOfPHP advisories alone.
func packagistDB(t *testing.T) *vulndb.DB {
	t.Helper()
	var srcs []dbbuild.Source
	for _, f := range snapshot.Files() {
		if f.Name == "friendsofphp.tar.gz" {
			srcs = append(srcs, dbbuild.Source{Name: f.Source, Feed: all.ByName()[f.Feed], Location: f.Name, Open: f.Open, DataDate: f.DataDate})
		}
	}
	p := filepath.Join(t.TempDir(), "packagist.db")
	if _, err := dbbuild.Build(context.Background(), p, srcs, dbbuild.Options{Now: func() time.Time { return time.Unix(0, 0) }}); err != nil {
		t.Fatal(err)
	}
	db, err := vulndb.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}
