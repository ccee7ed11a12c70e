package layer

import (
	"bytes"
	"context"
	"testing"

	"github.com/shipshape-dev/shipshape/internal/analyzer"
	"github.com/shipshape-dev/shipshape/internal/imagetest"
)

func FuzzWalkTar(f *testing.F) {
	seed, _ := imagetest.TarBytes([]imagetest.File{
		{Name: "pkgdb/a", Body: "a 1\nb 2\n"},
		{Name: "pkgdb/.wh.b"},
		{Name: "x/.wh..wh..opq"},
	})
	f.Add(seed)
	f.Add(gz(f, seed))
	f.Add([]byte{0x1f, 0x8b, 0x08, 0x00})
	f.Add([]byte{0x28, 0xb5, 0x2f, 0xfd, 0x00})
	f.Fuzz(func(t *testing.T, data []byte) {
		w := &Walker{Analyzers: analyzer.Set{&linesAnalyzer{}}, Limits: Limits{MaxLayerSize: 64 << 20, MaxFileSize: 1 << 20}}
		res, _ := w.WalkTar(context.Background(), bytes.NewReader(data))
		if res == nil {
			t.Fatal("nil result")
		}
		for _, f := range res.Files {
			if _, ok := CleanPath(f.Path); !ok || bytes.HasPrefix([]byte(f.Path), []byte("/")) {
				t.Fatalf("unclean path %q", f.Path)
			}
		}
		Merge(nil, []*Result{res})
	})
}
