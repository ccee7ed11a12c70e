package table

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/shipshape-dev/shipshape/internal/inventory"
	"github.com/shipshape-dev/shipshape/internal/report"
)

// suppressedHeading heads the group of suppressed findings in every section.
const suppressedHeading = "Suppressed (not counted)"

// MessageWidth is how many runes of a check's message or a secret's match a row shows.
const MessageWidth = 70

// rowGroup is rows under one heading (none when empty).
type rowGroup struct {
	heading string
	rows    [][]string
}

// writeGroups writes groups with one column alignment, a blank line between groups, each
// group's heading then the column names then its rows.
func writeGroups(w io.Writer, columns []string, sevCol int, groups []rowGroup, color bool) {
	widths := make([]int, len(columns))
	measure := func(cells []string) {
		for i, c := range cells {
			widths[i] = max(widths[i], utf8.RuneCountInString(c))
		}
	}
	measure(columns)
	for _, g := range groups {
		for _, r := range g.rows {
			measure(r)
		}
	}
	for gi, g := range groups {
		if gi > 0 {
			fmt.Fprintln(w)
		}
		if g.heading != "" {
			fmt.Fprintln(w, g.heading)
		}
		writeRow(w, columns, widths, sevCol, false)
		for _, r := range g.rows {
			writeRow(w, r, widths, sevCol, color)
		}
	}
}

// keyedGroups splits items into groups by a heading key, in order of first appearance of
// keys sorted by sortKey.
type keyed struct {
	sortKey string
	heading string
	row     []string
}

func groupRows(items []keyed) []rowGroup {
	slices.SortStableFunc(items, func(a, b keyed) int { return strings.Compare(a.sortKey, b.sortKey) })
	var groups []rowGroup
	for _, it := range items {
		if n := len(groups); n > 0 && groups[n-1].heading == it.heading {
			groups[n-1].rows = append(groups[n-1].rows, it.row)
			continue
		}
		groups = append(groups, rowGroup{heading: it.heading, rows: [][]string{it.row}})
	}
	return groups
}

// layerSortKey orders layers by index with "no layer" first.
func layerSortKey(l *inventory.LayerRef) string {
	if l == nil {
		return "0000000"
	}
	return fmt.Sprintf("1%06d%s", l.Index, l.DiffID)
}

// sevSortKey orders by severity, highest first.
func sevSortKey(s string) string { return strconv.Itoa(9 - report.SeverityRank(s)) }

func suppressionText(s *inventory.Suppression) string {
	parts := []string{"suppressed by " + cmp.Or(clean(s.Kind), "policy")}
	if s.Statement != "" {
		parts = append(parts, clean(s.Statement))
	}
	if s.Reason != "" {
		parts = append(parts, clean(s.Reason))
	}
	out := strings.Join(parts, ": ")
	if s.Expires != "" {
		out += " (until " + clean(s.Expires) + ")"
	}
	return strings.Join(strings.Fields(out), " ")
}

func oneLineCell(s string, width int) string {
	return cell(truncate(strings.Join(strings.Fields(clean(s)), " "), width))
}

var misconfColumns = []string{"ID", "SEVERITY", "WHERE", "MESSAGE"}

// writeMisconfigurations writes the failed checks and those that could not be evaluated
// (passed checks are left out), grouped by target and kind, then layer, rows by severity,
// then the suppressed ones, then the totals per severity.
func writeMisconfigurations(ew *errWriter, ms []inventory.Misconfiguration, layers []inventory.Layer, color bool) {
	fmt.Fprintln(ew, "\nMisconfigurations")
	var items, suppressed []keyed
	var sevs []string
	errors := 0
	for i := range ms {
		m := &ms[i]
		if m.Status != inventory.CheckFail && m.Status != inventory.CheckError {
			continue
		}
		where := "-"
		switch {
		case m.StartLine > 0 && m.EndLine > m.StartLine:
			where = "lines " + strconv.Itoa(m.StartLine) + "-" + strconv.Itoa(m.EndLine)
		case m.StartLine > 0:
			where = "line " + strconv.Itoa(m.StartLine)
		case m.Object != "":
			where = m.Object
		}
		if m.StartLine > 0 && m.Object != "" {
			where = m.Object + " " + where
		}
		msg := cmp.Or(m.Message, m.Title)
		if m.Status == inventory.CheckError {
			msg = "could not be evaluated: " + msg
		}
		heading := clean(cmp.Or(m.Target, "-")) + " (" + clean(m.Kind) + ")"
		if m.Layer != nil {
			lh := layerHeading(m.Layer, layers)
			heading += ", " + strings.ToLower(lh[:1]) + lh[1:]
		}
		row := []string{cell(m.ID), report.NormalizeSeverity(m.Severity), oneLineCell(where, 40), oneLineCell(msg, MessageWidth)}
		key := clean(m.Kind) + "\x00" + clean(m.Target) + "\x00" + layerSortKey(m.Layer) + "\x00" + sevSortKey(m.Severity) + m.ID
		if m.Suppressed != nil {
			row[3] = oneLineCell(suppressionText(m.Suppressed), MessageWidth)
			suppressed = append(suppressed, keyed{sortKey: key, heading: suppressedHeading, row: row})
			continue
		}
		if m.Status == inventory.CheckError {
			errors++
		} else {
			sevs = append(sevs, m.Severity)
		}
		items = append(items, keyed{sortKey: key, heading: heading, row: row})
	}
	groups := append(groupRows(items), groupRows(suppressed)...)
	if len(groups) == 0 {
		fmt.Fprintln(ew, "No misconfigurations found.")
	} else {
		writeGroups(ew, misconfColumns, 1, groups, color)
	}
	line := summary("Misconfigurations", sevs, len(suppressed))
	if errors > 0 {
		line += ", " + strconv.Itoa(errors) + " could not be evaluated"
	}
	fmt.Fprintf(ew, "\n%s\n", line)
}

var secretColumns = []string{"SEVERITY", "RULE", "FILE", "LINE", "MATCH"}

// writeSecrets writes the secrets grouped by the layer holding the file, rows by severity
// then path, then the suppressed ones, then the totals per severity.
func writeSecrets(ew *errWriter, ss []inventory.Secret, layers []inventory.Layer, color bool) {
	fmt.Fprintln(ew, "\nSecrets")
	var items, suppressed []keyed
	var sevs []string
	for i := range ss {
		s := &ss[i]
		heading := ""
		if s.Layer != nil {
			heading = layerHeading(s.Layer, layers)
		}
		row := []string{report.NormalizeSeverity(s.Severity), cell(s.RuleID), oneLineCell(s.Path, 60), strconv.Itoa(s.StartLine), oneLineCell(s.Match, MessageWidth)}
		key := layerSortKey(s.Layer) + "\x00" + sevSortKey(s.Severity) + "\x00" + s.Path + "\x00" + fmt.Sprintf("%09d", s.StartLine)
		if s.Suppressed != nil {
			row[4] = oneLineCell(suppressionText(s.Suppressed), MessageWidth)
			suppressed = append(suppressed, keyed{sortKey: key, heading: suppressedHeading, row: row})
			continue
		}
		sevs = append(sevs, s.Severity)
		items = append(items, keyed{sortKey: key, heading: heading, row: row})
	}
	groups := append(groupRows(items), groupRows(suppressed)...)
	if len(groups) == 0 {
		fmt.Fprintln(ew, "No secrets found.")
	} else {
		writeGroups(ew, secretColumns, 0, groups, color)
	}
	fmt.Fprintf(ew, "\n%s\n", summary("Secrets", sevs, len(suppressed)))
}

var licenseColumns = []string{"SEVERITY", "CATEGORY", "LICENSE", "PACKAGE", "FILE"}

// writeLicenses writes the licence findings grouped by layer, rows by severity then
// package, then the suppressed ones, then the totals per severity.
func writeLicenses(ew *errWriter, ls []inventory.LicenseFinding, layers []inventory.Layer, color bool) {
	fmt.Fprintln(ew, "\nLicenses")
	var items, suppressed []keyed
	var sevs []string
	for i := range ls {
		l := &ls[i]
		heading := ""
		if l.Layer != nil {
			heading = layerHeading(l.Layer, layers)
		}
		row := []string{report.NormalizeSeverity(l.Severity), cell(l.Category), oneLineCell(l.License, 50), cell(l.PkgName), oneLineCell(l.Path, 60)}
		key := layerSortKey(l.Layer) + "\x00" + sevSortKey(l.Severity) + "\x00" + l.PkgName + "\x00" + l.Path + "\x00" + l.License
		if l.Suppressed != nil {
			row[4] = oneLineCell(suppressionText(l.Suppressed), MessageWidth)
			suppressed = append(suppressed, keyed{sortKey: key, heading: suppressedHeading, row: row})
			continue
		}
		sevs = append(sevs, l.Severity)
		items = append(items, keyed{sortKey: key, heading: heading, row: row})
	}
	groups := append(groupRows(items), groupRows(suppressed)...)
	if len(groups) == 0 {
		fmt.Fprintln(ew, "No licences found.")
	} else {
		writeGroups(ew, licenseColumns, 0, groups, color)
	}
	fmt.Fprintf(ew, "\n%s\n", summary("Licenses", sevs, len(suppressed)))
}
