package license

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/github/go-spdx/v2/spdxexp"

	"github.com/shipshape-dev/shipshape/internal/inventory"
)

func TestNormalize(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		// SPDX ids and expressions, any case, deprecated GNU forms modernised.
		{"MIT", "MIT"}, {"mit", "MIT"}, {"(MIT OR Apache-2.0)", "MIT OR Apache-2.0"},
		{"Apache-2.0 WITH LLVM-exception", "Apache-2.0 WITH LLVM-exception"},
		{"GPL-2.0", "GPL-2.0-only"}, {"GPL-2.0+", "GPL-2.0-or-later"}, {"LGPL-2.1+", "LGPL-2.1-or-later"},
		// rpm (Fedora) names.
		{"GPLv2+", "GPL-2.0-or-later"}, {"GPLv3", "GPL-3.0-only"}, {"LGPLv2.1+", "LGPL-2.1-or-later"}, {"AGPLv3+", "AGPL-3.0-or-later"},
		{"ASL 2.0", "Apache-2.0"}, {"MIT and BSD", "MIT AND BSD-3-Clause"}, {"GPL+ or Artistic", "GPL-1.0-or-later OR Artistic-1.0"},
		{"MPLv2.0", "MPL-2.0"}, {"Public Domain", "LicenseRef-Public-Domain"},
		// Debian copyright short names.
		{"GPL-2", "GPL-2.0-only"}, {"GPL-2+", "GPL-2.0-or-later"}, {"Expat", "MIT"}, {"BSD-3-clause", "BSD-3-Clause"},
		{"public-domain", "LicenseRef-Public-Domain"}, {"Artistic-2", "Artistic-2.0"},
		{"GPL-2 with OpenSSL exception", "GPL-2.0-only"}, {"GPL-2+ with Autoconf exception", "GPL-2.0-or-later WITH Autoconf-exception-generic"},
		// Free text from package metadata (npm, PyPI, gems, Maven).
		{"Apache 2.0", "Apache-2.0"}, {"Apache License, Version 2.0", "Apache-2.0"}, {"Apache Software License", "Apache-2.0"},
		{"The MIT License", "MIT"}, {"License :: OSI Approved :: MIT License", "MIT"}, {"BSD", "BSD-3-Clause"},
		{"GPLv2 or later", "GPL-2.0-or-later"}, {"CC-BY-SA 4.0", "CC-BY-SA-4.0"}, {"GPL-2.0-or-later, MIT", "GPL-2.0-or-later AND MIT"},
	} {
		got, ok := Normalize(tc.in)
		if !ok || got != tc.want {
			t.Errorf("Normalize(%q) = %q, %t; want %q", tc.in, got, ok, tc.want)
		}
	}
	for _, in := range []string{"", "weird stuff", "same-as-rest-of-p11kit", "see LICENSE file"} {
		if got, ok := Normalize(in); ok {
			t.Errorf("Normalize(%q) = %q, want no mapping", in, got)
		}
	}
}

func TestCategory(t *testing.T) {
	c, err := NewClassifier(Config{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ expr, want, sev string }{
		{"MIT", inventory.LicenseNotice, "LOW"},
		{"AGPL-3.0-only", inventory.LicenseForbidden, "CRITICAL"},
		{"GPL-2.0-or-later", inventory.LicenseRestricted, "HIGH"},
		{"MPL-2.0", inventory.LicenseReciprocal, "MEDIUM"},
		{"CC0-1.0", inventory.LicenseUnencumbered, "LOW"},
		{"0BSD", inventory.LicensePermissive, "LOW"},
		{"LicenseRef-whatever", inventory.LicenseUnknown, "UNKNOWN"},
		{"GPL-2.0-only OR MIT", inventory.LicenseNotice, "LOW"},       // a choice: the freer one
		{"GPL-2.0-only AND MIT", inventory.LicenseRestricted, "HIGH"}, // both apply: the stricter
		{"(MIT OR AGPL-3.0-only) AND MPL-2.0", inventory.LicenseReciprocal, "MEDIUM"},
		{"GPL-2.0-only WITH Classpath-exception-2.0", inventory.LicenseRestricted, "HIGH"},
		{"MIT AND", inventory.LicenseUnknown, "UNKNOWN"},
		{"((MIT)", inventory.LicenseUnknown, "UNKNOWN"},
		{"free text", inventory.LicenseUnknown, "UNKNOWN"},
	} {
		got := c.Category(tc.expr)
		if got != tc.want || c.Severity(got) != tc.sev {
			t.Errorf("Category(%q) = %s (%s), want %s (%s)", tc.expr, got, c.Severity(got), tc.want, tc.sev)
		}
	}
}

func TestConfig(t *testing.T) {
	cfg, err := LoadConfig(filepath.Join("testdata", "config.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	c, err := NewClassifier(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ expr, want, sev string }{
		{"GPL-3.0-only", inventory.LicenseForbidden, "CRITICAL"},
		{"GPL-3.0-or-later", inventory.LicenseForbidden, "CRITICAL"}, // "GPLv3+" in the file, normalised
		{"GPL-2.0-only", inventory.LicenseRestricted, "MEDIUM"},
		{"LicenseRef-Corp-Internal", inventory.LicenseNotice, "LOW"},
		{"LicenseRef-other", inventory.LicenseUnknown, "LOW"},
	} {
		got := c.Category(tc.expr)
		if got != tc.want || c.Severity(got) != tc.sev {
			t.Errorf("Category(%q) = %s (%s), want %s (%s)", tc.expr, got, c.Severity(got), tc.want, tc.sev)
		}
	}
	for _, bad := range []Config{
		{Categories: map[string][]string{"evil": {"MIT"}}},
		{Severities: map[string]string{"notice": "SEVERE"}},
		{Severities: map[string]string{"nope": "LOW"}},
	} {
		if _, err := NewClassifier(bad); err == nil {
			t.Errorf("NewClassifier(%+v) accepted a bad config", bad)
		}
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "bad.yaml"), []byte("categories: [\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadConfig(filepath.Join(dir, "bad.yaml")); err == nil || !strings.Contains(err.Error(), "bad.yaml") {
		t.Errorf("bad YAML: %v", err)
	}
}

func TestClassifyText(t *testing.T) {
	for file, want := range map[string]string{
		"go-spdx.LICENSE":       "MIT",
		"licensecheck.LICENSE":  "BSD-3-Clause",
		"cobra.LICENSE.txt":     "Apache-2.0",
		"debian-common-GPL-2":   "GPL-2.0-only",
		"debian-common-MPL-2.0": "MPL-2.0",
		"not-a-license.txt":     "",
	} {
		data, err := os.ReadFile(filepath.Join("testdata", "texts", file))
		if err != nil {
			t.Fatal(err)
		}
		got := ClassifyText(data)
		var ids []string
		for _, c := range got {
			ids = append(ids, c.ID)
			if c.Confidence < MinCoverage/100.0 || c.Confidence > 1 {
				t.Errorf("%s: confidence %v", file, c.Confidence)
			}
		}
		if strings.Join(ids, ",") != want {
			t.Errorf("%s: %v, want %q", file, got, want)
		}
	}
	for p, want := range map[string]bool{
		"node_modules/lodash/LICENSE": true, "LICENCE.md": true, "COPYING.LIB": true, "src/LICENSE-MIT": true,
		"usr/share/doc/bash/copyright": false, "license.go": false, "LICENSES/": false, "internal/license/category.go": false,
	} {
		if IsLicenseFile(p) != want {
			t.Errorf("IsLicenseFile(%q) = %t", p, !want)
		}
	}
}

func TestFindings(t *testing.T) {
	c, err := NewClassifier(Config{})
	if err != nil {
		t.Fatal(err)
	}
	// Licences as the dpkg analyzer reads them from a bookworm image's copyright files.
	inv := &inventory.Inventory{
		Packages: []inventory.Package{
			{Name: "bash", PURL: "pkg:deb/debian/bash@5.2.15-2+b8", Licenses: []string{"GPL-3+", "BSD-4-clause-UC", "permissive"}},
			{Name: "zlib1g", PURL: "pkg:deb/debian/zlib1g@1.2.13", Licenses: []string{"Zlib"}},
			{Name: "nolicence", PURL: "pkg:deb/debian/nolicence@1"},
		},
		Licenses: []inventory.LicenseFinding{{License: "MIT", Path: "/app/node_modules/x/LICENSE", Confidence: 0.98}},
	}
	got := c.Findings(inv)
	want := []string{
		"pkg:deb/debian/bash@5.2.15-2+b8 GPL-3.0-or-later restricted HIGH",
		"pkg:deb/debian/bash@5.2.15-2+b8 BSD-4-Clause-UC notice LOW",
		"pkg:deb/debian/bash@5.2.15-2+b8 permissive unknown UNKNOWN",
		"pkg:deb/debian/zlib1g@1.2.13 Zlib notice LOW",
		"/app/node_modules/x/LICENSE MIT notice LOW",
	}
	var have []string
	for _, f := range got {
		k := f.PkgPURL
		if k == "" {
			k = f.Path
		}
		have = append(have, k+" "+f.License+" "+f.Category+" "+f.Severity)
	}
	if strings.Join(have, "\n") != strings.Join(want, "\n") {
		t.Errorf("findings:\n%s\nwant:\n%s", strings.Join(have, "\n"), strings.Join(want, "\n"))
	}
}

// FuzzNormalize: no input panics; a mapped result is a valid SPDX expression whose
// category can be computed.
func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"GPLv2+", "MIT and BSD", "(MIT OR Apache-2.0)", "GPL-2 with OpenSSL exception", "License :: OSI Approved :: MIT License", "((", "a OR b AND c"} {
		f.Add(s)
	}
	c, err := NewClassifier(Config{})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, s string) {
		expr, ok := Normalize(s)
		cat := c.Category(expr)
		if c.Severity(cat) == "" {
			t.Fatalf("no severity for %q", cat)
		}
		if ok {
			if valid, bad := spdxexp.ValidateLicenses([]string{expr}); !valid {
				t.Fatalf("Normalize(%q) = %q, not valid SPDX: %v", s, expr, bad)
			}
		}
	})
}
