package cargo

import (
	"bytes"
	"compress/zlib"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/shipshape-dev/shipshape/internal/analyzer"
	"github.com/shipshape-dev/shipshape/internal/inventory"
)

func analyze(t *testing.T, claimPath, file string) analyzer.Facts {
	t.Helper()
	full := filepath.Join("testdata", file)
	st, err := os.Stat(full)
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(full)
	if err != nil {
		t.Fatal(err)
	}
	a := New()
	if !a.Claims(claimPath, st) {
		t.Fatalf("Claims(%q) = false", claimPath)
	}
	f, err := a.Analyze(context.Background(), analyzer.Input{Path: claimPath, Info: st, Content: bytes.NewReader(data)})
	if err != nil {
		t.Fatalf("Analyze(%s): %v", file, err)
	}
	if len(f.Packages) > 0 && f.PackageType != inventory.TypeCargo {
		t.Errorf("PackageType %q", f.PackageType)
	}
	for _, p := range f.Packages {
		if p.Type != inventory.TypeCargo || p.PURL != "pkg:cargo/"+p.Name+"@"+p.Version {
			t.Errorf("%s: type %q purl %q", p.Name, p.Type, p.PURL)
		}
	}
	return f
}

func summary(pkgs []inventory.Package) []string {
	var out []string
	for _, p := range pkgs {
		s := p.Name + "@" + p.Version
		if p.Dependency != "" {
			s += " " + p.Dependency
		}
		if p.Dev {
			s += " build"
		}
		out = append(out, s)
	}
	return out
}

// The fixture project (testdata/auditable/src) depends on atty, regex (without default
// features), smallvec and time; cargo resolved them against Debian bookworm's packaged
// crates.
var fixtureLock = []string{
	"atty@0.2.14 direct", "libc@0.2.139 transitive", "regex@1.7.1 direct", "regex-syntax@0.6.27 transitive",
	"smallvec@1.9.0 direct", "time@0.1.44 direct", "winapi@0.3.9 transitive",
	"winapi-i686-pc-windows-gnu@0.4.0 transitive", "winapi-x86_64-pc-windows-gnu@0.4.0 transitive",
}

// TestLockVersions reads the same dependency graph as cargo wrote it in each lock format:
// v1 (rust-version 1.40: "name version (source)" references, [metadata] checksums), v2
// (rust-version 1.52: no version key), v3 (rust-version 1.70) and v4 (no rust-version).
func TestLockVersions(t *testing.T) {
	for _, file := range []string{"Cargo.v1.lock", "Cargo.v2.lock", "Cargo.v3.lock", "Cargo.v4.lock", "auditable/src/Cargo.lock"} {
		t.Run(file, func(t *testing.T) {
			name := file
			if !strings.HasPrefix(file, "auditable/") {
				name = "lock/" + file
			}
			f := analyze(t, "srv/app/Cargo.lock", name)
			if got := summary(f.Packages); !slices.Equal(got, fixtureLock) {
				t.Errorf("packages\n got %v\nwant %v", got, fixtureLock)
			}
			if len(f.Warnings) != 0 {
				t.Errorf("warnings %v", f.Warnings)
			}
		})
	}
}

// TestWorkspaceLock: a two-member workspace (app, corelib) with a git dependency; the
// members are not reported, what either depends on is direct.
func TestWorkspaceLock(t *testing.T) {
	f := analyze(t, "Cargo.lock", "lock/Cargo.workspace.lock")
	want := []string{
		"libc@0.2.139 transitive", "shipshape-git-dep@0.3.0 direct", "smallvec@1.9.0 direct", "time@0.1.44 direct",
		"winapi@0.3.9 transitive", "winapi-i686-pc-windows-gnu@0.4.0 transitive", "winapi-x86_64-pc-windows-gnu@0.4.0 transitive",
	}
	if got := summary(f.Packages); !slices.Equal(got, want) {
		t.Errorf("packages\n got %v\nwant %v", got, want)
	}
}

func TestLockErrors(t *testing.T) {
	for name, tc := range map[string]struct {
		data    string
		wantErr bool
		want    []string
	}{
		"empty":        {"", false, nil},
		"not toml":     {"[[package]\nname=", true, nil},
		"no packages":  {"version = 3\n", true, nil},
		"future":       {"version = 9\n[[package]]\nname = \"a\"\nversion = \"1.0.0\"\nsource = \"registry+x\"\n", true, nil},
		"wrong type":   {"[[package]]\nname = 1\n", true, nil},
		"bad entry":    {"[[package]]\nname = \"a b\"\nversion = \"1.0.0\"\nsource = \"registry+x\"\n[[package]]\nname = \"ok\"\nversion = \"2.0.0\"\nsource = \"registry+x\"\n", false, []string{"ok@2.0.0"}},
		"no local":     {"[[package]]\nname = \"a\"\nversion = \"1.0.0\"\nsource = \"registry+x\"\n", false, []string{"a@1.0.0"}},
		"ambiguous v2": {"[[package]]\nname = \"r\"\nversion = \"0.1.0\"\ndependencies = [\"a 1.0.0\"]\n[[package]]\nname = \"a\"\nversion = \"1.0.0\"\nsource = \"registry+x\"\n[[package]]\nname = \"a\"\nversion = \"2.0.0\"\nsource = \"registry+x\"\n", false, []string{"a@1.0.0 direct", "a@2.0.0 transitive"}},
	} {
		pkgs, _, err := ParseLock([]byte(tc.data))
		if (err != nil) != tc.wantErr {
			t.Errorf("%s: err %v", name, err)
		}
		if got := summary(pkgs); !slices.Equal(got, tc.want) {
			t.Errorf("%s: %v, want %v", name, got, tc.want)
		}
	}
}

// TestAuditableBinary reads the .dep-v0 section of the fixture program: the crates
// linked into it for x86_64 Linux (not the Windows-only winapi crates the lock file has).
func TestAuditableBinary(t *testing.T) {
	f := analyze(t, "usr/local/bin/shipshape-rust-fixture", "auditable/shipshape-rust-fixture")
	want := []string{
		"atty@0.2.14 direct", "libc@0.2.139 transitive", "regex@1.7.1 direct", "regex-syntax@0.6.27 transitive",
		"smallvec@1.9.0 direct", "time@0.1.44 direct",
	}
	if got := summary(f.Packages); !slices.Equal(got, want) {
		t.Errorf("packages\n got %v\nwant %v", got, want)
	}
}

// TestNoAuditData: programs without the section, scripts and Go programs give nothing.
func TestNoAuditData(t *testing.T) {
	goBin, err := os.ReadFile("../gobinary/testdata/govuln-a.go1.26.8")
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{
		"go program": goBin,
		"script":     []byte("#!/bin/sh\nexit 0\n"),
		"short ELF":  []byte("\x7fELF\x02\x01\x01"),
	} {
		f, err := New().Analyze(context.Background(), analyzer.Input{Path: "bin/x", Content: bytes.NewReader(data)})
		if err != nil || !f.Empty() {
			t.Errorf("%s: %+v, %v", name, f, err)
		}
	}
}

func deflate(t testing.TB, s string) []byte {
	t.Helper()
	var b bytes.Buffer
	w := zlib.NewWriter(&b)
	if _, err := w.Write([]byte(s)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestAuditJSON(t *testing.T) {
	for name, tc := range map[string]struct {
		json    string
		wantErr bool
		want    []string
	}{
		"build kind and git": {`{"format":1,"packages":[{"name":"app","version":"0.1.0","source":"local","dependencies":[1,2],"root":true},{"name":"serde","version":"1.0.1","source":"crates.io","dependencies":[3]},{"name":"mine","version":"0.1.0","source":"git"},{"name":"proc-macro2","version":"1.0.0","source":"crates.io","kind":"build"},{"name":"lib","version":"0.1.0","source":"local"}]}`,
			false, []string{"mine@0.1.0 direct", "proc-macro2@1.0.0 transitive build", "serde@1.0.1 direct"}},
		"other source":   {`{"packages":[{"name":"x","version":"1.0.0","source":{"Other":"svn"}}]}`, false, []string{"x@1.0.0"}},
		"bad index":      {`{"packages":[{"name":"r","version":"1.0.0","source":"local","root":true,"dependencies":[7,-1]}]}`, false, nil},
		"no packages":    {`{"format":1}`, true, nil},
		"not json":       {`{"packages":[`, true, nil},
		"wrong type":     {`{"packages":{}}`, true, nil},
		"invalid crates": {`{"packages":[{"name":"","version":"1.0.0","source":"crates.io"},{"name":"a","version":"","source":"crates.io"}]}`, false, nil},
	} {
		pkgs, _, err := ParseAuditJSON([]byte(tc.json))
		if (err != nil) != tc.wantErr {
			t.Errorf("%s: err %v", name, err)
		}
		if got := summary(pkgs); !slices.Equal(got, tc.want) {
			t.Errorf("%s: %v, want %v", name, got, tc.want)
		}
	}
	// A zlib bomb is refused, not expanded.
	if _, err := inflate(deflate(t, strings.Repeat(" ", maxJSONSize+10))); err == nil {
		t.Error("inflate accepted more than maxJSONSize")
	}
}

func TestClaims(t *testing.T) {
	st, err := os.Stat("testdata/auditable/shipshape-rust-fixture")
	if err != nil {
		t.Fatal(err)
	}
	lock, err := os.Stat("testdata/lock/Cargo.v4.lock")
	if err != nil {
		t.Fatal(err)
	}
	a := New()
	for _, tc := range []struct {
		path string
		info os.FileInfo
		want bool
	}{
		{"app/Cargo.lock", lock, true},
		{"app/Cargo.lock.orig", lock, false},
		{"usr/bin/tool", st, true},
		{"usr/share/doc/x.lock", lock, false},
	} {
		if got := a.Claims(tc.path, tc.info); got != tc.want {
			t.Errorf("Claims(%s) = %v", tc.path, got)
		}
	}
}
