// Package htmlreport writes an inventory as one self-contained HTML page: a summary with a
// severity chart drawn as inline SVG, a per-layer breakdown, a table of every finding that a
// few lines of inline JavaScript make searchable and filterable, and the packages. It loads
// nothing from the network (no scripts, styles, fonts or images from elsewhere), so it can
// be archived as a CI artifact and opened offline. All values go through html/template.
package htmlreport

import (
	"cmp"
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/shipshape-dev/shipshape/internal/inventory"
	"github.com/shipshape-dev/shipshape/internal/report"
)

//go:embed page.html.tmpl
var pageSource string

var page = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("page").Parse(pageSource))
})

// Chart geometry, in pixels.
const (
	labelWidth    = 96
	barMaxWidth   = 420
	barHeight     = 18
	barGap        = 6
	countWidth    = 48
	layerBarWidth = 160
	createdByMax  = 120
	titleMax      = 160
)

// Kinds of findings as the page names them.
const (
	kindVuln    = "vulnerability"
	kindMisconf = "misconfiguration"
	kindSecret  = "secret"
	kindLicense = "license"
)

type pageData struct {
	Tool, Version string
	Target        inventory.Target
	OS, DB        string
	Created       string
	Scanned       bool
	PackageCount  int
	Severities    []string
	Kinds         []string
	Chart         chart
	Counts        []countRow
	Layers        []layerRow
	LayerBarWidth int
	Findings      []findingRow
	Packages      []packageRow
	Warnings      []string
}

type chart struct {
	Width, Height int
	Bars          []bar
}

type bar struct {
	Label               string
	Count               int
	X, Y, Width, Height int
	TextY, CountX       int
}

type countRow struct {
	Kind              string
	BySeverity        []int
	Total, Suppressed int
}

type layerRow struct {
	Index                      int
	DiffID, CreatedBy          string
	Packages                   int
	Total                      int
	Segments                   []bar
	Summary                    string
	Misconfigurations, Secrets int
}

type findingRow struct {
	Severity, Kind, ID string
	URL                string
	Subject            string
	Installed, Fixed   string
	Risk, Layer        string
	Title, Note        string
	Suppressed         bool
}

type packageRow struct {
	Type, Name, Version, Source, Layer, PURL string
}

// Write writes inv as an HTML page. Findings are listed with the highest severity first,
// suppressed ones kept (greyed, with why) but not counted in the summary; passed checks are
// left out. Without any scan of findings (an SBOM) the page shows the packages. The output
// depends only on inv and opts; it carries the time written only when opts.Now is set.
func Write(w io.Writer, inv *inventory.Inventory, opts report.Options) error {
	inv, err := report.SortedBy(inv, opts.FindingOrder)
	if err != nil {
		return fmt.Errorf("html: %w", err)
	}
	d := build(inv, opts)
	if err := page().Execute(w, d); err != nil {
		return fmt.Errorf("html: writing the report for %s: %w", inv.Target.Name, err)
	}
	return nil
}

func build(inv *inventory.Inventory, opts report.Options) *pageData {
	name, version := opts.Tool()
	d := &pageData{
		Tool: name, Version: version, Target: inv.Target, OS: osLine(inv.OS), DB: dbLine(inv.DB),
		PackageCount: len(inv.Packages), Severities: report.Severities(), LayerBarWidth: layerBarWidth,
		Scanned: inv.Vulnerabilities != nil || inv.Misconfigurations != nil || inv.Secrets != nil || inv.Licenses != nil,
	}
	if ts, ok := opts.Timestamp(); ok {
		d.Created = ts.Format(time.RFC3339)
	}

	// Findings of every kind, with their counts.
	total := map[string]int{}
	addCount := func(kind string, sevs []string, suppressed int) {
		c := countRow{Kind: kind, Suppressed: suppressed, BySeverity: make([]int, len(d.Severities))}
		for _, s := range sevs {
			c.BySeverity[slices.Index(d.Severities, report.NormalizeSeverity(s))]++
			total[report.NormalizeSeverity(s)]++
		}
		c.Total = len(sevs)
		d.Counts = append(d.Counts, c)
		d.Kinds = append(d.Kinds, kind)
	}
	if inv.Vulnerabilities != nil {
		var sevs []string
		sup := 0
		for i := range inv.Vulnerabilities {
			f := &inv.Vulnerabilities[i]
			d.Findings = append(d.Findings, vulnRow(f))
			if f.Suppressed != nil {
				sup++
			} else {
				sevs = append(sevs, f.Severity)
			}
		}
		addCount(kindVuln, sevs, sup)
	}
	if inv.Misconfigurations != nil {
		var sevs []string
		sup := 0
		for i := range inv.Misconfigurations {
			m := &inv.Misconfigurations[i]
			if m.Status != inventory.CheckFail && m.Status != inventory.CheckError {
				continue
			}
			d.Findings = append(d.Findings, misconfRow(m))
			switch {
			case m.Suppressed != nil:
				sup++
			case m.Status == inventory.CheckFail:
				sevs = append(sevs, m.Severity)
			}
		}
		addCount(kindMisconf, sevs, sup)
	}
	if inv.Secrets != nil {
		var sevs []string
		sup := 0
		for i := range inv.Secrets {
			s := &inv.Secrets[i]
			d.Findings = append(d.Findings, secretRow(s))
			if s.Suppressed != nil {
				sup++
			} else {
				sevs = append(sevs, s.Severity)
			}
		}
		addCount(kindSecret, sevs, sup)
	}
	if inv.Licenses != nil {
		var sevs []string
		sup := 0
		for i := range inv.Licenses {
			l := &inv.Licenses[i]
			d.Findings = append(d.Findings, licenseRow(l))
			if l.Suppressed != nil {
				sup++
			} else {
				sevs = append(sevs, l.Severity)
			}
		}
		addCount(kindLicense, sevs, sup)
	}
	// Highest severity first; within a severity the kinds in the order above and each
	// kind's report order (stable sort).
	slices.SortStableFunc(d.Findings, func(a, b findingRow) int {
		return report.SeverityRank(b.Severity) - report.SeverityRank(a.Severity)
	})
	d.Chart = severityChart(d.Severities, total)
	d.Layers = layerRows(inv)
	for i := range inv.Packages {
		p := &inv.Packages[i]
		src := p.SourceName
		if p.SourceVersion != "" && p.SourceVersion != p.Version {
			src += " " + p.SourceVersion
		}
		d.Packages = append(d.Packages, packageRow{Type: p.Type, Name: p.Name, Version: p.Version, Source: src,
			Layer: layerIndex(p.Layer), PURL: report.PURL(p, inv.OS)})
	}
	for _, w := range inv.Warnings {
		d.Warnings = append(d.Warnings, w.String())
	}
	return d
}

// severityChart draws one horizontal bar per severity, the longest barMaxWidth wide.
func severityChart(sevs []string, counts map[string]int) chart {
	most := 0
	for _, s := range sevs {
		most = max(most, counts[s])
	}
	c := chart{Width: labelWidth + barMaxWidth + countWidth, Height: len(sevs)*(barHeight+barGap) + barGap}
	for i, s := range sevs {
		y := barGap + i*(barHeight+barGap)
		width := 0
		if most > 0 && counts[s] > 0 {
			width = max(2, counts[s]*barMaxWidth/most)
		}
		c.Bars = append(c.Bars, bar{Label: s, Count: counts[s], X: labelWidth, Y: y, Width: width, Height: barHeight,
			TextY: y + barHeight - 4, CountX: labelWidth + width + 6})
	}
	return c
}

// layerRows counts, per layer, the packages it brought in and the findings that are not
// suppressed, with a stacked bar of its vulnerabilities by severity, all bars on one scale.
func layerRows(inv *inventory.Inventory) []layerRow {
	rows := make([]layerRow, len(inv.Layers))
	at := map[int]int{}
	for i, l := range inv.Layers {
		rows[i] = layerRow{Index: l.Index, DiffID: l.DiffID, CreatedBy: cut(oneLine(l.CreatedBy), createdByMax)}
		at[l.Index] = i
	}
	row := func(l *inventory.LayerRef) *layerRow {
		if l == nil {
			return nil
		}
		if i, ok := at[l.Index]; ok {
			return &rows[i]
		}
		return nil
	}
	for i := range inv.Packages {
		if r := row(inv.Packages[i].Layer); r != nil {
			r.Packages++
		}
	}
	bySev := make([]map[string]int, len(rows))
	for i := range bySev {
		bySev[i] = map[string]int{}
	}
	for i := range inv.Vulnerabilities {
		f := &inv.Vulnerabilities[i]
		if f.Suppressed != nil || f.Layer == nil {
			continue
		}
		if k, ok := at[f.Layer.Index]; ok {
			bySev[k][report.NormalizeSeverity(f.Severity)]++
			rows[k].Total++
		}
	}
	for i := range inv.Misconfigurations {
		if m := &inv.Misconfigurations[i]; m.Status == inventory.CheckFail && m.Suppressed == nil {
			if r := row(m.Layer); r != nil {
				r.Misconfigurations++
			}
		}
	}
	for i := range inv.Secrets {
		if s := &inv.Secrets[i]; s.Suppressed == nil {
			if r := row(s.Layer); r != nil {
				r.Secrets++
			}
		}
	}
	most := 0
	for _, r := range rows {
		most = max(most, r.Total)
	}
	for i := range rows {
		x := 0
		var parts []string
		for _, s := range report.Severities() {
			n := bySev[i][s]
			if n == 0 {
				continue
			}
			w := max(2, n*layerBarWidth/most)
			rows[i].Segments = append(rows[i].Segments, bar{Label: s, Count: n, X: x, Width: w})
			x += w
			parts = append(parts, strconv.Itoa(n)+" "+s)
		}
		rows[i].Summary = strings.Join(parts, ", ")
	}
	return rows
}

func vulnRow(f *inventory.Finding) findingRow {
	r := findingRow{Severity: report.NormalizeSeverity(f.Severity), Kind: kindVuln, ID: f.ID,
		Subject: f.PkgName, Installed: f.InstalledVersion, Fixed: cmp.Or(f.FixedVersion, "-"),
		Layer: layerIndex(f.Layer), Title: cut(oneLine(cmp.Or(f.Title, f.Description)), titleMax),
		Risk: "-", Suppressed: f.Suppressed != nil}
	if f.Location != "" {
		r.Subject += " (" + f.Location + ")"
	}
	if f.Risk > 0 {
		r.Risk = strconv.FormatFloat(f.Risk, 'f', 1, 64)
	}
	if _, page, ok := report.AdvisoryPage(f.ID); ok {
		r.URL = page
	} else {
		for _, ref := range f.References {
			if isHTTP(ref) {
				r.URL = ref
				break
			}
		}
	}
	var notes []string
	if f.Status != "" && f.FixedVersion == "" {
		notes = append(notes, "status: "+f.Status)
	}
	if f.KEV != nil {
		notes = append(notes, "known exploited (CISA KEV)")
	}
	if f.EPSS != nil {
		notes = append(notes, fmt.Sprintf("EPSS %.1f%%", f.EPSS.Score*100))
	}
	if f.VEX != nil {
		notes = append(notes, "VEX: "+f.VEX.Statement)
	}
	if f.Suppressed != nil {
		notes = append(notes, suppressionText(f.Suppressed))
	}
	r.Note = strings.Join(notes, "; ")
	return r
}

func misconfRow(m *inventory.Misconfiguration) findingRow {
	subject := m.Target
	if m.Object != "" {
		subject += " " + m.Object
	}
	if m.StartLine > 0 {
		subject += ":" + strconv.Itoa(m.StartLine)
	}
	r := findingRow{Severity: report.NormalizeSeverity(m.Severity), Kind: kindMisconf, ID: m.ID, Subject: subject,
		Installed: "-", Fixed: "-", Risk: "-", Layer: layerIndex(m.Layer),
		Title: cut(oneLine(cmp.Or(m.Message, m.Title)), titleMax), Suppressed: m.Suppressed != nil}
	for _, ref := range m.References {
		if isHTTP(ref) {
			r.URL = ref
			break
		}
	}
	var notes []string
	if m.Status == inventory.CheckError {
		notes = append(notes, "could not be evaluated")
	}
	if m.Resolution != "" {
		notes = append(notes, "fix: "+oneLine(m.Resolution))
	}
	if m.Suppressed != nil {
		notes = append(notes, suppressionText(m.Suppressed))
	}
	r.Note = strings.Join(notes, "; ")
	return r
}

func secretRow(s *inventory.Secret) findingRow {
	r := findingRow{Severity: report.NormalizeSeverity(s.Severity), Kind: kindSecret, ID: s.RuleID,
		Subject: s.Path + ":" + strconv.Itoa(s.StartLine), Installed: "-", Fixed: "-", Risk: "-",
		Layer: layerIndex(s.Layer), Title: cut(oneLine(s.Title+": "+s.Match), titleMax), Suppressed: s.Suppressed != nil}
	if s.Suppressed != nil {
		r.Note = suppressionText(s.Suppressed)
	}
	return r
}

func licenseRow(l *inventory.LicenseFinding) findingRow {
	r := findingRow{Severity: report.NormalizeSeverity(l.Severity), Kind: kindLicense, ID: l.License,
		Subject: cmp.Or(l.PkgName, l.Path), Installed: "-", Fixed: "-", Risk: "-", Layer: layerIndex(l.Layer),
		Title: "category " + l.Category, Suppressed: l.Suppressed != nil}
	if l.PkgName != "" && l.Path != "" {
		r.Title += ", read from " + l.Path
	}
	if l.Suppressed != nil {
		r.Note = suppressionText(l.Suppressed)
	}
	return r
}

func suppressionText(s *inventory.Suppression) string {
	parts := []string{"suppressed by " + cmp.Or(s.Kind, "policy")}
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
		out += ", until " + s.Expires
	}
	return oneLine(out)
}

func layerIndex(l *inventory.LayerRef) string {
	if l == nil {
		return "-"
	}
	return strconv.Itoa(l.Index)
}

func osLine(o *inventory.OS) string {
	if !o.Known() {
		return "unknown"
	}
	return cmp.Or(o.PrettyName, strings.TrimSpace(o.Family+" "+o.Version))
}

func dbLine(db *inventory.DBInfo) string {
	if db == nil {
		return "unknown"
	}
	s := "data as of " + cmp.Or(db.DataDate, "unknown")
	if db.Embedded {
		s += " (embedded snapshot)"
	}
	return s
}

func isHTTP(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" &&
		!strings.ContainsFunc(s, func(c rune) bool { return c <= ' ' || c == 0x7f })
}

func oneLine(s string) string {
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool { return r <= ' ' || r == 0x7f }), " ")
}

func cut(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return strings.TrimRight(string(r[:n-1]), " ") + "…"
}
