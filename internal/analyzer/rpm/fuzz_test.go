package rpm

import (
	"context"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/shipshape-dev/shipshape/internal/inventory"
)

var writeSeeds = flag.Bool("write-seeds", false, "rewrite testdata/fuzz/FuzzRPMDB from the real databases")

// FuzzRPMDB feeds bytes to Parse, which writes them to a temporary file and opens it with
// go-rpmdb: it must return packages or an error of its own kinds, never panic or hang.
func FuzzRPMDB(f *testing.F) {
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		pkgs, warnings, err := Parse(context.Background(), data)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrNotDatabase) {
				t.Fatalf("unexpected kind of error: %v", err)
			}
			if pkgs != nil || warnings != nil {
				t.Fatalf("error %v with results", err)
			}
			return
		}
		for _, p := range pkgs {
			if p.Name == "" || p.Name == "gpg-pubkey" || p.Type != inventory.TypeRPM {
				t.Fatalf("bad package %+v", p)
			}
		}
		if len(warnings) > maxWarnings {
			t.Fatalf("%d warnings", len(warnings))
		}
	})
}

// TestWriteFuzzSeeds rewrites the committed seed corpus (go test -run TestWriteFuzzSeeds
// -write-seeds): small databases of each format around a real header, and the first 4 KiB
// of each real database.
func TestWriteFuzzSeeds(t *testing.T) {
	if !*writeSeeds {
		t.Skip("run with -write-seeds to rewrite the seed corpus")
	}
	// The smallest real header in the SLE 15 database (system-user-root): it has a region.
	var real []byte
	for _, h := range headersOf(t, fixture(t, "Packages.sle15-bci.ndb")) {
		if real == nil || len(h) < len(real) {
			real = h
		}
	}
	synthetic := buildHeader(str(tagName, "foo"), str(tagVersion, "1.2"), str(tagRelease, "3"), i32(tagEpoch, 2),
		str(tagArch, "x86_64"), str(tagSourceRPM, "foo-1.2-3.src.rpm"), str(tagModularityLabel, "m:s:1:c"))
	seeds := map[string][]byte{
		"ndb-real-header":        buildNDB([][]byte{real}),
		"ndb-synthetic":          buildNDB([][]byte{synthetic}),
		"ndb-region-trap":        buildNDB([][]byte{regionTrap()}),
		"bdb-512-le-real-header": buildBDB([][]byte{real}, 512, binary.LittleEndian),
		"bdb-512-be-synthetic":   buildBDB([][]byte{synthetic, synthetic}, 512, binary.BigEndian),
		"sqlite-real-header":     buildSQLite(t, [][]byte{real}, ""),
	}
	for _, db := range realDBs {
		seeds["first-4k-"+db.fixture] = fixture(t, db.fixture)[:4096]
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzRPMDB")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, data := range seeds {
		content := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", data)
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
