package dbbuild

import (
	"context"
	"crypto/sha256"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shipshape-dev/shipshape/internal/feed/alpine"
	"github.com/shipshape-dev/shipshape/internal/feed/osv"
)

func testSources(t *testing.T) []Source {
	t.Helper()
	root := filepath.Join("..", "feed")
	return []Source{
		{Name: "alpine-secdb", Feed: alpine.New(), Location: filepath.Join(root, "alpine", "testdata")},
		{Name: "go-vulndb", Feed: osv.New(), Location: filepath.Join(root, "osv", "testdata", "go")},
		{Name: "pypa", Feed: osv.New(), Location: filepath.Join(root, "osv", "testdata", "pypa")},
	}
}

// TestBuildIsDeterministic builds the same sources several times with parallel parsing:
// the DB files must be byte-identical, whatever order the parsers finished in.
func TestBuildIsDeterministic(t *testing.T) {
	dir := t.TempDir()
	var sums [][32]byte
	for i, par := range []int{1, 4, 4} {
		out := filepath.Join(dir, strings.Repeat("x", i+1)+".db")
		sum, err := Build(context.Background(), out, testSources(t), Options{Now: func() time.Time { return time.Unix(0, 0) }, Parallel: par})
		if err != nil {
			t.Fatal(err)
		}
		if len(sum.Sources) != 3 {
			t.Fatalf("sources %+v", sum.Sources)
		}
		data, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		sums = append(sums, sha256.Sum256(data))
	}
	if sums[0] != sums[1] || sums[1] != sums[2] {
		t.Error("DB content depends on parsing order")
	}
}

func TestBuildErrors(t *testing.T) {
	dir := t.TempDir()
	junk := filepath.Join(dir, "junk.json")
	os.WriteFile(junk, []byte("{}"), 0o644)
	tests := []struct {
		name string
		srcs []Source
		want string
	}{
		{"missing file", []Source{{Feed: alpine.New(), Location: filepath.Join(dir, "nope.json")}}, "nope.json"},
		{"wrong feed for the file", []Source{{Feed: osv.New(), Location: filepath.Join("..", "feed", "alpine", "testdata")}}, "gave no records"},
		{"one good, one bad", append(testSources(t)[:1], Source{Name: "bad", Feed: alpine.New(), Location: junk}), "bad"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out.db")
			_, err := Build(context.Background(), out, tc.srcs, Options{Parallel: 2})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
			if _, serr := os.Stat(out); serr == nil {
				t.Error("a failed build left a DB behind")
			}
			left, _ := filepath.Glob(filepath.Join(filepath.Dir(out), ".shipshape-db-*"))
			if len(left) != 0 {
				t.Errorf("temporary files left: %v", left)
			}
		})
	}
}
