// Package ubuntu reads Ubuntu's USN OVAL ("ubuntu-oval"), com.ubuntu.<codename>.usn.oval.xml
// from https://security-metadata.canonical.com/oval/, into vulndb records.
//
// The USN OVAL has one "patch" definition per Ubuntu Security Notice (USN-6006-1, and
// LSN-... for kernel live patches). Its advisory lists the CVEs it fixes, each with
// Ubuntu's priority and often a CVSS vector, and its criteria test dpkginfo objects whose
// names are sets of binary packages (a constant_variable) "less than" a fixed version.
// Records are per CVE: the Vulnerability carries the USN ids as aliases, and there is one
// Affected entry per binary package, StatusFixed with Range Fixed, with the CVE's priority
// as Severity{Source: "ubuntu"}. A USN that lists no CVE is emitted under its own id.
//
// What the USN OVAL cannot say: it only lists fixes, so this feed emits no affected,
// will-not-fix or not-affected status (that is in Ubuntu's CVE OVAL, which this package
// does not read). Package names are binary package names (libssl3, openssl, ...), not
// source names. Fixes published only for Ubuntu Pro (ESM, "Available with Ubuntu Pro",
// versions ending in ~esmN or +esmN) are fixes like any other. Kernel notices test the
// running kernel (uname) rather than packages and are left out.
//
// The data is GPL-3.0: the feed is for users' own builds, not for the embedded default DB.
package ubuntu

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

// Feed reads the Ubuntu USN OVAL.
type Feed struct{}

// New returns the Ubuntu OVAL feed.
func New() *Feed { return &Feed{} }

// Name implements feed.Feed.
func (*Feed) Name() string { return "ubuntu-oval" }

// Match implements feed.Feed: com.ubuntu.<codename>.usn.oval.xml, compressed or not.
func (*Feed) Match(name string) bool {
	return fileRE().MatchString(baseName(name))
}

// Info describes the data for the DB's metadata and NOTICE.
func (*Feed) Info() feed.Info {
	return feed.Info{
		Licence:     "GPL-3.0",
		Attribution: "Ubuntu OVAL, Copyright (C) Canonical Ltd., GPL-3.0, https://security-metadata.canonical.com/oval/",
		UpstreamURL: "https://security-metadata.canonical.com/oval/com.ubuntu.noble.usn.oval.xml.bz2",
	}
}

// releases maps Ubuntu codenames to their versions.
var releases = map[string]string{
	"trusty":   "14.04",
	"xenial":   "16.04",
	"bionic":   "18.04",
	"focal":    "20.04",
	"jammy":    "22.04",
	"kinetic":  "22.10",
	"lunar":    "23.04",
	"mantic":   "23.10",
	"noble":    "24.04",
	"oracular": "24.10",
	"plucky":   "25.04",
	"questing": "25.10",
}

var (
	fileRE    = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^com\.ubuntu\.([a-z]+)\.usn\.oval\.xml$`) })
	defIDRE   = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^oval:com\.ubuntu\.([a-z]+):def:`) })
	versionRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`Ubuntu (\d{2}\.\d{2})`) })
	cveRE     = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^CVE-\d{4}-\d{4,}$`) })
	noticeRE  = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[UL]SN-\d+-\d+$`) })
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
	Severity    string         `xml:"metadata>advisory>severity"`
	Issued      struct {
		Date string `xml:"date,attr"`
	} `xml:"metadata>advisory>issued"`
	CVEs     []xmlCVE    `xml:"metadata>advisory>cve"`
	Criteria xmlCriteria `xml:"criteria"`
}

type xmlReference struct {
	Source string `xml:"source,attr"`
	ID     string `xml:"ref_id,attr"`
	URL    string `xml:"ref_url,attr"`
}

type xmlCVE struct {
	ID           string `xml:",chardata"`
	Href         string `xml:"href,attr"`
	Priority     string `xml:"priority,attr"`
	Public       string `xml:"public,attr"`
	CVSSScore    string `xml:"cvss_score,attr"`
	CVSSVector   string `xml:"cvss_vector,attr"`
	CVSSSeverity string `xml:"cvss_severity,attr"`
}

type xmlCriteria struct {
	Criterions []struct {
		TestRef string `xml:"test_ref,attr"`
	} `xml:"criterion"`
	Criteria []xmlCriteria `xml:"criteria"`
}

type xmlTest struct {
	ID     string `xml:"id,attr"`
	Object struct {
		Ref string `xml:"object_ref,attr"`
	} `xml:"object"`
	State struct {
		Ref string `xml:"state_ref,attr"`
	} `xml:"state"`
}

type xmlObject struct {
	ID   string `xml:"id,attr"`
	Name struct {
		VarRef string `xml:"var_ref,attr"`
		Value  string `xml:",chardata"`
	} `xml:"name"`
}

type xmlState struct {
	ID  string `xml:"id,attr"`
	EVR struct {
		Operation string `xml:"operation,attr"`
		Value     string `xml:",chardata"`
	} `xml:"evr"`
}

type xmlVariable struct {
	ID     string   `xml:"id,attr"`
	Values []string `xml:"value"`
}

// notice is what is kept of a USN definition until the tests, objects, states and
// variables that follow the definitions have been read.
type notice struct {
	id          string
	version     string // Ubuntu version, "" if the definition did not say
	description string
	severity    string
	refs        []string
	cves        []xmlCVE
	tests       []string
}

// Parse implements feed.Feed.
func (f *Feed) Parse(ctx context.Context, in feed.Input, emit func(vulndb.Record) error) error {
	fileVersion := ""
	if m := fileRE().FindStringSubmatch(baseName(in.Name)); m != nil {
		fileVersion = releases[m[1]]
	}
	var (
		notices    []notice
		tests      = map[string][2]string{} // dpkginfo test -> object, state
		objects    = map[string][2]string{} // dpkginfo object -> name, variable
		states     = map[string]string{}    // dpkginfo state -> version it is less than
		variables  = map[string][]string{}  // constant variable -> values
		otherTests = map[string]bool{}      // tests of anything but dpkginfo (kernel, release)
		inventory  string                   // version named by the inventory definition
		root       bool
		n          int
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
		switch se.Name.Local {
		case "definition":
			var d xmlDefinition
			if derr = dec.DecodeElement(&d, &se); derr != nil {
				break
			}
			switch strings.TrimSpace(d.Class) {
			case "inventory":
				if m := versionRE().FindStringSubmatch(d.Title); m != nil && inventory == "" {
					inventory = m[1]
				}
			case "patch":
				if nt, ok := compactNotice(&d); ok {
					notices = append(notices, nt)
				}
			}
		case "dpkginfo_test":
			var t xmlTest
			if derr = dec.DecodeElement(&t, &se); derr == nil {
				tests[t.ID] = [2]string{t.Object.Ref, t.State.Ref}
			}
		case "dpkginfo_object":
			var o xmlObject
			if derr = dec.DecodeElement(&o, &se); derr == nil {
				objects[o.ID] = [2]string{strings.TrimSpace(o.Name.Value), o.Name.VarRef}
			}
		case "dpkginfo_state":
			var s xmlState
			if derr = dec.DecodeElement(&s, &se); derr == nil && strings.EqualFold(strings.TrimSpace(s.EVR.Operation), "less than") {
				states[s.ID] = strings.TrimSpace(s.EVR.Value)
			}
		case "constant_variable":
			var v xmlVariable
			if derr = dec.DecodeElement(&v, &se); derr == nil {
				variables[v.ID] = v.Values
			}
		default:
			if strings.HasSuffix(se.Name.Local, "_test") {
				for _, a := range se.Attr {
					if a.Name.Local == "id" {
						otherTests[a.Value] = true
					}
				}
				derr = dec.Skip()
			}
		}
		if derr != nil {
			return fmt.Errorf("%s: %w", in.Name, derr)
		}
	}
	if !root {
		return fmt.Errorf("%s: not an OVAL definitions file (no root element)", in.Name)
	}

	// Resolve each notice's packages, then gather the records per CVE, in the order the
	// CVEs first appear.
	type pkgFix struct{ pkg, fixed string }
	var (
		order  []string
		byVuln = map[string]*vulndb.Record{}
		seen   = map[string]bool{}
	)
	resolved, unresolved := 0, 0
	for i := range notices {
		if i%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		nt := notices[i]
		notices[i] = notice{}
		version := nt.version
		if version == "" {
			version = inventory
		}
		if version == "" {
			version = fileVersion
		}
		if version == "" {
			continue
		}
		var fixes []pkgFix
		fixSeen := map[pkgFix]bool{}
		for _, ref := range nt.tests {
			t, ok := tests[ref]
			if !ok {
				continue // kernel, release and other non-package tests
			}
			evr, ok := states[t[1]]
			obj := objects[t[0]]
			if !ok || evr == "" {
				continue
			}
			names := variables[obj[1]]
			if obj[0] != "" {
				names = []string{obj[0]}
			}
			for _, name := range names {
				pf := pkgFix{strings.TrimSpace(name), debVersion(evr)}
				if pf.pkg == "" || pf.fixed == "" || fixSeen[pf] {
					continue
				}
				fixSeen[pf] = true
				fixes = append(fixes, pf)
			}
		}
		if len(fixes) == 0 {
			if !kernelOnly(nt.tests, otherTests) {
				unresolved++
			}
			continue
		}
		resolved++
		ns := "ubuntu:" + version

		type target struct {
			id       string
			rating   string
			severity []vulndb.Severity
			public   string
			refs     []string
		}
		var targets []target
		for _, c := range nt.cves {
			id := strings.TrimSpace(c.ID)
			if !cveRE().MatchString(id) {
				continue
			}
			tg := target{id: id, rating: priorityRating(c.Priority), public: publicDate(c.Public)}
			if s, ok := cvss(c); ok {
				tg.severity = []vulndb.Severity{s}
			}
			if h := strings.TrimSpace(c.Href); h != "" {
				tg.refs = append(tg.refs, h)
			}
			targets = append(targets, tg)
		}
		if len(targets) == 0 {
			targets = []target{{id: nt.id, rating: priorityRating(nt.severity)}}
		}
		for _, tg := range targets {
			rec := byVuln[tg.id]
			if rec == nil {
				rec = &vulndb.Record{Vulnerability: &vulndb.Vulnerability{
					ID:          tg.id,
					Description: nt.description,
					Severities:  tg.severity,
					Published:   tg.public,
					Source:      "ubuntu-oval",
				}}
				byVuln[tg.id] = rec
				order = append(order, tg.id)
			}
			v := rec.Vulnerability
			if tg.id != nt.id && !contains(v.Aliases, nt.id) {
				v.Aliases = append(v.Aliases, nt.id)
			}
			for _, r := range append(tg.refs, nt.refs...) {
				if !contains(v.References, r) {
					v.References = append(v.References, r)
				}
			}
			for _, pf := range fixes {
				k := tg.id + "\x00" + ns + "\x00" + pf.pkg + "\x00" + pf.fixed
				if seen[k] {
					continue
				}
				seen[k] = true
				a := vulndb.Affected{
					VulnID:    tg.id,
					Namespace: ns,
					Package:   pf.pkg,
					Ranges:    []vulndb.Range{{Type: "ECOSYSTEM", Fixed: pf.fixed}},
					Status:    vulndb.StatusFixed,
					Source:    "ubuntu-oval",
				}
				if tg.rating != "" {
					a.Severity = &vulndb.Severity{Source: "ubuntu", Rating: tg.rating}
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
	if resolved == 0 && unresolved > 0 {
		return fmt.Errorf("%s: none of %d notices names a package and a fixed version", in.Name, unresolved)
	}
	return nil
}

// kernelOnly reports whether a notice tests only things other than packages: the
// running kernel's version for kernel notices. Such notices say nothing about packages in
// an image and are left out without counting as unreadable.
func kernelOnly(refs []string, otherTests map[string]bool) bool {
	for _, r := range refs {
		if !otherTests[r] {
			return false
		}
	}
	return len(refs) > 0
}

// compactNotice keeps what the records need of a patch definition. It reports false for
// one with no notice id.
func compactNotice(d *xmlDefinition) (notice, bool) {
	var nt notice
	for _, r := range d.Refs {
		if strings.EqualFold(r.Source, "USN") && noticeRE().MatchString(strings.TrimSpace(r.ID)) {
			nt.id = strings.TrimSpace(r.ID)
			if u := strings.TrimSpace(r.URL); u != "" {
				nt.refs = append(nt.refs, u)
			}
			break
		}
	}
	if nt.id == "" {
		if f := strings.Fields(d.Title); len(f) > 0 && noticeRE().MatchString(f[0]) {
			nt.id = f[0]
		} else {
			return nt, false
		}
	}
	if m := defIDRE().FindStringSubmatch(d.ID); m != nil {
		nt.version = releases[m[1]]
	}
	if nt.version == "" {
		for _, p := range d.Platforms {
			if m := versionRE().FindStringSubmatch(p); m != nil {
				nt.version = m[1]
				break
			}
		}
	}
	desc := d.Description
	if i := strings.Index(desc, "Update Instructions:"); i >= 0 {
		desc = desc[:i]
	}
	nt.description = strings.TrimSpace(desc)
	nt.severity = strings.TrimSpace(d.Severity)
	nt.cves = d.CVEs
	// CVEs named only by a reference still count.
	for _, r := range d.Refs {
		id := strings.TrimSpace(r.ID)
		if strings.EqualFold(r.Source, "CVE") && cveRE().MatchString(id) {
			known := false
			for _, c := range nt.cves {
				if strings.TrimSpace(c.ID) == id {
					known = true
					break
				}
			}
			if !known {
				nt.cves = append(nt.cves, xmlCVE{ID: id, Href: r.URL})
			}
		}
	}
	walkCriteria(&d.Criteria, func(ref string) { nt.tests = append(nt.tests, ref) })
	return nt, true
}

func walkCriteria(c *xmlCriteria, fn func(string)) {
	for _, cr := range c.Criterions {
		if cr.TestRef != "" {
			fn(cr.TestRef)
		}
	}
	for i := range c.Criteria {
		walkCriteria(&c.Criteria[i], fn)
	}
}

// debVersion drops a zero epoch, which dpkg treats as none.
func debVersion(v string) string {
	return strings.TrimPrefix(strings.TrimSpace(v), "0:")
}

// priorityRating maps an Ubuntu priority (or USN severity) to a rating, "" for none.
func priorityRating(p string) string {
	switch strings.ToLower(strings.TrimSpace(p)) {
	case "negligible":
		return vulndb.Negligible
	case "low":
		return vulndb.Low
	case "medium":
		return vulndb.Medium
	case "high":
		return vulndb.High
	case "critical":
		return vulndb.Critical
	}
	return ""
}

// cvss returns the CVSS vector an advisory gives for a CVE.
func cvss(c xmlCVE) (vulndb.Severity, bool) {
	vec := strings.TrimSpace(c.CVSSVector)
	if vec == "" {
		return vulndb.Severity{}, false
	}
	s := vulndb.Severity{Source: "ubuntu", Vector: vec}
	switch {
	case strings.HasPrefix(vec, "CVSS:3."):
		s.Type = "CVSS_V3"
	case strings.HasPrefix(vec, "CVSS:4."):
		s.Type = "CVSS_V4"
	default:
		s.Type = "CVSS_V2"
	}
	if f, err := strconv.ParseFloat(strings.TrimSpace(c.CVSSScore), 64); err == nil && f >= 0 && f <= 10 {
		s.Score = f
	}
	if r := strings.ToUpper(strings.TrimSpace(c.CVSSSeverity)); vulndb.RatingRank(r) > 0 {
		s.Rating = r
	}
	return s, true
}

// publicDate turns "20230411" (or "20230411 12:00:00 UTC") into "2023-04-11".
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

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}
