package apk

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/shipshape-dev/shipshape/internal/analyzer"
	"github.com/shipshape-dev/shipshape/internal/inventory"
)

// fixtures are the real installed databases in testdata (see testdata/README.md).
var fixtures = []string{
	"installed.alpine-3.6.5",
	"installed.alpine-3.12.12",
	"installed.alpine-3.16.9",
	"installed.alpine-3.19.4",
	"installed.alpine-3.20.3",
	"installed.alpine-20240923",
}

func analyze(t *testing.T, data []byte) (analyzer.Facts, error) {
	t.Helper()
	return New().Analyze(context.Background(), analyzer.Input{Path: installedPath, Content: bytes.NewReader(data)})
}

// expectedNameVersions is an independent reading of a fixture: the P: and V: lines of each
// blank-line separated stanza, nothing else.
func expectedNameVersions(t *testing.T, data []byte) []string {
	t.Helper()
	var out []string
	for _, stanza := range strings.Split(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n\n") {
		var name, version string
		sc := bufio.NewScanner(strings.NewReader(stanza))
		for sc.Scan() {
			if v, ok := strings.CutPrefix(sc.Text(), "P:"); ok {
				name = v
			}
			if v, ok := strings.CutPrefix(sc.Text(), "V:"); ok {
				version = v
			}
		}
		if name != "" {
			out = append(out, name+" "+version)
		}
	}
	sort.Strings(out)
	return out
}

func nameVersions(pkgs []inventory.Package) []string {
	var out []string
	for _, p := range pkgs {
		out = append(out, p.Name+" "+p.Version)
	}
	sort.Strings(out)
	return out
}

func TestAnalyzeRealDatabases(t *testing.T) {
	for _, name := range fixtures {
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", name))
			if err != nil {
				t.Fatal(err)
			}
			facts, err := analyze(t, data)
			if err != nil {
				t.Fatalf("Analyze: %v", err)
			}
			if len(facts.Warnings) != 0 {
				t.Errorf("warnings on a clean database: %q", facts.Warnings)
			}
			if facts.PackageType != inventory.TypeApk {
				t.Errorf("PackageType = %q, want %q", facts.PackageType, inventory.TypeApk)
			}
			want := expectedNameVersions(t, data)
			if len(want) < 10 {
				t.Fatalf("independent scan found only %d packages; fixture damaged?", len(want))
			}
			if got := nameVersions(facts.Packages); !reflect.DeepEqual(got, want) {
				t.Errorf("packages differ from the P:/V: lines of the file\n got: %q\nwant: %q", got, want)
			}
			for _, p := range facts.Packages {
				if p.Type != inventory.TypeApk || p.Arch != "x86_64" || p.SourceName == "" || p.SourceVersion != p.Version {
					t.Errorf("package %+v: want type apk, arch x86_64, a source name and SourceVersion == Version", p)
				}
			}
		})
	}
}

// TestOriginAndLicences checks fields on real packages whose origin is not their name.
func TestOriginAndLicences(t *testing.T) {
	tests := []struct {
		fixture string
		want    inventory.Package
	}{
		{"installed.alpine-3.20.3", inventory.Package{
			Type: "apk", Name: "libcrypto3", Version: "3.3.2-r0", Arch: "x86_64",
			SourceName: "openssl", SourceVersion: "3.3.2-r0", Licenses: []string{"Apache-2.0"},
			Maintainer: "Natanael Copa <ncopa@alpinelinux.org>",
		}},
		{"installed.alpine-3.20.3", inventory.Package{
			Type: "apk", Name: "libssl3", Version: "3.3.2-r0", Arch: "x86_64",
			SourceName: "openssl", SourceVersion: "3.3.2-r0", Licenses: []string{"Apache-2.0"},
			Maintainer: "Natanael Copa <ncopa@alpinelinux.org>",
		}},
		{"installed.alpine-3.20.3", inventory.Package{
			Type: "apk", Name: "musl-utils", Version: "1.2.5-r0", Arch: "x86_64",
			SourceName: "musl", SourceVersion: "1.2.5-r0",
			Licenses:   []string{"MIT", "BSD-2-Clause", "GPL-2.0-or-later"},
			Maintainer: "Natanael Copa <ncopa@alpinelinux.org>",
		}},
		{"installed.alpine-3.20.3", inventory.Package{
			Type: "apk", Name: "ca-certificates-bundle", Version: "20240705-r0", Arch: "x86_64",
			SourceName: "ca-certificates", SourceVersion: "20240705-r0", Licenses: []string{"MPL-2.0", "MIT"},
			Maintainer: "Natanael Copa <ncopa@alpinelinux.org>",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.want.Name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", tt.fixture))
			if err != nil {
				t.Fatal(err)
			}
			facts, err := analyze(t, data)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range facts.Packages {
				if p.Name == tt.want.Name {
					if !reflect.DeepEqual(p, tt.want) {
						t.Errorf("got  %+v\nwant %+v", p, tt.want)
					}
					return
				}
			}
			t.Errorf("%s not found", tt.want.Name)
		})
	}
}

func TestParseEdgeCases(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		want     []string // "name version source arch"
		warnings []string
		err      error
	}{
		{name: "empty", in: ""},
		{name: "blank lines only", in: "\n\n  \n"},
		{
			name: "origin defaults to name, CRLF and no final newline",
			in:   "P:a\r\nV:1-r0\r\nA:aarch64\r\n\r\nP:b\nV:2-r1\no:bsrc",
			want: []string{"a 1-r0 a aarch64", "b 2-r1 bsrc "},
		},
		{
			name:     "record without version is skipped with its line",
			in:       "P:a\nV:1-r0\n\nP:b\nA:x86_64\n\n\nP:c\nV:3-r0\n",
			want:     []string{"a 1-r0 a ", "c 3-r0 c "},
			warnings: []string{`record for "b" starting at line 4 has no V (version) field; skipped`},
		},
		{
			name:     "record without name",
			in:       "V:1-r0\nF:usr/bin\n",
			warnings: []string{"record starting at line 1 has no P (name) field; skipped"},
		},
		{
			name:     "non-field lines in a record",
			in:       "P:a\nV:1\nnot a field\n\ngarbage\n",
			want:     []string{"a 1 a "},
			warnings: []string{"record starting at line 5 has no P (name) or V (version) field; skipped"},
		},
		{name: "not an apk database", in: "hello world\nthis is text\n", err: ErrNotInstalledDB},
		{name: "binary", in: "\x00\x01\x02\xff\xfe", err: ErrNotInstalledDB},
		{
			name: "many fields and file lines",
			in:   "C:Q1abc=\nP:x\nV:1.0-r0\nF:etc\nR:a\nZ:Q1=\nF:usr\nR:b\na:0:0:755\n",
			want: []string{"x 1.0-r0 x "},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pkgs, warnings, err := Parse([]byte(tt.in))
			if !errors.Is(err, tt.err) {
				t.Fatalf("err = %v, want %v", err, tt.err)
			}
			var got []string
			for _, p := range pkgs {
				got = append(got, p.Name+" "+p.Version+" "+p.SourceName+" "+p.Arch)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("packages = %q, want %q", got, tt.want)
			}
			if !reflect.DeepEqual(warnings, tt.warnings) {
				t.Errorf("warnings = %q, want %q", warnings, tt.warnings)
			}
		})
	}
}

func TestWarningsAreCapped(t *testing.T) {
	in := strings.Repeat("P:nameless-version\n\n", 100) + "P:ok\nV:1\n"
	pkgs, warnings, err := Parse([]byte(in))
	if err != nil || len(pkgs) != 1 {
		t.Fatalf("pkgs=%v err=%v", pkgs, err)
	}
	if len(warnings) != maxWarnings+1 || warnings[maxWarnings] != "80 more records skipped for the same reason" {
		t.Errorf("warnings = %d, last %q", len(warnings), warnings[len(warnings)-1])
	}
}

func TestAnalyzeErrorNamesFile(t *testing.T) {
	_, err := analyze(t, []byte("plain text, no fields\n"))
	if err == nil || !strings.Contains(err.Error(), installedPath) || !errors.Is(err, ErrNotInstalledDB) {
		t.Errorf("err = %v, want one naming %s and wrapping ErrNotInstalledDB", err, installedPath)
	}
}

func TestTruncatedDatabase(t *testing.T) {
	for _, name := range fixtures {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		facts, err := analyze(t, data[:4096])
		if err != nil {
			t.Errorf("%s truncated: %v", name, err)
		}
		if len(facts.Packages) == 0 {
			t.Errorf("%s truncated: no packages from the first 4 KiB", name)
		}
	}
}

func TestSplitLicense(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"MIT", []string{"MIT"}},
		{"MIT AND BSD-2-Clause", []string{"MIT", "BSD-2-Clause"}},
		{"MIT BSD GPL2+", []string{"MIT", "BSD", "GPL2+"}},
		{"(MIT OR Apache-2.0) AND MIT", []string{"MIT", "Apache-2.0"}},
		{"GPL-2.0-or-later WITH Classpath-exception-2.0 OR MIT", []string{"GPL-2.0-or-later WITH Classpath-exception-2.0", "MIT"}},
		{"MIT OR MIT WITH X", []string{"MIT", "MIT WITH X"}},
		{"WITH", nil},
		{"MIT WITH", []string{"MIT"}},
		{"MIT and ISC or  Zlib", []string{"MIT", "ISC", "Zlib"}},
	}
	for _, tt := range tests {
		if got := SplitLicense(tt.in); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("SplitLicense(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestClaims(t *testing.T) {
	a := New()
	for p, want := range map[string]bool{
		"lib/apk/db/installed":      true,
		"/lib/apk/db/installed":     false,
		"lib/apk/db/installed.bak":  false,
		"usr/lib/apk/db/installed":  false,
		"lib/apk/db/scripts.tar":    false,
		"var/lib/dpkg/status":       false,
		"lib/apk/db/installed/":     false,
		"xlib/apk/db/installed":     false,
		"lib/apk/db/installed\x00x": false,
	} {
		if got := a.Claims(p, nil); got != want {
			t.Errorf("Claims(%q) = %v, want %v", p, got, want)
		}
	}
	if a.Name() != "apk" || a.Version() != 4 {
		t.Errorf("Name/Version = %q/%d", a.Name(), a.Version())
	}
}

func TestCanceledContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := New().Analyze(ctx, analyzer.Input{Path: installedPath, Content: strings.NewReader("P:a\nV:1\n")}); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

// FuzzApkInstalled checks that the parser never panics and that its output is consistent:
// every package has a name and a version, and an error comes with nothing else.
func FuzzApkInstalled(f *testing.F) {
	for _, name := range fixtures {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		pkgs, warnings, err := Parse(data)
		if err != nil {
			if pkgs != nil || warnings != nil {
				t.Fatalf("error %v with packages %v or warnings %v", err, pkgs, warnings)
			}
			return
		}
		for _, p := range pkgs {
			if p.Name == "" || p.Version == "" || p.SourceName == "" || p.Type != inventory.TypeApk {
				t.Fatalf("incomplete package %+v", p)
			}
			if strings.ContainsAny(p.Name+p.Version, "\n") {
				t.Fatalf("newline in package %+v", p)
			}
		}
		if len(warnings) > maxWarnings+1 {
			t.Fatalf("%d warnings, above the cap", len(warnings))
		}
	})
}

// TestOwnedFiles: the F:/R: lines of a real database give each package's files, filtered
// by analyzer.Ownable; busybox owns bin/busybox in every Alpine minirootfs.
func TestOwnedFiles(t *testing.T) {
	for _, name := range []string{"installed.alpine-3.12.12", "installed.alpine-3.19.4"} {
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", name))
			if err != nil {
				t.Fatal(err)
			}
			facts, err := analyze(t, data)
			if err != nil {
				t.Fatal(err)
			}
			// An independent reading: every "R:" line joined to the last "F:" line.
			want := map[string]int{}
			var pkg, dir string
			for _, line := range strings.Split(string(data), "\n") {
				switch {
				case strings.HasPrefix(line, "P:"):
					pkg = line[2:]
				case strings.HasPrefix(line, "F:"):
					dir = line[2:]
				case line == "":
					dir = ""
				case strings.HasPrefix(line, "R:"):
					if p := dir + "/" + line[2:]; analyzer.Ownable(p) {
						want[pkg]++
					}
				}
			}
			got := map[string]int{}
			for pkg, files := range facts.Owns {
				got[pkg] = len(files)
				for _, f := range files {
					if strings.HasPrefix(f, "/") || !analyzer.Ownable(f) {
						t.Errorf("%s owns %q: not a relative ownable path", pkg, f)
					}
				}
			}
			if !slices.Contains(facts.Owns["busybox"], "bin/busybox") {
				t.Errorf("busybox does not own bin/busybox: %v", facts.Owns["busybox"])
			}
			if !maps.Equal(got, want) {
				t.Errorf("files per package: got %v, want %v", got, want)
			}
		})
	}
}
