package layer

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/shipshape-dev/shipshape/internal/analyzer"
	"github.com/shipshape-dev/shipshape/internal/analyzer/all"
	"github.com/shipshape-dev/shipshape/internal/imagetest"
	"github.com/shipshape-dev/shipshape/internal/inventory"
)

// BenchmarkWalkTar walks the Alpine 3.19.4 minirootfs layer (gzip, as stored) with the
// default analyzers. SetBytes counts compressed bytes, so MB/s compares with `gzip -dc`.
func BenchmarkWalkTar(b *testing.B) {
	data, err := os.ReadFile(imagetest.AlpineRootfs("3.19.4", "x86_64"))
	if err != nil {
		b.Fatal(err)
	}
	w := &Walker{Analyzers: all.Default()}
	ctx := context.Background()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		res, err := w.WalkTar(ctx, bytes.NewReader(data))
		if err != nil {
			b.Fatal(err)
		}
		if len(res.Files) == 0 {
			b.Fatal("no files claimed")
		}
	}
}

// BenchmarkMergeManyWhiteouts merges a layer of 5,000 claimed files under a layer that
// deletes 3,000 paths (like apt-get purge): the cost must grow with files × path depth, not
// files × whiteouts.
func BenchmarkMergeManyWhiteouts(b *testing.B) {
	low := &Result{}
	for i := range 5000 {
		low.Files = append(low.Files, FileFacts{Path: fmt.Sprintf("usr/share/nodejs/m%d/node_modules/x%d/package.json", i%50, i), Analyzer: "npm",
			Facts: analyzer.Facts{Packages: []inventory.Package{{Type: inventory.TypeNpm, Name: fmt.Sprintf("x%d", i), Version: "1.0.0"}}}})
	}
	high := &Result{}
	for i := range 3000 {
		high.Whiteouts = append(high.Whiteouts, fmt.Sprintf("usr/share/doc/pkg%d", i))
	}
	layers := []inventory.Layer{{Index: 0}, {Index: 1}}
	b.ReportAllocs()
	for b.Loop() {
		inv := Merge(layers, []*Result{low, high})
		if len(inv.Packages) != 5000 {
			b.Fatalf("%d packages", len(inv.Packages))
		}
	}
}
