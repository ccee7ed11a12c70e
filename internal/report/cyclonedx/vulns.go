package cyclonedx

import (
	"cmp"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	cdx "github.com/CycloneDX/cyclonedx-go"

	"github.com/shipshape-dev/shipshape/internal/inventory"
	"github.com/shipshape-dev/shipshape/internal/report"
)

// Property names of vulnerabilities and of the vulnerability data, in the shipshape:
// namespace. The per-affect ones end with the bom-ref of the affected component, so a
// consumer strips the prefix to learn which component the value is about.
const (
	// PropFixedVersionPrefix + bom-ref: the lowest version of that component that fixes it.
	PropFixedVersionPrefix = "shipshape:fixedVersion:"
	// PropStatusPrefix + bom-ref: fixed, affected (no fix yet), will-not-fix or end-of-life.
	PropStatusPrefix = "shipshape:status:"
	// PropSuppressedPrefix + bom-ref: why an ignore file, VEX statement or policy
	// suppresses the finding in that component ("vex: not_affected: …").
	PropSuppressedPrefix = "shipshape:suppressed:"
	PropEPSSScore        = "shipshape:epss:score"
	PropEPSSPercentile   = "shipshape:epss:percentile"
	PropKEV              = "shipshape:kev"
	PropKEVDateAdded     = "shipshape:kev:dateAdded"
	PropKEVDueDate       = "shipshape:kev:dueDate"
	PropKEVRansomware    = "shipshape:kev:knownRansomwareUse"
	PropDBSchemaVersion  = "shipshape:db:schemaVersion"
	PropDBBuiltAt        = "shipshape:db:builtAt"
	PropDBDataDate       = "shipshape:db:dataDate"
	PropDBEmbedded       = "shipshape:db:embedded"
)

// vulnBOMRefPrefix starts the bom-ref of a vulnerability: "vuln:CVE-2023-4863".
const vulnBOMRefPrefix = "vuln:"

// chosenJustification marks the rating that is the severity shipshape reports.
const chosenJustification = "shipshape severity: the distro's rating for OS packages, else NVD's, else another advisory's"

// idPatterns give the public page of a vulnerability id: the source name shipshape's DB
// uses for it and the URL pattern.
var idPatterns = []struct {
	re   *regexp.Regexp
	name string
	url  string
}{
	{regexp.MustCompile(`^CVE-\d{4}-\d{4,}$`), "nvd", "https://nvd.nist.gov/vuln/detail/"},
	{regexp.MustCompile(`^GHSA(-[23456789cfghjmpqrvwx]{4}){3}$`), "ghsa", "https://github.com/advisories/"},
	{regexp.MustCompile(`^GO-\d{4}-\d{4,}$`), "go-vulndb", "https://pkg.go.dev/vuln/"},
}

// knownSource returns the name and page of a vulnerability id that follows a well-known
// pattern (CVE, GHSA, GO), or false.
func knownSource(id string) (name, page string, ok bool) {
	for _, p := range idPatterns {
		if p.re.MatchString(id) {
			return p.name, p.url + id, true
		}
	}
	return "", "", false
}

// componentIndex finds the components of the packages a finding is about.
type componentIndex struct {
	pkgs  []inventory.Package
	purls []string
	refs  []string
	// byPURL and byNameVersion index pkgs, built on first use.
	byPURL, byNameVersion map[string][]int
}

func (ix *componentIndex) index() {
	if ix.byPURL != nil {
		return
	}
	ix.byPURL, ix.byNameVersion = map[string][]int{}, map[string][]int{}
	for i, p := range ix.purls {
		ix.byPURL[p] = append(ix.byPURL[p], i)
	}
	for i := range ix.pkgs {
		k := ix.pkgs[i].Name + "\x00" + ix.pkgs[i].Version
		ix.byNameVersion[k] = append(ix.byNameVersion[k], i)
	}
}

// refs returns the bom-refs of the components of f's package: those with its purl (or,
// when none has it, its type, name and version), narrowed to those at f's location and in
// f's layer when that leaves any. Packages alike in all of these are indistinguishable, so
// the finding affects each of them.
func (ix *componentIndex) refsOf(f *inventory.Finding) []string {
	ix.index()
	var cands []int
	if f.PkgPURL != "" {
		cands = slices.Clone(ix.byPURL[f.PkgPURL])
	}
	if len(cands) == 0 {
		for _, i := range ix.byNameVersion[f.PkgName+"\x00"+f.InstalledVersion] {
			if f.PkgType == "" || ix.pkgs[i].Type == f.PkgType {
				cands = append(cands, i)
			}
		}
	}
	narrow := func(keep func(p *inventory.Package) bool) {
		var kept []int
		for _, i := range cands {
			if keep(&ix.pkgs[i]) {
				kept = append(kept, i)
			}
		}
		if len(kept) > 0 {
			cands = kept
		}
	}
	if f.Location != "" {
		narrow(func(p *inventory.Package) bool { return p.Location == f.Location })
	}
	if f.Layer != nil && f.Layer.DiffID != "" {
		narrow(func(p *inventory.Package) bool { return p.Layer != nil && p.Layer.DiffID == f.Layer.DiffID })
	}
	refs := make([]string, len(cands))
	for k, i := range cands {
		refs[k] = ix.refs[i]
	}
	return refs
}

// vulnerabilities builds one CycloneDX vulnerability per vulnerability id, in id order
// (report.CompareIDs), from findings sorted by report.Sorted. A finding whose package is not
// among the components adds its facts but no affects entry.
func vulnerabilities(findings []inventory.Finding, ix *componentIndex) []cdx.Vulnerability {
	byID := map[string][]*inventory.Finding{}
	var ids []string
	for i := range findings {
		f := &findings[i]
		if _, ok := byID[f.ID]; !ok {
			ids = append(ids, f.ID)
		}
		byID[f.ID] = append(byID[f.ID], f)
	}
	slices.SortFunc(ids, report.CompareIDs)
	out := make([]cdx.Vulnerability, 0, len(ids))
	for _, id := range ids {
		out = append(out, vulnerability(id, byID[id], ix))
	}
	return out
}

func vulnerability(id string, fs []*inventory.Finding, ix *componentIndex) cdx.Vulnerability {
	v := cdx.Vulnerability{BOMRef: vulnBOMRefPrefix + id, ID: id}

	var dataSources, aliases, refs, cwes []string
	for _, f := range fs {
		dataSources = append(dataSources, f.DataSources...)
		aliases = append(aliases, f.Aliases...)
		refs = append(refs, f.References...)
		cwes = append(cwes, f.CWEs...)
		if v.Description == "" && strings.TrimSpace(f.Title) != "" {
			v.Description = f.Title
		}
	}
	// The title is the short description; the description, the in-depth detail. Without a
	// title the description is the description.
	for _, f := range fs {
		if strings.TrimSpace(f.Description) == "" {
			continue
		}
		if v.Description == "" {
			v.Description = f.Description
		} else if v.Description != f.Description {
			v.Detail = f.Description
		}
		break
	}

	src := &cdx.Source{}
	if ds := sortedSet(dataSources); len(ds) > 0 {
		src.Name = ds[0]
	}
	if _, page, ok := knownSource(id); ok {
		src.URL = page
	}
	if *src != (cdx.Source{}) {
		v.Source = src
	}

	if rs := aliasRefs(id, aliases); len(rs) > 0 {
		v.References = &rs
	}
	if rs := ratings(fs); len(rs) > 0 {
		v.Ratings = &rs
	}
	if ws := cweNumbers(cwes); len(ws) > 0 {
		v.CWEs = &ws
	}
	if as := advisories(refs); len(as) > 0 {
		v.Advisories = &as
	}
	v.Published, v.Updated = dates(fs)

	var affects []cdx.Affects
	var props []cdx.Property
	var advice []string
	seen := map[string]bool{}
	for _, f := range fs {
		for _, ref := range ix.refsOf(f) {
			if seen[ref] {
				continue
			}
			seen[ref] = true
			a := cdx.Affects{Ref: ref}
			if f.InstalledVersion != "" {
				a.Range = &[]cdx.AffectedVersions{{Version: f.InstalledVersion, Status: cdx.VulnerabilityStatusAffected}}
			}
			affects = append(affects, a)
			if f.FixedVersion != "" {
				props = append(props, cdx.Property{Name: PropFixedVersionPrefix + ref, Value: f.FixedVersion})
				advice = append(advice, "Upgrade "+f.PkgName+" to "+f.FixedVersion+".")
			}
			if f.Status != "" {
				props = append(props, cdx.Property{Name: PropStatusPrefix + ref, Value: f.Status})
			}
			if f.Suppressed != nil {
				props = append(props, cdx.Property{Name: PropSuppressedPrefix + ref, Value: suppressionText(f.Suppressed)})
			}
		}
	}
	if len(affects) > 0 {
		v.Affects = &affects
	}
	v.Analysis = analysis(fs)
	if advice = sortedSet(advice); len(advice) > 0 {
		v.Recommendation = strings.Join(advice, " ")
	}
	props = append(exploitProps(fs), props...)
	if len(props) > 0 {
		v.Properties = &props
	}
	return v
}

// aliasRefs lists the other ids of the vulnerability, with their source where the id
// follows a well-known pattern.
func aliasRefs(id string, aliases []string) []cdx.VulnerabilityReference {
	var out []cdx.VulnerabilityReference
	for _, a := range sortedSet(aliases) {
		if a == "" || a == id {
			continue
		}
		src := &cdx.Source{}
		if name, page, ok := knownSource(a); ok {
			src.Name, src.URL = name, page
		}
		out = append(out, cdx.VulnerabilityReference{ID: a, Source: src})
	}
	return out
}

// ratings gives the severity shipshape chose (method "other", named after whose rating it
// is) first, then one rating per distinct CVSS assessment, its severity computed from the
// score with the scale of its CVSS version.
func ratings(fs []*inventory.Finding) []cdx.VulnerabilityRating {
	type chosen struct{ source, severity string }
	var cs []chosen
	var cvss []inventory.CVSS
	for _, f := range fs {
		cs = append(cs, chosen{f.SeveritySource, report.NormalizeSeverity(f.Severity)})
		cvss = append(cvss, f.CVSS...)
	}
	slices.SortFunc(cs, func(a, b chosen) int {
		return cmp.Or(report.SeverityRank(b.severity)-report.SeverityRank(a.severity), strings.Compare(a.source, b.source))
	})
	cs = slices.Compact(cs)
	var out []cdx.VulnerabilityRating
	for _, c := range cs {
		r := cdx.VulnerabilityRating{Severity: cdxSeverity(c.severity), Method: cdx.ScoringMethodOther,
			Justification: chosenJustification}
		if c.source != "" {
			r.Source = &cdx.Source{Name: c.source}
		}
		out = append(out, r)
	}
	slices.SortFunc(cvss, func(a, b inventory.CVSS) int {
		return cmp.Or(strings.Compare(a.Source, b.Source), strings.Compare(b.Version, a.Version),
			strings.Compare(a.Vector, b.Vector), cmp.Compare(a.Score, b.Score))
	})
	for _, c := range slices.Compact(cvss) {
		method := cvssMethod(c.Version)
		r := cdx.VulnerabilityRating{Method: method, Vector: c.Vector}
		if c.Source != "" {
			r.Source = &cdx.Source{Name: c.Source}
		}
		if c.Score > 0 && c.Score <= 10 {
			score := c.Score
			r.Score = &score
			r.Severity = cvssSeverity(method, score)
		}
		out = append(out, r)
	}
	return out
}

func cvssMethod(version string) cdx.ScoringMethod {
	switch version {
	case "2.0", "2":
		return cdx.ScoringMethodCVSSv2
	case "3.0":
		return cdx.ScoringMethodCVSSv3
	case "3.1":
		return cdx.ScoringMethodCVSSv31
	case "4.0", "4":
		return cdx.ScoringMethodCVSSv4
	}
	return cdx.ScoringMethodOther
}

// cvssSeverity applies the qualitative scale of the CVSS version: v2 as NVD publishes it
// (no critical), v3 and v4 as their specifications define it. Other methods get none.
func cvssSeverity(m cdx.ScoringMethod, score float64) cdx.Severity {
	switch m {
	case cdx.ScoringMethodCVSSv2:
		switch {
		case score >= 7:
			return cdx.SeverityHigh
		case score >= 4:
			return cdx.SeverityMedium
		}
		return cdx.SeverityLow
	case cdx.ScoringMethodCVSSv3, cdx.ScoringMethodCVSSv31, cdx.ScoringMethodCVSSv4:
		switch {
		case score >= 9:
			return cdx.SeverityCritical
		case score >= 7:
			return cdx.SeverityHigh
		case score >= 4:
			return cdx.SeverityMedium
		}
		return cdx.SeverityLow
	}
	return ""
}

// cdxSeverity maps shipshape's ratings to CycloneDX's: NEGLIGIBLE, below low, is "info".
func cdxSeverity(s string) cdx.Severity {
	switch s {
	case report.SeverityCritical:
		return cdx.SeverityCritical
	case report.SeverityHigh:
		return cdx.SeverityHigh
	case report.SeverityMedium:
		return cdx.SeverityMedium
	case report.SeverityLow:
		return cdx.SeverityLow
	case report.SeverityNegligible:
		return cdx.SeverityInfo
	}
	return cdx.SeverityUnknown
}

var cweRe = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^CWE-([1-9][0-9]{0,8})$`) })

// cweNumbers turns "CWE-787" into 787; NVD's placeholders (NVD-CWE-Other, NVD-CWE-noinfo)
// and anything else that is not a CWE id are left out.
func cweNumbers(cwes []string) []int {
	var out []int
	for _, w := range cwes {
		m := cweRe().FindStringSubmatch(strings.ToUpper(strings.TrimSpace(w)))
		if m == nil {
			continue
		}
		if n, err := strconv.Atoi(m[1]); err == nil {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// advisories lists the reference URLs that are absolute http(s) URLs.
func advisories(refs []string) []cdx.Advisory {
	var out []cdx.Advisory
	for _, r := range sortedSet(refs) {
		if strings.ContainsFunc(r, func(c rune) bool { return c <= ' ' || c == 0x7f || c == '\\' }) {
			continue
		}
		u, err := url.Parse(r)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			continue
		}
		out = append(out, cdx.Advisory{URL: r})
	}
	return out
}

// dates returns the earliest valid published and the latest valid modified time of the
// findings, as RFC 3339 in UTC; values that are not RFC 3339 are left out.
func dates(fs []*inventory.Finding) (published, updated string) {
	var pub, upd time.Time
	for _, f := range fs {
		if t, ok := rfc3339(f.Published); ok && (pub.IsZero() || t.Before(pub)) {
			pub = t
		}
		if t, ok := rfc3339(f.Modified); ok && t.After(upd) {
			upd = t
		}
	}
	if !pub.IsZero() {
		published = pub.Format(time.RFC3339Nano)
	}
	if !upd.IsZero() {
		updated = upd.Format(time.RFC3339Nano)
	}
	return published, updated
}

func rfc3339(s string) (time.Time, bool) {
	t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(s))
	if err != nil || t.IsZero() {
		return time.Time{}, false
	}
	return t.UTC(), true
}

// exploitProps carries EPSS (the highest score among the findings) and KEV.
func exploitProps(fs []*inventory.Finding) []cdx.Property {
	var epss *inventory.EPSS
	var kev *inventory.KEV
	for _, f := range fs {
		if f.EPSS != nil && (epss == nil || f.EPSS.Score > epss.Score ||
			(f.EPSS.Score == epss.Score && f.EPSS.Percentile > epss.Percentile)) {
			epss = f.EPSS
		}
		if f.KEV != nil && (kev == nil || compareKEV(f.KEV, kev) < 0) {
			kev = f.KEV
		}
	}
	var props []cdx.Property
	if epss != nil {
		props = append(props,
			cdx.Property{Name: PropEPSSScore, Value: strconv.FormatFloat(epss.Score, 'f', -1, 64)},
			cdx.Property{Name: PropEPSSPercentile, Value: strconv.FormatFloat(epss.Percentile, 'f', -1, 64)})
	}
	if kev != nil {
		props = append(props, cdx.Property{Name: PropKEV, Value: "true"})
		add := func(name, value string) {
			if value != "" {
				props = append(props, cdx.Property{Name: name, Value: value})
			}
		}
		add(PropKEVDateAdded, kev.DateAdded)
		add(PropKEVDueDate, kev.DueDate)
		add(PropKEVRansomware, kev.KnownRansomwareUse)
	}
	return props
}

func compareKEV(a, b *inventory.KEV) int {
	return cmp.Or(strings.Compare(a.DateAdded, b.DateAdded), strings.Compare(a.DueDate, b.DueDate),
		strings.Compare(a.KnownRansomwareUse, b.KnownRansomwareUse))
}

// dbProps describes the vulnerability data as metadata properties.
func dbProps(db *inventory.DBInfo) []cdx.Property {
	props := []cdx.Property{{Name: PropDBSchemaVersion, Value: strconv.Itoa(db.SchemaVersion)}}
	if db.BuiltAt != "" {
		props = append(props, cdx.Property{Name: PropDBBuiltAt, Value: db.BuiltAt})
	}
	if db.DataDate != "" {
		props = append(props, cdx.Property{Name: PropDBDataDate, Value: db.DataDate})
	}
	return append(props, cdx.Property{Name: PropDBEmbedded, Value: strconv.FormatBool(db.Embedded)})
}

func sortedSet(ss []string) []string {
	out := slices.Clone(ss)
	slices.Sort(out)
	return slices.Compact(out)
}

// analysis is the impact analysis of a vulnerability from the VEX statements about its
// findings (those that suppress them, and those that do not, affected or
// under_investigation, in Finding.VEX): present when every finding of the vulnerability has
// a VEX statement with the same state, since CycloneDX has one analysis per vulnerability. OpenVEX and CSAF
// statuses and justifications are mapped to CycloneDX's; the statement itself is kept in
// detail. Other suppressions (ignore files, policy) are not impact analyses and only show
// in the shipshape:suppressed properties.
func analysis(fs []*inventory.Finding) *cdx.VulnerabilityAnalysis {
	var out *cdx.VulnerabilityAnalysis
	for _, f := range fs {
		s := f.Suppressed
		if s == nil || s.Kind != "vex" {
			s = f.VEX
		}
		if s == nil || s.Kind != "vex" {
			return nil
		}
		state, ok := vexState(s.Statement)
		if !ok {
			return nil
		}
		a := &cdx.VulnerabilityAnalysis{State: state, Justification: vexJustification(s.Reason)}
		detail := "VEX statement"
		if s.Source != "" {
			detail += " in " + s.Source
		}
		detail += ": " + s.Statement
		if s.Reason != "" {
			detail += ": " + s.Reason
		}
		a.Detail = detail
		if out == nil {
			out = a
			continue
		}
		if out.State != a.State {
			return nil
		}
		if out.Justification != a.Justification {
			out.Justification = ""
		}
		if out.Detail != a.Detail {
			out.Detail += "; " + a.Detail
		}
	}
	return out
}

// vexState maps a VEX status (OpenVEX, CSAF product status, or CycloneDX's own) to a
// CycloneDX impact analysis state.
func vexState(status string) (cdx.ImpactAnalysisState, bool) {
	switch strings.ToLower(strings.TrimSpace(status)) {
	case "not_affected", "known_not_affected":
		return cdx.IASNotAffected, true
	case "affected", "known_affected", "exploitable":
		return cdx.IASExploitable, true
	case "fixed", "resolved":
		return cdx.IASResolved, true
	case "under_investigation", "in_triage":
		return cdx.IASInTriage, true
	case "false_positive":
		return cdx.IASFalsePositive, true
	case "resolved_with_pedigree":
		return cdx.IASResolvedWithPedigree, true
	}
	return "", false
}

// vexJustification maps an OpenVEX (or CSAF flag) justification to CycloneDX's, and keeps
// CycloneDX's own; anything else gives none.
func vexJustification(j string) cdx.ImpactAnalysisJustification {
	switch j = strings.ToLower(strings.TrimSpace(j)); j {
	case "component_not_present", "vulnerable_code_not_present":
		return cdx.IAJCodeNotPresent
	case "vulnerable_code_not_in_execute_path":
		return cdx.IAJCodeNotReachable
	case "vulnerable_code_cannot_be_controlled_by_adversary":
		return cdx.IAJRequiresEnvironment
	case "inline_mitigations_already_exist":
		return cdx.IAJProtectedByMitigatingControl
	case string(cdx.IAJCodeNotPresent), string(cdx.IAJCodeNotReachable), string(cdx.IAJRequiresConfiguration),
		string(cdx.IAJRequiresDependency), string(cdx.IAJRequiresEnvironment), string(cdx.IAJProtectedByCompiler),
		string(cdx.IAJProtectedAtRuntime), string(cdx.IAJProtectedAtPerimeter), string(cdx.IAJProtectedByMitigatingControl):
		return cdx.ImpactAnalysisJustification(j)
	}
	return ""
}

func suppressionText(s *inventory.Suppression) string {
	parts := []string{s.Kind}
	for _, p := range []string{s.Statement, s.Reason} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	out := strings.Join(parts, ": ")
	if s.Source != "" {
		out += " (" + s.Source + ")"
	}
	if s.Expires != "" {
		out += " until " + s.Expires
	}
	return out
}
