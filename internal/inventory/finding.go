package inventory

// CVSS is one CVSS assessment of a vulnerability.
type CVSS struct {
	Source  string  `json:"source"`
	Version string  `json:"version"` // "2.0", "3.0", "3.1", "4.0"
	Vector  string  `json:"vector"`
	Score   float64 `json:"score,omitempty"`
}

// EPSS is the exploit prediction score of a CVE.
type EPSS struct {
	Score      float64 `json:"score"`
	Percentile float64 `json:"percentile"`
}

// KEV marks a CVE listed in CISA's Known Exploited Vulnerabilities catalog.
type KEV struct {
	DateAdded          string `json:"dateAdded,omitempty"`
	DueDate            string `json:"dueDate,omitempty"`
	KnownRansomwareUse string `json:"knownRansomwareUse,omitempty"`
}

// Finding is one vulnerability in one installed package.
type Finding struct {
	// ID is the vulnerability id the data source uses (CVE-..., GHSA-..., GO-...).
	ID      string   `json:"id"`
	Aliases []string `json:"aliases,omitempty"`
	// Package identity: the purl of the package in the inventory, plus its name and version
	// for readers that do not resolve purls.
	PkgPURL          string `json:"pkgPURL"`
	PkgType          string `json:"pkgType"`
	PkgName          string `json:"pkgName"`
	InstalledVersion string `json:"installedVersion"`
	// SourceName is the source package the advisory names, when it differs from PkgName.
	SourceName string `json:"sourceName,omitempty"`
	// FixedVersion is the lowest version that fixes it, empty when there is none.
	FixedVersion string `json:"fixedVersion,omitempty"`
	// Status is fixed, affected (no fix yet), will-not-fix or end-of-life.
	Status string `json:"status"`
	// Severity is CRITICAL, HIGH, MEDIUM, LOW, NEGLIGIBLE or UNKNOWN, and SeveritySource
	// says whose rating it is (the distro, nvd, ghsa, ...).
	Severity       string   `json:"severity"`
	SeveritySource string   `json:"severitySource,omitempty"`
	CVSS           []CVSS   `json:"cvss,omitempty"`
	CWEs           []string `json:"cwes,omitempty"`
	// CWENames maps CWE ids to their names, where known.
	CWENames    map[string]string `json:"cweNames,omitempty"`
	Title       string            `json:"title,omitempty"`
	Description string            `json:"description,omitempty"`
	References  []string          `json:"references,omitempty"`
	Published   string            `json:"published,omitempty"`
	Modified    string            `json:"modified,omitempty"`
	// Namespace is the DB namespace matched (debian:12, alpine:3.19, go, npm ...), and
	// DataSources the feeds that said the package is affected.
	Namespace   string    `json:"namespace"`
	DataSources []string  `json:"dataSources,omitempty"`
	Location    string    `json:"location,omitempty"`
	Layer       *LayerRef `json:"layer,omitempty"`
	EPSS        *EPSS     `json:"epss,omitempty"`
	KEV         *KEV      `json:"kev,omitempty"`
	// Risk is the documented risk score (0-100) from CVSS, EPSS and KEV; 0 when not computed.
	Risk float64 `json:"risk,omitempty"`
	// Suppressed is set when an ignore file or VEX statement keeps the finding out of the gate.
	Suppressed *Suppression `json:"suppressed,omitempty"`
	// VEX records a VEX statement that applies without suppressing (status affected or
	// under_investigation: kind vex, Statement the status); suppressing ones are in Suppressed.
	VEX *Suppression `json:"vex,omitempty"`
}

// DBInfo says which vulnerability data a report was matched against.
type DBInfo struct {
	SchemaVersion int    `json:"schemaVersion"`
	BuiltAt       string `json:"builtAt"`
	// DataDate is the date of the oldest source's data.
	DataDate string         `json:"dataDate"`
	Sources  []DBSourceInfo `json:"sources,omitempty"`
	// Embedded is true when the DB was built from the snapshot inside the binary.
	Embedded bool `json:"embedded,omitempty"`
}

// DBSourceInfo describes one feed in the DB.
type DBSourceInfo struct {
	Name     string `json:"name"`
	DataDate string `json:"dataDate,omitempty"`
	Records  int    `json:"records"`
}
