// Package vulndb holds shipshape's vulnerability database: the record types every feed
// parser produces, the SQLite store they are written to, and the read-only queries the
// matcher runs. No vulnerability knowledge lives in code: it is all data here.
package vulndb

import (
	"strings"
)

// Statuses of a package with respect to a vulnerability.
const (
	StatusFixed       = "fixed"        // a fixed version exists (Ranges say which)
	StatusAffected    = "affected"     // affected, no fix yet
	StatusWillNotFix  = "will-not-fix" // the distro decided not to fix it
	StatusNotAffected = "not-affected" // the distro says this package is not affected
	StatusEndOfLife   = "end-of-life"  // the distro release is no longer supported
)

// Severity ratings, highest first. UNKNOWN means no source rated the vulnerability.
const (
	Critical   = "CRITICAL"
	High       = "HIGH"
	Medium     = "MEDIUM"
	Low        = "LOW"
	Negligible = "NEGLIGIBLE"
	Unknown    = "UNKNOWN"
)

// Ratings lists the severity ratings from highest to lowest.
var Ratings = []string{Critical, High, Medium, Low, Negligible, Unknown}

// RatingRank orders ratings: CRITICAL is 5, UNKNOWN 0.
func RatingRank(r string) int {
	switch strings.ToUpper(r) {
	case Critical:
		return 5
	case High:
		return 4
	case Medium:
		return 3
	case Low:
		return 2
	case Negligible:
		return 1
	}
	return 0
}

// Severity is one source's view of how bad a vulnerability is.
type Severity struct {
	// Source names who says so: "nvd", "debian", "alpine", "ghsa", "redhat", "ubuntu", "osv" ...
	Source string `json:"source"`
	// Type is CVSS_V2, CVSS_V3, CVSS_V4, or empty for a bare rating.
	Type   string  `json:"type,omitempty"`
	Vector string  `json:"vector,omitempty"`
	Score  float64 `json:"score,omitempty"`
	// Rating is one of Ratings.
	Rating string `json:"rating,omitempty"`
}

// Vulnerability is what one source says about one vulnerability id.
type Vulnerability struct {
	ID          string     `json:"id"`
	Aliases     []string   `json:"aliases,omitempty"`
	Summary     string     `json:"summary,omitempty"`
	Description string     `json:"description,omitempty"`
	Severities  []Severity `json:"severities,omitempty"`
	CWEs        []string   `json:"cwes,omitempty"`
	Published   string     `json:"published,omitempty"`
	Modified    string     `json:"modified,omitempty"`
	References  []string   `json:"references,omitempty"`
	// Source is the feed that said it (filled by the builder when empty).
	Source string `json:"source"`
}

// Range is one interval of affected versions, in the namespace's version rules:
// introduced <= v < fixed, or introduced <= v <= lastAffected. An empty Introduced means
// from the beginning; no Fixed and no LastAffected means with no end.
type Range struct {
	// Type is ECOSYSTEM, SEMVER or GIT as in OSV; distro feeds use ECOSYSTEM.
	Type         string `json:"type,omitempty"`
	Introduced   string `json:"introduced,omitempty"`
	Fixed        string `json:"fixed,omitempty"`
	LastAffected string `json:"lastAffected,omitempty"`
}

// Affected says which versions of one package in one namespace a vulnerability affects.
type Affected struct {
	VulnID string `json:"vulnID"`
	// Namespace is "<distro>:<release>" for OS packages (debian:12, ubuntu:22.04,
	// alpine:3.19, rhel:9) or the ecosystem for language packages (go, npm, pypi,
	// crates.io, rubygems, packagist, maven, nuget).
	Namespace string `json:"namespace"`
	// Package is the source package for distros, the package/module name otherwise.
	Package  string   `json:"package"`
	Ranges   []Range  `json:"ranges,omitempty"`
	Versions []string `json:"versions,omitempty"`
	Status   string   `json:"status"`
	// Severity is the distro's own rating of this vulnerability for this package, if any.
	Severity *Severity `json:"severity,omitempty"`
	// Platforms limits the row to programs built for some platforms (the Go vulnerability
	// database's ecosystem_specific.imports[].goos/goarch): it applies to a program built for
	// os/arch when any entry matches. Empty means every platform.
	Platforms []Platform `json:"platforms,omitempty"`
	// Source is the feed that said it (filled by the builder when empty).
	Source string `json:"source"`
}

// Platform is one set of operating systems and architectures, as Go names them (GOOS,
// GOARCH). An empty list matches every value.
type Platform struct {
	OS   []string `json:"os,omitempty"`
	Arch []string `json:"arch,omitempty"`
}

// AppliesTo reports whether the row applies to a program built for goos/goarch; an empty
// goos or goarch (not known) matches every entry.
func (a *Affected) AppliesTo(goos, goarch string) bool {
	if len(a.Platforms) == 0 {
		return true
	}
	for _, p := range a.Platforms {
		if matchesAny(goos, p.OS) && matchesAny(goarch, p.Arch) {
			return true
		}
	}
	return false
}

func matchesAny(v string, list []string) bool {
	if v == "" || len(list) == 0 {
		return true
	}
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// EPSS is the exploit prediction score of one CVE.
type EPSS struct {
	CVE        string  `json:"cve"`
	Score      float64 `json:"score"`
	Percentile float64 `json:"percentile"`
	Date       string  `json:"date,omitempty"`
}

// KEV is a CISA Known Exploited Vulnerabilities entry.
type KEV struct {
	CVE                string `json:"cve"`
	VendorProject      string `json:"vendorProject,omitempty"`
	Product            string `json:"product,omitempty"`
	Name               string `json:"name,omitempty"`
	DateAdded          string `json:"dateAdded,omitempty"`
	DueDate            string `json:"dueDate,omitempty"`
	RequiredAction     string `json:"requiredAction,omitempty"`
	KnownRansomwareUse string `json:"knownRansomwareUse,omitempty"`
}

// CWE names one weakness.
type CWE struct {
	ID   string `json:"id"` // "CWE-79"
	Name string `json:"name"`
}

// Release is the support lifecycle of one distribution release.
type Release struct {
	// Namespace is the release's namespace, as in Affected (debian:12, alpine:3.19).
	Namespace string `json:"namespace"`
	// Name is the release's name for messages ("Debian 12 (Bookworm)").
	Name string `json:"name,omitempty"`
	// EOL is the date (YYYY-MM-DD) after which the distribution publishes no more security
	// fixes for the release; empty when not announced.
	EOL string `json:"eol,omitempty"`
	// Source is the feed that said it (filled by the builder when empty).
	Source string `json:"source"`
}

// Record is one unit a feed emits. Exactly the fields the feed knows are set.
type Record struct {
	Vulnerability *Vulnerability
	Affected      []Affected
	EPSS          *EPSS
	KEV           *KEV
	CWE           *CWE
	Release       *Release
}

// SourceInfo describes one feed in the DB's metadata.
type SourceInfo struct {
	Name string `json:"name"`
	// DataDate is when the feed's data was produced (RFC 3339 date or time), as far as known.
	DataDate string `json:"dataDate,omitempty"`
	Records  int    `json:"records"`
	Origin   string `json:"origin,omitempty"`
	Licence  string `json:"licence,omitempty"`
}

// NormalizePackage returns the form a package name is stored and queried under in a
// namespace: PyPI names per PEP 503, Composer and NuGet names lower case; others as is.
func NormalizePackage(namespace, name string) string {
	switch Ecosystem(namespace) {
	case "pypi":
		n := strings.ToLower(name)
		var b strings.Builder
		dash := false
		for _, r := range n {
			if r == '-' || r == '_' || r == '.' {
				if !dash {
					b.WriteByte('-')
				}
				dash = true
				continue
			}
			dash = false
			b.WriteRune(r)
		}
		return b.String()
	case "packagist", "nuget":
		return strings.ToLower(name)
	}
	return name
}

// Ecosystem returns the part of a namespace before ':' ("debian" for "debian:12").
func Ecosystem(namespace string) string {
	if i := strings.IndexByte(namespace, ':'); i >= 0 {
		return namespace[:i]
	}
	return namespace
}
