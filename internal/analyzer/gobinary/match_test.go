package gobinary

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"io"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/semver"

	"github.com/shipshape-dev/shipshape/internal/dbbuild"
	"github.com/shipshape-dev/shipshape/internal/detect"
	"github.com/shipshape-dev/shipshape/internal/feed/osv"
	"github.com/shipshape-dev/shipshape/internal/inventory"
	"github.com/shipshape-dev/shipshape/internal/vulndb"
	"github.com/shipshape-dev/shipshape/internal/vulndb/snapshot"
)

// goVulnDB returns the embedded snapshot's Go vulnerability database file.
func goVulnDB(t *testing.T) snapshot.File {
	t.Helper()
	for _, f := range snapshot.Files() {
		if f.Name == "go-vulndb-osv.tar.gz" {
			return f
		}
	}
	t.Fatal("the embedded snapshot has no go-vulndb-osv.tar.gz")
	return snapshot.File{}
}

// TestMatchAgainstOSV scans the fixture's modules and stdlib 1.19.8 built for three
// platforms with detect against a DB built from the embedded Go vulnerability database,
// and checks the (module, GO id) pairs equal an independent reading of the same OSV
// records: SEMVER events walked in order with x/mod/semver, entries whose every import
// path is limited to other GOOS/GOARCH values left out (as govulncheck does).
func TestMatchAgainstOSV(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a DB of the whole Go vulnerability database")
	}
	src := goVulnDB(t)
	dbPath := filepath.Join(t.TempDir(), "go.db")
	_, err := dbbuild.Build(context.Background(), dbPath, []dbbuild.Source{{
		Name: src.Source, Feed: osv.New(), Location: src.Name, Open: src.Open,
	}}, dbbuild.Options{Now: func() time.Time { return time.Unix(0, 0) }, Parallel: 1})
	if err != nil {
		t.Fatal(err)
	}
	db, err := vulndb.Open(dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	f := analyzeFile(t, "testdata/govuln-a.go1.26.8")
	var pkgs []inventory.Package
	for _, p := range f.Packages {
		p.Location = "/app/govuln-a"
		pkgs = append(pkgs, p)
	}
	for _, platform := range []string{"linux/amd64", "windows/amd64", "linux/ppc64le"} {
		p := Package(StdlibModule, "v1.19.8", "")
		p.Platform = platform
		p.Location = "/" + platform + "/go"
		pkgs = append(pkgs, p)
	}
	// One scan per location: detect reports a vulnerability of one package version once
	// per layer, whatever the number of files it was found in.
	got := map[string][]string{}
	for _, loc := range []string{"/app/govuln-a", "/linux/amd64/go", "/windows/amd64/go", "/linux/ppc64le/go"} {
		inv := &inventory.Inventory{}
		for _, p := range pkgs {
			if p.Location == loc {
				inv.Packages = append(inv.Packages, p)
			}
		}
		res, err := detect.Match(context.Background(), db, inv, detect.Options{})
		if err != nil {
			t.Fatal(err)
		}
		for _, fd := range res.Findings {
			for _, id := range append([]string{fd.ID}, fd.Aliases...) {
				if strings.HasPrefix(id, "GO-") {
					got[fd.Location] = append(got[fd.Location], fd.PkgName+" "+id)
				}
			}
		}
	}
	want := independentMatches(t, src, pkgs)
	for _, p := range pkgs {
		g, w := sorted(got[p.Location]), sorted(want[p.Location])
		if p.Location == "/app/govuln-a" && p.Name != "golang.org/x/net" {
			continue // compared once per location below
		}
		if !slices.Equal(g, w) {
			t.Errorf("%s (%s): shipshape and the OSV records differ\n only shipshape: %v\n only OSV: %v",
				p.Location, p.Platform, minus(g, w), minus(w, g))
		}
	}
	// The data has entries limited to Windows and to ppc64le: the three builds of the same
	// stdlib must not all get the same findings.
	lin, win, ppc := len(got["/linux/amd64/go"]), len(got["/windows/amd64/go"]), len(got["/linux/ppc64le/go"])
	if lin == 0 || lin == win || lin == ppc {
		t.Errorf("stdlib v1.19.8 findings: linux/amd64 %d, windows/amd64 %d, linux/ppc64le %d", lin, win, ppc)
	}
	if len(got["/app/govuln-a"]) == 0 {
		t.Error("no findings for the govuln-a fixture (gin 1.6.0, x/net 0.7.0, x/text 0.7.0)")
	}
	t.Logf("govuln-a %d, stdlib 1.19.8 linux/amd64 %d, windows/amd64 %d, linux/ppc64le %d", len(got["/app/govuln-a"]), lin, win, ppc)
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return slices.Compact(s)
}

func minus(a, b []string) []string {
	var out []string
	for _, x := range a {
		if !slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}

type goOSV struct {
	ID        string `json:"id"`
	Withdrawn string `json:"withdrawn"`
	Affected  []struct {
		Package struct{ Name, Ecosystem string } `json:"package"`
		Ranges  []struct {
			Type   string              `json:"type"`
			Events []map[string]string `json:"events"`
		} `json:"ranges"`
		EcosystemSpecific struct {
			Imports []struct {
				GOOS   []string `json:"goos"`
				GOARCH []string `json:"goarch"`
			} `json:"imports"`
		} `json:"ecosystem_specific"`
	} `json:"affected"`
}

// independentMatches reads every record of the Go vulnerability database and returns, per
// package location, the "module GO-id" pairs that affect it.
func independentMatches(t *testing.T, src snapshot.File, pkgs []inventory.Package) map[string][]string {
	t.Helper()
	rc, err := src.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	zr, err := gzip.NewReader(rc)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	out := map[string][]string{}
	n := 0
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(path.Base(hdr.Name), "GO-") || path.Ext(hdr.Name) != ".json" {
			continue
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		var rec goOSV
		if err := json.NewDecoder(bytes.NewReader(data)).Decode(&rec); err != nil {
			t.Fatalf("%s: %v", hdr.Name, err)
		}
		n++
		if rec.Withdrawn != "" {
			continue
		}
		for _, p := range pkgs {
			goos, goarch, _ := strings.Cut(p.Platform, "/")
			for _, a := range rec.Affected {
				if a.Package.Ecosystem != "Go" || a.Package.Name != p.Name || !inEvents(p.Version, a.Ranges) {
					continue
				}
				imps := a.EcosystemSpecific.Imports
				ok := len(imps) == 0
				for _, imp := range imps {
					if (len(imp.GOOS) == 0 || slices.Contains(imp.GOOS, goos)) && (len(imp.GOARCH) == 0 || slices.Contains(imp.GOARCH, goarch)) {
						ok = true
					}
				}
				if ok {
					out[p.Location] = append(out[p.Location], p.Name+" "+rec.ID)
				}
			}
		}
	}
	if n < 1000 {
		t.Fatalf("read only %d records from %s", n, src.Name)
	}
	return out
}

// inEvents walks each SEMVER range's events in order: introduced opens an interval,
// fixed closes it (the Go database writes no last_affected).
func inEvents(version string, ranges []struct {
	Type   string              `json:"type"`
	Events []map[string]string `json:"events"`
}) bool {
	for _, r := range ranges {
		if r.Type != "SEMVER" {
			continue
		}
		affected := false
		for _, ev := range r.Events {
			if v, ok := ev["introduced"]; ok && (v == "0" || semver.Compare(version, "v"+v) >= 0) {
				affected = true
			}
			if v, ok := ev["fixed"]; ok && semver.Compare(version, "v"+v) >= 0 {
				affected = false
			}
		}
		if affected {
			return true
		}
	}
	return false
}
