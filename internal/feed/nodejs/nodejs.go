// Package nodejs reads the Node.js Security Working Group's vulnerability data
// (github.com/nodejs/security-wg, folder vuln/) into vulndb records:
//
//   - vuln/npm/<n>.json, the npm ecosystem advisories of the former Node Security
//     Project (frozen since 2020), become Vulnerability{ID "NSWG-ECO-<n>", Aliases the
//     CVEs, Summary the title, Description the overview, a CVSS severity when a vector
//     or score is given} and Affected{Namespace "npm", Package module_name};
//   - vuln/core/<n>.json, Node.js runtime advisories, become Vulnerability{ID
//     "NSWG-COR-<n>", ...} and Affected{Namespace "nodejs", Package "node"}. Node.js
//     binaries are not yet something shipshape inventories; the entries wait for an
//     analyzer that reports the runtime as package "node" in namespace "nodejs".
//
// The aggregate index.json files and vuln/deps/ (assessments of CVEs in bundled
// dependencies, all of the kind "Node.js is not affected") are not read.
//
// Versions: both kinds give a vulnerable range and a patched range in node-semver syntax
// (npm: vulnerable_versions, patched_versions; core: vulnerable, patched). The affected
// set is vulnerable minus patched: for most advisories that is the vulnerable range as
// written (the two are complements), while for core advisories, which list whole release
// lines as vulnerable ("8.x || 10.x") and the fixes per line ("^8.1.4 || ^10.4.1"), it
// is what makes the ranges useful. That set becomes Ranges (Introduced/Fixed for "<",
// Introduced/LastAffected for "<="), and single versions become Versions; see semver.go
// for how ranges are desugared. Status is fixed when a patched version lies at or above
// the end of an affected range, else affected. An advisory whose vulnerable range
// cannot be read is skipped (Parse returns an error naming the file and it is counted
// in Stats); an unreadable patched range is ignored with a counted warning.
package nodejs

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/shipshape-dev/shipshape/internal/feed"
	"github.com/shipshape-dev/shipshape/internal/vulndb"
)

// Feed parses the Node.js Security WG advisories. It is safe for concurrent use.
type Feed struct {
	mu    sync.Mutex
	stats Stats
}

// Stats counts what a Feed has parsed since it was made.
type Stats struct {
	// Files is the number of advisory files read; Records the records emitted.
	Files, Records int
	// Skipped counts advisories left out, by reason.
	Skipped map[string]int
	// Warnings counts advisories emitted with a caveat, by kind.
	Warnings map[string]int
}

// Reasons and caveats counted in Stats.
const (
	SkipBadRange    = "vulnerable range not translatable"
	SkipMalformed   = "malformed advisory"
	WarnBadPatched  = "patched range not readable, ignored"
	WarnNothingLeft = "no version left affected (vulnerable within patched)"
)

// Namespaces and the core package name emitted.
const (
	NamespaceNPM  = "npm"
	NamespaceNode = "nodejs"
	PackageNode   = "node"
	severitySrc   = "nodejs-security-wg"
)

// New returns the Node.js Security WG feed parser.
func New() *Feed { return &Feed{} }

// Name returns "nodejs-security-wg".
func (*Feed) Name() string { return "nodejs-security-wg" }

// Info describes the data.
func (*Feed) Info() feed.Info {
	return feed.Info{
		Licence:     "MIT",
		Attribution: "Node.js Security Working Group vulnerability data, Copyright (c) Node.js Foundation, MIT licence (https://github.com/nodejs/security-wg)",
		UpstreamURL: "https://github.com/nodejs/security-wg/archive/refs/heads/main.tar.gz",
	}
}

// kind tells npm and core advisories apart by their folder; "" for other files.
func kind(name string) string {
	name = strings.ReplaceAll(name, "\\", "/")
	stem, ok := strings.CutSuffix(path.Base(name), ".json")
	if !ok || stem == "" || strings.Trim(stem, "0123456789") != "" {
		return ""
	}
	switch dir := path.Base(path.Dir(name)); dir {
	case "npm", "core":
		return dir
	}
	return ""
}

// Match accepts vuln/npm/<n>.json and vuln/core/<n>.json.
func (*Feed) Match(name string) bool { return kind(name) != "" }

// Stats returns a copy of the counters.
func (f *Feed) Stats() Stats {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.stats
	s.Skipped = clone(f.stats.Skipped)
	s.Warnings = clone(f.stats.Warnings)
	return s
}

func clone(m map[string]int) map[string]int {
	out := make(map[string]int, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func (f *Feed) count(records int, skipped string, warnings []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.stats.Files++
	f.stats.Records += records
	if skipped != "" {
		if f.stats.Skipped == nil {
			f.stats.Skipped = map[string]int{}
		}
		f.stats.Skipped[skipped]++
	}
	for _, w := range warnings {
		if f.stats.Warnings == nil {
			f.stats.Warnings = map[string]int{}
		}
		f.stats.Warnings[w]++
	}
}

// npmAdvisory is vuln/npm/<n>.json.
type npmAdvisory struct {
	ID                 *int64   `json:"id"`
	Title              string   `json:"title"`
	Overview           string   `json:"overview"`
	CVEs               []string `json:"cves"`
	ModuleName         string   `json:"module_name"`
	VulnerableVersions *string  `json:"vulnerable_versions"`
	PatchedVersions    *string  `json:"patched_versions"`
	CVSSVector         *string  `json:"cvss_vector"`
	CVSSScore          *float64 `json:"cvss_score"`
	PublishDate        string   `json:"publish_date"`
	UpdatedAt          string   `json:"updated_at"`
	References         []string `json:"references"`
}

// coreAdvisory is vuln/core/<n>.json.
type coreAdvisory struct {
	CVE         []string `json:"cve"`
	Ref         string   `json:"ref"`
	Vulnerable  *string  `json:"vulnerable"`
	Patched     *string  `json:"patched"`
	Description string   `json:"description"`
	Overview    string   `json:"overview"`
	Severity    string   `json:"severity"`
	CVSS        string   `json:"cvss"`
	CVSSScore   *float64 `json:"cvss_score"`
	PublishDate string   `json:"publish_date"`
}

// skipError is an advisory deliberately left out; reason is its Stats key.
type skipError struct {
	reason string
	err    error
}

func (e *skipError) Error() string { return e.reason + ": " + e.err.Error() }
func (e *skipError) Unwrap() error { return e.err }

// Parse reads one advisory file and emits its record.
func (f *Feed) Parse(ctx context.Context, in feed.Input, emit func(vulndb.Record) error) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%s: %w", in.Name, err)
	}
	rec, warnings, err := read(in)
	if err != nil {
		reason := SkipMalformed
		if se, ok := err.(*skipError); ok {
			reason = se.reason
		}
		f.count(0, reason, warnings)
		return fmt.Errorf("%s: %w", in.Name, err)
	}
	if err := emit(rec); err != nil {
		f.count(0, "", warnings)
		return fmt.Errorf("%s: %s: %w", in.Name, rec.Vulnerability.ID, err)
	}
	f.count(1, "", warnings)
	return nil
}

func read(in feed.Input) (vulndb.Record, []string, error) {
	k := kind(in.Name)
	if k == "" {
		return vulndb.Record{}, nil, fmt.Errorf("not a vuln/npm or vuln/core advisory file name")
	}
	data, err := io.ReadAll(in.R)
	if err != nil {
		return vulndb.Record{}, nil, err
	}
	num, _ := strconv.ParseInt(strings.TrimSuffix(path.Base(strings.ReplaceAll(in.Name, "\\", "/")), ".json"), 10, 64)
	if k == "npm" {
		return readNPM(data, num)
	}
	return readCore(data, num)
}

func readNPM(data []byte, num int64) (vulndb.Record, []string, error) {
	var a npmAdvisory
	if err := json.Unmarshal(data, &a); err != nil {
		return vulndb.Record{}, nil, err
	}
	if a.ID != nil {
		num = *a.ID
	}
	pkg := strings.TrimSpace(a.ModuleName)
	if pkg == "" {
		return vulndb.Record{}, nil, fmt.Errorf("no module_name")
	}
	v := &vulndb.Vulnerability{
		ID:          fmt.Sprintf("NSWG-ECO-%d", num),
		Aliases:     ids(a.CVEs),
		Summary:     strings.TrimSpace(a.Title),
		Description: strings.TrimSpace(a.Overview),
		Published:   strings.TrimSpace(a.PublishDate),
		Modified:    strings.TrimSpace(a.UpdatedAt),
		References:  urls(a.References),
	}
	vector, score := "", -1.0
	if a.CVSSVector != nil {
		vector = *a.CVSSVector
	}
	if a.CVSSScore != nil {
		score = *a.CVSSScore
	}
	if s, ok := cvssSeverity(vector, score, ""); ok {
		v.Severities = []vulndb.Severity{s}
	}
	aff, warnings, err := affected(a.VulnerableVersions, a.PatchedVersions)
	if err != nil {
		return vulndb.Record{}, warnings, err
	}
	rec := vulndb.Record{Vulnerability: v}
	if aff != nil {
		aff.VulnID, aff.Namespace, aff.Package = v.ID, NamespaceNPM, pkg
		rec.Affected = []vulndb.Affected{*aff}
	}
	return rec, warnings, nil
}

func readCore(data []byte, num int64) (vulndb.Record, []string, error) {
	var a coreAdvisory
	if err := json.Unmarshal(data, &a); err != nil {
		return vulndb.Record{}, nil, err
	}
	v := &vulndb.Vulnerability{
		ID:          fmt.Sprintf("NSWG-COR-%d", num),
		Aliases:     ids(a.CVE),
		Summary:     strings.TrimSpace(a.Description),
		Description: strings.TrimSpace(a.Overview),
		Published:   strings.TrimSpace(a.PublishDate),
		References:  urls([]string{a.Ref}),
	}
	vector := strings.TrimSpace(a.CVSS)
	if vector != "" && !strings.HasPrefix(vector, "CVSS:") && strings.HasPrefix(vector, "3.") {
		vector = "CVSS:" + vector // core files write "3.0/AV:N/..."
	}
	score := -1.0
	if a.CVSSScore != nil {
		score = *a.CVSSScore
	}
	if s, ok := cvssSeverity(vector, score, a.Severity); ok {
		v.Severities = []vulndb.Severity{s}
	}
	aff, warnings, err := affected(a.Vulnerable, a.Patched)
	if err != nil {
		return vulndb.Record{}, warnings, err
	}
	rec := vulndb.Record{Vulnerability: v}
	if aff != nil {
		aff.VulnID, aff.Namespace, aff.Package = v.ID, NamespaceNode, PackageNode
		rec.Affected = []vulndb.Affected{*aff}
	}
	return rec, warnings, nil
}

// affected computes the Affected entry (without ids) from the vulnerable and patched
// range expressions; nil when no version is left affected.
func affected(vulnerable, patched *string) (*vulndb.Affected, []string, error) {
	if vulnerable == nil || strings.TrimSpace(*vulnerable) == "" {
		// The data never omits it; an empty range would read as "every version".
		return nil, nil, &skipError{SkipBadRange, fmt.Errorf("no vulnerable range")}
	}
	vuln, err := parseRange(*vulnerable)
	if err != nil {
		return nil, nil, &skipError{SkipBadRange, fmt.Errorf("vulnerable range %w", err)}
	}
	var warnings []string
	var fixed []interval
	if patched != nil && strings.TrimSpace(*patched) != "" {
		if fixed, err = parseRange(*patched); err != nil {
			warnings = append(warnings, WarnBadPatched)
			fixed = nil
		}
	}
	left := subtract(vuln, fixed)
	ranges, versions := toRanges(left)
	if len(ranges) == 0 && len(versions) == 0 {
		return nil, append(warnings, WarnNothingLeft), nil
	}
	aff := &vulndb.Affected{Ranges: ranges, Versions: versions, Status: vulndb.StatusAffected}
	if fixedAfter(left, fixed) {
		aff.Status = vulndb.StatusFixed
	}
	return aff, warnings, nil
}

// cvssSeverity builds the advisory's severity from a CVSS vector and score (score < 0
// means none) and a bare rating word; ok is false when there is nothing.
func cvssSeverity(vector string, score float64, rating string) (vulndb.Severity, bool) {
	s := vulndb.Severity{Source: severitySrc}
	vector = strings.TrimSpace(vector)
	switch {
	case strings.HasPrefix(vector, "CVSS:3."):
		s.Type, s.Vector = "CVSS_V3", vector
	case strings.HasPrefix(vector, "CVSS:4."):
		s.Type, s.Vector = "CVSS_V4", vector
	case strings.HasPrefix(vector, "AV:"):
		s.Type, s.Vector = "CVSS_V2", vector
	}
	if score >= 0 && score <= 10 {
		s.Score = score
		if s.Type == "" {
			s.Type = "CVSS_V3" // the feed's scores are CVSS 3.0 throughout
		}
	}
	rating = strings.ToUpper(strings.TrimSpace(rating))
	if vulndb.RatingRank(rating) > 0 {
		s.Rating = rating
	} else if s.Type != "" && score >= 0 && score <= 10 {
		s.Rating = scoreRating(s.Type, score)
	}
	if s.Type == "" && s.Rating == "" {
		return vulndb.Severity{}, false
	}
	return s, true
}

// scoreRating is the CVSS qualitative scale (v2's has no CRITICAL).
func scoreRating(typ string, score float64) string {
	switch {
	case typ != "CVSS_V2" && score >= 9:
		return vulndb.Critical
	case score >= 7:
		return vulndb.High
	case score >= 4:
		return vulndb.Medium
	case score > 0 || typ == "CVSS_V2":
		return vulndb.Low
	}
	return ""
}

func ids(list []string) []string {
	var out []string
	for _, s := range list {
		s = strings.TrimSpace(s)
		if s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

func urls(list []string) []string { return ids(list) }

var _ feed.Feed = (*Feed)(nil)
