package python

import (
	"testing"

	"github.com/shipshape-dev/shipshape/internal/inventory"
)

// checkPackages holds for the output of every parser, whatever the input.
func checkPackages(t *testing.T, pkgs []inventory.Package) {
	t.Helper()
	for _, p := range pkgs {
		if !validName(p.Name) || p.Version == "" || p.Type != inventory.TypePyPI || p.PURL == "" {
			t.Fatalf("bad package %+v", p)
		}
	}
}

// The seed corpora in testdata/fuzz hold the fixtures of testdata/ and broken variants.

func FuzzMetadata(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ParseMetadata(data)
		if err == nil {
			checkPackages(t, []inventory.Package{p})
		}
	})
}

func FuzzRequirements(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		pkgs, _, err := ParseRequirements(data)
		if err == nil {
			checkPackages(t, pkgs)
		}
	})
}

func FuzzPoetryLock(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		pkgs, _, err := ParsePoetryLock(data)
		if err == nil {
			checkPackages(t, pkgs)
		}
	})
}

func FuzzPipfileLock(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		pkgs, _, err := ParsePipfileLock(data)
		if err == nil {
			checkPackages(t, pkgs)
		}
	})
}

func FuzzUVLock(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		pkgs, _, err := ParseUVLock(data)
		if err == nil {
			checkPackages(t, pkgs)
		}
	})
}
