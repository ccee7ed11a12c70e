package policy

import (
	"math"
	"strings"

	"github.com/shipshape-dev/shipshape/internal/inventory"
)

// Risk returns the finding's risk score, 0 to 100, rounded to one decimal:
//
//	risk = 10 × B × (0.3 + 0.7 × L)
//
// where B (0-10) is the CVSS base score of the newest CVSS version the finding has (the
// highest score among that version's sources), or, with no CVSS score, a stand-in for the
// severity rating (CRITICAL 9.5, HIGH 7.5, MEDIUM 5.0, LOW 2.5, NEGLIGIBLE 1.0, unrated
// 5.0); and L (0-1) is the likelihood of exploitation: 1 when the CVE is in CISA's Known
// Exploited Vulnerabilities catalog, else its EPSS probability, else 0. So impact alone
// gives at most 30, and the rest comes from evidence of exploitation: a CVSS 9.8 flaw in
// KEV scores 98, the same flaw with EPSS 0.02 scores 29.8.
func Risk(f *inventory.Finding) float64 {
	b := baseScore(f)
	l := 0.0
	if f.KEV != nil {
		l = 1
	} else if f.EPSS != nil && f.EPSS.Score > 0 && f.EPSS.Score <= 1 {
		l = f.EPSS.Score
	}
	r := 10 * b * (0.3 + 0.7*l)
	// The small nudge makes halves round up despite binary fractions (75 × 0.65 = 48.75).
	return math.Round(r*10+1e-9) / 10
}

// baseScore is B of Risk.
func baseScore(f *inventory.Finding) float64 {
	best, bestVer := -1.0, ""
	for _, c := range f.CVSS {
		if c.Score <= 0 || c.Score > 10 || math.IsNaN(c.Score) {
			continue
		}
		v := c.Version
		if bestVer == "" || compareCVSSVersion(v, bestVer) > 0 || (v == bestVer && c.Score > best) {
			best, bestVer = c.Score, v
		}
	}
	if best >= 0 {
		return best
	}
	switch strings.ToUpper(f.Severity) {
	case "CRITICAL":
		return 9.5
	case "HIGH":
		return 7.5
	case "LOW":
		return 2.5
	case "NEGLIGIBLE":
		return 1.0
	}
	return 5.0
}

// compareCVSSVersion orders "2.0" < "3.0" < "3.1" < "4.0"; unknown versions come first.
func compareCVSSVersion(a, b string) int {
	rank := func(v string) int {
		switch v {
		case "2.0", "2":
			return 1
		case "3.0":
			return 2
		case "3.1":
			return 3
		case "4.0", "4":
			return 4
		}
		return 0
	}
	return rank(a) - rank(b)
}
