// Package table writes an inventory as plain text for terminals: a few header lines about
// the target, then one aligned row per package, or, after a vulnerability scan, one row per
// finding grouped by the layer that brought the package in, then the warnings.
package table

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"unicode"

	"github.com/shipshape-dev/shipshape/internal/inventory"
	"github.com/shipshape-dev/shipshape/internal/report"
)

// CreatedByWidth is how many characters of a layer's created_by the LAYER column shows.
const CreatedByWidth = 40

// Write writes inv to w as a table. When inv.Vulnerabilities is nil (no vulnerability scan
// ran) it writes header lines (target, OS, layer count), then the packages in inventory
// order (report.Sorted) with the columns TYPE NAME VERSION SOURCE LAYER. Otherwise it writes
// the findings instead of the packages, as described at writeVulns. Then, for each of the
// misconfiguration, secret and licence scans that ran, a section of its own (see
// writeMisconfigurations, writeSecrets, writeLicenses), each with a summary line per
// severity, and finally the warnings. Severities are coloured when opts.Color is set. With
// more than one section each starts with a title line. The output depends only on inv and
// opts.
func Write(w io.Writer, inv *inventory.Inventory, opts report.Options) error {
	inv, err := report.Sorted(inv)
	if err != nil {
		return fmt.Errorf("table: %w", err)
	}
	ew := &errWriter{w: w}
	writeHeader(ew, inv)
	// Section titles only when there is more than one section.
	titled := inv.Misconfigurations != nil || inv.Secrets != nil || inv.Licenses != nil
	if inv.Vulnerabilities != nil {
		writeVulns(ew, inv, opts.Color, titled, opts.FindingOrder)
	} else {
		writePackages(ew, inv, titled)
	}
	if inv.Misconfigurations != nil {
		writeMisconfigurations(ew, inv.Misconfigurations, inv.Layers, opts.Color)
	}
	if inv.Secrets != nil {
		writeSecrets(ew, inv.Secrets, inv.Layers, opts.Color)
	}
	if inv.Licenses != nil {
		writeLicenses(ew, inv.Licenses, inv.Layers, opts.Color)
	}
	writeWarnings(ew, inv.Warnings)
	if ew.err != nil {
		return fmt.Errorf("table: writing the report for %s: %w", inv.Target.Name, ew.err)
	}
	return nil
}

func writePackages(ew *errWriter, inv *inventory.Inventory, titled bool) {
	if titled {
		fmt.Fprintln(ew, "Packages")
	}
	if len(inv.Packages) == 0 {
		fmt.Fprintln(ew, "No packages found.")
		return
	}
	tw := tabwriter.NewWriter(ew, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TYPE\tNAME\tVERSION\tSOURCE\tLAYER")
	for i := range inv.Packages {
		p := &inv.Packages[i]
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", cell(p.Type), cell(p.Name), cell(p.Version), cell(source(p)), cell(layer(p.Layer)))
	}
	tw.Flush()
}

// writeHeader writes the lines about the target, followed by an empty line. After a
// vulnerability scan it says which vulnerability data was used.
func writeHeader(w io.Writer, inv *inventory.Inventory) {
	t := inv.Target
	target := clean(t.Name)
	if kind := strings.Join(nonEmpty(t.Kind, t.Platform), ", "); kind != "" {
		target += " (" + clean(kind) + ")"
	}
	header := func(label, value string) { fmt.Fprintf(w, "%-10s%s\n", label+":", value) }
	header("Target", target)
	if t.ImageID != "" {
		header("Image ID", inventory.ShortDigest(t.ImageID))
	}
	header("OS", osLine(inv.OS))
	if inv.Vulnerabilities != nil {
		header("Vuln DB", dbLine(inv.DB))
	}
	header("Layers", strconv.Itoa(len(inv.Layers)))
	header("Packages", strconv.Itoa(len(inv.Packages)))
	if len(inv.Warnings) > 0 {
		header("Warnings", strconv.Itoa(len(inv.Warnings)))
	}
	fmt.Fprintln(w)
}

func writeWarnings(w io.Writer, ws []inventory.Warning) {
	if len(ws) == 0 {
		return
	}
	fmt.Fprintln(w, "\nWarnings:")
	for _, wn := range ws {
		fmt.Fprintf(w, "  %s\n", clean(wn.String()))
	}
}

func osLine(o *inventory.OS) string {
	if !o.Known() {
		return "unknown"
	}
	if o.PrettyName != "" {
		return clean(o.PrettyName)
	}
	return clean(strings.Join(nonEmpty(o.Family, o.Version), " "))
}

func source(p *inventory.Package) string {
	if p.SourceName == "" {
		return ""
	}
	if p.SourceVersion != "" && p.SourceVersion != p.Version {
		return p.SourceName + " " + p.SourceVersion
	}
	return p.SourceName
}

// layer shows the layer's index and the start of its created_by, whitespace collapsed.
func layer(l *inventory.LayerRef) string {
	if l == nil {
		return ""
	}
	s := strconv.Itoa(l.Index)
	if by := strings.Join(strings.Fields(clean(l.CreatedBy)), " "); by != "" {
		if r := []rune(by); len(r) > CreatedByWidth {
			by = strings.TrimRight(string(r[:CreatedByWidth]), " ")
		}
		s += " " + by
	}
	return s
}

// cell makes a value safe for one tabwriter cell: control characters (tabs, newlines,
// escape sequences) become spaces, and an empty value is shown as "-".
func cell(s string) string {
	s = strings.TrimSpace(clean(s))
	if s == "" {
		return "-"
	}
	return s
}

func clean(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
}

func nonEmpty(ss ...string) []string {
	var out []string
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// errWriter remembers the first write error so that the formatting code can stay linear.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
}
