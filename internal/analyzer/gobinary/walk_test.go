package gobinary

import (
	"archive/tar"
	"bytes"
	"context"
	"os"
	"slices"
	"testing"

	"github.com/shipshape-dev/shipshape/internal/analyzer"
	"github.com/shipshape-dev/shipshape/internal/layer"
)

// readsAtProbe wraps gobinary and records whether the walker handed it the open file
// (RandomAccess) rather than a copy in memory.
type readsAtProbe struct {
	*Analyzer
	readerAt bool
}

func (r *readsAtProbe) Analyze(ctx context.Context, in analyzer.Input) (analyzer.Facts, error) {
	_, r.readerAt = in.Content.(*bytes.Reader)
	r.readerAt = !r.readerAt
	return r.Analyzer.Analyze(ctx, in)
}

// TestWalkDirAndTar: the walker gives the same packages from the fixture on disk (where,
// as a RandomAccess analyzer, gobinary reads the open file at offsets) and in a layer
// stream (where it gets the bytes).
func TestWalkDirAndTar(t *testing.T) {
	dir := t.TempDir()
	data, err := os.ReadFile("testdata/govuln-a.go1.26.8")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir+"/usr/local/bin", 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dir+"/usr/local/bin/govuln", data, 0o755); err != nil {
		t.Fatal(err)
	}
	probe := &readsAtProbe{Analyzer: New()}
	w := &layer.Walker{Analyzers: analyzer.Set{probe}}
	fromDir, err := w.WalkDir(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	if !probe.readerAt {
		t.Error("WalkDir read the file into memory for a RandomAccess analyzer")
	}
	var tb bytes.Buffer
	tw := tar.NewWriter(&tb)
	if err := tw.WriteHeader(&tar.Header{Name: "usr/local/bin/govuln", Mode: 0o755, Size: int64(len(data)), Typeflag: tar.TypeReg}); err != nil {
		t.Fatal(err)
	}
	if _, err := tw.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	fromTar, err := w.WalkTar(context.Background(), &tb)
	if err != nil {
		t.Fatal(err)
	}
	if len(fromDir.Files) != 1 || len(fromTar.Files) != 1 {
		t.Fatalf("files: dir %d, tar %d", len(fromDir.Files), len(fromTar.Files))
	}
	d, tr := summary(fromDir.Files[0].Facts.Packages), summary(fromTar.Files[0].Facts.Packages)
	if len(d) != 14 || !slices.Equal(d, tr) {
		t.Errorf("dir %v\ntar %v", d, tr)
	}
}
