package composer

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shipshape-dev/shipshape/internal/analyzer"
	"github.com/shipshape-dev/shipshape/internal/inventory"
)

type want struct {
	name, version string
	dev           bool
}

var prod = []want{
	{"guzzlehttp/guzzle", "7.4.0", false},
	{"guzzlehttp/promises", "1.5.1", false},
	{"guzzlehttp/psr7", "2.1.0", false},
	{"monolog/monolog", "2.3.5", false},
	{"psr/http-client", "1.0.1", false},
	{"psr/http-factory", "1.0.1", false},
	{"psr/http-message", "1.0.1", false},
	{"psr/log", "1.1.4", false},
	{"ralouphie/getallheaders", "3.0.3", false},
	{"symfony/deprecation-contracts", "v2.5.0", false},
}

var all = append(append([]want(nil), prod...),
	want{"symfony/polyfill-mbstring", "v1.23.1", true},
	want{"symfony/var-dumper", "v5.4.0", true},
)

func TestAnalyze(t *testing.T) {
	tests := []struct {
		file, path string
		want       []want
	}{
		{"composer.lock", "var/www/composer.lock", all},
		{"installed-v2.json", "var/www/vendor/composer/installed.json", all},
		{"installed-v1.json", "vendor/composer/installed.json", prod},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			a := New()
			if !a.Claims(tt.path, nil) {
				t.Fatalf("Claims(%q) = false", tt.path)
			}
			f, err := a.Analyze(context.Background(), analyzer.Input{Path: tt.path, Content: bytes.NewReader(data)})
			if err != nil {
				t.Fatal(err)
			}
			if len(f.Packages) != len(tt.want) || len(f.Warnings) != 0 {
				t.Fatalf("got %d packages (warnings %v), want %d", len(f.Packages), f.Warnings, len(tt.want))
			}
			for i, p := range f.Packages {
				w := tt.want[i]
				if p.Name != w.name || p.Version != w.version || p.Dev != w.dev || p.Type != inventory.TypeComposer || p.Dependency != "" {
					t.Errorf("package %d = %+v, want %+v", i, p, w)
				}
				if exp := "pkg:composer/" + w.name + "@" + w.version; p.PURL != exp {
					t.Errorf("purl %q, want %q", p.PURL, exp)
				}
			}
		})
	}
}

func TestClaims(t *testing.T) {
	for p, w := range map[string]bool{
		"composer.lock":                         true,
		"app/composer.lock":                     true,
		"app/vendor/composer/installed.json":    true,
		"vendor/composer/installed.json":        true,
		"app/composer.json":                     false,
		"app/installed.json":                    false,
		"app/vendor/composer/installed.php":     false,
		"app/myvendor/composer/installed.json":  false,
		"app/vendor/composer/installed.json.gz": false,
		// A package's own lock file inside an installed vendor tree.
		"app/vendor/guzzlehttp/guzzle/composer.lock": false,
		"vendor/monolog/monolog/composer.lock":       false,
	} {
		if g := New().Claims(p, nil); g != w {
			t.Errorf("Claims(%q) = %v, want %v", p, g, w)
		}
	}
}

func TestBroken(t *testing.T) {
	for _, p := range []string{"composer.lock", "vendor/composer/installed.json"} {
		_, err := New().Analyze(context.Background(), analyzer.Input{Path: p, Content: strings.NewReader("{nope")})
		if err == nil || !strings.Contains(err.Error(), p) {
			t.Errorf("%s: error %v should name the file", p, err)
		}
	}
	pkgs, warnings, err := ParseLock([]byte(`{"packages":[{"name":"a/b"},{"name":"c/d","version":"1.0.0"},3]}`))
	if err != nil || len(pkgs) != 1 || len(warnings) != 2 {
		t.Errorf("got %v %v %v", pkgs, warnings, err)
	}
}

func FuzzComposerLock(f *testing.F) {
	f.Add([]byte(`{"packages":[{"name":"a/b","version":"1.0.0"}],"packages-dev":[]}`))
	f.Fuzz(func(t *testing.T, data []byte) { _, _, _ = ParseLock(data) })
}

func FuzzInstalledJSON(f *testing.F) {
	f.Add([]byte(`{"packages":[{"name":"a/b","version":"1.0.0"}],"dev-package-names":["a/b"]}`))
	f.Add([]byte(`[{"name":"a/b","version":"1.0.0"}]`))
	f.Fuzz(func(t *testing.T, data []byte) { _, _, _ = ParseInstalled(data) })
}
