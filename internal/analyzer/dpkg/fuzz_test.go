package dpkg

import (
	"errors"
	"sort"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/shipshape-dev/shipshape/internal/inventory"
)

// FuzzDpkgStatus feeds arbitrary bytes to the status parser, both as the dpkg database and
// as a distroless status.d file. Seeds live in testdata/fuzz/FuzzDpkgStatus.
func FuzzDpkgStatus(f *testing.F) {
	f.Add([]byte(entry("seed", "install ok installed", "Source: seed-src (1:2.0-1)")))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, path := range []string{"var/lib/dpkg/status", "var/lib/dpkg/status.d/libc6"} {
			facts, err := analyze(t, path, data)
			if err != nil {
				if !errors.Is(err, ErrNotStatus) {
					t.Fatalf("%s: unexpected error kind: %v", path, err)
				}
				if !facts.Empty() {
					t.Fatalf("%s: error with facts: %+v", path, facts)
				}
				continue
			}
			for _, p := range facts.Packages {
				checkPackage(t, p)
			}
			if len(facts.Warnings) > maxWarnings+1 {
				t.Fatalf("%s: %d warnings, more than the cap", path, len(facts.Warnings))
			}
			for _, w := range facts.Warnings {
				if !utf8.ValidString(w) {
					t.Fatalf("%s: warning is not valid UTF-8: %q", path, w)
				}
			}
		}
	})
}

// checkPackage asserts the invariants every returned package keeps.
func checkPackage(t *testing.T, p inventory.Package) {
	t.Helper()
	if p.Type != inventory.TypeDeb {
		t.Fatalf("Type = %q", p.Type)
	}
	for what, v := range map[string]string{"Name": p.Name, "Version": p.Version, "SourceName": p.SourceName, "SourceVersion": p.SourceVersion} {
		if !validToken(v) {
			t.Fatalf("%s %q is empty or not a token (package %+v)", what, v, p)
		}
	}
	for what, v := range map[string]string{"Arch": p.Arch, "Maintainer": p.Maintainer} {
		if v != clean(v) {
			t.Fatalf("%s %q is not clean text", what, v)
		}
	}
}

// FuzzCopyright feeds arbitrary bytes to the copyright parser. Seeds live in
// testdata/fuzz/FuzzCopyright.
func FuzzCopyright(f *testing.F) {
	f.Add([]byte("Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\nFiles: *\nLicense: GPL-2+ or MIT, and BSD\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		facts, err := analyze(t, "usr/share/doc/pkg/copyright", data)
		if err != nil {
			t.Fatalf("error on in-memory input: %v", err)
		}
		if len(facts.Warnings) > 0 || len(facts.Packages) > 0 || facts.OS != nil {
			t.Fatalf("unexpected facts: %+v", facts)
		}
		if len(facts.Licenses) == 0 {
			if facts.PackageType != "" {
				t.Fatalf("PackageType %q without licences", facts.PackageType)
			}
			return
		}
		if facts.PackageType != inventory.TypeDeb {
			t.Fatalf("PackageType = %q", facts.PackageType)
		}
		ls, ok := facts.Licenses["pkg"]
		if !ok || len(facts.Licenses) != 1 || len(ls) == 0 {
			t.Fatalf("Licenses = %q, want one non-empty entry for pkg", facts.Licenses)
		}
		if !sort.StringsAreSorted(ls) {
			t.Fatalf("licences not sorted: %q", ls)
		}
		for i, l := range ls {
			if i > 0 && ls[i-1] == l {
				t.Fatalf("duplicate licence %q", l)
			}
			if !validLicense(l) || l != strings.TrimSpace(l) || strings.Contains(l, ",") {
				t.Fatalf("bad licence name %q", l)
			}
			for _, w := range strings.Fields(strings.ToLower(l)) {
				if w == "or" || w == "and" || w == "and/or" {
					t.Fatalf("licence %q still holds the connective %q", l, w)
				}
			}
		}
	})
}
