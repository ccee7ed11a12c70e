package report

import (
	"encoding/json"
	"os"
	"testing"
)

func TestSPDXLicenseID(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"MIT", "MIT", true},
		{"mit", "MIT", true},
		{" Apache-2.0 ", "Apache-2.0", true},
		{"GPL-2.0-or-later", "GPL-2.0-or-later", true},
		{"GPL-2.0+", "GPL-2.0+", true}, // deprecated, still on the list
		{"GPL-2", "", false},           // Debian's short name, not SPDX
		{"GPLv2+", "", false},          // Fedora's legacy name
		{"public-domain", "", false},
		{"Classpath-exception-2.0", "", false}, // an exception, not a licence
		{"", "", false},
	}
	for _, tt := range tests {
		got, ok := SPDXLicenseID(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("SPDXLicenseID(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestSPDXExpression(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"MIT", "MIT", true},
		{"MIT AND BSD-2-Clause", "MIT AND BSD-2-Clause", true},
		{"mit  and bsd-2-clause", "", false}, // operators are upper case
		{"mpl-2.0 AND mit", "MPL-2.0 AND MIT", true},
		{"GPL-2.0-only OR (MIT AND Zlib)", "GPL-2.0-only OR (MIT AND Zlib)", true},
		{"( MIT OR Zlib )", "(MIT OR Zlib)", true},
		{"GPL-2.0-or-later WITH classpath-exception-2.0", "GPL-2.0-or-later WITH Classpath-exception-2.0", true},
		{"LGPL-2.1+ OR MIT", "LGPL-2.1+ OR MIT", true},
		{"Apache-2.0+", "Apache-2.0+", true},
		{"MIT WITH MIT", "", false},
		{"(MIT OR Zlib) WITH Classpath-exception-2.0", "", false},
		{"MIT AND", "", false},
		{"AND MIT", "", false},
		{"(MIT", "", false},
		{"MIT)", "", false},
		{"MIT Zlib", "", false},
		{"LicenseRef-foo", "", false},
		{"GPLv3+ and GPLv3+ with exceptions", "", false},
		{"MIT/X11", "", false},
		{"", "", false},
		{"()", "", false},
	}
	for _, tt := range tests {
		got, ok := SPDXExpression(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("SPDXExpression(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestIsCompoundExpression(t *testing.T) {
	for in, want := range map[string]bool{"MIT": false, "GPL-2.0+": false, "MIT OR Zlib": true, "(MIT)": true} {
		if got := IsCompoundExpression(in); got != want {
			t.Errorf("IsCompoundExpression(%q) = %v, want %v", in, got, want)
		}
	}
}

// TestLicenseListMatchesCycloneDXSchema checks that every identifier we accept is in the enum
// CycloneDX validates license.id against, so a license.id we write always validates.
func TestLicenseListMatchesCycloneDXSchema(t *testing.T) {
	data, err := os.ReadFile("cyclonedx/testdata/schema/spdx.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	var schema struct {
		Enum []string `json:"enum"`
	}
	if err := json.Unmarshal(data, &schema); err != nil {
		t.Fatal(err)
	}
	enum := make(map[string]bool, len(schema.Enum))
	for _, id := range schema.Enum {
		enum[id] = true
	}
	idsOnce.Do(loadIDs)
	for _, m := range []map[string]string{licenseIDs, exceptionIDs} {
		for _, id := range m {
			if !enum[id] {
				t.Errorf("%q is not in the CycloneDX spdx.schema.json enum", id)
			}
			delete(enum, id)
		}
	}
	if len(enum) != 0 {
		t.Errorf("%d identifiers of the schema enum are missing from our lists", len(enum))
	}
}
