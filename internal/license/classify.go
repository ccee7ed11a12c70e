package license

import (
	"path"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/google/licensecheck"

	"github.com/shipshape-dev/shipshape/internal/inventory"
)

// MinCoverage is the least share (percent) of a licence file's words that must match known
// licence texts for the file to be reported as those licences.
const MinCoverage = 75

// licenseFileName matches the names of licence files: LICENSE, LICENCE, COPYING, UNLICENSE,
// with an optional extension or suffix (LICENSE.txt, LICENSE-MIT, COPYING.LIB).
var licenseFileName = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(?i)^(?:licen[cs]e|copying|unlicense|mit-license)(?:\.(?:txt|md|rst|html?|mit|apache|bsd|gpl|lgpl|lib)|[-_][\w.-]+)?$`)
})

// IsLicenseFile reports whether p names a licence file by its base name. Debian's
// /usr/share/doc/*/copyright files are not: the dpkg analyzer reads them as package metadata.
func IsLicenseFile(p string) bool {
	return licenseFileName().MatchString(path.Base(p))
}

// Classified is one licence recognised in a text.
type Classified struct {
	// ID is the SPDX id (or licensecheck's name for licences SPDX lacks).
	ID string
	// Confidence is the share of the file's words matching known licence texts (0-1).
	Confidence float64
}

// ClassifyText recognises the licences a licence file holds. It returns nothing when less
// than MinCoverage percent of the text matches known licences.
func ClassifyText(text []byte) []Classified {
	cov := licensecheck.Scan(text)
	if cov.Percent < MinCoverage {
		return nil
	}
	var out []Classified
	seen := map[string]bool{}
	for _, m := range cov.Match {
		if m.IsURL || seen[m.ID] {
			continue
		}
		seen[m.ID] = true
		id := m.ID
		if n, ok := Normalize(id); ok {
			id = n
		}
		out = append(out, Classified{ID: id, Confidence: float64(int(cov.Percent*10)) / 1000})
	}
	slices.SortFunc(out, func(a, b Classified) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// Findings turns an inventory's package licences into licence findings and completes the
// licence-file findings already in inv.Licenses (from the licence-file analyzer) with
// their category and severity. Packages without licences get none.
func (c *Classifier) Findings(inv *inventory.Inventory) []inventory.LicenseFinding {
	var out []inventory.LicenseFinding
	for _, p := range inv.Packages {
		seen := map[string]bool{}
		for _, raw := range p.Licenses {
			expr, _ := Normalize(raw)
			if expr == "" || seen[expr] {
				continue
			}
			seen[expr] = true
			cat := c.Category(expr)
			out = append(out, inventory.LicenseFinding{
				License: expr, Category: cat, Severity: c.Severity(cat),
				PkgPURL: p.PURL, PkgName: p.Name, Path: p.Location, Layer: p.Layer,
			})
		}
	}
	for _, f := range inv.Licenses {
		if f.PkgPURL != "" || f.PkgName != "" {
			continue // already a package finding
		}
		f.Category = c.Category(f.License)
		f.Severity = c.Severity(f.Category)
		out = append(out, f)
	}
	return out
}
