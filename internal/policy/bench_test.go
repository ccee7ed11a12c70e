package policy

import (
	"fmt"
	"strings"
	"testing"

	"github.com/shipshape-dev/shipshape/internal/inventory"
)

// BenchmarkApply applies an ignore file of 200 entries (ids, purls, paths) and the three VEX
// documents to the real npm scan, its findings repeated to 800.
func BenchmarkApply(b *testing.B) {
	inv := loadScan(b)
	var fs []inventory.Finding
	for len(fs) < 800 {
		fs = append(fs, inv.Vulnerabilities...)
	}
	var y strings.Builder
	y.WriteString("vulnerabilities:\n")
	for i := range 200 {
		switch i % 3 {
		case 0:
			fmt.Fprintf(&y, "  - id: CVE-2099-%04d\n", i)
		case 1:
			fmt.Fprintf(&y, "  - purl: pkg:npm/nosuch%d\n", i)
		default:
			fmt.Fprintf(&y, "  - path: \"**/nosuch%d/**\"\n", i)
		}
	}
	ign, err := ParseIgnoreYAML([]byte(y.String()), "bench.yaml")
	if err != nil {
		b.Fatal(err)
	}
	var docs []*VEXDocument
	for _, name := range []string{"app.openvex.json", "app.cdx-vex.json", "app.csaf-vex.json"} {
		d, err := LoadVEX("testdata/vex/" + name)
		if err != nil {
			b.Fatal(err)
		}
		docs = append(docs, d)
	}
	b.ResetTimer()
	for b.Loop() {
		c := *inv
		c.Vulnerabilities = append([]inventory.Finding(nil), fs...)
		c.Warnings = nil
		Apply(&c, Options{Ignore: []*IgnoreFile{ign}, VEX: docs, Now: fixedNow})
	}
}
