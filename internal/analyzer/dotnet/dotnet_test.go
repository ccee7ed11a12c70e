package dotnet

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
	name, version, dep string
	dev                bool
}

const (
	direct     = inventory.DependencyDirect
	transitive = inventory.DependencyTransitive
)

func TestAnalyze(t *testing.T) {
	locked := []want{
		{"Microsoft.AspNetCore.Html.Abstractions", "2.1.1", direct, false},
		{"Newtonsoft.Json", "12.0.1", direct, false},
		{"System.Text.Encodings.Web", "4.5.0", transitive, false},
	}
	tests := []struct {
		file, path string
		want       []want
	}{
		{"WebApp.deps.json", "app/WebApp.deps.json", locked},
		{"packages.lock.json", "src/WebApp/packages.lock.json", locked},
		{"packages.config", "src/Legacy/packages.config", []want{
			{"Microsoft.AspNetCore.Html.Abstractions", "2.1.1", "", false},
			{"Microsoft.CodeAnalysis.FxCopAnalyzers", "2.9.8", "", true},
			{"Newtonsoft.Json", "12.0.1", "", false},
			{"System.Text.Encodings.Web", "4.5.0", "", false},
		}},
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
				t.Fatalf("got %+v (warnings %v), want %v", f.Packages, f.Warnings, tt.want)
			}
			for i, p := range f.Packages {
				w := tt.want[i]
				if p.Name != w.name || p.Version != w.version || p.Dependency != w.dep || p.Dev != w.dev || p.Type != inventory.TypeNuGet {
					t.Errorf("package %d = %+v, want %+v", i, p, w)
				}
				if exp := "pkg:nuget/" + w.name + "@" + w.version; p.PURL != exp {
					t.Errorf("purl %q, want %q", p.PURL, exp)
				}
			}
		})
	}
}

func TestClaims(t *testing.T) {
	for p, w := range map[string]bool{
		"app/WebApp.deps.json":           true,
		"WebApp.deps.json":               true,
		"src/x/packages.lock.json":       true,
		"src/x/packages.config":          true,
		"app/.deps.json":                 false,
		"app/WebApp.runtimeconfig.json":  false,
		"app/package-lock.json":          false,
		"app/WebApp.deps.json.bak":       false,
		"src/x/packages.config.template": false,
	} {
		if g := New().Claims(p, nil); g != w {
			t.Errorf("Claims(%q) = %v, want %v", p, g, w)
		}
	}
}

func TestBroken(t *testing.T) {
	for _, p := range []string{"a.deps.json", "packages.lock.json", "packages.config"} {
		_, err := New().Analyze(context.Background(), analyzer.Input{Path: p, Content: strings.NewReader("<{nope")})
		if err == nil || !strings.Contains(err.Error(), p) {
			t.Errorf("%s: error %v should name the file", p, err)
		}
	}
	// no project entries: Dependency unknown; bad keys warn
	pkgs, warnings, err := ParseDepsJSON([]byte(`{"libraries":{"A/1.0":{"type":"package"},"noversion":{"type":"package"},"R/2":{"type":"reference"}}}`))
	if err != nil || len(pkgs) != 1 || pkgs[0].Dependency != "" || len(warnings) != 1 {
		t.Errorf("got %+v %v %v", pkgs, warnings, err)
	}
}

func FuzzDepsJSON(f *testing.F) {
	f.Add([]byte(`{"targets":{"t":{"P/1":{"type":"project","dependencies":{"A":"1"}}}},"libraries":{"A/1":{"type":"package"}}}`))
	f.Fuzz(func(t *testing.T, data []byte) { _, _, _ = ParseDepsJSON(data) })
}

func FuzzPackagesLock(f *testing.F) {
	f.Add([]byte(`{"version":1,"dependencies":{"net6.0":{"A":{"type":"Direct","resolved":"1.0.0"}}}}`))
	f.Fuzz(func(t *testing.T, data []byte) { _, _, _ = ParsePackagesLock(data) })
}

func FuzzPackagesConfig(f *testing.F) {
	f.Add([]byte(`<packages><package id="A" version="1.0.0" developmentDependency="true"/></packages>`))
	f.Fuzz(func(t *testing.T, data []byte) { _, _, _ = ParsePackagesConfig(data) })
}
