package table

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/shipshape-dev/shipshape/internal/inventory"
	"github.com/shipshape-dev/shipshape/internal/report"
)

// TitleWidth is how many runes of a finding's title the TITLE column shows; longer titles
// are cut to TitleWidth-1 runes and an ellipsis.
const TitleWidth = 60

// LayerHeadingWidth is how many runes of a layer's created_by a group heading shows.
const LayerHeadingWidth = 100

// ANSI SGR codes of the severities when colour is on.
var severityColors = map[string]string{
	report.SeverityCritical:   "\x1b[1;31m", // bold red
	report.SeverityHigh:       "\x1b[31m",   // red
	report.SeverityMedium:     "\x1b[33m",   // yellow
	report.SeverityLow:        "\x1b[34m",   // blue
	report.SeverityNegligible: "\x1b[36m",   // cyan
	report.SeverityUnknown:    "\x1b[90m",   // grey
}

const colorReset = "\x1b[0m"

var vulnColumns = []string{"PACKAGE", "VERSION", "VULNERABILITY", "SEVERITY", "STATUS", "FIXED-IN", "TITLE"}

// severityColumn is the index of SEVERITY in vulnColumns.
const severityColumn = 3

// group is the findings of one layer.
type group struct {
	layer    *inventory.LayerRef
	findings []inventory.Finding
}

// writeVulns writes the findings grouped by the layer that introduced their package, in
// layer order, each group under a heading naming the layer (index, diffID, created_by)
// unless no finding has a layer (root filesystems, folders), then the suppressed findings
// in a group of their own, their title replaced by why they are suppressed, then one line
// of totals per severity that counts the findings that are not suppressed. Within a group
// rows are ordered by severity, CRITICAL first, then package name, vulnerability id and
// report.CompareFindings, or by order first when it is set (--sort-by). All groups share
// one column alignment; a RISK column appears when any finding has a risk score. With no
// findings it says so before the totals.
func writeVulns(ew *errWriter, inv *inventory.Inventory, color, titled bool, order func(a, b inventory.Finding) int) {
	if titled {
		fmt.Fprintln(ew, "Vulnerabilities")
	}
	var open, suppressed []inventory.Finding
	withRisk := false
	for _, f := range inv.Vulnerabilities {
		if f.Suppressed != nil {
			suppressed = append(suppressed, f)
		} else {
			open = append(open, f)
		}
		withRisk = withRisk || f.Risk > 0
	}
	columns := vulnColumns
	if withRisk {
		columns = slices.Insert(slices.Clone(vulnColumns), severityColumn+1, "RISK")
	}
	if len(inv.Vulnerabilities) == 0 {
		fmt.Fprintln(ew, "No vulnerabilities found.")
	} else {
		var groups []rowGroup
		layered := groupByLayer(open, order)
		headings := len(layered) > 1 || (len(layered) == 1 && layered[0].layer != nil)
		for _, g := range layered {
			rg := rowGroup{}
			if headings {
				rg.heading = layerHeading(g.layer, inv.Layers)
			}
			for i := range g.findings {
				rg.rows = append(rg.rows, findingRow(&g.findings[i], withRisk, ""))
			}
			groups = append(groups, rg)
		}
		if len(suppressed) > 0 {
			slices.SortStableFunc(suppressed, func(a, b inventory.Finding) int {
				if order != nil {
					if c := order(a, b); c != 0 {
						return c
					}
				}
				return compareRows(a, b)
			})
			rg := rowGroup{heading: suppressedHeading}
			for i := range suppressed {
				f := &suppressed[i]
				rg.rows = append(rg.rows, findingRow(f, withRisk, suppressionText(f.Suppressed)))
			}
			groups = append(groups, rg)
		}
		writeGroups(ew, columns, severityColumn, groups, color)
	}
	fmt.Fprintf(ew, "\n%s\n", summary("Total", severitiesOf(open), len(suppressed)))
}

// groupByLayer splits findings by layer, in layer order with the findings that have no
// layer last, and sorts each group's rows (by order first, when set).
func groupByLayer(fs []inventory.Finding, order func(a, b inventory.Finding) int) []group {
	sorted := slices.Clone(fs)
	slices.SortStableFunc(sorted, func(a, b inventory.Finding) int {
		if c := report.CompareLayerRefs(layerKey(a.Layer), layerKey(b.Layer)); c != 0 {
			return c
		}
		if order != nil {
			if c := order(a, b); c != 0 {
				return c
			}
		}
		return compareRows(a, b)
	})
	var groups []group
	for _, f := range sorted {
		if n := len(groups); n > 0 && report.CompareLayerRefs(layerKey(groups[n-1].layer), layerKey(f.Layer)) == 0 {
			groups[n-1].findings = append(groups[n-1].findings, f)
			continue
		}
		groups = append(groups, group{layer: f.Layer, findings: []inventory.Finding{f}})
	}
	return groups
}

// layerKey is what identifies a layer for grouping: its index and diffID (created_by is
// what the heading shows, not what tells layers apart).
func layerKey(l *inventory.LayerRef) *inventory.LayerRef {
	if l == nil {
		return nil
	}
	return &inventory.LayerRef{Index: l.Index, DiffID: l.DiffID}
}

// compareRows orders the rows of one group: severity (highest first), package, id.
func compareRows(a, b inventory.Finding) int {
	if c := report.SeverityRank(b.Severity) - report.SeverityRank(a.Severity); c != 0 {
		return c
	}
	if c := strings.Compare(a.PkgName, b.PkgName); c != 0 {
		return c
	}
	if c := report.CompareIDs(a.ID, b.ID); c != 0 {
		return c
	}
	return report.CompareFindings(a, b)
}

func findingRow(f *inventory.Finding, withRisk bool, note string) []string {
	t := title(f)
	if note != "" {
		t = truncate(note, TitleWidth)
	}
	row := []string{
		cell(f.PkgName), cell(f.InstalledVersion), cell(f.ID), report.NormalizeSeverity(f.Severity),
		cell(f.Status), cell(f.FixedVersion), cell(t),
	}
	if withRisk {
		risk := "-"
		if f.Risk > 0 {
			risk = strconv.FormatFloat(f.Risk, 'f', 1, 64)
		}
		row = slices.Insert(row, severityColumn+1, risk)
	}
	return row
}

// title is the finding's title, or the start of its description when it has none, on one
// line and at most TitleWidth runes.
func title(f *inventory.Finding) string {
	t := f.Title
	if strings.TrimSpace(clean(t)) == "" {
		t = f.Description
	}
	return truncate(strings.Join(strings.Fields(clean(t)), " "), TitleWidth)
}

// truncate cuts s to at most n runes, the last an ellipsis when anything was cut.
func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return strings.TrimRight(string(r[:n-1]), " ") + "…"
}

// writeRow writes cells padded to widths, two spaces apart; the last cell is not padded,
// so that lines have no trailing spaces. With color the severity cell is coloured, the
// padding staying outside the escape codes so that alignment holds.
func writeRow(w io.Writer, cells []string, widths []int, sevCol int, color bool) {
	var b strings.Builder
	for i, c := range cells {
		text := c
		if color && i == sevCol {
			if code, ok := severityColors[c]; ok {
				text = code + c + colorReset
			}
		}
		b.WriteString(text)
		if i < len(cells)-1 {
			b.WriteString(strings.Repeat(" ", widths[i]-utf8.RuneCountInString(c)+2))
		}
	}
	b.WriteByte('\n')
	io.WriteString(w, b.String())
}

// layerHeading names a group's layer: "Layer 1 (sha256:2dc335caf5c2): RUN …". The
// created_by comes from the finding, or from the image's layer list when the finding's
// reference lacks it.
func layerHeading(l *inventory.LayerRef, layers []inventory.Layer) string {
	if l == nil {
		return "Layer unknown"
	}
	s := "Layer " + strconv.Itoa(l.Index)
	if l.DiffID != "" {
		s += " (" + clean(inventory.ShortDigest(l.DiffID)) + ")"
	}
	by := l.CreatedBy
	if by == "" {
		for _, ly := range layers {
			if ly.Index == l.Index && (l.DiffID == "" || ly.DiffID == l.DiffID) {
				by = ly.CreatedBy
				break
			}
		}
	}
	if by = strings.Join(strings.Fields(clean(by)), " "); by != "" {
		s += ": " + truncate(by, LayerHeadingWidth)
	}
	return s
}

// summary counts findings per severity: "Total: 7 (CRITICAL: 1, HIGH: 1, …)", followed by
// ", 2 suppressed" when some are. A vulnerability in two packages counts twice.
func summary(label string, sevs []string, suppressed int) string {
	counts := map[string]int{}
	for _, s := range sevs {
		counts[report.NormalizeSeverity(s)]++
	}
	parts := make([]string, 0, 6)
	for _, s := range report.Severities() {
		parts = append(parts, s+": "+strconv.Itoa(counts[s]))
	}
	out := label + ": " + strconv.Itoa(len(sevs)) + " (" + strings.Join(parts, ", ") + ")"
	if suppressed > 0 {
		out += ", " + strconv.Itoa(suppressed) + " suppressed"
	}
	return out
}

func severitiesOf(fs []inventory.Finding) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = f.Severity
	}
	return out
}

// dbLine describes the vulnerability data: its date and whether it is the snapshot
// embedded in the binary.
func dbLine(db *inventory.DBInfo) string {
	if db == nil {
		return "unknown"
	}
	s := "data as of " + cell(db.DataDate)
	if db.Embedded {
		s += " (embedded snapshot)"
	}
	return s
}
