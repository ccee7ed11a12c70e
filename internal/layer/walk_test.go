package layer

import (
	"archive/tar"
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"

	"github.com/shipshape-dev/shipshape/internal/analyzer"
	"github.com/shipshape-dev/shipshape/internal/imagetest"
	"github.com/shipshape-dev/shipshape/internal/inventory"
)

// linesAnalyzer reads "name version" lines from files under pkgdb/ as packages. It stands
// for a package-database analyzer whose input format is trivial, so that these tests are
// about the walker and merge, not about parsing; it counts its calls.
type linesAnalyzer struct{ calls atomic.Int64 }

func (*linesAnalyzer) Name() string { return "lines" }
func (*linesAnalyzer) Version() int { return 1 }
func (*linesAnalyzer) Claims(p string, _ fs.FileInfo) bool {
	return strings.HasPrefix(p, "pkgdb/")
}
func (a *linesAnalyzer) Analyze(_ context.Context, in analyzer.Input) (analyzer.Facts, error) {
	a.calls.Add(1)
	var f analyzer.Facts
	sc := bufio.NewScanner(in.Content)
	for sc.Scan() {
		parts := strings.Fields(sc.Text())
		if len(parts) != 2 {
			return f, errors.New("want 'name version' lines")
		}
		f.Packages = append(f.Packages, inventory.Package{Type: "test", Name: parts[0], Version: parts[1]})
	}
	return f, sc.Err()
}

func gz(t testing.TB, data []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func tarOf(t testing.TB, files ...imagetest.File) []byte {
	t.Helper()
	b, err := imagetest.TarBytes(files)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func specOf(diffID, createdBy string, data []byte) Spec {
	return Spec{DiffID: diffID, CreatedBy: createdBy, Size: int64(len(data)), Open: func(context.Context) (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(data)), nil
	}}
}

func pkgSet(inv *inventory.Inventory) map[string]int {
	out := map[string]int{}
	for _, p := range inv.Packages {
		out[p.Name+"@"+p.Version+" "+p.Location] = p.Layer.Index
	}
	return out
}

func TestMergeWhiteoutsAndAttribution(t *testing.T) {
	l0 := tarOf(t,
		imagetest.File{Name: "pkgdb/", Type: tar.TypeDir},
		imagetest.File{Name: "pkgdb/main", Body: "x 1\ny 1\n"},
		imagetest.File{Name: "pkgdb/extra", Body: "e 1\n"},
		imagetest.File{Name: "opt/pkgdb/", Type: tar.TypeDir},
	)
	l1 := tarOf(t,
		imagetest.File{Name: "pkgdb/main", Body: "x 1\ny 2\nz 1\n"},
		imagetest.File{Name: "pkgdb/sub/", Type: tar.TypeDir},
		imagetest.File{Name: "pkgdb/sub/old", Body: "o 1\n"},
	)
	l2 := tarOf(t,
		imagetest.File{Name: "pkgdb/.wh.extra"},
		imagetest.File{Name: "pkgdb/sub/.wh..wh..opq"},
		imagetest.File{Name: "pkgdb/sub/new", Body: "n 1\n"},
		imagetest.File{Name: "./pkgdb/main", Body: "x 1\ny 2\nz 1\nw 1\n"},
	)
	a := &linesAnalyzer{}
	s := &Scanner{Walker: &Walker{Analyzers: analyzer.Set{a}}, Parallel: 3}
	inv, err := s.ScanImage(context.Background(), []Spec{
		specOf("sha256:l0", "ADD rootfs /", gz(t, l0)),
		specOf("sha256:l1", "RUN install y z", l1),
		specOf("sha256:l2", "RUN remove extra", gz(t, l2)),
	})
	if err != nil {
		t.Fatal(err)
	}
	got := pkgSet(inv)
	want := map[string]int{
		"x@1 /pkgdb/main":    0, // present since the bottom layer
		"y@2 /pkgdb/main":    1, // upgraded in layer 1
		"z@1 /pkgdb/main":    1,
		"w@1 /pkgdb/main":    2,
		"n@1 /pkgdb/sub/new": 2,
		// e@1 (whited out) and o@1 (hidden by the opaque dir) are gone.
	}
	if len(got) != len(want) {
		t.Fatalf("packages = %v, want %v", got, want)
	}
	for k, v := range want {
		if g, ok := got[k]; !ok || g != v {
			t.Errorf("%s: layer %d (found %v), want layer %d", k, g, ok, v)
		}
	}
	for _, p := range inv.Packages {
		if p.Layer.CreatedBy == "" || p.Layer.DiffID == "" {
			t.Errorf("%s: layer ref missing created_by/diffID: %+v", p.Name, p.Layer)
		}
	}
}

func TestWhiteoutThenReAdd(t *testing.T) {
	l0 := tarOf(t, imagetest.File{Name: "pkgdb/a", Body: "a 1\n"})
	l1 := tarOf(t, imagetest.File{Name: "pkgdb/.wh.a"})
	l2 := tarOf(t, imagetest.File{Name: "pkgdb/a", Body: "a 1\n"})
	s := &Scanner{Walker: &Walker{Analyzers: analyzer.Set{&linesAnalyzer{}}}, Parallel: 1}
	inv, err := s.ScanImage(context.Background(), []Spec{specOf("sha256:0", "", l0), specOf("sha256:1", "", l1), specOf("sha256:2", "", l2)})
	if err != nil {
		t.Fatal(err)
	}
	if len(inv.Packages) != 1 || inv.Packages[0].Layer.Index != 2 {
		t.Fatalf("want a@1 attributed to layer 2 (re-added after a whiteout), got %+v", inv.Packages)
	}
}

func TestCompressions(t *testing.T) {
	plain := tarOf(t, imagetest.File{Name: "pkgdb/a", Body: "a 1\n"})
	var zbuf bytes.Buffer
	zw, err := zstd.NewWriter(&zbuf)
	if err != nil {
		t.Fatal(err)
	}
	zw.Write(plain)
	zw.Close()
	for _, tc := range []struct {
		name string
		data []byte
	}{
		{"plain", plain},
		{"gzip", gz(t, plain)},
		{"zstd", zbuf.Bytes()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := &Walker{Analyzers: analyzer.Set{&linesAnalyzer{}}}
			res, err := w.WalkTar(context.Background(), bytes.NewReader(tc.data))
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Files) != 1 || len(res.Files[0].Facts.Packages) != 1 {
				t.Fatalf("want one package, got %+v", res.Files)
			}
		})
	}
}

func TestCacheSkipsKnownLayers(t *testing.T) {
	base := gz(t, tarOf(t, imagetest.File{Name: "pkgdb/base", Body: "b 1\n"}))
	app1 := gz(t, tarOf(t, imagetest.File{Name: "pkgdb/app", Body: "a 1\n"}))
	app2 := gz(t, tarOf(t, imagetest.File{Name: "pkgdb/app", Body: "a 2\n"}))
	a := &linesAnalyzer{}
	s := &Scanner{Walker: &Walker{Analyzers: analyzer.Set{a}}, Cache: &Cache{Dir: t.TempDir()}, Parallel: 2}
	img1 := []Spec{specOf("sha256:base", "", base), specOf("sha256:app1", "", app1)}
	img2 := []Spec{specOf("sha256:base", "", base), specOf("sha256:app2", "", app2)}
	steps := []struct {
		name      string
		specs     []Spec
		wantCalls int64
		wantPkgs  int
	}{
		{"first scan analyses both layers", img1, 2, 2},
		{"second scan of the same image analyses nothing", img1, 0, 2},
		{"another image sharing the base analyses only its own layer", img2, 1, 2},
	}
	for _, st := range steps {
		before := a.calls.Load()
		inv, err := s.ScanImage(context.Background(), st.specs)
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if got := a.calls.Load() - before; got != st.wantCalls {
			t.Errorf("%s: %d analyzer calls, want %d", st.name, got, st.wantCalls)
		}
		if len(inv.Packages) != st.wantPkgs {
			t.Errorf("%s: %d packages, want %d", st.name, len(inv.Packages), st.wantPkgs)
		}
	}
	// A different analyzer version is a different key.
	if Key("sha256:base", analyzer.Set{a}) == Key("sha256:base", analyzer.Set{&versioned{a, 2}}) {
		t.Error("cache key does not change with the analyzer version")
	}
}

type versioned struct {
	*linesAnalyzer
	v int
}

func (v *versioned) Version() int { return v.v }

// noisyLines returns n package lines that compress poorly, so a truncated gzip stream
// still holds the first files whole.
func noisyLines(n int) string {
	var b strings.Builder
	x := uint32(2463534242)
	for i := 0; i < n; i++ {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		fmt.Fprintf(&b, "p%08x %d\n", x, i)
	}
	return b.String()
}

func TestBadLayers(t *testing.T) {
	good := tarOf(t,
		imagetest.File{Name: "pkgdb/a", Body: "a 1\n"},
		imagetest.File{Name: "pkgdb/b", Body: noisyLines(20000)},
	)
	gzGood := gz(t, good)
	random := bytes.Repeat([]byte("not a tar, not gzip "), 100)
	tests := []struct {
		name     string
		data     []byte
		lim      Limits
		wantErr  error // errors.Is target, or nil for "any error"
		noErr    bool
		wantWarn string
		minPkgs  int
	}{
		{name: "truncated gzip", data: gzGood[:len(gzGood)/2], minPkgs: 1},
		{name: "truncated tar", data: good[:len(good)-3000], minPkgs: 1},
		{name: "unknown format", data: random},
		{name: "corrupt gzip body", data: append(append([]byte{}, gzGood[:20]...), random...)},
		{name: "path traversal", noErr: true, wantWarn: "escapes", minPkgs: 1, data: tarOf(t,
			imagetest.File{Name: "../../pkgdb/evil", Body: "evil 1\n"},
			imagetest.File{Name: "pkgdb/ok", Body: "ok 1\n"})},
		{name: "symlinks out and in loops", noErr: true, minPkgs: 1, data: tarOf(t,
			imagetest.File{Name: "pkgdb/out", Type: tar.TypeSymlink, Linkname: "/etc/shadow"},
			imagetest.File{Name: "pkgdb/up", Type: tar.TypeSymlink, Linkname: "../../../../etc/passwd"},
			imagetest.File{Name: "pkgdb/loop1", Type: tar.TypeSymlink, Linkname: "loop2"},
			imagetest.File{Name: "pkgdb/loop2", Type: tar.TypeSymlink, Linkname: "loop1"},
			imagetest.File{Name: "pkgdb/real", Body: "r 1\n"},
			imagetest.File{Name: "pkgdb/hard", Type: tar.TypeLink, Linkname: "pkgdb/real"},
			imagetest.File{Name: "pkgdb/hardout", Type: tar.TypeLink, Linkname: "../../etc/passwd"})},
		{name: "bomb by size", data: gz(t, tarOf(t, imagetest.File{Name: "junk", Body: strings.Repeat("\x00", 4<<20)})),
			lim: Limits{MaxLayerSize: 1 << 20}, wantErr: ErrBomb},
		{name: "bomb by ratio", data: gz(t, tarOf(t, imagetest.File{Name: "junk", Body: strings.Repeat("\x00", 8<<20)})),
			lim: Limits{MaxRatio: 100, RatioFloor: 1 << 20}, wantErr: ErrBomb},
		{name: "claimed file above the cap", noErr: true, wantWarn: "above the", minPkgs: 1,
			lim: Limits{MaxFileSize: 1024}, data: good},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := &Walker{Analyzers: analyzer.Set{&linesAnalyzer{}}, Limits: tc.lim}
			res, err := w.WalkTar(context.Background(), bytes.NewReader(tc.data))
			if tc.noErr && err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if !tc.noErr && err == nil {
				t.Fatal("want an error")
			}
			if tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
				t.Fatalf("error %v, want %v", err, tc.wantErr)
			}
			if res == nil {
				t.Fatal("nil result")
			}
			n := 0
			for _, f := range res.Files {
				n += len(f.Facts.Packages)
				if strings.Contains(f.Path, "..") || strings.HasPrefix(f.Path, "/") {
					t.Errorf("file path %q escapes the root", f.Path)
				}
			}
			if n < tc.minPkgs {
				t.Errorf("%d packages kept, want at least %d", n, tc.minPkgs)
			}
			if tc.wantWarn != "" {
				found := false
				for _, w := range res.Warnings {
					if strings.Contains(w.String(), tc.wantWarn) {
						found = true
					}
				}
				if !found {
					t.Errorf("no warning containing %q in %v", tc.wantWarn, res.Warnings)
				}
			}
		})
	}
}

// TestSparseHugeFile walks a layer with a 10 GB sparse file that an analyzer claims: it
// must be skipped with a warning, without reading 10 GB into memory.
func TestSparseHugeFile(t *testing.T) {
	if _, err := exec.LookPath("tar"); err != nil {
		t.Fatalf("GNU tar is needed to write a sparse archive: %v", err)
	}
	dir := t.TempDir()
	root := filepath.Join(dir, "root")
	if err := os.MkdirAll(filepath.Join(root, "pkgdb"), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(filepath.Join(root, "pkgdb", "huge"))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(10 << 30); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if err := os.WriteFile(filepath.Join(root, "pkgdb", "small"), []byte("s 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	archive := filepath.Join(dir, "layer.tar")
	out, err := exec.Command("tar", "--sparse", "--format=posix", "-C", root, "-cf", archive, "pkgdb").CombinedOutput()
	if err != nil {
		t.Fatalf("tar: %v: %s", err, out)
	}
	st, _ := os.Stat(archive)
	if st.Size() > 1<<20 {
		t.Fatalf("archive is %d bytes; tar did not write it sparse", st.Size())
	}
	af, err := os.Open(archive)
	if err != nil {
		t.Fatal(err)
	}
	defer af.Close()
	w := &Walker{Analyzers: analyzer.Set{&linesAnalyzer{}}}
	res, err := w.WalkTar(context.Background(), af)
	if err != nil {
		t.Fatal(err)
	}
	warned := false
	for _, w := range res.Warnings {
		if strings.Contains(w.Path, "huge") && strings.Contains(w.Message, "cap") {
			warned = true
		}
	}
	if !warned {
		t.Errorf("no size-cap warning for the sparse file: %v", res.Warnings)
	}
	n := 0
	for _, f := range res.Files {
		n += len(f.Facts.Packages)
	}
	if n != 1 {
		t.Errorf("%d packages, want the one from pkgdb/small", n)
	}
}

func TestCleanPath(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		ok       bool
	}{
		{"./etc/os-release", "etc/os-release", true},
		{"/etc//passwd", "etc/passwd", true},
		{"etc/../../x", "", false},
		{"..", "", false},
		{"a/b/", "a/b", true},
		{"./", ".", true},
	} {
		got, ok := CleanPath(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("CleanPath(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestWalkDirDoesNotFollowSymlinks(t *testing.T) {
	root := t.TempDir()
	outside := t.TempDir()
	os.MkdirAll(filepath.Join(root, "pkgdb"), 0o755)
	os.WriteFile(filepath.Join(outside, "secret"), []byte("leak 1\n"), 0o644)
	os.WriteFile(filepath.Join(root, "pkgdb", "real"), []byte("r 1\n"), 0o644)
	os.Symlink(filepath.Join(outside, "secret"), filepath.Join(root, "pkgdb", "abs"))
	os.Symlink(outside, filepath.Join(root, "pkgdb", "dir"))
	os.Symlink("loop2", filepath.Join(root, "pkgdb", "loop1"))
	os.Symlink("loop1", filepath.Join(root, "pkgdb", "loop2"))
	s := &Scanner{Walker: &Walker{Analyzers: analyzer.Set{&linesAnalyzer{}}}}
	inv, err := s.ScanDir(context.Background(), root)
	if err != nil {
		t.Fatal(err)
	}
	if len(inv.Packages) != 1 || inv.Packages[0].Name != "r" {
		t.Fatalf("want only r from the real file, got %+v", inv.Packages)
	}
}
