package gobinary

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shipshape-dev/shipshape/internal/analyzer"
	"github.com/shipshape-dev/shipshape/internal/inventory"
)

func analyzeFile(t *testing.T, file string) analyzer.Facts {
	t.Helper()
	st, err := os.Stat(file)
	if err != nil {
		t.Fatal(err)
	}
	a := New()
	if !a.Claims("usr/local/bin/"+filepath.Base(file), st) {
		t.Fatalf("Claims(%s, mode %v, %d bytes) = false", file, st.Mode(), st.Size())
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	f, err := a.Analyze(context.Background(), analyzer.Input{Path: "usr/local/bin/x", Info: st, Content: bytes.NewReader(data)})
	if err != nil {
		t.Fatalf("Analyze(%s): %v", file, err)
	}
	for _, p := range f.Packages {
		if p.Type != inventory.TypeGolang || p.PURL != PURL(p.Name, p.Version) || !strings.HasPrefix(p.PURL, "pkg:golang/") {
			t.Errorf("%s: type %q purl %q", p.Name, p.Type, p.PURL)
		}
	}
	return f
}

func summary(pkgs []inventory.Package) []string {
	var out []string
	for _, p := range pkgs {
		out = append(out, p.Name+"@"+p.Version)
	}
	slices.Sort(out)
	return out
}

// goVersionM is what the go command itself (`go version -m`) says a binary holds, turned
// into the packages the analyzer must report: replacements applied, folder replacements
// and "(devel)" main modules left out, the toolchain as stdlib.
func goVersionM(t *testing.T, goCmd, file string) []string {
	t.Helper()
	out, err := exec.Command(goCmd, "version", "-m", file).CombinedOutput()
	if err != nil {
		t.Fatalf("%s version -m %s: %v\n%s", goCmd, file, err, out)
	}
	var pkgs []string
	lines := strings.Split(string(out), "\n")
	first := strings.Fields(strings.TrimPrefix(lines[0], file+":"))
	if len(first) == 0 {
		t.Fatalf("go version -m %s: no Go version in %q", file, lines[0])
	}
	for i, l := range lines[1:] {
		f := strings.Split(strings.TrimSpace(l), "\t")
		if len(f) < 3 || (f[0] != "dep" && f[0] != "mod") {
			continue
		}
		path, version := f[1], f[2]
		if next := lines[i+2]; strings.HasPrefix(strings.TrimSpace(next), "=>") {
			r := strings.Split(strings.TrimSpace(next), "\t")
			path, version = r[1], r[2]
		}
		if version == "(devel)" || version == "" {
			continue
		}
		pkgs = append(pkgs, path+"@"+version)
	}
	std, ok := StdlibVersion(first[0])
	if !ok {
		t.Fatalf("go version -m %s: Go version %q", file, first[0])
	}
	pkgs = append(pkgs, "stdlib@"+std)
	slices.Sort(pkgs)
	return pkgs
}

// TestFixture reads the shared govuln-a binary (gin 1.6.0, x/net 0.7.0, x/text 0.7.0,
// built with go1.26.8): its modules are those of its go.mod (testdata/govuln-a-src) and
// what `go version -m` lists.
func TestFixture(t *testing.T) {
	const bin = "testdata/govuln-a.go1.26.8"
	f := analyzeFile(t, bin)
	got := summary(f.Packages)
	want := []string{
		"github.com/gin-contrib/sse@v0.1.0", "github.com/gin-gonic/gin@v1.6.0",
		"github.com/go-playground/locales@v0.13.0", "github.com/go-playground/universal-translator@v0.17.0",
		"github.com/go-playground/validator/v10@v10.2.0", "github.com/golang/protobuf@v1.3.3",
		"github.com/leodido/go-urn@v1.2.0", "github.com/mattn/go-isatty@v0.0.12",
		"github.com/ugorji/go/codec@v1.1.7", "golang.org/x/net@v0.7.0", "golang.org/x/sys@v0.5.0",
		"golang.org/x/text@v0.7.0", "gopkg.in/yaml.v2@v2.2.8", "stdlib@v1.26.8",
	}
	if !slices.Equal(got, want) {
		t.Errorf("packages\n got %v\nwant %v", got, want)
	}
	if gv := goVersionM(t, goCommand(t), bin); !slices.Equal(got, gv) {
		t.Errorf("packages differ from go version -m\n got %v\n go %v", got, gv)
	}
	if len(f.Warnings) != 0 {
		t.Errorf("warnings %v", f.Warnings)
	}
	for _, p := range f.Packages {
		if p.Name == "github.com/go-playground/validator/v10" && p.PURL != "pkg:golang/github.com/go-playground/validator/v10@v10.2.0" {
			t.Errorf("purl %s", p.PURL)
		}
		if p.Name == "stdlib" && p.PURL != "pkg:golang/stdlib@v1.26.8" {
			t.Errorf("purl %s", p.PURL)
		}
		if p.Platform != "linux/amd64" {
			t.Errorf("%s: platform %q", p.Name, p.Platform)
		}
	}
}

func goCommand(t *testing.T) string {
	t.Helper()
	g, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to build test programs: %v", err)
	}
	return g
}

var buildMu sync.Mutex

// build compiles testdata/app (whose dependencies are vendored, so no network is needed)
// with the given go command, environment and flags.
func build(t *testing.T, goCmd, out string, env []string, args ...string) {
	t.Helper()
	buildMu.Lock() // two cores: one build at a time
	defer buildMu.Unlock()
	start := time.Now()
	cmd := exec.Command(goCmd, append(append([]string{"build", "-mod=vendor", "-trimpath", "-o", out}, args...), ".")...)
	cmd.Dir = "testdata/app"
	cmd.Env = append(append(os.Environ(), "GOFLAGS=", "GOTOOLCHAIN=local", "GOWORK=off"), env...)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %v %v: %v\n%s", env, args, err, b)
	}
	t.Logf("built %s in %v", filepath.Base(out), time.Since(start).Round(time.Millisecond))
}

// TestBuiltVariants builds the same program as a plain, a stripped, a PIE, an externally
// linked ELF, a PE and a Mach-O executable. Each must give the replacement module
// (example.com/greet2 v1.1.0 for example.com/greet), leave out the folder replacement with
// a warning, and report the toolchain as stdlib, as `go version -m` does.
func TestBuiltVariants(t *testing.T) {
	goCmd := goCommand(t)
	dir := t.TempDir()
	variants := []struct {
		name     string
		env      []string
		args     []string
		format   string
		platform string
	}{
		{"plain", []string{"CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64"}, nil, FormatELF, "linux/amd64"},
		{"stripped", []string{"CGO_ENABLED=0", "GOOS=linux", "GOARCH=arm64"}, []string{"-ldflags=-s -w"}, FormatELF, "linux/arm64"},
		{"pie", nil, []string{"-buildmode=pie", "-ldflags=-s -w"}, FormatELF, runtime.GOOS + "/" + runtime.GOARCH},
		{"windows.exe", []string{"GOOS=windows", "GOARCH=amd64"}, []string{"-ldflags=-s -w"}, FormatPE, "windows/amd64"},
		{"darwin", []string{"GOOS=darwin", "GOARCH=arm64"}, []string{"-ldflags=-s -w"}, FormatMachO, "darwin/arm64"},
	}
	if _, err := exec.LookPath("cc"); err == nil {
		variants = append(variants, struct {
			name     string
			env      []string
			args     []string
			format   string
			platform string
		}{"external", []string{"CGO_ENABLED=1"}, []string{"-ldflags=-linkmode=external"}, FormatELF, runtime.GOOS + "/" + runtime.GOARCH})
	}
	for _, v := range variants {
		t.Run(v.name, func(t *testing.T) {
			out := filepath.Join(dir, "app-"+v.name)
			build(t, goCmd, out, v.env, v.args...)
			head := make([]byte, 4)
			fh, err := os.Open(out)
			if err != nil {
				t.Fatal(err)
			}
			_, _ = fh.Read(head)
			fh.Close()
			if got := Format(head); got != v.format {
				t.Errorf("Format = %q, want %q", got, v.format)
			}
			f := analyzeFile(t, out)
			got := summary(f.Packages)
			if len(got) != 2 || got[0] != "example.com/greet2@v1.1.0" || !strings.HasPrefix(got[1], "stdlib@v1.") {
				t.Errorf("packages %v, want example.com/greet2@v1.1.0 and stdlib", got)
			}
			if gv := goVersionM(t, goCmd, out); !slices.Equal(got, gv) {
				t.Errorf("packages differ from go version -m\n got %v\n go %v", got, gv)
			}
			for _, p := range f.Packages {
				if p.Platform != v.platform {
					t.Errorf("%s: platform %q, want %q", p.Name, p.Platform, v.platform)
				}
			}
			if len(f.Warnings) != 1 || !strings.Contains(f.Warnings[0], "example.com/local v0.0.0 is replaced by the folder ./local") {
				t.Errorf("warnings %q", f.Warnings)
			}
		})
	}
}

// TestOldToolchain builds the program with Debian's golang-1.19-go when it is installed
// (scripts/govulncheck-compare installs it), for a stdlib version the Go vulnerability
// database has many entries for.
func TestOldToolchain(t *testing.T) {
	const go119 = "/usr/lib/go-1.19/bin/go"
	if _, err := os.Stat(go119); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("Debian's golang-1.19-go is not installed (%v); .ci/run installs it", err)
		}
		t.Skipf("Debian's golang-1.19-go is not installed (%v)", err)
	}
	out := filepath.Join(t.TempDir(), "app-go1.19")
	build(t, go119, out, []string{"CGO_ENABLED=0", "GOROOT=/usr/lib/go-1.19"})
	f := analyzeFile(t, out)
	got := summary(f.Packages)
	if gv := goVersionM(t, go119, out); !slices.Equal(got, gv) {
		t.Errorf("packages differ from go version -m\n got %v\n go %v", got, gv)
	}
	if !slices.Contains(got, "example.com/greet2@v1.1.0") || !strings.HasPrefix(got[len(got)-1], "stdlib@v1.19.") {
		t.Errorf("packages %v", got)
	}
}

// TestNotGo: files that are not Go programs give nothing and no warning.
func TestNotGo(t *testing.T) {
	cases := map[string][]byte{
		"script":    []byte("#!/bin/sh\necho hi\n"),
		"empty ELF": []byte("\x7fELF"),
		"short":     []byte("MZ"),
	}
	// A real ELF program that is not Go, built here by the C compiler.
	if cc, err := exec.LookPath("cc"); err == nil {
		dir := t.TempDir()
		src := filepath.Join(dir, "hello.c")
		if err := os.WriteFile(src, []byte("int main(void) { return 0; }\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command(cc, "-o", filepath.Join(dir, "hello"), src).CombinedOutput(); err != nil {
			t.Fatalf("cc: %v\n%s", err, out)
		}
		data, err := os.ReadFile(filepath.Join(dir, "hello"))
		if err != nil {
			t.Fatal(err)
		}
		cases["c"] = data
	}
	for name, data := range cases {
		pkgs, warns, err := Parse(bytes.NewReader(data))
		if pkgs != nil || warns != nil {
			t.Errorf("%s: %v %v", name, pkgs, warns)
		}
		if err == nil {
			t.Errorf("%s: no error", name)
		}
		f, err := New().Analyze(context.Background(), analyzer.Input{Path: "bin/" + name, Content: bytes.NewReader(data)})
		if err != nil || !f.Empty() {
			t.Errorf("%s: Analyze = %+v, %v", name, f, err)
		}
	}
}

// TestTruncated: a Go binary cut short is an error or nothing, never a panic.
func TestTruncated(t *testing.T) {
	data, err := os.ReadFile("testdata/govuln-a.go1.26.8")
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{64, 4096, len(data) / 3, len(data) / 2, len(data) - 1} {
		pkgs, _, err := Parse(bytes.NewReader(data[:n]))
		if err == nil && len(pkgs) > 0 {
			// The build information sits early in the data segment, so a file cut after it
			// may still be read; what it gives must then be right.
			if !slices.Contains(summary(pkgs), "stdlib@v1.26.8") {
				t.Errorf("cut at %d: %v", n, summary(pkgs))
			}
		}
	}
}

func TestClaims(t *testing.T) {
	for _, tc := range []struct {
		name string
		mode fs.FileMode
		size int64
		want bool
	}{
		{"app", 0o755, 2 << 20, true},
		{"app", 0o700, 2 << 20, true},
		{"app", 0o644, 2 << 20, false},
		{"app.exe", 0o644, 2 << 20, true},
		{"script", 0o755, 200, false},
		{"dir", fs.ModeDir | 0o755, 2 << 20, false},
		{"link", fs.ModeSymlink | 0o777, 2 << 20, false},
	} {
		if got := New().Claims("usr/bin/"+tc.name, fileInfo{tc.name, tc.mode, tc.size}); got != tc.want {
			t.Errorf("Claims(%s %v %d) = %v", tc.name, tc.mode, tc.size, got)
		}
	}
}

type fileInfo struct {
	name string
	mode fs.FileMode
	size int64
}

func (f fileInfo) Name() string       { return f.name }
func (f fileInfo) Size() int64        { return f.size }
func (f fileInfo) Mode() fs.FileMode  { return f.mode }
func (f fileInfo) ModTime() time.Time { return time.Time{} }
func (f fileInfo) IsDir() bool        { return f.mode.IsDir() }
func (f fileInfo) Sys() any           { return nil }

func TestStdlibVersion(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"go1.19.13", "v1.19.13"},
		{"go1.26.8", "v1.26.8"},
		{"go1.26.8 X:jsonv2", "v1.26.8"},
		{"go1.26.8-X:jsonv2", "v1.26.8"},
		{"go1.19", "v1.19.0"},
		{"go1.21rc2", "v1.21.0-rc.2"},
		{"go1.9beta1", "v1.9.0-beta.1"},
		{"go1.22.0", "v1.22.0"},
		{"devel go1.22-abcdef Tue", ""},
		{"go", ""},
		{"go1", ""},
		{"go1.x", ""},
		{"go1.01", ""},
		{"go1.21rc", ""},
		{"1.19.3", ""},
		{"", ""},
	} {
		got, ok := StdlibVersion(tc.in)
		if got != tc.want || ok != (tc.want != "") {
			t.Errorf("StdlibVersion(%q) = %q, %v; want %q", tc.in, got, ok, tc.want)
		}
	}
}

// TestOwnable: the places where OS packages install Go programs are ones the OS analyzers
// record, so such programs are reported once, as the OS package (Debian's golang-1.19-go
// has its compiler and tools in pkg/tool).
func TestOwnable(t *testing.T) {
	for _, p := range []string{
		"usr/bin/containerd", "usr/sbin/x", "usr/libexec/docker/cli-plugins/docker-compose",
		"usr/lib/go-1.19/bin/go", "usr/lib/go-1.19/pkg/tool/linux_amd64/compile",
	} {
		if !analyzer.Ownable(p) {
			t.Errorf("Ownable(%s) = false", p)
		}
	}
}
