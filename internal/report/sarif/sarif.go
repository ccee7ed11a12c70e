// Package sarif writes an inventory's findings as a SARIF 2.1.0 log, the format GitHub code
// scanning and other static-analysis dashboards read: one rule per vulnerability id, check
// id, secret rule and licence category, one result per finding located at the file in the
// image (package database, Dockerfile line, file holding a secret), with the CVSS score as
// the security-severity GitHub ranks alerts by.
package sarif

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/shipshape-dev/shipshape/internal/inventory"
	"github.com/shipshape-dev/shipshape/internal/report"
)

// Version and SchemaURI identify the SARIF version written.
const (
	Version   = "2.1.0"
	SchemaURI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)

// InformationURI is the tool's home page in the log.
const InformationURI = "https://github.com/shipshape-dev/shipshape"

// FingerprintKey names shipshape's entry in results' partialFingerprints: a hash of what
// identifies the finding (rule, package or file, line), stable across runs.
const FingerprintKey = "shipshape/v1"

// Rule kinds, in the order rules and results are written.
const (
	kindVuln     = "vulnerability"
	kindMisconf  = "misconfiguration"
	kindSecret   = "secret"
	kindLicense  = "license"
	layerWidth   = 80
	licensePrefx = "license-"
)

// Log is the top-level SARIF object.
type Log struct {
	Schema  string `json:"$schema"`
	Version string `json:"version"`
	Runs    []Run  `json:"runs"`
}

// Run is one run of the tool on one target.
type Run struct {
	Tool        Tool           `json:"tool"`
	Invocations []Invocation   `json:"invocations,omitempty"`
	Results     []Result       `json:"results"`
	Properties  map[string]any `json:"properties,omitempty"`
}

// Tool describes shipshape and its rules.
type Tool struct {
	Driver Driver `json:"driver"`
}

// Driver is the tool component that produced the results.
type Driver struct {
	Name           string `json:"name"`
	Version        string `json:"version,omitempty"`
	InformationURI string `json:"informationUri"`
	Rules          []Rule `json:"rules"`
}

// Rule is a reportingDescriptor: one vulnerability, check, secret rule or licence category.
type Rule struct {
	ID                   string         `json:"id"`
	Name                 string         `json:"name"`
	ShortDescription     *Message       `json:"shortDescription"`
	FullDescription      *Message       `json:"fullDescription,omitempty"`
	HelpURI              string         `json:"helpUri,omitempty"`
	Help                 *Message       `json:"help,omitempty"`
	DefaultConfiguration *Configuration `json:"defaultConfiguration"`
	Properties           map[string]any `json:"properties"`
}

// Configuration is a rule's default level.
type Configuration struct {
	Level string `json:"level"`
}

// Message is a SARIF message: text, and optionally markdown.
type Message struct {
	Text     string `json:"text"`
	Markdown string `json:"markdown,omitempty"`
}

// Result is one finding.
type Result struct {
	RuleID              string            `json:"ruleId"`
	RuleIndex           int               `json:"ruleIndex"`
	Kind                string            `json:"kind"`
	Level               string            `json:"level"`
	Message             Message           `json:"message"`
	Locations           []Location        `json:"locations"`
	PartialFingerprints map[string]string `json:"partialFingerprints"`
	Suppressions        []Suppression     `json:"suppressions,omitempty"`
	Properties          map[string]any    `json:"properties,omitempty"`
}

// Location is where a result is: a file (in the image) and what holds it.
type Location struct {
	PhysicalLocation *PhysicalLocation `json:"physicalLocation,omitempty"`
	LogicalLocations []LogicalLocation `json:"logicalLocations,omitempty"`
}

// PhysicalLocation is a file and, when known, the lines in it.
type PhysicalLocation struct {
	ArtifactLocation ArtifactLocation `json:"artifactLocation"`
	Region           *Region          `json:"region,omitempty"`
}

// ArtifactLocation is a file, as a relative URI reference.
type ArtifactLocation struct {
	URI string `json:"uri"`
}

// Region is a range of lines, with the offending text.
type Region struct {
	StartLine int      `json:"startLine"`
	EndLine   int      `json:"endLine,omitempty"`
	Snippet   *Snippet `json:"snippet,omitempty"`
}

// Snippet is the text of a region.
type Snippet struct {
	Text string `json:"text"`
}

// LogicalLocation names the package, image layer or resource a result is about.
type LogicalLocation struct {
	Name               string `json:"name,omitempty"`
	FullyQualifiedName string `json:"fullyQualifiedName,omitempty"`
	Kind               string `json:"kind,omitempty"`
}

// Suppression records an ignore file entry, VEX statement or policy that suppresses a result.
type Suppression struct {
	Kind          string         `json:"kind"`
	Status        string         `json:"status"`
	Justification string         `json:"justification,omitempty"`
	Properties    map[string]any `json:"properties,omitempty"`
}

// Invocation carries the tool's notifications: warnings about unreadable inputs and checks
// that could not be evaluated.
type Invocation struct {
	ExecutionSuccessful        bool           `json:"executionSuccessful"`
	ToolExecutionNotifications []Notification `json:"toolExecutionNotifications"`
}

// Notification is one warning of the run.
type Notification struct {
	Level      string      `json:"level"`
	Message    Message     `json:"message"`
	Descriptor *Descriptor `json:"descriptor,omitempty"`
	Locations  []Location  `json:"locations,omitempty"`
}

// Descriptor names the check a notification is about.
type Descriptor struct {
	ID string `json:"id"`
}

// Write writes the findings of inv as a SARIF 2.1.0 log with one run: vulnerabilities,
// failed misconfiguration checks, secrets, and licence findings of the categories that
// need attention (forbidden, restricted, reciprocal, unknown). Checks that could not be
// evaluated and the inventory's warnings are tool notifications. Suppressed findings are
// kept, with a SARIF suppression saying why. An inventory without findings (an SBOM scan)
// gives a valid log with no results. The output depends only on inv and opts.
func Write(w io.Writer, inv *inventory.Inventory, opts report.Options) error {
	log, err := New(inv, opts)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(log); err != nil {
		return fmt.Errorf("sarif: writing the log for %s: %w", inv.Target.Name, err)
	}
	return nil
}

// New builds the SARIF log Write writes.
func New(inv *inventory.Inventory, opts report.Options) (*Log, error) {
	inv, err := report.SortedBy(inv, opts.FindingOrder)
	if err != nil {
		return nil, fmt.Errorf("sarif: %w", err)
	}
	b := &builder{inv: inv, ruleIdx: map[ruleKey]int{}}
	b.collect()
	name, version := opts.Tool()
	run := Run{
		Tool:       Tool{Driver: Driver{Name: name, Version: version, InformationURI: InformationURI, Rules: b.rules}},
		Results:    b.results,
		Properties: runProperties(inv),
	}
	if run.Tool.Driver.Rules == nil {
		run.Tool.Driver.Rules = []Rule{}
	}
	if run.Results == nil {
		run.Results = []Result{}
	}
	if len(b.notes) > 0 {
		run.Invocations = []Invocation{{ExecutionSuccessful: true, ToolExecutionNotifications: b.notes}}
	}
	return &Log{Schema: SchemaURI, Version: Version, Runs: []Run{run}}, nil
}

type ruleKey struct{ kind, id string }

type builder struct {
	inv *inventory.Inventory
	// The findings of each rule, in report order.
	vulnsOf    map[string][]*inventory.Finding
	misconfsOf map[string][]*inventory.Misconfiguration
	secretsOf  map[string][]*inventory.Secret
	rules      []Rule
	ruleIdx    map[ruleKey]int
	results    []Result
	notes      []Notification
	// ruleIDs maps each rule to its SARIF id: the id itself, or kind/id when two kinds
	// share an id.
	ruleIDs map[ruleKey]string
}

// collect builds the rules first (sorted by kind, then id), then the results in report order.
func (b *builder) collect() {
	inv := b.inv
	var keys []ruleKey
	add := func(k ruleKey) { keys = append(keys, k) }
	for _, f := range inv.Vulnerabilities {
		add(ruleKey{kindVuln, f.ID})
	}
	for _, m := range inv.Misconfigurations {
		if m.Status == inventory.CheckFail {
			add(ruleKey{kindMisconf, m.ID})
		}
	}
	for _, s := range inv.Secrets {
		add(ruleKey{kindSecret, s.RuleID})
	}
	for _, l := range inv.Licenses {
		if licenseReported(l) {
			add(ruleKey{kindLicense, licensePrefx + l.Category})
		}
	}
	kindOrder := map[string]int{kindVuln: 0, kindMisconf: 1, kindSecret: 2, kindLicense: 3}
	slices.SortFunc(keys, func(a, c ruleKey) int {
		return cmp.Or(cmp.Compare(kindOrder[a.kind], kindOrder[c.kind]), report.CompareIDs(a.id, c.id))
	})
	keys = slices.Compact(keys)
	kindsOf := map[string]int{}
	for _, k := range keys {
		kindsOf[k.id]++
	}
	b.ruleIDs = map[ruleKey]string{}
	for i, k := range keys {
		b.ruleIdx[k] = i
		id := k.id
		if kindsOf[k.id] > 1 {
			id = k.kind + "/" + k.id
		}
		b.ruleIDs[k] = id
	}
	b.group()
	b.rules = make([]Rule, len(keys))
	for i, k := range keys {
		b.rules[i] = b.rule(k)
	}

	for i := range inv.Vulnerabilities {
		b.results = append(b.results, b.vulnResult(&inv.Vulnerabilities[i]))
	}
	for i := range inv.Misconfigurations {
		m := &inv.Misconfigurations[i]
		switch m.Status {
		case inventory.CheckFail:
			b.results = append(b.results, b.misconfResult(m))
		case inventory.CheckError:
			n := Notification{Level: "warning", Descriptor: &Descriptor{ID: m.ID},
				Message: Message{Text: oneLine(fmt.Sprintf("check %s could not be evaluated on %s: %s", m.ID, m.Target, m.Message))}}
			if loc := fileLocation(m.Target, m.StartLine, m.EndLine, ""); loc != nil {
				n.Locations = []Location{{PhysicalLocation: loc}}
			}
			b.notes = append(b.notes, n)
		}
	}
	for i := range inv.Secrets {
		b.results = append(b.results, b.secretResult(&inv.Secrets[i]))
	}
	for i := range inv.Licenses {
		if licenseReported(inv.Licenses[i]) {
			b.results = append(b.results, b.licenseResult(&inv.Licenses[i]))
		}
	}
	for _, wn := range inv.Warnings {
		b.notes = append(b.notes, Notification{Level: "warning", Message: Message{Text: oneLine(wn.String())}})
	}
}

// licenseReported says whether a licence finding is worth an alert: the categories that
// restrict use or could not be classified.
func licenseReported(l inventory.LicenseFinding) bool {
	switch l.Category {
	case inventory.LicenseForbidden, inventory.LicenseRestricted, inventory.LicenseReciprocal, inventory.LicenseUnknown:
		return true
	}
	return false
}

// group indexes the findings by rule id, so that describing the rules is linear.
func (b *builder) group() {
	b.vulnsOf, b.misconfsOf, b.secretsOf = map[string][]*inventory.Finding{}, map[string][]*inventory.Misconfiguration{}, map[string][]*inventory.Secret{}
	for i := range b.inv.Vulnerabilities {
		f := &b.inv.Vulnerabilities[i]
		b.vulnsOf[f.ID] = append(b.vulnsOf[f.ID], f)
	}
	for i := range b.inv.Misconfigurations {
		if m := &b.inv.Misconfigurations[i]; m.Status == inventory.CheckFail {
			b.misconfsOf[m.ID] = append(b.misconfsOf[m.ID], m)
		}
	}
	for i := range b.inv.Secrets {
		s := &b.inv.Secrets[i]
		b.secretsOf[s.RuleID] = append(b.secretsOf[s.RuleID], s)
	}
}

// rule describes one rule from the findings that use it.
func (b *builder) rule(k ruleKey) Rule {
	r := Rule{ID: b.ruleIDs[k], Properties: map[string]any{}}
	switch k.kind {
	case kindVuln:
		b.vulnRule(&r, k.id, b.vulnsOf[k.id])
	case kindMisconf:
		misconfRule(&r, k.id, b.misconfsOf[k.id])
	case kindSecret:
		secretRule(&r, k.id, b.secretsOf[k.id])
	case kindLicense:
		sev := report.SeverityUnknown
		for _, l := range b.inv.Licenses {
			if licensePrefx+l.Category == k.id && report.SeverityRank(l.Severity) > report.SeverityRank(sev) {
				sev = l.Severity
			}
		}
		cat := strings.TrimPrefix(k.id, licensePrefx)
		r.Name = "License"
		r.ShortDescription = &Message{Text: "Licence of category " + cat}
		r.FullDescription = &Message{Text: licenseHelp(cat)}
		r.Help = &Message{Text: licenseHelp(cat) + " Check that its terms allow how the image is distributed and used."}
		r.DefaultConfiguration = &Configuration{Level: level(sev)}
		r.Properties["tags"] = []string{"license", cat}
		setSecuritySeverity(r.Properties, severityScore(sev))
	}
	return r
}

func licenseHelp(cat string) string {
	switch cat {
	case inventory.LicenseForbidden:
		return "The licence is forbidden by policy."
	case inventory.LicenseRestricted:
		return "The licence restricts use or distribution (for example a copyleft licence)."
	case inventory.LicenseReciprocal:
		return "The licence requires sharing changes to the licensed files."
	}
	return "The licence could not be identified."
}

func (b *builder) vulnRule(r *Rule, id string, fs []*inventory.Finding) {
	r.Name = "Vulnerability"
	sev := report.SeverityUnknown
	var title, desc string
	for _, f := range fs {
		if report.SeverityRank(f.Severity) > report.SeverityRank(sev) {
			sev = f.Severity
		}
		if title == "" {
			title = oneLine(f.Title)
		}
		if desc == "" {
			desc = strings.TrimSpace(f.Description)
		}
	}
	short := id
	if title != "" {
		short = id + ": " + title
	} else if desc != "" {
		short = id + ": " + truncate(oneLine(desc), 120)
	}
	r.ShortDescription = &Message{Text: short}
	if desc != "" {
		r.FullDescription = &Message{Text: desc}
	} else {
		r.FullDescription = &Message{Text: short}
	}
	_, page, ok := report.AdvisoryPage(id)
	if ok {
		r.HelpURI = page
	} else if refs := httpRefs(fs); len(refs) > 0 {
		r.HelpURI = refs[0]
	}

	// Help: what to do, per affected package.
	var text, md strings.Builder
	fmt.Fprintf(&text, "Vulnerability %s\nSeverity: %s\n", id, report.NormalizeSeverity(sev))
	fmt.Fprintf(&md, "**Vulnerability %s**\n\n| Package | Installed | Fixed version | Status |\n| --- | --- | --- | --- |\n", mdEscape(id))
	seen := map[string]bool{}
	for _, f := range fs {
		row := f.PkgName + "\x00" + f.InstalledVersion + "\x00" + f.FixedVersion + "\x00" + f.Status
		if seen[row] {
			continue
		}
		seen[row] = true
		fix := "no fixed version yet"
		if f.FixedVersion != "" {
			fix = "upgrade to " + f.FixedVersion
		}
		fmt.Fprintf(&text, "Package: %s %s: %s (%s)\n", oneLine(f.PkgName), oneLine(f.InstalledVersion), oneLine(fix), oneLine(f.Status))
		fmt.Fprintf(&md, "| %s | %s | %s | %s |\n", mdEscape(f.PkgName), mdEscape(f.InstalledVersion), mdEscape(cmp.Or(f.FixedVersion, "none")), mdEscape(f.Status))
	}
	if page != "" || r.HelpURI != "" {
		link := cmp.Or(page, r.HelpURI)
		fmt.Fprintf(&text, "Link: %s\n", link)
		fmt.Fprintf(&md, "\n[%s](%s)\n", mdEscape(id), link)
	}
	r.Help = &Message{Text: strings.TrimRight(text.String(), "\n"), Markdown: strings.TrimRight(md.String(), "\n")}
	r.DefaultConfiguration = &Configuration{Level: level(sev)}
	r.Properties["tags"] = []string{"vulnerability", "security", report.NormalizeSeverity(sev)}
	r.Properties["precision"] = "very-high"
	score, ok := cvssScore(fs)
	if !ok {
		score = severityScore(sev)
	}
	setSecuritySeverity(r.Properties, score)
}

func misconfRule(r *Rule, id string, ms []*inventory.Misconfiguration) {
	r.Name = "Misconfiguration"
	m := ms[0]
	sev := report.SeverityUnknown
	var refs []string
	for _, x := range ms {
		if report.SeverityRank(x.Severity) > report.SeverityRank(sev) {
			sev = x.Severity
		}
		refs = append(refs, x.References...)
	}
	r.ShortDescription = &Message{Text: cmp.Or(oneLine(m.Title), id)}
	r.FullDescription = &Message{Text: cmp.Or(strings.TrimSpace(m.Description), cmp.Or(oneLine(m.Title), id))}
	slices.Sort(refs)
	refs = slices.Compact(refs)
	for _, ref := range refs {
		if isHTTP(ref) {
			r.HelpURI = ref
			break
		}
	}
	var text, md strings.Builder
	fmt.Fprintf(&text, "Check %s: %s\nSeverity: %s\n", id, oneLine(m.Title), report.NormalizeSeverity(sev))
	fmt.Fprintf(&md, "**Check %s**: %s\n\n", mdEscape(id), mdEscape(m.Title))
	if res := strings.TrimSpace(m.Resolution); res != "" {
		fmt.Fprintf(&text, "Resolution: %s\n", res)
		fmt.Fprintf(&md, "Resolution: %s\n\n", mdEscape(res))
	}
	for _, ref := range refs {
		fmt.Fprintf(&text, "Reference: %s\n", oneLine(ref))
		if isHTTP(ref) {
			fmt.Fprintf(&md, "- <%s>\n", ref)
		} else {
			fmt.Fprintf(&md, "- %s\n", mdEscape(ref))
		}
	}
	r.Help = &Message{Text: strings.TrimRight(text.String(), "\n"), Markdown: strings.TrimRight(md.String(), "\n")}
	r.DefaultConfiguration = &Configuration{Level: level(sev)}
	r.Properties["tags"] = []string{"misconfiguration", "security", m.Kind}
	r.Properties["precision"] = "very-high"
	setSecuritySeverity(r.Properties, severityScore(sev))
}

func secretRule(r *Rule, id string, ss []*inventory.Secret) {
	r.Name = "Secret"
	s := ss[0]
	sev := report.SeverityUnknown
	for _, x := range ss {
		if report.SeverityRank(x.Severity) > report.SeverityRank(sev) {
			sev = x.Severity
		}
	}
	r.ShortDescription = &Message{Text: cmp.Or(oneLine(s.Title), id)}
	r.FullDescription = &Message{Text: cmp.Or(oneLine(s.Title), id) + " (" + oneLine(s.Category) + ") found in a file of the image."}
	help := "Remove the secret from the image (a later layer that deletes the file does not remove it from the layer that added it), revoke it, and pass secrets at run time instead."
	r.Help = &Message{Text: help, Markdown: help}
	r.DefaultConfiguration = &Configuration{Level: level(sev)}
	r.Properties["tags"] = []string{"secret", "security", s.Category}
	r.Properties["precision"] = "high"
	setSecuritySeverity(r.Properties, severityScore(sev))
}

func (b *builder) result(k ruleKey, sev string, msg string, locs []Location, fp []string, sup *inventory.Suppression, props map[string]any) Result {
	res := Result{
		RuleID:              b.ruleIDs[k],
		RuleIndex:           b.ruleIdx[k],
		Kind:                "fail",
		Level:               level(sev),
		Message:             Message{Text: msg},
		Locations:           locs,
		PartialFingerprints: map[string]string{FingerprintKey: fingerprint(append([]string{k.kind, k.id}, fp...))},
		Properties:          props,
	}
	if sup != nil {
		res.Suppressions = []Suppression{suppression(sup)}
	}
	return res
}

func (b *builder) vulnResult(f *inventory.Finding) Result {
	sev := report.NormalizeSeverity(f.Severity)
	var msg strings.Builder
	fmt.Fprintf(&msg, "Package %s %s is affected by %s (%s).", oneLine(f.PkgName), oneLine(f.InstalledVersion), oneLine(f.ID), sev)
	if f.FixedVersion != "" {
		fmt.Fprintf(&msg, " Fixed version: %s.", oneLine(f.FixedVersion))
	} else if f.Status != "" {
		fmt.Fprintf(&msg, " No fixed version (%s).", oneLine(f.Status))
	}
	if f.Layer != nil {
		fmt.Fprintf(&msg, " Installed by %s", report.LayerLabel(f.Layer, layerWidth))
	}
	loc := Location{PhysicalLocation: fileLocation(cmp.Or(f.Location, b.inv.Target.Name), 0, 0, "")}
	loc.LogicalLocations = []LogicalLocation{{Name: f.PkgName, FullyQualifiedName: f.PkgPURL, Kind: "package"}}
	loc.LogicalLocations = append(loc.LogicalLocations, layerLocation(f.Layer)...)
	props := map[string]any{
		"pkgName": f.PkgName, "installedVersion": f.InstalledVersion, "status": f.Status, "severity": sev,
	}
	setIf(props, "pkgPURL", f.PkgPURL)
	setIf(props, "fixedVersion", f.FixedVersion)
	if f.EPSS != nil {
		props["epss"] = map[string]any{"score": f.EPSS.Score, "percentile": f.EPSS.Percentile}
	}
	if f.KEV != nil {
		props["kev"] = true
	}
	if f.Risk > 0 {
		props["risk"] = f.Risk
	}
	if f.VEX != nil {
		props["vex"] = f.VEX.Statement
	}
	addLayerProps(props, f.Layer)
	return b.result(ruleKey{kindVuln, f.ID}, sev, msg.String(), []Location{loc},
		[]string{f.PkgPURL, f.PkgName, f.InstalledVersion, f.Location, layerID(f.Layer)}, f.Suppressed, props)
}

func (b *builder) misconfResult(m *inventory.Misconfiguration) Result {
	sev := report.NormalizeSeverity(m.Severity)
	msg := cmp.Or(oneLine(m.Message), oneLine(m.Title), m.ID)
	where := m.Target
	if m.Object != "" {
		msg += " (" + oneLine(m.Object) + ")"
	}
	var loc Location
	// A check of a file (Dockerfile, manifest) points at its lines; a check of an image,
	// container or host points at the file in the image when the object is one, else at
	// the target by name.
	if strings.HasPrefix(m.Object, "/") && m.StartLine == 0 {
		where = m.Object
	}
	loc.PhysicalLocation = fileLocation(where, m.StartLine, m.EndLine, m.Code)
	loc.LogicalLocations = append(loc.LogicalLocations, LogicalLocation{Name: m.Target, Kind: m.Kind})
	if m.Object != "" {
		loc.LogicalLocations = append(loc.LogicalLocations, LogicalLocation{Name: m.Object, Kind: "object"})
	}
	loc.LogicalLocations = append(loc.LogicalLocations, layerLocation(m.Layer)...)
	if m.Layer != nil {
		msg += " Added by " + report.LayerLabel(m.Layer, layerWidth)
	}
	props := map[string]any{"kind": m.Kind, "severity": sev}
	setIf(props, "resolution", strings.TrimSpace(m.Resolution))
	addLayerProps(props, m.Layer)
	return b.result(ruleKey{kindMisconf, m.ID}, sev, msg, []Location{loc},
		[]string{m.Target, m.Object, strconv.Itoa(m.StartLine), layerID(m.Layer)}, m.Suppressed, props)
}

func (b *builder) secretResult(s *inventory.Secret) Result {
	sev := report.NormalizeSeverity(s.Severity)
	msg := fmt.Sprintf("%s (%s) in %s line %d.", cmp.Or(oneLine(s.Title), s.RuleID), sev, oneLine(s.Path), s.StartLine)
	if s.Layer != nil {
		msg += " Added by " + report.LayerLabel(s.Layer, layerWidth)
	}
	loc := Location{PhysicalLocation: fileLocation(s.Path, s.StartLine, s.EndLine, s.Match)}
	loc.LogicalLocations = layerLocation(s.Layer)
	props := map[string]any{"category": s.Category, "severity": sev}
	addLayerProps(props, s.Layer)
	return b.result(ruleKey{kindSecret, s.RuleID}, sev, msg, []Location{loc},
		[]string{s.Path, strconv.Itoa(s.StartLine), layerID(s.Layer)}, s.Suppressed, props)
}

func (b *builder) licenseResult(l *inventory.LicenseFinding) Result {
	sev := report.NormalizeSeverity(l.Severity)
	var msg string
	if l.PkgName != "" {
		msg = fmt.Sprintf("Package %s is licensed under %s (%s).", oneLine(l.PkgName), oneLine(l.License), l.Category)
	} else {
		msg = fmt.Sprintf("%s holds a licence of category %s: %s.", oneLine(l.Path), l.Category, oneLine(truncate(l.License, 120)))
	}
	loc := Location{PhysicalLocation: fileLocation(cmp.Or(l.Path, b.inv.Target.Name), 0, 0, "")}
	if l.PkgName != "" {
		loc.LogicalLocations = []LogicalLocation{{Name: l.PkgName, FullyQualifiedName: l.PkgPURL, Kind: "package"}}
	}
	loc.LogicalLocations = append(loc.LogicalLocations, layerLocation(l.Layer)...)
	props := map[string]any{"license": l.License, "category": l.Category, "severity": sev}
	setIf(props, "pkgPURL", l.PkgPURL)
	if l.Confidence > 0 {
		props["confidence"] = l.Confidence
	}
	addLayerProps(props, l.Layer)
	return b.result(ruleKey{kindLicense, licensePrefx + l.Category}, sev, msg, []Location{loc},
		[]string{l.PkgPURL, l.Path, l.License, layerID(l.Layer)}, l.Suppressed, props)
}

// suppression maps a shipshape suppression to SARIF's: decided outside the scanned
// artifact (external) and accepted.
func suppression(s *inventory.Suppression) Suppression {
	just := strings.TrimSpace(s.Reason)
	if s.Statement != "" {
		just = strings.TrimSpace(s.Statement + ": " + just)
		just = strings.TrimSuffix(just, ":")
	}
	out := Suppression{Kind: "external", Status: "accepted", Justification: oneLine(just),
		Properties: map[string]any{"kind": s.Kind}}
	setIf(out.Properties, "source", s.Source)
	setIf(out.Properties, "statement", s.Statement)
	setIf(out.Properties, "reason", s.Reason)
	setIf(out.Properties, "expires", s.Expires)
	return out
}

// fileLocation points at a file of the image (or a file scanned on disk) as a relative URI
// reference, with its lines when known, or nil when there is no file.
func fileLocation(path string, start, end int, code string) *PhysicalLocation {
	path = strings.TrimLeft(strings.TrimSpace(path), "/")
	if path == "" {
		return nil
	}
	loc := &PhysicalLocation{ArtifactLocation: ArtifactLocation{URI: (&url.URL{Path: path}).String()}}
	if start > 0 {
		loc.Region = &Region{StartLine: start}
		if end >= start {
			loc.Region.EndLine = end
		}
		if code != "" {
			loc.Region.Snippet = &Snippet{Text: code}
		}
	}
	return loc
}

func layerLocation(l *inventory.LayerRef) []LogicalLocation {
	if l == nil {
		return nil
	}
	return []LogicalLocation{{Name: "layer " + strconv.Itoa(l.Index), FullyQualifiedName: l.DiffID, Kind: "layer"}}
}

func addLayerProps(props map[string]any, l *inventory.LayerRef) {
	if l == nil {
		return
	}
	layer := map[string]any{"index": l.Index}
	setIf(layer, "diffID", l.DiffID)
	setIf(layer, "createdBy", l.CreatedBy)
	props["layer"] = layer
}

func layerID(l *inventory.LayerRef) string {
	if l == nil {
		return ""
	}
	return strconv.Itoa(l.Index) + ":" + l.DiffID
}

func setIf(m map[string]any, k, v string) {
	if v != "" {
		m[k] = v
	}
}

func runProperties(inv *inventory.Inventory) map[string]any {
	t := inv.Target
	p := map[string]any{"targetName": t.Name, "targetKind": t.Kind}
	setIf(p, "imageID", t.ImageID)
	setIf(p, "manifestDigest", t.ManifestDigest)
	setIf(p, "platform", t.Platform)
	if len(t.RepoTags) > 0 {
		p["repoTags"] = t.RepoTags
	}
	if len(t.RepoDigests) > 0 {
		p["repoDigests"] = t.RepoDigests
	}
	if inv.OS.Known() {
		p["os"] = strings.TrimSpace(inv.OS.Family + " " + inv.OS.Version)
	}
	if inv.DB != nil {
		p["dbDataDate"] = inv.DB.DataDate
	}
	return p
}

// level maps a severity to a SARIF level.
func level(sev string) string {
	switch report.NormalizeSeverity(sev) {
	case report.SeverityCritical, report.SeverityHigh:
		return "error"
	case report.SeverityMedium:
		return "warning"
	}
	return "note"
}

// severityScore stands for a severity on GitHub's security-severity scale (critical above
// 9.0, high 7.0-8.9, medium 4.0-6.9, low 0.1-3.9) when there is no CVSS score; 0 for UNKNOWN.
func severityScore(sev string) float64 {
	switch report.NormalizeSeverity(sev) {
	case report.SeverityCritical:
		return 9.5
	case report.SeverityHigh:
		return 8.0
	case report.SeverityMedium:
		return 5.5
	case report.SeverityLow:
		return 2.0
	case report.SeverityNegligible:
		return 0.5
	}
	return 0
}

// cvssScore is the highest base score of the newest CVSS major version (4, then 3, then 2)
// among the findings.
func cvssScore(fs []*inventory.Finding) (float64, bool) {
	best, bestMajor := 0.0, 0
	for _, f := range fs {
		for _, c := range f.CVSS {
			if c.Score <= 0 || c.Score > 10 {
				continue
			}
			major, _ := strconv.Atoi(strings.SplitN(c.Version, ".", 2)[0])
			if major > bestMajor || (major == bestMajor && c.Score > best) {
				best, bestMajor = c.Score, major
			}
		}
	}
	return best, bestMajor > 0
}

func setSecuritySeverity(props map[string]any, score float64) {
	if score > 0 {
		props["security-severity"] = strconv.FormatFloat(score, 'f', 1, 64)
	}
}

func httpRefs(fs []*inventory.Finding) []string {
	var out []string
	for _, f := range fs {
		for _, r := range f.References {
			if isHTTP(r) {
				out = append(out, r)
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func isHTTP(s string) bool {
	if strings.ContainsFunc(s, func(c rune) bool { return c <= ' ' || c == 0x7f }) {
		return false
	}
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

func fingerprint(parts []string) string {
	sum := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return hex.EncodeToString(sum[:16])
}

// oneLine collapses whitespace and control characters so that a value stays on one line.
func oneLine(s string) string {
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool {
		return r == ' ' || r == '\t' || r == '\n' || r == '\r' || r < 0x20 || r == 0x7f
	}), " ")
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return strings.TrimRight(string(r[:n-1]), " ") + "…"
}

// mdEscape keeps a value from breaking a markdown table or adding markup.
func mdEscape(s string) string {
	s = oneLine(s)
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune("\\`*_{}[]()<>#+!|~", r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}
