package layer_test

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/shipshape-dev/shipshape/internal/analyzer/all"
	"github.com/shipshape-dev/shipshape/internal/imagetest"
	"github.com/shipshape-dev/shipshape/internal/inventory"
	"github.com/shipshape-dev/shipshape/internal/layer"
	"github.com/shipshape-dev/shipshape/internal/source"
)

// parityExceptions lists every accepted difference between shipshape's and syft's OS
// packages per fixture, as "only-syft\tTYPE\tNAME\tVERSION" or "only-shipshape\t...", with
// the reason. Keep each entry to one package: a difference not listed here fails the test,
// and so does an entry that no longer matches a difference.
var parityExceptions = map[string]map[string]string{
	"fedora-35": {
		// rpm keeps each imported signing key in the database as a pseudo-package named
		// gpg-pubkey (version = key id, release = creation time). It is no installed
		// software and no advisory names it, so the rpm analyzer leaves it out on purpose
		// (as trivy does); syft lists it.
		"only-syft\trpm\tgpg-pubkey\t9867c58f-601c49ca": "rpm signing key, not a package",
	},
}

// TestSyftParity scans every fixture image the way the CLI does (docker-archive on disk,
// source.Open, layer.Scanner with the default analyzers) and compares the (type, name,
// version) set of deb, apk and rpm packages with what syft reported for the same image in
// testdata/syft/<fixture>.tsv (regenerate those with scripts/syft-parity).
func TestSyftParity(t *testing.T) {
	fixtures, err := imagetest.Fixtures()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, f := range fixtures {
		seen[f.Name] = true
		t.Run(f.Name, func(t *testing.T) {
			want, err := readSyftTSV(filepath.Join(imagetest.RepoRoot(), "testdata", "syft", f.Name+".tsv"))
			if err != nil {
				t.Fatalf("%v (run scripts/syft-parity)", err)
			}
			archive := filepath.Join(t.TempDir(), f.Name+".tar")
			if err := imagetest.WriteDockerArchive(archive, f.Tag(), f.Image); err != nil {
				t.Fatal(err)
			}
			inv := scanArchive(t, archive)
			got := map[string]bool{}
			for _, p := range inv.Packages {
				switch p.Type {
				case "deb", "apk", "rpm":
					got[p.Type+"\t"+p.Name+"\t"+p.Version] = true
				}
			}
			if len(got) == 0 {
				t.Fatal("shipshape found no OS packages")
			}
			var diffs []string
			for row := range want {
				if !got[row] {
					diffs = append(diffs, "only-syft\t"+row)
				}
			}
			for row := range got {
				if !want[row] {
					diffs = append(diffs, "only-shipshape\t"+row)
				}
			}
			sort.Strings(diffs)
			exc := parityExceptions[f.Name]
			used := map[string]bool{}
			for _, d := range diffs {
				if _, ok := exc[d]; ok {
					used[d] = true
					continue
				}
				t.Errorf("unexplained difference with syft: %s", strings.ReplaceAll(d, "\t", " "))
			}
			for d := range exc {
				if !used[d] {
					t.Errorf("stale parity exception (no longer a difference): %s", strings.ReplaceAll(d, "\t", " "))
				}
			}
		})
	}
	for name := range parityExceptions {
		if !seen[name] {
			t.Errorf("parity exceptions for unknown fixture %s", name)
		}
	}
}

func scanArchive(t *testing.T, archive string) *inventory.Inventory {
	t.Helper()
	ctx := context.Background()
	img, err := source.Open(ctx, archive, source.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer img.Close()
	specs := make([]layer.Spec, len(img.Layers))
	for i, l := range img.Layers {
		specs[i] = layer.Spec{DiffID: l.DiffID, Digest: l.Digest, Size: l.Size, CreatedBy: l.CreatedBy, Open: l.Open}
	}
	s := &layer.Scanner{Walker: &layer.Walker{Analyzers: all.Default()}, Parallel: 2}
	inv, err := s.ScanImage(ctx, specs)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range inv.Warnings {
		t.Errorf("warning: %s", w)
	}
	return inv
}

// readSyftTSV reads "type\tname\tversion" rows, skipping # comments.
func readSyftTSV(path string) (map[string]bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[string]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if strings.Count(line, "\t") != 2 {
			return nil, &os.PathError{Op: "parse", Path: path, Err: os.ErrInvalid}
		}
		out[line] = true
	}
	return out, sc.Err()
}
