package policy

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/shipshape-dev/shipshape/internal/inventory"
)

// Sort keys for --sort-by.
const (
	SortSeverity = "severity"
	SortRisk     = "risk"
	SortEPSS     = "epss"
	SortPackage  = "package"
)

// SortKeys lists the --sort-by keys.
var SortKeys = []string{SortSeverity, SortRisk, SortEPSS, SortPackage}

// severityRank orders severity ratings, CRITICAL highest; anything else is 0.
func severityRank(s string) int {
	switch strings.ToUpper(strings.TrimSpace(s)) {
	case "CRITICAL":
		return 5
	case "HIGH":
		return 4
	case "MEDIUM":
		return 3
	case "LOW":
		return 2
	case "NEGLIGIBLE":
		return 1
	}
	return 0
}

func epssScore(f *inventory.Finding) float64 {
	if f.EPSS == nil {
		return -1
	}
	return f.EPSS.Score
}

func kevRank(f *inventory.Finding) int {
	if f.KEV != nil {
		return 1
	}
	return 0
}

// byPackage orders by package name, installed version, id and location.
func byPackage(a, b inventory.Finding) int {
	return cmp.Or(strings.Compare(a.PkgName, b.PkgName), strings.Compare(a.InstalledVersion, b.InstalledVersion),
		strings.Compare(a.ID, b.ID), strings.Compare(a.PkgPURL, b.PkgPURL), strings.Compare(a.Location, b.Location))
}

// FindingOrder returns the comparison for a --sort-by key:
//
//	severity  highest severity first, then highest risk, then package
//	risk      highest risk first (Risk), then KEV, EPSS and severity
//	epss      highest EPSS probability first (none last), then risk
//	package   package name, installed version, id
//
// Findings it leaves equal keep the writers' default order.
func FindingOrder(key string) (func(a, b inventory.Finding) int, error) {
	switch strings.ToLower(strings.TrimSpace(key)) {
	case SortSeverity, "":
		return func(a, b inventory.Finding) int {
			return cmp.Or(severityRank(b.Severity)-severityRank(a.Severity), cmp.Compare(b.Risk, a.Risk), byPackage(a, b))
		}, nil
	case SortRisk:
		return func(a, b inventory.Finding) int {
			return cmp.Or(cmp.Compare(b.Risk, a.Risk), kevRank(&b)-kevRank(&a), cmp.Compare(epssScore(&b), epssScore(&a)),
				severityRank(b.Severity)-severityRank(a.Severity), byPackage(a, b))
		}, nil
	case SortEPSS:
		return func(a, b inventory.Finding) int {
			return cmp.Or(cmp.Compare(epssScore(&b), epssScore(&a)), cmp.Compare(b.Risk, a.Risk),
				severityRank(b.Severity)-severityRank(a.Severity), byPackage(a, b))
		}, nil
	case SortPackage:
		return byPackage, nil
	}
	return nil, fmt.Errorf("unknown sort key %q (choose one of %s)", key, strings.Join(SortKeys, ", "))
}

// SortFindings orders fs in place by a --sort-by key (stable).
func SortFindings(fs []inventory.Finding, key string) error {
	order, err := FindingOrder(key)
	if err != nil {
		return err
	}
	slices.SortStableFunc(fs, order)
	return nil
}
