// Package gitlab writes vulnerability findings as a GitLab container-scanning report (the
// security report schema, version 15), the artifact GitLab CI reads with
// artifacts:reports:container_scanning to show findings in merge requests and the
// vulnerability report.
package gitlab

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strings"

	"github.com/google/uuid"

	"github.com/shipshape-dev/shipshape/internal/inventory"
	"github.com/shipshape-dev/shipshape/internal/report"
)

// SchemaVersion is the version of GitLab's security report schemas the report follows.
const SchemaVersion = "15.0.7"

// Limits of the schema.
const (
	maxName        = 255
	maxDescription = 1048576
	maxSolution    = 7000
)

// InformationURL is the scanner's home page in the report.
const InformationURL = "https://github.com/shipshape-dev/shipshape"

// ErrNoClock is returned when Options.Now is nil: the schema requires the scan's start and
// end times.
var ErrNoClock = errors.New("gitlab: the report needs the scan time (Options.Now)")

// idNamespace makes vulnerability ids UUIDs derived from what identifies the finding, so
// that the same finding keeps its id from one pipeline to the next.
var idNamespace = uuid.MustParse("3f1f2a8e-6c1b-4e0e-9d55-1d5c0c3b8a11")

// Report is the top-level object.
type Report struct {
	Version         string          `json:"version"`
	Scan            Scan            `json:"scan"`
	Vulnerabilities []Vulnerability `json:"vulnerabilities"`
	Remediations    []any           `json:"remediations"`
}

// Scan describes the scan.
type Scan struct {
	Analyzer  Tool   `json:"analyzer"`
	Scanner   Tool   `json:"scanner"`
	Type      string `json:"type"`
	StartTime string `json:"start_time"`
	EndTime   string `json:"end_time"`
	Status    string `json:"status"`
}

// Tool is the analyzer or scanner.
type Tool struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	URL     string `json:"url"`
	Vendor  Vendor `json:"vendor"`
	Version string `json:"version"`
}

// Vendor names who makes the tool.
type Vendor struct {
	Name string `json:"name"`
}

// Vulnerability is one finding: one vulnerability in one package.
type Vulnerability struct {
	ID          string       `json:"id"`
	Name        string       `json:"name"`
	Description string       `json:"description,omitempty"`
	Severity    string       `json:"severity"`
	Solution    string       `json:"solution,omitempty"`
	Identifiers []Identifier `json:"identifiers"`
	Links       []Link       `json:"links,omitempty"`
	Flags       []Flag       `json:"flags,omitempty"`
	Location    Location     `json:"location"`
}

// Identifier is an id of the vulnerability (CVE, GHSA, …).
type Identifier struct {
	Type  string `json:"type"`
	Name  string `json:"name"`
	Value string `json:"value"`
	URL   string `json:"url,omitempty"`
}

// Link is a reference URL.
type Link struct {
	URL string `json:"url"`
}

// Flag marks a finding an ignore file or VEX statement suppresses.
type Flag struct {
	Type        string `json:"type"`
	Origin      string `json:"origin"`
	Description string `json:"description"`
}

// Location is the package in the image.
type Location struct {
	Dependency      Dependency `json:"dependency"`
	OperatingSystem string     `json:"operating_system"`
	Image           string     `json:"image"`
}

// Dependency is the affected package and its installed version.
type Dependency struct {
	Package Package `json:"package"`
	Version string  `json:"version"`
}

// Package names the affected package.
type Package struct {
	Name string `json:"name"`
}

// Write writes the vulnerability findings of inv as a GitLab container-scanning report.
// Misconfigurations, secrets and licences have report types of their own in GitLab and are
// not part of it. Suppressed findings stay, flagged as likely false positives with the
// reason. opts.Now is required: the schema requires the scan time.
func Write(w io.Writer, inv *inventory.Inventory, opts report.Options) error {
	r, err := New(inv, opts)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(r); err != nil {
		return fmt.Errorf("gitlab: writing the report for %s: %w", inv.Target.Name, err)
	}
	return nil
}

// New builds the report Write writes.
func New(inv *inventory.Inventory, opts report.Options) (*Report, error) {
	inv, err := report.SortedBy(inv, opts.FindingOrder)
	if err != nil {
		return nil, fmt.Errorf("gitlab: %w", err)
	}
	ts, ok := opts.Timestamp()
	if !ok {
		return nil, ErrNoClock
	}
	name, version := opts.Tool()
	tool := Tool{ID: toolID(name), Name: name, URL: InformationURL, Vendor: Vendor{Name: name}, Version: cmp.Or(version, "unknown")}
	when := ts.Format("2006-01-02T15:04:05")
	r := &Report{
		Version:         SchemaVersion,
		Scan:            Scan{Analyzer: tool, Scanner: tool, Type: "container_scanning", StartTime: when, EndTime: when, Status: "success"},
		Vulnerabilities: []Vulnerability{},
		Remediations:    []any{},
	}
	osName := "Unknown"
	if inv.OS.Known() {
		osName = strings.TrimSpace(inv.OS.Family + " " + inv.OS.Version)
	}
	image := cmp.Or(oneLine(inv.Target.Name), "Unknown")
	seen := map[string]int{}
	for i := range inv.Vulnerabilities {
		v := vulnerability(&inv.Vulnerabilities[i], osName, image)
		// Findings that differ only in what GitLab does not show (location, layer) would
		// share an id; number the repeats.
		if n := seen[v.ID]; n > 0 {
			v.ID = uuid.NewSHA1(idNamespace, fmt.Appendf(nil, "%s#%d", v.ID, n)).String()
		}
		seen[v.ID]++
		r.Vulnerabilities = append(r.Vulnerabilities, v)
	}
	return r, nil
}

func vulnerability(f *inventory.Finding, osName, image string) Vulnerability {
	v := Vulnerability{
		ID: uuid.NewSHA1(idNamespace, []byte(strings.Join([]string{f.ID, f.PkgPURL, f.PkgName, f.InstalledVersion,
			f.Location, layerID(f.Layer)}, "\x00"))).String(),
		Name:     truncate(oneLine(cmp.Or(f.ID+" in "+f.PkgName+" "+f.InstalledVersion, f.ID)), maxName),
		Severity: severity(f.Severity),
		Location: Location{
			Dependency:      Dependency{Package: Package{Name: cmp.Or(f.PkgName, "unknown")}, Version: f.InstalledVersion},
			OperatingSystem: osName,
			Image:           image,
		},
	}
	var desc strings.Builder
	if t := oneLine(f.Title); t != "" {
		desc.WriteString(t)
		desc.WriteString("\n\n")
	}
	desc.WriteString(strings.TrimSpace(f.Description))
	if f.Layer != nil {
		fmt.Fprintf(&desc, "\n\nInstalled by %s", report.LayerLabel(f.Layer, 0))
	}
	if f.EPSS != nil {
		fmt.Fprintf(&desc, "\n\nEPSS %.5f (percentile %.5f).", f.EPSS.Score, f.EPSS.Percentile)
	}
	if f.VEX != nil {
		fmt.Fprintf(&desc, "\n\nVEX status: %s.", oneLine(f.VEX.Statement))
	}
	if f.KEV != nil {
		desc.WriteString("\n\nListed in CISA's Known Exploited Vulnerabilities catalog")
		if f.KEV.DateAdded != "" {
			desc.WriteString(" since " + f.KEV.DateAdded)
		}
		desc.WriteString(".")
	}
	v.Description = truncate(strings.TrimSpace(desc.String()), maxDescription)
	switch {
	case f.FixedVersion != "":
		v.Solution = truncate("Upgrade "+oneLine(f.PkgName)+" to "+oneLine(f.FixedVersion)+".", maxSolution)
	case f.Status == "will-not-fix":
		v.Solution = "The distribution will not fix it in this release."
	case f.Status == "end-of-life":
		v.Solution = "The distribution release is end of life: move to a supported release."
	default:
		v.Solution = "No fixed version yet."
	}
	ids := append([]string{f.ID}, f.Aliases...)
	seen := map[string]bool{}
	for _, id := range ids {
		id = strings.TrimSpace(id)
		if id == "" || seen[id] {
			continue
		}
		seen[id] = true
		ident := Identifier{Type: identifierType(id), Name: id, Value: id}
		if _, page, ok := report.AdvisoryPage(id); ok {
			ident.URL = page
		}
		v.Identifiers = append(v.Identifiers, ident)
	}
	if len(v.Identifiers) == 0 {
		v.Identifiers = []Identifier{{Type: "shipshape", Name: "unknown", Value: "unknown"}}
	}
	refs := slices.Clone(f.References)
	slices.Sort(refs)
	for _, ref := range slices.Compact(refs) {
		if isURL(ref) {
			v.Links = append(v.Links, Link{URL: ref})
		}
	}
	if s := f.Suppressed; s != nil {
		d := "suppressed by " + s.Kind
		if s.Source != "" {
			d += " (" + s.Source + ")"
		}
		if s.Statement != "" {
			d += ": " + s.Statement
		}
		if s.Reason != "" {
			d += ": " + s.Reason
		}
		v.Flags = []Flag{{Type: "flagged-as-likely-false-positive", Origin: "shipshape", Description: oneLine(d)}}
	}
	return v
}

// severity maps shipshape's ratings to GitLab's: NEGLIGIBLE is Info.
func severity(s string) string {
	switch report.NormalizeSeverity(s) {
	case report.SeverityCritical:
		return "Critical"
	case report.SeverityHigh:
		return "High"
	case report.SeverityMedium:
		return "Medium"
	case report.SeverityLow:
		return "Low"
	case report.SeverityNegligible:
		return "Info"
	}
	return "Unknown"
}

// identifierType is the lower-case prefix of an id: cve, ghsa, go, rustsec, dsa, …
func identifierType(id string) string {
	prefix, _, ok := strings.Cut(id, "-")
	if !ok || prefix == "" {
		return "shipshape"
	}
	return strings.ToLower(prefix)
}

func toolID(name string) string {
	id := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			return r
		}
		return '-'
	}, name)
	return cmp.Or(id, "shipshape")
}

func layerID(l *inventory.LayerRef) string {
	if l == nil {
		return ""
	}
	return fmt.Sprintf("%d:%s", l.Index, l.DiffID)
}

func isURL(s string) bool {
	if strings.ContainsFunc(s, func(c rune) bool { return c <= ' ' || c == 0x7f }) {
		return false
	}
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https" || u.Scheme == "ftp") && u.Host != ""
}

func oneLine(s string) string {
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool { return r <= ' ' || r == 0x7f }), " ")
}

// truncate cuts s to at most n characters (the schema counts characters), the last an
// ellipsis when anything was cut.
func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
