package dpkg

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/shipshape-dev/shipshape/internal/analyzer"
	"github.com/shipshape-dev/shipshape/internal/inventory"
)

// fakeInfo is an fs.FileInfo with a chosen mode.
type fakeInfo struct{ mode fs.FileMode }

func (f fakeInfo) Name() string       { return "f" }
func (f fakeInfo) Size() int64        { return 0 }
func (f fakeInfo) Mode() fs.FileMode  { return f.mode }
func (f fakeInfo) ModTime() time.Time { return time.Time{} }
func (f fakeInfo) IsDir() bool        { return f.mode.IsDir() }
func (f fakeInfo) Sys() any           { return nil }

var regular = fakeInfo{mode: 0o644}

func analyze(t testing.TB, path string, data []byte) (analyzer.Facts, error) {
	t.Helper()
	return New().Analyze(context.Background(), analyzer.Input{Path: path, Info: regular, Content: bytes.NewReader(data)})
}

func readFile(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", filepath.FromSlash(name)))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestAnalyzerIdentity(t *testing.T) {
	var a analyzer.Analyzer = New()
	if a.Name() != "dpkg" {
		t.Errorf("Name() = %q, want dpkg", a.Name())
	}
	if a.Version() != 4 {
		t.Errorf("Version() = %d, want 4", a.Version())
	}
}

func TestClaims(t *testing.T) {
	tests := []struct {
		path string
		info fs.FileInfo
		want bool
	}{
		{"var/lib/dpkg/status", regular, true},
		{"var/lib/dpkg/status", nil, true},
		{"var/lib/dpkg/status", fakeInfo{mode: fs.ModeDir | 0o755}, false},
		{"var/lib/dpkg/status", fakeInfo{mode: fs.ModeSymlink | 0o777}, false},
		{"var/lib/dpkg/status-old", regular, false},
		{"var/lib/dpkg/available", regular, false},
		{"/var/lib/dpkg/status", regular, false},
		{"usr/var/lib/dpkg/status", regular, false},
		{"var/lib/dpkg/status.d/base-files", regular, true},
		{"var/lib/dpkg/status.d/libc6", regular, true},
		{"var/lib/dpkg/status.d/libssl3", regular, true},
		{"var/lib/dpkg/status.d/libssl3.md5sums", regular, false},
		{"var/lib/dpkg/status.d/", regular, false},
		{"var/lib/dpkg/status.d", regular, false},
		{"var/lib/dpkg/status.d/sub/libc6", regular, false},
		{"var/lib/dpkg/info/libc6.list", regular, true},
		{"var/lib/dpkg/info/libc6:amd64.list", regular, true},
		{"var/lib/dpkg/info/libc6.md5sums", regular, false},
		{"var/lib/dpkg/info/sub/x.list", regular, false},
		{"usr/share/doc/bash/copyright", regular, true},
		{"usr/share/doc/libssl3/copyright", regular, true},
		{"usr/share/doc/copyright", regular, false},
		{"usr/share/doc//copyright", regular, false},
		{"usr/share/doc/bash/examples/copyright", regular, false},
		{"usr/share/doc/bash/copyright.gz", regular, false},
		{"usr/share/doc/bash/copyright", fakeInfo{mode: fs.ModeSymlink | 0o777}, false},
		{"usr/local/share/doc/bash/copyright", regular, false},
		{"etc/os-release", regular, false},
	}
	a := New()
	for _, tt := range tests {
		if got := a.Claims(tt.path, tt.info); got != tt.want {
			t.Errorf("Claims(%q, %v) = %v, want %v", tt.path, tt.info, got, tt.want)
		}
	}
}

func TestAnalyzeUnclaimedPath(t *testing.T) {
	_, err := analyze(t, "etc/passwd", []byte("root:x:0:0::/root:/bin/sh\n"))
	if err == nil {
		t.Fatal("Analyze on a path the analyzer does not claim: want an error, got none")
	}
}

func TestAnalyzeCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, p := range []string{"var/lib/dpkg/status", "usr/share/doc/bash/copyright"} {
		_, err := New().Analyze(ctx, analyzer.Input{Path: p, Content: bytes.NewReader(readFile(t, "copyright/bash"))})
		if err == nil || !strings.Contains(err.Error(), context.Canceled.Error()) {
			t.Errorf("%s: Analyze with a canceled context: err = %v, want context.Canceled", p, err)
		}
	}
}

// TestStatusD reads the distroless per-package files through the analyzer, as the walker
// would: claimed files only, one package each, no Status field needed.
func TestStatusD(t *testing.T) {
	entries, err := os.ReadDir(filepath.Join("testdata", "status.d"))
	if err != nil {
		t.Fatal(err)
	}
	a := New()
	got := map[string]inventory.Package{}
	claimed := 0
	for _, e := range entries {
		p := "var/lib/dpkg/status.d/" + e.Name()
		if !a.Claims(p, regular) {
			if !strings.HasSuffix(e.Name(), ".md5sums") {
				t.Errorf("%s not claimed", p)
			}
			continue
		}
		claimed++
		facts, err := analyze(t, p, readFile(t, "status.d/"+e.Name()))
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if len(facts.Warnings) > 0 {
			t.Errorf("%s: unexpected warnings %q", p, facts.Warnings)
		}
		if len(facts.Packages) != 1 {
			t.Fatalf("%s: got %d packages, want 1", p, len(facts.Packages))
		}
		got[e.Name()] = facts.Packages[0]
	}
	if claimed == 0 || claimed != len(got) {
		t.Fatalf("claimed %d files, read %d packages", claimed, len(got))
	}
	want := map[string]inventory.Package{
		"libssl3": {Type: inventory.TypeDeb, Name: "libssl3", Version: "3.0.15-1~deb12u1", Arch: "amd64",
			Maintainer: "Debian OpenSSL Team <pkg-openssl-devel@alioth-lists.debian.net>",
			SourceName: "openssl", SourceVersion: "3.0.15-1~deb12u1"},
		"tzdata": {Type: inventory.TypeDeb, Name: "tzdata", Version: "2024a-0+deb12u1", Arch: "all",
			Maintainer: "GNU Libc Maintainers <debian-glibc@lists.debian.org>",
			SourceName: "tzdata", SourceVersion: "2024a-0+deb12u1"},
		"base-files": {Type: inventory.TypeDeb, Name: "base-files", Version: "12.4+deb12u8", Arch: "amd64",
			Maintainer: "Santiago Vila <sanvila@debian.org>",
			SourceName: "base-files", SourceVersion: "12.4+deb12u8"},
	}
	for name, w := range want {
		g, ok := got[name]
		if !ok {
			t.Errorf("status.d/%s: no package", name)
			continue
		}
		if !equalPackage(g, w) {
			t.Errorf("status.d/%s:\n got %+v\nwant %+v", name, g, w)
		}
	}
}

func equalPackage(a, b inventory.Package) bool {
	return a.Type == b.Type && a.Name == b.Name && a.Version == b.Version && a.Arch == b.Arch &&
		a.Maintainer == b.Maintainer && a.SourceName == b.SourceName && a.SourceVersion == b.SourceVersion
}

// TestFileList: a dpkg .list file gives the package (arch suffix dropped) and only the
// files analyzer.Ownable keeps, relative to the root.
func TestFileList(t *testing.T) {
	list := "/.\n/usr\n/usr/bin\n/usr/bin/python3.11\n/usr/lib/python3/dist-packages/PyYAML-6.0.dist-info/METADATA\n" +
		"/usr/lib/python3/dist-packages/yaml/__init__.py\n/usr/share/doc/python3-yaml/copyright\n" +
		"/usr/share/nodejs/nanoid/pnpm-lock.yaml\n"
	facts, err := New().Analyze(context.Background(), analyzer.Input{
		Path: "var/lib/dpkg/info/python3-yaml:amd64.list", Content: strings.NewReader(list)})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{"python3-yaml": {
		"usr/bin/python3.11", "usr/lib/python3/dist-packages/PyYAML-6.0.dist-info/METADATA",
		"usr/share/nodejs/nanoid/pnpm-lock.yaml"}}
	if !reflect.DeepEqual(facts.Owns, want) || facts.PackageType != inventory.TypeDeb {
		t.Errorf("Owns = %v (type %q), want %v", facts.Owns, facts.PackageType, want)
	}
}
