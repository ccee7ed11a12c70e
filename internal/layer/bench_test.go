package layer

import (
	"bytes"
	"context"
	"os"
	"testing"

	"github.com/shipshape-dev/shipshape/internal/analyzer/all"
	"github.com/shipshape-dev/shipshape/internal/imagetest"
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
