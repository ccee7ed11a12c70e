package dpkg

import (
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/shipshape-dev/shipshape/internal/inventory"
)

// scanFixture is an independent, deliberately naive reading of a well-formed status file:
// paragraphs split on "\n\n", fields found by line prefix. It returns "name version arch
// source-name source-version" for every paragraph whose Status state leaves files on disk.
func scanFixture(data string) []string {
	sourceRE := regexp.MustCompile(`^(\S+)(?: \((\S+)\))?$`)
	var out []string
	for _, para := range strings.Split(strings.TrimSpace(data), "\n\n") {
		f := map[string]string{}
		for _, line := range strings.Split(para, "\n") {
			for _, k := range []string{"Package", "Version", "Architecture", "Source", "Status"} {
				if v, ok := strings.CutPrefix(line, k+": "); ok {
					f[k] = v
				}
			}
		}
		if f["Package"] == "" {
			continue
		}
		if strings.HasSuffix(f["Status"], " not-installed") || strings.HasSuffix(f["Status"], " config-files") {
			continue
		}
		srcName, srcVersion := f["Package"], f["Version"]
		if m := sourceRE.FindStringSubmatch(f["Source"]); m != nil {
			srcName = m[1]
			if m[2] != "" {
				srcVersion = m[2]
			}
		}
		out = append(out, strings.Join([]string{f["Package"], f["Version"], f["Architecture"], srcName, srcVersion}, " "))
	}
	sort.Strings(out)
	return out
}

func TestStatusFixtures(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "status.*-*"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no status fixtures in testdata")
	}
	for _, file := range files {
		name := filepath.Base(file)
		t.Run(name, func(t *testing.T) {
			data := readFile(t, name)
			facts, err := analyze(t, "var/lib/dpkg/status", data)
			if err != nil {
				t.Fatal(err)
			}
			if len(facts.Warnings) > 0 {
				t.Errorf("unexpected warnings: %q", facts.Warnings)
			}
			want := scanFixture(string(data))
			if len(want) == 0 {
				t.Fatal("the independent scan found no installed package; is the fixture right?")
			}
			// Every paragraph of these fixtures is installed: the two counts must agree.
			if n := strings.Count("\n"+string(data), "\nPackage: "); n != len(want) {
				t.Errorf("fixture has %d Package fields but %d installed paragraphs", n, len(want))
			}
			var got []string
			for _, p := range facts.Packages {
				if p.Type != inventory.TypeDeb {
					t.Errorf("%s: Type = %q, want deb", p.Name, p.Type)
				}
				if p.Maintainer == "" {
					t.Errorf("%s: no Maintainer", p.Name)
				}
				got = append(got, strings.Join([]string{p.Name, p.Version, p.Arch, p.SourceName, p.SourceVersion}, " "))
			}
			sort.Strings(got)
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("packages differ from the independent scan:\n%s", diff(got, want))
			}
		})
	}
}

// TestStatusFixtureSources checks source extraction on specific real paragraphs.
func TestStatusFixtureSources(t *testing.T) {
	tests := []struct {
		fixture, pkg                              string
		version, arch, srcName, srcVersion, maint string
	}{
		// Source with a version in parentheses, binary version with an epoch the source lacks.
		{"status.bookworm-minbase", "bsdutils", "1:2.38.1-5+deb12u3", "amd64", "util-linux", "2.38.1-5+deb12u3",
			"util-linux packagers <util-linux@packages.debian.org>"},
		// Source version differs from a binNMU binary version (+b1).
		{"status.bookworm-minbase", "libcap2", "1:2.66-4+deb12u3+b1", "amd64", "libcap2", "1:2.66-4+deb12u3",
			"Christian Kastner <ckk@debian.org>"},
		// Source name only: the source version is the binary version.
		{"status.bookworm-minbase", "libc6", "2.36-9+deb12u14", "amd64", "glibc", "2.36-9+deb12u14",
			"GNU Libc Maintainers <debian-glibc@lists.debian.org>"},
		// No Source field at all.
		{"status.bookworm-minbase", "coreutils", "9.1-1", "amd64", "coreutils", "9.1-1",
			"Michael Stone <mstone@debian.org>"},
		{"status.bullseye-minbase", "coreutils", "8.32-4+b1", "amd64", "coreutils", "8.32-4", ""},
		{"status.bullseye-minbase", "login", "1:4.8.1-1", "amd64", "shadow", "1:4.8.1-1", ""},
		{"status.bullseye-minbase", "bash", "5.1-2+deb11u1", "amd64", "bash", "5.1-2+deb11u1", ""},
	}
	cache := map[string][]inventory.Package{}
	for _, tt := range tests {
		pkgs, ok := cache[tt.fixture]
		if !ok {
			facts, err := analyze(t, "var/lib/dpkg/status", readFile(t, tt.fixture))
			if err != nil {
				t.Fatal(err)
			}
			pkgs = facts.Packages
			cache[tt.fixture] = pkgs
		}
		var found *inventory.Package
		for i := range pkgs {
			if pkgs[i].Name == tt.pkg {
				found = &pkgs[i]
			}
		}
		if found == nil {
			t.Errorf("%s: no package %s", tt.fixture, tt.pkg)
			continue
		}
		if found.Version != tt.version || found.Arch != tt.arch || found.SourceName != tt.srcName || found.SourceVersion != tt.srcVersion {
			t.Errorf("%s %s: got version %q arch %q source %q %q; want %q %q %q %q", tt.fixture, tt.pkg,
				found.Version, found.Arch, found.SourceName, found.SourceVersion, tt.version, tt.arch, tt.srcName, tt.srcVersion)
		}
		if tt.maint != "" && found.Maintainer != tt.maint {
			t.Errorf("%s %s: Maintainer = %q, want %q", tt.fixture, tt.pkg, found.Maintainer, tt.maint)
		}
	}
}

func entry(pkg, status string, extra ...string) string {
	s := "Package: " + pkg + "\n"
	if status != "" {
		s += "Status: " + status + "\n"
	}
	s += "Architecture: amd64\nVersion: 1.0-1\n"
	for _, e := range extra {
		s += e + "\n"
	}
	return s
}

func TestStatusStates(t *testing.T) {
	tests := []struct {
		status string
		want   bool
	}{
		{"install ok installed", true},
		{"hold ok installed", true},
		{"deinstall ok installed", true}, // selected for removal, files still there
		{"install ok unpacked", true},
		{"install ok half-configured", true},
		{"install reinstreq half-installed", true},
		{"install ok triggers-awaited", true},
		{"install ok triggers-pending", true},
		{"deinstall ok config-files", false},
		{"purge ok not-installed", false},
		{"install ok not-installed", false},
		{"", true}, // distroless status.d files have no Status
	}
	for _, tt := range tests {
		facts, err := analyze(t, "var/lib/dpkg/status", []byte(entry("foo", tt.status)))
		if err != nil {
			t.Fatalf("Status %q: %v", tt.status, err)
		}
		if got := len(facts.Packages) == 1; got != tt.want {
			t.Errorf("Status %q: kept = %v, want %v", tt.status, got, tt.want)
		}
		if len(facts.Warnings) > 0 {
			t.Errorf("Status %q: unexpected warnings %q", tt.status, facts.Warnings)
		}
	}
}

func TestStatusSource(t *testing.T) {
	tests := []struct {
		source, wantName, wantVersion string
	}{
		{"", "foo", "1.0-1"},
		{"foo-src", "foo-src", "1.0-1"},
		{"foo-src (2:1.0-1)", "foo-src", "2:1.0-1"},
		{"foo-src   (  1.0-0.1 )  ", "foo-src", "1.0-0.1"},
		{"foo-src (", "foo-src", "1.0-1"},
		{"foo-src ()", "foo-src", "1.0-1"},
		{"(3.0)", "foo", "3.0"},
		{"foo-src (1.0", "foo-src", "1.0"},
	}
	for _, tt := range tests {
		extra := []string{}
		if tt.source != "" {
			extra = append(extra, "Source: "+tt.source)
		}
		facts, err := analyze(t, "var/lib/dpkg/status", []byte(entry("foo", "install ok installed", extra...)))
		if err != nil || len(facts.Packages) != 1 {
			t.Fatalf("Source %q: err %v, %d packages", tt.source, err, len(facts.Packages))
		}
		p := facts.Packages[0]
		if p.SourceName != tt.wantName || p.SourceVersion != tt.wantVersion {
			t.Errorf("Source %q: got %q %q, want %q %q", tt.source, p.SourceName, p.SourceVersion, tt.wantName, tt.wantVersion)
		}
	}
}

func TestStatusCorrupt(t *testing.T) {
	good := entry("good", "install ok installed")
	long := strings.Repeat("x", maxLine+10)
	junk := "\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x03\x00>\x00\x01\x00\x00\x00\xe0\x10"
	tests := []struct {
		name     string
		input    string
		pkgs     []string // names, in order
		warnings []string // substrings, one per expected warning, in order
		err      error
	}{
		{name: "empty", input: ""},
		{name: "blank lines only", input: "\n\n \t\n\n"},
		{name: "binary junk", input: junk + "\n" + junk, err: ErrNotStatus},
		{name: "text that is not dpkg", input: "hello world\nthis is not: a status file\n", err: ErrNotStatus},
		{name: "no trailing newline", input: strings.TrimSuffix(good, "\n"), pkgs: []string{"good"}},
		{name: "CRLF line endings", input: strings.ReplaceAll(good+"\n"+entry("two", "install ok installed"), "\n", "\r\n"),
			pkgs: []string{"good", "two"}},
		{name: "field names in any case", input: "package: lower\nVERSION: 1\nstatus: install ok installed\n",
			pkgs: []string{"lower"}},
		{name: "whitespace-only separator", input: good + " \t\n" + entry("two", "install ok installed"),
			pkgs: []string{"good", "two"}},
		{name: "missing Version",
			input:    good + "\nPackage: broken\nStatus: install ok installed\nArchitecture: amd64\n\n" + entry("after", ""),
			pkgs:     []string{"good", "after"},
			warnings: []string{`paragraph at line 6 (package "broken") has no Version field; skipped`}},
		{name: "missing Package",
			input:    good + "\nStatus: install ok installed\nVersion: 2.0\n\n" + entry("after", ""),
			pkgs:     []string{"good", "after"},
			warnings: []string{"paragraph at line 6 has no Package field; skipped"}},
		{name: "junk paragraph between good ones",
			input:    good + "\n" + junk + "\n\n" + entry("after", ""),
			pkgs:     []string{"good", "after"},
			warnings: []string{"paragraph at line 6 is not a dpkg entry"}},
		{name: "malformed line inside a good paragraph",
			input:    "Package: odd\nthis line has no colon\nVersion: 1\n",
			pkgs:     []string{"odd"},
			warnings: []string{`paragraph at line 1 (package "odd") has 1 malformed line(s), the first at line 2`}},
		{name: "continuation before any field",
			input:    " leading continuation\nPackage: odd\nVersion: 1\n",
			pkgs:     []string{"odd"},
			warnings: []string{"the first at line 1"}},
		{name: "absurdly long description line",
			input:    "Package: big\nVersion: 1\nDescription: short\n " + long + "\n more\n\n" + good,
			pkgs:     []string{"big", "good"},
			warnings: []string{`paragraph at line 1 (package "big") has 1 line(s) longer than`}},
		{name: "absurdly long package line",
			input:    "Package: " + long + "\nVersion: 1\n\n" + good,
			pkgs:     []string{"good"},
			warnings: []string{"paragraph at line 1 has no Package field"}},
		{name: "invalid UTF-8 package name",
			input:    "Package: b\xffad\nVersion: 1\n\n" + good,
			pkgs:     []string{"good"},
			warnings: []string{"paragraph at line 1 has an invalid Package field"}},
		{name: "package name with a space",
			input:    "Package: two words\nVersion: 1\n\n" + good,
			pkgs:     []string{"good"},
			warnings: []string{"invalid Package field"}},
		{name: "odd Status",
			input:    "Package: odd\nStatus: installed\nVersion: 1\n",
			pkgs:     []string{"odd"},
			warnings: []string{`Status field "installed" that is not`}},
		{name: "not installed and no Version: silently skipped",
			input: "Package: gone\nStatus: purge ok not-installed\n\n" + good,
			pkgs:  []string{"good"}},
		{name: "only removed packages", input: "Package: gone\nStatus: deinstall ok config-files\nVersion: 1\n"},
		{name: "comment lines ignored", input: "# comment\n" + good, pkgs: []string{"good"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			facts, err := analyze(t, "var/lib/dpkg/status", []byte(tt.input))
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("err = %v, want %v", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			var names []string
			for _, p := range facts.Packages {
				names = append(names, p.Name)
			}
			if fmt.Sprint(names) != fmt.Sprint(tt.pkgs) {
				t.Errorf("packages = %q, want %q", names, tt.pkgs)
			}
			if len(facts.Warnings) != len(tt.warnings) {
				t.Fatalf("warnings = %q, want %d matching %q", facts.Warnings, len(tt.warnings), tt.warnings)
			}
			for i, w := range tt.warnings {
				if !strings.Contains(facts.Warnings[i], w) {
					t.Errorf("warning %d = %q, want it to contain %q", i, facts.Warnings[i], w)
				}
				if !strings.Contains(facts.Warnings[i], "dpkg -l") {
					t.Errorf("warning %d = %q does not say what to do", i, facts.Warnings[i])
				}
			}
		})
	}
}

func TestStatusWarningCap(t *testing.T) {
	var b strings.Builder
	const bad = maxWarnings + 15
	for i := 0; i < bad; i++ {
		fmt.Fprintf(&b, "Package: broken%d\n\n", i)
	}
	b.WriteString(entry("good", "install ok installed"))
	facts, err := analyze(t, "var/lib/dpkg/status", []byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	if len(facts.Packages) != 1 {
		t.Errorf("got %d packages, want 1", len(facts.Packages))
	}
	if len(facts.Warnings) != maxWarnings+1 {
		t.Fatalf("got %d warnings, want %d", len(facts.Warnings), maxWarnings+1)
	}
	if last := facts.Warnings[maxWarnings]; last != fmt.Sprintf("%d more problems in this file not shown", bad-maxWarnings) {
		t.Errorf("last warning = %q", last)
	}
}

func diff(got, want []string) string {
	g, w := map[string]bool{}, map[string]bool{}
	for _, s := range got {
		g[s] = true
	}
	for _, s := range want {
		w[s] = true
	}
	var b strings.Builder
	for _, s := range want {
		if !g[s] {
			b.WriteString("  missing: " + s + "\n")
		}
	}
	for _, s := range got {
		if !w[s] {
			b.WriteString("  extra:   " + s + "\n")
		}
	}
	if b.Len() == 0 {
		fmt.Fprintf(&b, "  same set, different multiplicity: got %d, want %d\n", len(got), len(want))
	}
	return b.String()
}
