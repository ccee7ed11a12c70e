package dpkg

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/shipshape-dev/shipshape/internal/inventory"
)

func TestCopyrightReal(t *testing.T) {
	tests := []struct {
		file string
		want []string
	}{
		{"bash", []string{
			"BSD-4-clause-UC", "GFDL-NIV-1.3", "GPL-2+", "GPL-3+", "GPL-3+ with Bison exception",
			"Latex2e", "MIT-like", "permissive",
		}},
		{"dbus", []string{
			"AFL-2.1", "BSD-3-clause", "BSD-3-clause-generic", "Expat", "FSF-unlimited-permission",
			"GPL-2+", "GPL-2+ with Autoconf exception", "LGPL-2.1+", "Tcl-BSDish",
			"autoconf-archive-permissive", "g10-permissive",
		}},
		{"base-files", nil}, // free-form, not DEP-5
	}
	licenseLine := regexp.MustCompile(`(?m)^License: (.*)$`)
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			data := readFile(t, "copyright/"+tt.file)
			path := "usr/share/doc/" + tt.file + "/copyright"
			if !New().Claims(path, regular) {
				t.Fatalf("%s not claimed", path)
			}
			facts, err := analyze(t, path, data)
			if err != nil {
				t.Fatal(err)
			}
			if tt.want == nil {
				if !facts.Empty() || facts.PackageType != "" {
					t.Errorf("non-DEP-5 file: got %+v, want empty facts", facts)
				}
				return
			}
			if facts.PackageType != inventory.TypeDeb {
				t.Errorf("PackageType = %q, want deb", facts.PackageType)
			}
			if len(facts.Licenses) != 1 {
				t.Fatalf("Licenses has %d keys, want just %q", len(facts.Licenses), tt.file)
			}
			got := facts.Licenses[tt.file]
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("licenses\n got %q\nwant %q", got, tt.want)
			}
			// Independently: every word of every License first line that is not a
			// connective appears in some returned name.
			all := strings.Join(got, " ")
			for _, m := range licenseLine.FindAllStringSubmatch(string(data), -1) {
				for _, w := range strings.Fields(strings.ReplaceAll(m[1], ",", " ")) {
					if w == "or" || w == "and" || w == "and/or" {
						continue
					}
					if !strings.Contains(all, w) {
						t.Errorf("License line %q: %q missing from %q", m[1], w, got)
					}
				}
			}
		})
	}
}

func TestCopyrightHandWritten(t *testing.T) {
	const header = "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\nUpstream-Name: foo\n\n"
	tests := []struct {
		name, input string
		want        []string
	}{
		{"expression split", header + "Files: *\nCopyright: 2020 A\nLicense: GPL-2+ or Artistic, and MIT and/or BSD-3-clause\n",
			[]string{"Artistic", "BSD-3-clause", "GPL-2+", "MIT"}},
		{"full text lines ignored", header + "Files: *\nCopyright: A\nLicense: Apache-2.0\n Licensed under the Apache License, Version 2.0\n .\n License: not-a-field\n",
			[]string{"Apache-2.0"}},
		{"standalone license paragraphs and duplicates", header + "Files: *\nLicense: GPL-2\n\nFiles: a/*\nLicense: GPL-2\n\nLicense: GPL-2\n On Debian systems...\n",
			[]string{"GPL-2"}},
		{"license in the header", "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\nLicense: MIT\n",
			[]string{"MIT"}},
		{"old DEP-5 draft URL", "Format: http://dep.debian.net/deps/dep5\nName: foo\n\nFiles: *\nLicense: LGPL-2.1+\n",
			[]string{"LGPL-2.1+"}},
		{"Format-Specification of early drafts", "Format-Specification: http://svn.debian.org/wsvn/dep/web/deps/dep5.mdwn?op=file&rev=135\n\nFiles: *\nLicense: BSD\n",
			[]string{"BSD"}},
		{"http URL, field name in lower case, CRLF", strings.ReplaceAll("format: http://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\nFiles: *\nlicense: ISC\n", "\n", "\r\n"),
			[]string{"ISC"}},
		{"leading blank lines", "\n\n" + header + "Files: *\nLicense: Zlib\n", []string{"Zlib"}},
		{"empty License synopsis", header + "Files: *\nLicense:\n full text only\n", nil},
		{"Format outside the header", "Upstream-Name: foo\n\nFormat: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\nLicense: MIT\n", nil},
		{"Format of something else", "Format: https://example.org/my-own-format\n\nFiles: *\nLicense: MIT\n", nil},
		{"free text mentioning License:", "This package was debianized by someone.\nLicense: GPL\n", nil},
		{"empty file", "", nil},
		{"binary junk", "\x00\x01\x02Format\xff: copyright-format\n", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			facts, err := analyze(t, "usr/share/doc/foo/copyright", []byte(tt.input))
			if err != nil {
				t.Fatal(err)
			}
			if len(facts.Warnings) > 0 {
				t.Errorf("unexpected warnings %q", facts.Warnings)
			}
			if tt.want == nil {
				if !facts.Empty() {
					t.Errorf("got %+v, want empty facts", facts)
				}
				return
			}
			if got := facts.Licenses["foo"]; fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestCopyrightLongLine(t *testing.T) {
	input := "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\nFiles: *\nCopyright: " +
		strings.Repeat("A", maxLine*2) + "\nLicense: MIT\n\nFiles: x\nLicense: " + strings.Repeat("B", maxLicenseName+1) + "\n"
	facts, err := analyze(t, "usr/share/doc/foo/copyright", []byte(input))
	if err != nil {
		t.Fatal(err)
	}
	if got := facts.Licenses["foo"]; fmt.Sprint(got) != "[MIT]" {
		t.Errorf("got %q, want [MIT]", got)
	}
}
