package gomod

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/shipshape-dev/shipshape/internal/analyzer"
	"github.com/shipshape-dev/shipshape/internal/inventory"
)

func analyze(t *testing.T, file string) analyzer.Facts {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", file))
	if err != nil {
		t.Fatal(err)
	}
	a := New()
	if !a.Claims("src/app/go.mod", nil) {
		t.Fatal("Claims(src/app/go.mod) = false")
	}
	f, err := a.Analyze(context.Background(), analyzer.Input{Path: "src/app/go.mod", Content: bytes.NewReader(data)})
	if err != nil {
		t.Fatalf("Analyze(%s): %v", file, err)
	}
	for _, p := range f.Packages {
		if p.Type != inventory.TypeGolang || !strings.HasPrefix(p.PURL, "pkg:golang/") || p.Dependency == "" {
			t.Errorf("%s: type %q purl %q dependency %q", p.Name, p.Type, p.PURL, p.Dependency)
		}
	}
	return f
}

func summary(pkgs []inventory.Package) []string {
	var out []string
	for _, p := range pkgs {
		out = append(out, p.Name+"@"+p.Version+" "+p.Dependency)
	}
	slices.Sort(out)
	return out
}

// goModEdit is what the go command (`go mod edit -json`) reads from a go.mod: the
// requirements, "// indirect" marks and replacements, turned into the packages the
// analyzer must report.
func goModEdit(t *testing.T, file string) []string {
	t.Helper()
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed: %v", err)
	}
	out, err := exec.Command(goCmd, "mod", "edit", "-json", filepath.Join("testdata", file)).Output()
	if err != nil {
		t.Fatalf("go mod edit -json %s: %v", file, err)
	}
	type mod struct{ Path, Version string }
	var m struct {
		Require []struct {
			mod
			Indirect bool
		}
		Replace []struct{ Old, New mod }
	}
	if err := json.Unmarshal(out, &m); err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, r := range m.Require {
		p, v := r.Path, r.Version
		for _, rep := range m.Replace {
			if rep.Old.Path == p && (rep.Old.Version == "" || rep.Old.Version == v) {
				p, v = rep.New.Path, rep.New.Version
			}
		}
		if v == "" {
			continue
		}
		dep := "direct"
		if r.Indirect {
			dep = "transitive"
		}
		want = append(want, p+"@"+v+" "+dep)
	}
	slices.Sort(want)
	return want
}

func TestFixtures(t *testing.T) {
	for _, tc := range []struct {
		file     string
		n        int
		warnings []string
	}{
		// the govuln-a fixture's go.mod: 3 direct, 13 indirect
		{"govuln-a.go.mod", 16, nil},
		// gin v1.6.0's own go.mod (go 1.13: no indirect requirements listed)
		{"gin-v1.6.0.go.mod", 8, []string{"go.mod declares go 1.13"}},
		// deps.dev/util/resolve: three requirements replaced by sibling folders
		{"deps.dev-util-resolve.go.mod", 9, []string{"deps.dev/util/maven", "deps.dev/util/pypi", "deps.dev/util/semver"}},
		// the gobinary test program: one module replaced by another version, one by a folder
		{"app.go.mod", 1, []string{"example.com/local v0.0.0 is replaced by the folder ./local"}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			f := analyze(t, tc.file)
			got := summary(f.Packages)
			if len(got) != tc.n {
				t.Errorf("%d packages, want %d: %v", len(got), tc.n, got)
			}
			if want := goModEdit(t, tc.file); !slices.Equal(got, want) {
				t.Errorf("packages differ from go mod edit -json\n got %v\n go %v", got, want)
			}
			if len(f.Warnings) != len(tc.warnings) {
				t.Fatalf("warnings %q, want %d", f.Warnings, len(tc.warnings))
			}
			for i, w := range tc.warnings {
				if !strings.Contains(f.Warnings[i], w) {
					t.Errorf("warning %q lacks %q", f.Warnings[i], w)
				}
			}
		})
	}
	f := analyze(t, "app.go.mod")
	if got := summary(f.Packages); len(got) != 1 || got[0] != "example.com/greet2@v1.1.0 direct" {
		t.Errorf("app.go.mod: %v", got)
	}
}

func TestClaims(t *testing.T) {
	for p, want := range map[string]bool{
		"go.mod":                                true,
		"src/app/go.mod":                        true,
		"root/go/pkg/mod/x.org/y@v1.0.0/go.mod": false,
		"app/vendor/x.org/y/go.mod":             false,
		"app/internal/testdata/go.mod":          false,
		"app/go.sum":                            false,
		"app/go.mod.orig":                       false,
		// The Go toolchain's own source trees.
		"usr/share/go-1.19/test/bench/go1/go.mod": false,
		"usr/lib/go-1.22/src/cmd/go.mod":          false,
		"usr/local/go/src/go.mod":                 false,
		"usr/share/go-tools/go.mod":               true,
	} {
		if got := New().Claims(p, nil); got != want {
			t.Errorf("Claims(%s) = %v", p, got)
		}
	}
}

func TestErrors(t *testing.T) {
	for _, data := range []string{
		"module x\nrequire (\n",
		"module x\nrequire y.org/z not-a-version\n",
		"this is not go.mod\n",
	} {
		if _, _, err := Parse("go.mod", []byte(data)); err == nil {
			t.Errorf("no error for %q", data)
		}
	}
	pkgs, warns, err := Parse("go.mod", nil)
	if err != nil || pkgs != nil || warns != nil {
		t.Errorf("empty file: %v %v %v", pkgs, warns, err)
	}
}

func FuzzParse(f *testing.F) {
	for _, name := range []string{"govuln-a.go.mod", "app.go.mod", "gin-v1.6.0.go.mod"} {
		data, err := os.ReadFile("testdata/" + name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		pkgs, _, err := Parse("go.mod", data)
		if err != nil {
			return
		}
		for _, p := range pkgs {
			if p.Type != inventory.TypeGolang || p.Name == "" || p.Version == "" || p.PURL == "" {
				t.Fatalf("bad package %+v", p)
			}
		}
	})
}
