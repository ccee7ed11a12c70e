// Package gotemplate writes an inventory through a user's Go text/template (--format
// template --template @file.tpl or an inline template), with a few helper functions. The
// template's data is the sorted inventory (the types of internal/inventory, as described in
// docs/formats.md) plus the tool's name and version.
package gotemplate

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"text/template"
	"time"

	"github.com/shipshape-dev/shipshape/internal/inventory"
	"github.com/shipshape-dev/shipshape/internal/report"
)

// ErrNoTemplate is returned when Options.Template is empty.
var ErrNoTemplate = errors.New("template: no template given (use --template @file.tpl or --template '{{...}}')")

// Data is what a template sees as dot: the inventory's fields (.Target, .OS, .Layers,
// .Packages, .Vulnerabilities, .Misconfigurations, .Secrets, .Licenses, .DB, .Warnings)
// sorted as in every report, and the tool.
type Data struct {
	*inventory.Inventory
	// Tool and Version name the program; CreatedAt is the time written (RFC 3339), empty
	// unless a clock was given.
	Tool      string
	Version   string
	CreatedAt string
}

// Funcs returns the helper functions templates can call:
//
//	toJSON v            v as compact JSON
//	toPrettyJSON v      v as indented JSON
//	join list sep       strings.Join of a list of strings
//	escapeXML s         s with XML's special characters escaped
//	severities          the severity names, highest first
//	severityRank s      5 for CRITICAL … 1 for NEGLIGIBLE, 0 for UNKNOWN or anything else
//	atLeast min s       whether severity s is min or higher
//	countBySeverity xs  map severity → count of a list of findings, checks, secrets or licences
//	                    (suppressed ones not counted)
//	unsuppressed xs     the items of such a list that are not suppressed
//	lower, upper, trim  strings.ToLower, ToUpper, TrimSpace
//	shortDigest d       sha256:abcdef123456
func Funcs() template.FuncMap {
	return template.FuncMap{
		"toJSON": func(v any) (string, error) {
			b, err := json.Marshal(v)
			return string(b), err
		},
		"toPrettyJSON": func(v any) (string, error) {
			b, err := json.MarshalIndent(v, "", "  ")
			return string(b), err
		},
		"join": func(list []string, sep string) string { return strings.Join(list, sep) },
		"escapeXML": func(s string) string {
			var b bytes.Buffer
			_ = xml.EscapeText(&b, []byte(s)) // writing to a bytes.Buffer cannot fail
			return b.String()
		},
		"severities":      report.Severities,
		"severityRank":    report.SeverityRank,
		"atLeast":         func(min, s string) bool { return report.SeverityRank(s) >= report.SeverityRank(min) },
		"countBySeverity": countBySeverity,
		"unsuppressed":    unsuppressed,
		"lower":           strings.ToLower,
		"upper":           strings.ToUpper,
		"trim":            strings.TrimSpace,
		"shortDigest":     inventory.ShortDigest,
	}
}

// Parse parses a template source under name, with the helper functions.
func Parse(name, src string) (*template.Template, error) {
	if strings.TrimSpace(src) == "" {
		return nil, ErrNoTemplate
	}
	t, err := template.New(name).Funcs(Funcs()).Option("missingkey=error").Parse(src)
	if err != nil {
		return nil, fmt.Errorf("parsing the template: %w (see docs/formats.md for the data model and functions)", err)
	}
	return t, nil
}

// Write executes opts.Template on inv and writes the result to w. A template that does not
// parse, or fails while executing (a field that does not exist, a function error), gives
// an error naming the template and the line.
func Write(w io.Writer, inv *inventory.Inventory, opts report.Options) error {
	t, err := Parse(templateName(opts), opts.Template)
	if err != nil {
		return err
	}
	inv, err = report.SortedBy(inv, opts.FindingOrder)
	if err != nil {
		return fmt.Errorf("template: %w", err)
	}
	name, version := opts.Tool()
	d := Data{Inventory: inv, Tool: name, Version: version}
	if ts, ok := opts.Timestamp(); ok {
		d.CreatedAt = ts.Format(time.RFC3339)
	}
	// Execute into memory so that a failing template writes nothing.
	var buf bytes.Buffer
	if err := t.Execute(&buf, d); err != nil {
		return fmt.Errorf("executing the template: %w", err)
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("template: writing the report for %s: %w", inv.Target.Name, err)
	}
	return nil
}

func templateName(opts report.Options) string {
	if opts.TemplateName != "" {
		return opts.TemplateName
	}
	return "template"
}

// itemsOf returns the elements of a slice of findings, checks, secrets or licences.
func itemsOf(list any) ([]reflect.Value, error) {
	v := reflect.ValueOf(list)
	if v.Kind() != reflect.Slice {
		return nil, fmt.Errorf("want a list of findings, got %T", list)
	}
	out := make([]reflect.Value, v.Len())
	for i := range out {
		e := v.Index(i)
		for e.Kind() == reflect.Pointer || e.Kind() == reflect.Interface {
			e = e.Elem()
		}
		if e.Kind() != reflect.Struct || !e.FieldByName("Severity").IsValid() {
			return nil, fmt.Errorf("want a list of findings, got %T", list)
		}
		out[i] = e
	}
	return out, nil
}

func isSuppressed(e reflect.Value) bool {
	s := e.FieldByName("Suppressed")
	return s.IsValid() && s.Kind() == reflect.Pointer && !s.IsNil()
}

func countBySeverity(list any) (map[string]int, error) {
	items, err := itemsOf(list)
	if err != nil {
		return nil, err
	}
	counts := map[string]int{}
	for _, s := range report.Severities() {
		counts[s] = 0
	}
	for _, e := range items {
		if !isSuppressed(e) {
			counts[report.NormalizeSeverity(e.FieldByName("Severity").String())]++
		}
	}
	return counts, nil
}

func unsuppressed(list any) (any, error) {
	if _, err := itemsOf(list); err != nil {
		return nil, err
	}
	v := reflect.ValueOf(list)
	out := reflect.MakeSlice(v.Type(), 0, v.Len())
	for i := range v.Len() {
		e := v.Index(i)
		d := e
		for d.Kind() == reflect.Pointer || d.Kind() == reflect.Interface {
			d = d.Elem()
		}
		if !isSuppressed(d) {
			out = reflect.Append(out, e)
		}
	}
	return out.Interface(), nil
}
