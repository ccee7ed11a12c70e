package npm

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/shipshape-dev/shipshape/internal/analyzer"
	"github.com/shipshape-dev/shipshape/internal/inventory"
)

type want struct {
	name, version, dep string
	dev                bool
}

var threePackages = []want{
	{"axios", "0.21.0", "", false},
	{"follow-redirects", "1.16.3", "", false},
	{"lodash", "4.17.15", "", false},
	{"minimist", "1.2.0", "", false},
}

func withDeps(ws []want, direct map[string]bool) []want {
	out := make([]want, len(ws))
	for i, w := range ws {
		w.dep = inventory.DependencyTransitive
		if direct[w.name] {
			w.dep = inventory.DependencyDirect
		}
		out[i] = w
	}
	return out
}

func got(pkgs []inventory.Package) []want {
	var out []want
	for _, p := range pkgs {
		out = append(out, want{p.Name, p.Version, p.Dependency, p.Dev})
	}
	return out
}

func analyze(t *testing.T, path string, data []byte) analyzer.Facts {
	t.Helper()
	a := New()
	if !a.Claims(path, nil) {
		t.Fatalf("Claims(%q) = false", path)
	}
	f, err := a.Analyze(context.Background(), analyzer.Input{Path: path, Content: bytes.NewReader(data)})
	if err != nil {
		t.Fatalf("Analyze(%s): %v", path, err)
	}
	for _, p := range f.Packages {
		if p.Type != inventory.TypeNpm || p.PURL != "pkg:npm/"+p.Name+"@"+p.Version {
			t.Errorf("%s: bad type or purl %+v", path, p)
		}
	}
	return f
}

func read(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestPackageLockV3Real compares the analyzer with an independent generic reading of the
// real lock file.
func TestPackageLockV3Real(t *testing.T) {
	data := read(t, "package-lock-v3.json")
	var raw map[string]any
	if err := json.Unmarshal(data, &raw); err != nil {
		t.Fatal(err)
	}
	pk := raw["packages"].(map[string]any)
	rootDeps := pk[""].(map[string]any)["dependencies"].(map[string]any)
	var exp []want
	for k, v := range pk {
		if k == "" {
			continue
		}
		name := strings.TrimPrefix(k, "node_modules/")
		e := v.(map[string]any)
		dev, _ := e["dev"].(bool)
		dep := inventory.DependencyTransitive
		if _, ok := rootDeps[name]; ok {
			dep = inventory.DependencyDirect
		}
		exp = append(exp, want{name, e["version"].(string), dep, dev})
	}
	sort.Slice(exp, func(i, j int) bool { return exp[i].name < exp[j].name })
	f := analyze(t, "app/package-lock.json", data)
	if g := got(f.Packages); !equal(g, exp) {
		t.Errorf("got %v\nwant %v", g, exp)
	}
	if len(exp) != 4 {
		t.Errorf("independent reading found %d packages, want 4", len(exp))
	}
}

func equal(a, b []want) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestLockFiles(t *testing.T) {
	direct := map[string]bool{"axios": true, "lodash": true, "minimist": true}
	v1 := append([]want(nil), threePackages...)
	v1[3].dev = true
	tests := []struct {
		file, path string
		want       []want
	}{
		{"package-lock-v1.json", "srv/package-lock.json", v1},
		{"yarn-v1.lock", "srv/yarn.lock", threePackages},
		{"yarn-berry.lock", "yarn.lock", threePackages},
		{"pnpm-v5.yaml", "x/pnpm-lock.yaml", withDeps(threePackages, direct)},
		{"pnpm-v6.yaml", "x/pnpm-lock.yaml", withDeps(threePackages, direct)},
		{"pnpm-v9.yaml", "pnpm-lock.yaml", withDeps(threePackages, direct)},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			f := analyze(t, tt.path, read(t, tt.file))
			if g := got(f.Packages); !equal(g, tt.want) {
				t.Errorf("got %v\nwant %v", g, tt.want)
			}
			if len(f.Warnings) != 0 {
				t.Errorf("warnings: %v", f.Warnings)
			}
		})
	}
}

func TestInstalledManifests(t *testing.T) {
	for _, w := range threePackages {
		data := read(t, "node_modules/"+w.name+"/package.json")
		var raw struct{ Name, Version string }
		if err := json.Unmarshal(data, &raw); err != nil {
			t.Fatal(err)
		}
		f := analyze(t, "usr/lib/app/node_modules/"+w.name+"/package.json", data)
		if len(f.Packages) != 1 || f.Packages[0].Name != raw.Name || f.Packages[0].Version != raw.Version || raw.Version != w.version {
			t.Errorf("%s: got %+v, want %s@%s", w.name, f.Packages, raw.Name, raw.Version)
		}
	}
}

func TestClaims(t *testing.T) {
	tests := map[string]bool{
		"app/package-lock.json":                         true,
		"yarn.lock":                                     true,
		"a/pnpm-lock.yaml":                              true,
		"app/node_modules/lodash/package.json":          true,
		"app/node_modules/@babel/core/package.json":     true,
		"node_modules/a/node_modules/b/package.json":    true,
		"app/package.json":                              false,
		"app/node_modules/lodash/fp/package.json":       false,
		"app/node_modules/@babel/package.json":          false,
		"app/node_modules/.package-lock.json/x":         false,
		"app/node_modules/lodash/package.json.bak":      false,
		"app/node_modules/@babel/core/lib/package.json": false,
		// Lock files of installed packages: Ruby 3.1's typeprof gem, a module's own lock,
		// Python and doc folders.
		"usr/lib/ruby/gems/3.1.0/gems/typeprof-0.21.3/vscode/package-lock.json": false,
		"app/node_modules/left-pad/package-lock.json":                           false,
		"usr/lib/python3/dist-packages/x/yarn.lock":                             false,
		"usr/share/doc/node-foo/examples/pnpm-lock.yaml":                        false,
		"srv/gems/app/package-lock.json":                                        true, // a folder named gems is not a gem
		"usr/share/nodejs/nanoid/pnpm-lock.yaml":                                false,
		"usr/share/go-1.19/misc/wasm/package-lock.json":                         false,
	}
	for p, w := range tests {
		if g := New().Claims(p, nil); g != w {
			t.Errorf("Claims(%q) = %v, want %v", p, g, w)
		}
	}
}

func TestPURLScoped(t *testing.T) {
	if g, w := PURL("@babel/core", "7.1.0"), "pkg:npm/%40babel/core@7.1.0"; g != w {
		t.Errorf("PURL = %q, want %q", g, w)
	}
	if g, w := PURL("lodash", "4.17.15"), "pkg:npm/lodash@4.17.15"; g != w {
		t.Errorf("PURL = %q, want %q", g, w)
	}
}

func TestEdgeCases(t *testing.T) {
	// scoped names, peer suffixes, aliases, workspace entries, broken input
	pnpm6 := "lockfileVersion: '6.0'\ndevDependencies:\n  '@types/node':\n    specifier: ^20\n    version: 20.1.0\npackages:\n  /@types/node@20.1.0:\n    dev: true\n  /react-dom@18.2.0(react@18.2.0):\n    dev: false\n"
	pkgs, _, err := ParsePnpmLock([]byte(pnpm6))
	if err != nil {
		t.Fatal(err)
	}
	w := []want{{"@types/node", "20.1.0", "direct", true}, {"react-dom", "18.2.0", "transitive", false}}
	if g := got(pkgs); !equal(g, w) {
		t.Errorf("pnpm6 got %v want %v", g, w)
	}
	pnpm5 := "lockfileVersion: 5.3\npackages:\n  /@babel/core/7.1.0_react@17.0.0:\n    dev: true\n"
	pkgs, _, _ = ParsePnpmLock([]byte(pnpm5))
	if g := got(pkgs); !equal(g, []want{{"@babel/core", "7.1.0", "transitive", true}}) {
		t.Errorf("pnpm5 got %v", g)
	}
	yarn := "# yarn lockfile v1\n\n\"@babel/core@^7.0.0\", \"@babel/core@^7.1.0\":\n  version \"7.1.0\"\n  dependencies:\n    version \"9\"\n"
	pkgs, _, _ = ParseYarnLock([]byte(yarn))
	if g := got(pkgs); !equal(g, []want{{"@babel/core", "7.1.0", "", false}}) {
		t.Errorf("yarn got %v", g)
	}
	berry := "__metadata:\n  version: 6\n\n\"@babel/core@npm:^7.0.0, @babel/core@npm:^7.1.0\":\n  version: 7.1.0\n  resolution: \"@babel/core@npm:7.1.0\"\n\n\"resolve@patch:resolve@npm%3A1.22.1#~builtin<compat/resolve>\":\n  version: 1.22.1\n  resolution: \"resolve@patch:resolve@npm%3A1.22.1#~builtin<compat/resolve>::version=1.22.1&hash=c3c19d\"\n"
	pkgs, _, _ = ParseYarnLock([]byte(berry))
	if g := got(pkgs); !equal(g, []want{{"@babel/core", "7.1.0", "", false}}) {
		t.Errorf("berry got %v", g)
	}
	lock := `{"lockfileVersion":3,"packages":{"":{"devDependencies":{"jest":"29"}},"node_modules/jest":{"version":"29.0.0","dev":true},"node_modules/a/node_modules/jest":{"version":"28.0.0","dev":true},"packages/w":{"version":"1.0.0"},"node_modules/w":{"resolved":"packages/w","link":true}}}`
	pkgs, _, _ = ParsePackageLock([]byte(lock))
	w = []want{{"jest", "28.0.0", "transitive", true}, {"jest", "29.0.0", "direct", true}}
	if g := got(pkgs); !equal(g, w) {
		t.Errorf("lock got %v want %v", g, w)
	}
	for _, bad := range []string{"app/package-lock.json", "app/pnpm-lock.yaml", "app/yarn.lock"} {
		_, err := New().Analyze(context.Background(), analyzer.Input{Path: bad, Content: strings.NewReader("{{{not: [valid")})
		if err == nil || !strings.Contains(err.Error(), bad) {
			t.Errorf("%s: error %v should name the file", bad, err)
		}
	}
}

func FuzzPackageLock(f *testing.F) {
	f.Add([]byte(`{"lockfileVersion":1,"dependencies":{"a":{"version":"1.0.0"}}}`))
	f.Fuzz(func(t *testing.T, data []byte) { _, _, _ = ParsePackageLock(data) })
}

func FuzzYarnLock(f *testing.F) {
	f.Add([]byte("# yarn lockfile v1\n\na@^1:\n  version \"1.0.0\"\n"))
	f.Fuzz(func(t *testing.T, data []byte) { _, _, _ = ParseYarnLock(data) })
}

func FuzzPnpmLock(f *testing.F) {
	f.Add([]byte("lockfileVersion: 5.4\npackages:\n  /a/1.0.0:\n    dev: false\n"))
	f.Fuzz(func(t *testing.T, data []byte) { _, _, _ = ParsePnpmLock(data) })
}

func FuzzInstalledManifest(f *testing.F) {
	f.Add([]byte(`{"name":"a","version":"1.0.0"}`))
	f.Fuzz(func(t *testing.T, data []byte) { _, _ = ParseInstalledManifest(data) })
}
