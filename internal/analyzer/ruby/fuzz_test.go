package ruby

import (
	"testing"

	"github.com/shipshape-dev/shipshape/internal/inventory"
)

func check(t *testing.T, pkgs []inventory.Package) {
	t.Helper()
	for _, p := range pkgs {
		if !validName(p.Name) || !validVersion(p.Version) || p.Type != inventory.TypeGem || p.PURL == "" {
			t.Fatalf("bad package %+v", p)
		}
	}
}

// The seed corpora in testdata/fuzz hold the fixtures of testdata/ and broken variants.

func FuzzGemspec(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ParseGemspec(data)
		if err == nil {
			check(t, []inventory.Package{p})
		}
	})
}

func FuzzGemfileLock(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		pkgs, _, err := ParseGemfileLock(data)
		if err == nil {
			check(t, pkgs)
		}
	})
}
