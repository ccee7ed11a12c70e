package layer

import (
	"bufio"
	"context"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shipshape-dev/shipshape/internal/analyzer"
	"github.com/shipshape-dev/shipshape/internal/analyzer/dpkg"
	"github.com/shipshape-dev/shipshape/internal/inventory"
)

// metadataAnalyzer stands in for a Python analyzer: every dist-info METADATA file is one
// pypi package named after its folder.
type metadataAnalyzer struct{}

func (metadataAnalyzer) Name() string { return "test-metadata" }
func (metadataAnalyzer) Version() int { return 1 }
func (metadataAnalyzer) Claims(p string, _ fs.FileInfo) bool {
	return strings.HasSuffix(p, ".dist-info/METADATA")
}
func (metadataAnalyzer) Analyze(_ context.Context, in analyzer.Input) (analyzer.Facts, error) {
	dir := path.Base(path.Dir(in.Path))
	name, version, _ := strings.Cut(strings.TrimSuffix(dir, ".dist-info"), "-")
	return analyzer.Facts{Packages: []inventory.Package{{Type: inventory.TypePyPI, Name: name, Version: version}}}, nil
}

func writeFile(t testing.TB, root, rel string, data []byte) {
	t.Helper()
	p := filepath.Join(root, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestOSOwnedLanguagePackages: Debian's python3-yaml installs PyYAML's dist-info; the pypi
// package found there is marked as owned by the deb, one installed by pip is not, and
// HideOSOwned reports the deb alone.
func TestOSOwnedLanguagePackages(t *testing.T) {
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join("testdata", "owned", name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	const site = "usr/lib/python3/dist-packages/"
	root := t.TempDir()
	writeFile(t, root, "var/lib/dpkg/status", read("status"))
	var list strings.Builder
	sc := bufio.NewScanner(strings.NewReader(string(read("RECORD"))))
	for sc.Scan() {
		f, _, _ := strings.Cut(sc.Text(), ",")
		list.WriteString("/" + site + f + "\n")
	}
	writeFile(t, root, "var/lib/dpkg/info/python3-yaml:amd64.list", []byte(list.String()))
	writeFile(t, root, site+"PyYAML-6.0.dist-info/METADATA", read("METADATA"))
	// Installed by pip, not by dpkg.
	writeFile(t, root, "usr/local/lib/python3.11/dist-packages/requests-2.31.0.dist-info/METADATA", []byte("Name: requests\n"))

	w := &Walker{Analyzers: analyzer.Set{dpkg.New(), metadataAnalyzer{}}}
	res, err := w.WalkDir(context.Background(), root)
	if err != nil {
		t.Fatal(err)
	}
	inv := Merge([]inventory.Layer{{Index: 0}}, []*Result{res})
	owned := map[string]string{}
	var deb string
	for _, p := range inv.Packages {
		switch p.Type {
		case inventory.TypePyPI:
			owned[p.Name] = p.OwnedBy
		case inventory.TypeDeb:
			deb = p.PURL
		}
	}
	if deb == "" || !strings.HasPrefix(deb, "pkg:deb/debian/python3-yaml@") {
		t.Fatalf("deb package: purl %q", deb)
	}
	tests := []struct{ name, want string }{
		{"PyYAML", deb},
		{"requests", ""},
	}
	for _, tc := range tests {
		got, ok := owned[tc.name]
		if !ok {
			t.Errorf("%s: not found; packages %+v", tc.name, inv.Packages)
		} else if got != tc.want {
			t.Errorf("%s: OwnedBy %q, want %q", tc.name, got, tc.want)
		}
	}
	if n := inv.HideOSOwned(); n != 1 {
		t.Errorf("HideOSOwned removed %d packages, want 1", n)
	}
	for _, p := range inv.Packages {
		if p.Name == "PyYAML" {
			t.Errorf("PyYAML still listed after HideOSOwned")
		}
	}
	if len(inv.Packages) != 2 {
		t.Errorf("after HideOSOwned: %d packages, want the deb and requests", len(inv.Packages))
	}
}
