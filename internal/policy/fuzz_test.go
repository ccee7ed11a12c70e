package policy

import (
	"os"
	"path/filepath"
	"testing"
)

// The fuzz tests check that no input makes a parser panic or hang, and that whatever parses
// can be applied to a real scan. Seeds: testdata/fuzz/<FuzzName>/ plus the test documents.

func FuzzParseIgnoreYAML(f *testing.F) {
	f.Add([]byte("vulnerabilities:\n  - id: CVE-2021-44906\n    purl: pkg:npm/minimist\n    path: \"**/node_modules/**\"\n    expires: 2027-01-01\n    reason: r\n"))
	f.Add([]byte("secrets:\n  - id: aws-access-key-id\n    path: app/**\nmisconfigurations:\n  - id: DS002\nlicenses:\n  - id: GPL-3.0-only\n    package: bash\n"))
	inv := loadScan(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := ParseIgnoreYAML(data, "fuzz.yaml")
		if err != nil {
			return
		}
		c := *inv
		c.Vulnerabilities = append(c.Vulnerabilities[:0:0], inv.Vulnerabilities...)
		c.Warnings = nil
		Apply(&c, Options{Ignore: []*IgnoreFile{file}, Now: fixedNow})
	})
}

func FuzzParsePlainIgnore(f *testing.F) {
	f.Add([]byte("# comment\nCVE-2020-8203\nGHSA-29mw-wpgm-hmr9 exp:2026-01-01\n"))
	inv := loadScan(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := ParsePlainIgnore(data, ".trivyignore")
		if err != nil {
			return
		}
		c := *inv
		c.Vulnerabilities = append(c.Vulnerabilities[:0:0], inv.Vulnerabilities...)
		c.Warnings = nil
		Apply(&c, Options{Ignore: []*IgnoreFile{file}, Now: fixedNow})
	})
}

func FuzzParseVEX(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "vex", "*.json"))
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	inv := loadScan(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		doc, err := ParseVEX(data, "fuzz.json")
		if err != nil {
			return
		}
		c := *inv
		c.Vulnerabilities = append(c.Vulnerabilities[:0:0], inv.Vulnerabilities...)
		c.Warnings = nil
		Apply(&c, Options{VEX: []*VEXDocument{doc}, Now: fixedNow})
	})
}
