package cargo

import (
	"archive/tar"
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

// TestMatchAgainstRustSec matches the crates of the v4 lock fixture and of the auditable
// program with detect against a DB built from the embedded RustSec OSV export, and checks
// the (crate, RUSTSEC id) pairs equal an independent reading of the same records (SEMVER
// events in order, compared with x/mod/semver; withdrawn records left out).
func TestMatchAgainstRustSec(t *testing.T) {
	var src snapshot.File
	for _, f := range snapshot.Files() {
		if f.Name == "rustsec-osv.tar.gz" {
			src = f
		}
	}
	if src.Name == "" {
		t.Fatal("the embedded snapshot has no rustsec-osv.tar.gz")
	}
	dbPath := filepath.Join(t.TempDir(), "rust.db")
	if _, err := dbbuild.Build(context.Background(), dbPath, []dbbuild.Source{{
		Name: src.Source, Feed: osv.New(), Location: src.Name, Open: src.Open,
	}}, dbbuild.Options{Now: func() time.Time { return time.Unix(0, 0) }, Parallel: 1}); err != nil {
		t.Fatal(err)
	}
	db, err := vulndb.Open(dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	for _, file := range []string{"lock/Cargo.v4.lock", "auditable/shipshape-rust-fixture"} {
		claim := "app/Cargo.lock"
		if !strings.HasSuffix(file, ".lock") {
			claim = "usr/bin/app"
		}
		f := analyze(t, claim, file)
		inv := &inventory.Inventory{Packages: f.Packages}
		res, err := detect.Match(context.Background(), db, inv, detect.Options{})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, fd := range res.Findings {
			for _, id := range append([]string{fd.ID}, fd.Aliases...) {
				if strings.HasPrefix(id, "RUSTSEC-") {
					got = append(got, fd.PkgName+" "+id)
				}
			}
		}
		got = sorted(got)
		want := rustsecMatches(t, src, f.Packages)
		if !slices.Equal(got, want) {
			t.Errorf("%s: shipshape %v\nOSV records %v", file, got, want)
		}
		// time 0.1.44 (RUSTSEC-2020-0071) and atty 0.2.14 (RUSTSEC-2021-0145) are in both.
		for _, must := range []string{"atty RUSTSEC-2021-0145", "time RUSTSEC-2020-0071"} {
			if !slices.Contains(got, must) {
				t.Errorf("%s: no %s in %v", file, must, got)
			}
		}
		t.Logf("%s: %v", file, got)
	}
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return slices.Compact(s)
}

type rustOSV struct {
	ID        string `json:"id"`
	Withdrawn string `json:"withdrawn"`
	Affected  []struct {
		Package struct{ Name, Ecosystem string } `json:"package"`
		Ranges  []struct {
			Type   string              `json:"type"`
			Events []map[string]string `json:"events"`
		} `json:"ranges"`
		Versions []string `json:"versions"`
	} `json:"affected"`
}

func rustsecMatches(t *testing.T, src snapshot.File, pkgs []inventory.Package) []string {
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
	var out []string
	n := 0
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if path.Ext(hdr.Name) != ".json" {
			continue
		}
		var rec rustOSV
		if err := json.NewDecoder(tr).Decode(&rec); err != nil {
			t.Fatalf("%s: %v", hdr.Name, err)
		}
		n++
		if rec.Withdrawn != "" {
			continue
		}
		for _, p := range pkgs {
			v := "v" + p.Version
			for _, a := range rec.Affected {
				if a.Package.Ecosystem != "crates.io" || a.Package.Name != p.Name {
					continue
				}
				hit := slices.Contains(a.Versions, p.Version)
				for _, r := range a.Ranges {
					if r.Type != "SEMVER" {
						continue
					}
					in := false
					for _, ev := range r.Events {
						if x, ok := ev["introduced"]; ok && (x == "0" || semver.Compare(v, "v"+x) >= 0) {
							in = true
						}
						if x, ok := ev["fixed"]; ok && semver.Compare(v, "v"+x) >= 0 {
							in = false
						}
						if x, ok := ev["last_affected"]; ok && semver.Compare(v, "v"+x) > 0 {
							in = false
						}
					}
					hit = hit || in
				}
				if hit {
					out = append(out, p.Name+" "+rec.ID)
				}
			}
		}
	}
	if n < 500 {
		t.Fatalf("read only %d records from %s", n, src.Name)
	}
	return sorted(out)
}
