// Package redhat reads Red Hat style OVAL patch definitions ("redhat-oval") into vulndb
// records: Red Hat Enterprise Linux (com.redhat.rhsa-RHEL9.xml, rhel-9.oval.xml) and Rocky
// Linux (org.rockylinux.rlsa-9.xml), which follows the same layout.
//
// Each definition is an advisory (RHSA/RHBA/RHEA, RLSA) whose criteria say "<rpm> is
// earlier than <epoch:version-release>" (and, for RHEL, "<rpm> is signed with Red Hat
// key"). Records are per CVE: the Vulnerability has the advisory ids as aliases, the
// advisory's per-CVE data (CVSS v3/v2 vector, CWEs, public date, Bugzilla title as
// summary) and the advisory text; there is one Affected entry per binary rpm, StatusFixed
// with Range Fixed the evr as given ("0:1.10-9.el9_0", epoch kept), and the CVE's impact
// (else the advisory's severity) as Severity{Source: "redhat"}: Low LOW, Moderate MEDIUM,
// Important HIGH, Critical CRITICAL. Rocky's file has no <cve> elements: its CVEs are those
// its references and description name. An RHSA/RLSA with no CVE is emitted under its own
// id; bug fix and enhancement advisories with no CVE are left out.
//
// Package names are binary rpm names: the matcher queries RHEL namespaces by binary name.
// Fixes inside module streams ("Module nodejs:18 is enabled", or versions built for a
// module, ".module+el9...") are left out: an Affected entry cannot say which stream it is
// for, and applying a stream's version to the non-modular package would be wrong. Only
// patch definitions exist in these files; the OVAL carries no "unpatched" or "will not
// fix" states, so every entry is StatusFixed.
package redhat

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"path"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/shipshape-dev/shipshape/internal/feed"
	"github.com/shipshape-dev/shipshape/internal/vulndb"
)

// Feed reads Red Hat and Rocky Linux OVAL.
type Feed struct{}

// New returns the Red Hat OVAL feed.
func New() *Feed { return &Feed{} }

// Name implements feed.Feed.
func (*Feed) Name() string { return "redhat-oval" }

// Match implements feed.Feed: an .xml file (compressed or not) whose name says Red Hat,
// RHEL or Rocky.
func (*Feed) Match(name string) bool {
	b := strings.ToLower(baseName(name))
	if !strings.HasSuffix(b, ".xml") {
		return false
	}
	return strings.HasPrefix(b, "com.redhat.") || strings.HasPrefix(b, "rhel-") || strings.HasPrefix(b, "org.rockylinux.")
}

// Info describes the data for the DB's metadata and NOTICE.
func (*Feed) Info() feed.Info {
	return feed.Info{
		Licence:     "Red Hat security data terms (CC-BY-4.0 per access.redhat.com/security/data); Rocky Linux errata terms",
		Attribution: "Red Hat OVAL, Red Hat Product Security, https://access.redhat.com/security/data/oval/v2/; Rocky Linux errata, Rocky Enterprise Software Foundation",
		UpstreamURL: "https://access.redhat.com/security/data/oval/v2/RHEL9/rhel-9.oval.xml.bz2",
	}
}

var (
	cveRE      = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`CVE-\d{4}-\d{4,}`) })
	cveOnlyRE  = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^CVE-\d{4}-\d{4,}$`) })
	cweRE      = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`CWE-\d+`) })
	advisoryRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^(RH|RL|AL)[SBE]A-\d{4}:\d+$`) })
	platformRE = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^(?:Red Hat Enterprise Linux|Rocky Linux)(?: [A-Za-z]+)* (\d+)$`)
	})
	installedRE = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^(?:Red Hat Enterprise Linux|Rocky Linux) (\d+) is installed$`)
	})
	cpeRE = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^cpe:/[ao]:(?:redhat:enterprise_linux|rocky:rocky):(\d+)`)
	})
	fileRE       = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(?i)(?:rhel|rlsa|rhsa)[-_]?(\d+)(?:\.oval)?\.xml$`) })
	moduleTestRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^Module \S+ is enabled$`) })
)

// baseName returns the last element of a slash-separated name without a compression suffix.
func baseName(name string) string {
	b := path.Base(strings.ReplaceAll(name, `\`, "/"))
	for _, ext := range []string{".bz2", ".gz", ".xz", ".zst"} {
		b = strings.TrimSuffix(b, ext)
	}
	return b
}

// The parts of the OVAL file this feed reads, matched without namespaces.
type xmlDefinition struct {
	ID          string         `xml:"id,attr"`
	Class       string         `xml:"class,attr"`
	Title       string         `xml:"metadata>title"`
	Platforms   []string       `xml:"metadata>affected>platform"`
	Refs        []xmlReference `xml:"metadata>reference"`
	Description string         `xml:"metadata>description"`
	Advisory    struct {
		From     string   `xml:"from,attr"`
		Severity string   `xml:"severity"`
		CVEs     []xmlCVE `xml:"cve"`
		Bugs     []struct {
			Href  string `xml:"href,attr"`
			Title string `xml:",chardata"`
		} `xml:"bugzilla"`
		CPEs []string `xml:"affected_cpe_list>cpe"`
	} `xml:"metadata>advisory"`
	Criteria xmlCriteria `xml:"criteria"`
}

type xmlReference struct {
	Source string `xml:"source,attr"`
	ID     string `xml:"ref_id,attr"`
	URL    string `xml:"ref_url,attr"`
}

type xmlCVE struct {
	ID     string `xml:",chardata"`
	CVSS3  string `xml:"cvss3,attr"`
	CVSS2  string `xml:"cvss2,attr"`
	CWE    string `xml:"cwe,attr"`
	Href   string `xml:"href,attr"`
	Impact string `xml:"impact,attr"`
	Public string `xml:"public,attr"`
}

type xmlCriteria struct {
	Operator   string `xml:"operator,attr"`
	Criterions []struct {
		TestRef string `xml:"test_ref,attr"`
		Comment string `xml:"comment,attr"`
	} `xml:"criterion"`
	Criteria []xmlCriteria `xml:"criteria"`
}

type xmlTest struct {
	ID      string `xml:"id,attr"`
	Comment string `xml:"comment,attr"`
	Object  struct {
		Ref string `xml:"object_ref,attr"`
	} `xml:"object"`
	State struct {
		Ref string `xml:"state_ref,attr"`
	} `xml:"state"`
}

type xmlObject struct {
	ID   string `xml:"id,attr"`
	Name string `xml:"name"`
}

type xmlState struct {
	ID  string `xml:"id,attr"`
	EVR struct {
		Operation string `xml:"operation,attr"`
		Value     string `xml:",chardata"`
	} `xml:"evr"`
}

// criteria is the compact form of a definition's criteria tree.
type criteria struct {
	tests  []string
	module bool // a criterion of this node says "Module X is enabled"
	kids   []criteria
}

// cveInfo is what an advisory says about one of its CVEs.
type cveInfo struct {
	id, summary, cwe, impact, public, cvss3, cvss2 string
	refs                                           []string
}

// advisory is what is kept of a definition until the tests, objects and states that
// follow the definitions have been read.
type advisory struct {
	id          string
	namespace   string
	description string
	severity    string
	refs        []string
	cves        []cveInfo
	crit        criteria
}

// Parse implements feed.Feed.
func (f *Feed) Parse(ctx context.Context, in feed.Input, emit func(vulndb.Record) error) error {
	fileRelease := ""
	if m := fileRE().FindStringSubmatch(baseName(in.Name)); m != nil {
		fileRelease = m[1]
	}
	lname := strings.ToLower(baseName(in.Name))
	fileDistro := ""
	switch {
	case strings.Contains(lname, "rocky"):
		fileDistro = "rocky"
	case strings.Contains(lname, "redhat") || strings.Contains(lname, "rhel"):
		fileDistro = "rhel"
	}

	var (
		advisories  []advisory
		tests       = map[string][2]string{} // rpminfo test -> object, state
		moduleTests = map[string]bool{}      // tests of "Module X is enabled"
		objects     = map[string]string{}    // rpminfo object -> rpm name
		states      = map[string]string{}    // rpminfo state -> evr it is earlier than
		root        bool
		n           int
	)
	dec := xml.NewDecoder(in.R)
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("%s: %w", in.Name, err)
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		if !root {
			if se.Name.Local != "oval_definitions" {
				return fmt.Errorf("%s: not an OVAL definitions file (root element %q)", in.Name, se.Name.Local)
			}
			root = true
			continue
		}
		if n++; n%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		var derr error
		switch local := se.Name.Local; {
		case local == "definition":
			var d xmlDefinition
			if derr = dec.DecodeElement(&d, &se); derr == nil {
				if a, ok := compactAdvisory(&d, fileDistro, fileRelease); ok {
					advisories = append(advisories, a)
				}
			}
		case local == "rpminfo_test":
			var t xmlTest
			if derr = dec.DecodeElement(&t, &se); derr == nil {
				tests[t.ID] = [2]string{t.Object.Ref, t.State.Ref}
			}
		case local == "rpminfo_object":
			var o xmlObject
			if derr = dec.DecodeElement(&o, &se); derr == nil {
				objects[o.ID] = strings.TrimSpace(o.Name)
			}
		case local == "rpminfo_state":
			var s xmlState
			if derr = dec.DecodeElement(&s, &se); derr == nil && strings.EqualFold(strings.TrimSpace(s.EVR.Operation), "less than") {
				states[s.ID] = strings.TrimSpace(s.EVR.Value)
			}
		case strings.HasSuffix(local, "_test"):
			// Module tests are textfilecontent54 tests on /etc/dnf/modules.d.
			id, comment := "", ""
			for _, a := range se.Attr {
				switch a.Name.Local {
				case "id":
					id = a.Value
				case "comment":
					comment = a.Value
				}
			}
			if moduleTestRE().MatchString(strings.TrimSpace(comment)) {
				moduleTests[id] = true
			}
			derr = dec.Skip()
		}
		if derr != nil {
			return fmt.Errorf("%s: %w", in.Name, derr)
		}
	}
	if !root {
		return fmt.Errorf("%s: not an OVAL definitions file (no root element)", in.Name)
	}

	type fix struct{ pkg, evr string }
	var (
		order    []string
		byVuln   = map[string]*vulndb.Record{}
		seen     = map[string]bool{}
		resolved int
		failed   int
	)
	for i := range advisories {
		if i%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		adv := advisories[i]
		advisories[i] = advisory{}
		var fixes []fix
		fixSeen := map[fix]bool{}
		gated := false
		walk(&adv.crit, false, moduleTests, func(ref string, module bool) {
			t, ok := tests[ref]
			if !ok {
				return // release, signature-key-less and kernel tests
			}
			evr, ok := states[t[1]]
			pkg := objects[t[0]]
			if !ok || evr == "" || pkg == "" {
				return // "is signed with" tests have a state with no evr
			}
			if module || isModuleBuild(evr) {
				gated = true
				return
			}
			fx := fix{pkg, evr}
			if !fixSeen[fx] {
				fixSeen[fx] = true
				fixes = append(fixes, fx)
			}
		})
		if len(fixes) == 0 {
			if !gated {
				failed++
			}
			continue
		}
		if adv.namespace == "" {
			failed++
			continue
		}
		cves := adv.cves
		if len(cves) == 0 {
			if !strings.Contains(adv.id, "SA-") {
				continue // a bug fix or enhancement advisory
			}
			cves = []cveInfo{{id: adv.id}}
		}
		resolved++
		for _, c := range cves {
			rec := byVuln[c.id]
			if rec == nil {
				rec = &vulndb.Record{Vulnerability: newVulnerability(c, &adv)}
				byVuln[c.id] = rec
				order = append(order, c.id)
			}
			v := rec.Vulnerability
			if c.id != adv.id && !contains(v.Aliases, adv.id) {
				v.Aliases = append(v.Aliases, adv.id)
			}
			for _, r := range adv.refs {
				if !contains(v.References, r) {
					v.References = append(v.References, r)
				}
			}
			rating := severityRating(c.impact)
			if rating == "" {
				rating = severityRating(adv.severity)
			}
			for _, fx := range fixes {
				k := c.id + "\x00" + adv.namespace + "\x00" + fx.pkg + "\x00" + fx.evr
				if seen[k] {
					continue
				}
				seen[k] = true
				a := vulndb.Affected{
					VulnID:    c.id,
					Namespace: adv.namespace,
					Package:   fx.pkg,
					Ranges:    []vulndb.Range{{Type: "ECOSYSTEM", Fixed: fx.evr}},
					Status:    vulndb.StatusFixed,
					Source:    "redhat-oval",
				}
				if rating != "" {
					a.Severity = &vulndb.Severity{Source: "redhat", Rating: rating}
				}
				rec.Affected = append(rec.Affected, a)
			}
		}
	}
	for i, id := range order {
		if i%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		rec := byVuln[id]
		delete(byVuln, id)
		if err := emit(*rec); err != nil {
			return fmt.Errorf("%s: %w", in.Name, err)
		}
	}
	if resolved == 0 && failed > 0 {
		return fmt.Errorf("%s: none of %d advisories names a release, an rpm and a fixed version", in.Name, failed)
	}
	return nil
}

// compactAdvisory keeps what the records need of a patch definition. It reports false for
// a definition that is not an advisory.
func compactAdvisory(d *xmlDefinition, fileDistro, fileRelease string) (advisory, bool) {
	var a advisory
	if c := strings.TrimSpace(d.Class); c != "" && c != "patch" {
		return a, false
	}
	for _, r := range d.Refs {
		id := strings.TrimSpace(r.ID)
		if advisoryRE().MatchString(id) {
			a.id = id
			if u := strings.TrimSpace(r.URL); u != "" {
				a.refs = append(a.refs, u)
			}
			break
		}
	}
	if a.id == "" {
		// "RHSA-2022:4582: gzip security update (Important)"
		first, _, _ := strings.Cut(strings.TrimSpace(d.Title), " ")
		if first = strings.TrimSuffix(first, ":"); !advisoryRE().MatchString(first) {
			return a, false
		}
		a.id = first
	}

	distro := fileDistro
	switch {
	case strings.HasPrefix(d.ID, "oval:com.redhat."):
		distro = "rhel"
	case strings.HasPrefix(d.ID, "oval:org.rockylinux."):
		distro = "rocky"
	}
	release := ""
	for _, p := range d.Platforms {
		if m := platformRE().FindStringSubmatch(strings.TrimSpace(p)); m != nil {
			release = m[1]
			break
		}
	}
	for _, c := range append([]string{d.Advisory.From}, d.Advisory.CPEs...) {
		if m := cpeRE().FindStringSubmatch(strings.TrimSpace(c)); m != nil && release == "" {
			release = m[1]
		}
	}
	a.crit = compactCriteria(&d.Criteria, func(comment string) {
		if m := installedRE().FindStringSubmatch(comment); m != nil && release == "" {
			release = m[1]
		}
	})
	if release == "" {
		release = fileRelease
	}
	if distro != "" && release != "" {
		a.namespace = distro + ":" + release
	}

	a.description = strings.TrimSpace(d.Description)
	a.severity = strings.TrimSpace(d.Advisory.Severity)
	summaries := map[string]string{}
	bugs := map[string]string{}
	for _, b := range d.Advisory.Bugs {
		title := strings.TrimSpace(b.Title)
		if f := strings.Fields(title); len(f) > 0 && cveOnlyRE().MatchString(f[0]) {
			summaries[f[0]] = strings.TrimSpace(strings.TrimPrefix(title, f[0]))
			bugs[f[0]] = strings.TrimSpace(b.Href)
		}
	}
	add := func(c cveInfo) {
		for _, x := range a.cves {
			if x.id == c.id {
				return
			}
		}
		c.summary = summaries[c.id]
		if b := bugs[c.id]; b != "" {
			c.refs = append(c.refs, b)
		}
		a.cves = append(a.cves, c)
	}
	for _, c := range d.Advisory.CVEs {
		id := strings.TrimSpace(c.ID)
		if !cveOnlyRE().MatchString(id) {
			continue
		}
		add(cveInfo{id: id, cwe: c.CWE, impact: c.Impact, public: c.Public, cvss3: c.CVSS3, cvss2: c.CVSS2, refs: nonEmpty(c.Href)})
	}
	for _, r := range d.Refs {
		if id := strings.TrimSpace(r.ID); strings.EqualFold(r.Source, "CVE") && cveOnlyRE().MatchString(id) {
			add(cveInfo{id: id, refs: nonEmpty(r.URL)})
		}
	}
	if len(a.cves) == 0 {
		// Rocky's advisories name their CVEs only in the text.
		for _, id := range cveRE().FindAllString(d.Description, -1) {
			add(cveInfo{id: id})
		}
	}
	return a, true
}

// compactCriteria copies the criteria tree, marking nodes gated by a module test named in
// a criterion comment, and shows every comment to fn.
func compactCriteria(x *xmlCriteria, fn func(string)) criteria {
	var c criteria
	for _, cr := range x.Criterions {
		comment := strings.TrimSpace(cr.Comment)
		fn(comment)
		if moduleTestRE().MatchString(comment) {
			c.module = true
		}
		if cr.TestRef != "" {
			c.tests = append(c.tests, cr.TestRef)
		}
	}
	for i := range x.Criteria {
		c.kids = append(c.kids, compactCriteria(&x.Criteria[i], fn))
	}
	return c
}

// walk shows fn every test of the tree and whether a module condition gates it: a module
// test (or comment) in a node gates that node's tests and everything under it.
func walk(c *criteria, gated bool, moduleTests map[string]bool, fn func(ref string, module bool)) {
	g := gated || c.module
	for _, t := range c.tests {
		if moduleTests[t] {
			g = true
		}
	}
	for _, t := range c.tests {
		if !moduleTests[t] {
			fn(t, g)
		}
	}
	for i := range c.kids {
		walk(&c.kids[i], g, moduleTests, fn)
	}
}

// isModuleBuild reports whether an evr is a module stream build: "…module+el9.1.0+…".
func isModuleBuild(evr string) bool {
	return strings.Contains(evr, ".module+") || strings.Contains(evr, ".module_")
}

// newVulnerability is the first record of a CVE (or of an advisory with none).
func newVulnerability(c cveInfo, adv *advisory) *vulndb.Vulnerability {
	v := &vulndb.Vulnerability{
		ID:          c.id,
		Summary:     c.summary,
		Description: adv.description,
		Published:   publicDate(c.public),
		Source:      "redhat-oval",
	}
	if s, ok := cvss(c.cvss3, "CVSS_V3"); ok {
		v.Severities = append(v.Severities, s)
	}
	if s, ok := cvss(c.cvss2, "CVSS_V2"); ok {
		v.Severities = append(v.Severities, s)
	}
	for _, w := range cweRE().FindAllString(c.cwe, -1) {
		if !contains(v.CWEs, w) {
			v.CWEs = append(v.CWEs, w)
		}
	}
	v.References = append(v.References, c.refs...)
	return v
}

// cvss parses "7.5/CVSS:3.1/AV:N/..." (or "5.0/AV:N/AC:L/...") into a severity.
func cvss(attr, typ string) (vulndb.Severity, bool) {
	score, vector, ok := strings.Cut(strings.TrimSpace(attr), "/")
	if !ok || vector == "" {
		return vulndb.Severity{}, false
	}
	s := vulndb.Severity{Source: "redhat", Type: typ, Vector: vector}
	if f, err := strconv.ParseFloat(score, 64); err == nil && f >= 0 && f <= 10 {
		s.Score = f
	}
	return s, true
}

// severityRating maps Red Hat's severity or impact to a rating, "" for none.
func severityRating(s string) string {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "low":
		return vulndb.Low
	case "moderate":
		return vulndb.Medium
	case "important":
		return vulndb.High
	case "critical":
		return vulndb.Critical
	}
	return ""
}

// publicDate turns "20220407" (or "20220407:1200") into "2022-04-07".
func publicDate(s string) string {
	s = strings.TrimSpace(s)
	if len(s) < 8 {
		return ""
	}
	for _, r := range s[:8] {
		if r < '0' || r > '9' {
			return ""
		}
	}
	return s[:4] + "-" + s[4:6] + "-" + s[6:8]
}

// nonEmpty returns the trimmed s as a one-element slice, or nil.
func nonEmpty(s string) []string {
	if s = strings.TrimSpace(s); s != "" {
		return []string{s}
	}
	return nil
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}
