// Package junit writes an inventory's findings as JUnit XML, which CI systems (Jenkins,
// GitLab, Azure DevOps, …) show as test results: one test suite per target and kind of
// finding, one test case per package, check, secret or licence, and a failure for each that
// has findings.
package junit

import (
	"cmp"
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/shipshape-dev/shipshape/internal/inventory"
	"github.com/shipshape-dev/shipshape/internal/report"
)

// TestSuites is the root element.
type TestSuites struct {
	XMLName  xml.Name    `xml:"testsuites"`
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Errors   int         `xml:"errors,attr"`
	Skipped  int         `xml:"skipped,attr"`
	Suites   []TestSuite `xml:"testsuite"`
}

// TestSuite is the findings of one kind in one target.
type TestSuite struct {
	Name       string     `xml:"name,attr"`
	Tests      int        `xml:"tests,attr"`
	Failures   int        `xml:"failures,attr"`
	Errors     int        `xml:"errors,attr"`
	Skipped    int        `xml:"skipped,attr"`
	Timestamp  string     `xml:"timestamp,attr,omitempty"`
	Properties []Property `xml:"properties>property,omitempty"`
	Cases      []TestCase `xml:"testcase"`
}

// Property is a name and value about the suite.
type Property struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

// TestCase is one package, check, secret or licence.
type TestCase struct {
	ClassName string   `xml:"classname,attr"`
	Name      string   `xml:"name,attr"`
	Failure   *Outcome `xml:"failure,omitempty"`
	Error     *Outcome `xml:"error,omitempty"`
	Skipped   *Outcome `xml:"skipped,omitempty"`
}

// Outcome is a failure, error or skip: a one-line message, a type and the details.
type Outcome struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr,omitempty"`
	Text    string `xml:",chardata"`
}

// Write writes inv as JUnit XML. Suites, each only for a scan that ran:
//   - "<target> vulnerabilities": a case per package (classname the package type and
//     layer), failing with the list of its findings when it has any that are not
//     suppressed, skipped when all of its findings are suppressed;
//   - "<target> misconfigurations": a case per check result; failed checks fail, checks
//     that could not be evaluated are errors, suppressed ones are skipped;
//   - "<target> secrets": a case per secret, failing unless suppressed;
//   - "<target> licenses": a case per licence finding, failing for the categories that
//     need attention (forbidden, restricted, reciprocal, unknown).
//
// Without a scan (an SBOM) there are no suites. The output depends only on inv and opts;
// suites carry a timestamp only when opts.Now is set.
func Write(w io.Writer, inv *inventory.Inventory, opts report.Options) error {
	doc, err := New(inv, opts)
	if err != nil {
		return err
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return fmt.Errorf("junit: writing the report for %s: %w", inv.Target.Name, err)
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("junit: writing the report for %s: %w", inv.Target.Name, err)
	}
	if _, err := io.WriteString(w, "\n"); err != nil {
		return fmt.Errorf("junit: writing the report for %s: %w", inv.Target.Name, err)
	}
	return nil
}

// New builds the document Write writes.
func New(inv *inventory.Inventory, opts report.Options) (*TestSuites, error) {
	inv, err := report.Sorted(inv)
	if err != nil {
		return nil, fmt.Errorf("junit: %w", err)
	}
	name, _ := opts.Tool()
	doc := &TestSuites{Name: name}
	var stamp string
	if ts, ok := opts.Timestamp(); ok {
		stamp = ts.Format("2006-01-02T15:04:05")
	}
	target := cmp.Or(clean(inv.Target.Name), "target")
	props := []Property{{Name: "target", Value: clean(inv.Target.Name)}, {Name: "kind", Value: clean(inv.Target.Kind)}}
	if inv.OS.Known() {
		props = append(props, Property{Name: "os", Value: clean(strings.TrimSpace(inv.OS.Family + " " + inv.OS.Version))})
	}
	if inv.Target.ImageID != "" {
		props = append(props, Property{Name: "imageID", Value: clean(inv.Target.ImageID)})
	}
	add := func(kind string, cases []TestCase) {
		s := TestSuite{Name: target + " " + kind, Timestamp: stamp, Properties: props, Cases: cases}
		for _, c := range cases {
			s.Tests++
			switch {
			case c.Failure != nil:
				s.Failures++
			case c.Error != nil:
				s.Errors++
			case c.Skipped != nil:
				s.Skipped++
			}
		}
		if s.Cases == nil {
			s.Cases = []TestCase{}
		}
		doc.Suites = append(doc.Suites, s)
		doc.Tests += s.Tests
		doc.Failures += s.Failures
		doc.Errors += s.Errors
		doc.Skipped += s.Skipped
	}
	if inv.Vulnerabilities != nil {
		add("vulnerabilities", vulnCases(inv))
	}
	if inv.Misconfigurations != nil {
		add("misconfigurations", misconfCases(inv.Misconfigurations))
	}
	if inv.Secrets != nil {
		add("secrets", secretCases(inv.Secrets))
	}
	if inv.Licenses != nil {
		add("licenses", licenseCases(inv.Licenses))
	}
	return doc, nil
}

// vulnCases gives a case per package, in package order, with its findings; findings of a
// package not in the inventory get a case of their own at the end.
func vulnCases(inv *inventory.Inventory) []TestCase {
	type pkgFindings struct {
		pkg      *inventory.Package
		findings []*inventory.Finding
	}
	var list []*pkgFindings
	byKey := map[string]*pkgFindings{}
	key := func(purl, name, version, loc string) string {
		return purl + "\x00" + name + "\x00" + version + "\x00" + loc
	}
	for i := range inv.Packages {
		p := &inv.Packages[i]
		k := key(report.PURL(p, inv.OS), p.Name, p.Version, p.Location)
		if _, dup := byKey[k]; dup {
			continue
		}
		pf := &pkgFindings{pkg: p}
		byKey[k] = pf
		list = append(list, pf)
	}
	for i := range inv.Vulnerabilities {
		f := &inv.Vulnerabilities[i]
		k := key(f.PkgPURL, f.PkgName, f.InstalledVersion, f.Location)
		pf, ok := byKey[k]
		if !ok {
			pf = &pkgFindings{pkg: &inventory.Package{Type: f.PkgType, Name: f.PkgName, Version: f.InstalledVersion,
				Location: f.Location, Layer: f.Layer, PURL: f.PkgPURL}}
			byKey[k] = pf
			list = append(list, pf)
		}
		pf.findings = append(pf.findings, f)
	}
	cases := make([]TestCase, 0, len(list))
	for _, pf := range list {
		p := pf.pkg
		c := TestCase{ClassName: classOf(p.Type, p.Layer), Name: clean(p.Name + "@" + p.Version)}
		if p.Location != "" {
			c.Name += " (" + clean(p.Location) + ")"
		}
		var open, suppressed []*inventory.Finding
		for _, f := range pf.findings {
			if f.Suppressed != nil {
				suppressed = append(suppressed, f)
			} else {
				open = append(open, f)
			}
		}
		var details strings.Builder
		worst := report.SeverityUnknown
		for _, f := range open {
			if report.SeverityRank(f.Severity) > report.SeverityRank(worst) {
				worst = report.NormalizeSeverity(f.Severity)
			}
		}
		for _, f := range pf.findings {
			fmt.Fprintf(&details, "%s %s", clean(f.ID), report.NormalizeSeverity(f.Severity))
			if f.FixedVersion != "" {
				fmt.Fprintf(&details, " fixed in %s", clean(f.FixedVersion))
			} else if f.Status != "" {
				fmt.Fprintf(&details, " %s", clean(f.Status))
			}
			if t := clean(cmp.Or(f.Title, "")); t != "" {
				fmt.Fprintf(&details, ": %s", t)
			}
			if f.Suppressed != nil {
				fmt.Fprintf(&details, " [suppressed: %s]", suppressionText(f.Suppressed))
			}
			details.WriteByte('\n')
		}
		if p.Layer != nil {
			fmt.Fprintf(&details, "Installed by %s\n", clean(report.LayerLabel(p.Layer, 0)))
		}
		switch {
		case len(open) > 0:
			c.Failure = &Outcome{Message: fmt.Sprintf("%d vulnerabilit%s: %s", len(open), plural(len(open), "y", "ies"), idList(open)),
				Type: worst, Text: details.String()}
		case len(suppressed) > 0:
			c.Skipped = &Outcome{Message: fmt.Sprintf("%d suppressed vulnerabilit%s: %s", len(suppressed), plural(len(suppressed), "y", "ies"), idList(suppressed)),
				Text: details.String()}
		}
		cases = append(cases, c)
	}
	return cases
}

func misconfCases(ms []inventory.Misconfiguration) []TestCase {
	cases := make([]TestCase, 0, len(ms))
	for i := range ms {
		m := &ms[i]
		where := clean(m.Target)
		if m.Object != "" {
			where += " " + clean(m.Object)
		}
		if m.StartLine > 0 {
			where += ":" + strconv.Itoa(m.StartLine)
		}
		c := TestCase{ClassName: clean(cmp.Or(m.Kind, "misconfiguration")), Name: clean(m.ID+" "+m.Title) + " (" + where + ")"}
		var details strings.Builder
		sev := report.NormalizeSeverity(m.Severity)
		fmt.Fprintf(&details, "%s %s: %s\n", clean(m.ID), sev, clean(m.Title))
		if m.Message != "" {
			fmt.Fprintf(&details, "%s\n", clean(m.Message))
		}
		if m.Code != "" {
			fmt.Fprintf(&details, "Code: %s\n", clean(m.Code))
		}
		if m.Resolution != "" {
			fmt.Fprintf(&details, "Resolution: %s\n", clean(m.Resolution))
		}
		for _, r := range m.References {
			fmt.Fprintf(&details, "Reference: %s\n", clean(r))
		}
		if m.Layer != nil {
			fmt.Fprintf(&details, "Added by %s\n", clean(report.LayerLabel(m.Layer, 0)))
		}
		msg := clean(cmp.Or(m.Message, m.Title))
		switch {
		case m.Status == inventory.CheckError:
			c.Error = &Outcome{Message: "could not be evaluated: " + msg, Type: "error", Text: details.String()}
		case m.Status != inventory.CheckFail:
		case m.Suppressed != nil:
			c.Skipped = &Outcome{Message: "suppressed: " + suppressionText(m.Suppressed), Text: details.String()}
		default:
			c.Failure = &Outcome{Message: msg, Type: sev, Text: details.String()}
		}
		cases = append(cases, c)
	}
	return cases
}

func secretCases(ss []inventory.Secret) []TestCase {
	cases := make([]TestCase, 0, len(ss))
	for i := range ss {
		s := &ss[i]
		c := TestCase{ClassName: classOf("secret", s.Layer), Name: clean(fmt.Sprintf("%s:%d %s", s.Path, s.StartLine, s.RuleID))}
		sev := report.NormalizeSeverity(s.Severity)
		details := fmt.Sprintf("%s (%s) %s\n%s\n", clean(s.Title), clean(s.Category), sev, clean(s.Match))
		if s.Layer != nil {
			details += "Added by " + clean(report.LayerLabel(s.Layer, 0)) + "\n"
		}
		if s.Suppressed != nil {
			c.Skipped = &Outcome{Message: "suppressed: " + suppressionText(s.Suppressed), Text: details}
		} else {
			c.Failure = &Outcome{Message: clean(s.Title) + " in " + clean(s.Path), Type: sev, Text: details}
		}
		cases = append(cases, c)
	}
	return cases
}

func licenseCases(ls []inventory.LicenseFinding) []TestCase {
	cases := make([]TestCase, 0, len(ls))
	for i := range ls {
		l := &ls[i]
		name := cmp.Or(l.PkgName, l.Path)
		c := TestCase{ClassName: classOf("license", l.Layer), Name: clean(name + ": " + l.License)}
		details := fmt.Sprintf("%s (%s, %s)", clean(l.License), clean(l.Category), report.NormalizeSeverity(l.Severity))
		if l.Path != "" {
			details += " read from " + clean(l.Path)
		}
		details += "\n"
		switch l.Category {
		case inventory.LicenseForbidden, inventory.LicenseRestricted, inventory.LicenseReciprocal, inventory.LicenseUnknown:
			if l.Suppressed != nil {
				c.Skipped = &Outcome{Message: "suppressed: " + suppressionText(l.Suppressed), Text: details}
			} else {
				c.Failure = &Outcome{Message: "licence of category " + clean(l.Category) + ": " + clean(l.License),
					Type: report.NormalizeSeverity(l.Severity), Text: details}
			}
		}
		cases = append(cases, c)
	}
	return cases
}

// classOf groups cases the way CI tools show packages: by kind and layer.
func classOf(kind string, l *inventory.LayerRef) string {
	s := clean(cmp.Or(kind, "package"))
	if l != nil {
		s += ".layer" + strconv.Itoa(l.Index)
	}
	return s
}

func idList(fs []*inventory.Finding) string {
	ids := make([]string, 0, len(fs))
	for _, f := range fs {
		ids = append(ids, clean(f.ID)+" ("+report.NormalizeSeverity(f.Severity)+")")
	}
	return strings.Join(ids, ", ")
}

func suppressionText(s *inventory.Suppression) string {
	parts := []string{clean(s.Kind)}
	for _, p := range []string{s.Source, s.Statement, s.Reason} {
		if p = clean(p); p != "" {
			parts = append(parts, p)
		}
	}
	if s.Expires != "" {
		parts = append(parts, "until "+clean(s.Expires))
	}
	return strings.Join(parts, ", ")
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// clean puts a value on one line; characters XML 1.0 cannot carry are replaced by the
// encoder.
func clean(s string) string {
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool { return r <= ' ' || r == 0x7f }), " ")
}
