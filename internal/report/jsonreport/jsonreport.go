// Package jsonreport writes shipshape's own JSON report: the inventory with the json field
// names of the inventory types, inside a versioned envelope described by
// docs/schema/shipshape-report-v1.schema.json and docs/json-format.md.
package jsonreport

import (
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/shipshape-dev/shipshape/internal/inventory"
	"github.com/shipshape-dev/shipshape/internal/report"
)

// SchemaVersion is the version of the report format. Adding fields keeps it; removing or
// renaming a field, or changing its meaning or type, increments it.
const SchemaVersion = 1

// SchemaID is the $id of the JSON Schema describing SchemaVersion.
const SchemaID = "https://shipshape.dev/schema/shipshape-report-v1.schema.json"

// Report is the top-level object of the JSON report. Later stages add their results as new
// fields (misconfigurations, secrets, ...) without changing the existing ones.
type Report struct {
	SchemaVersion int  `json:"schemaVersion"`
	Tool          Tool `json:"tool"`
	// CreatedAt is when the report was written (RFC 3339, UTC), present only when the
	// writer was given a clock.
	CreatedAt string              `json:"createdAt,omitempty"`
	Target    inventory.Target    `json:"target"`
	OS        *inventory.OS       `json:"os,omitempty"`
	Layers    []inventory.Layer   `json:"layers"`
	Packages  []inventory.Package `json:"packages"`
	// Vulnerabilities are the findings of a vulnerability scan: absent when none ran (nil),
	// [] when one ran and found nothing.
	Vulnerabilities []inventory.Finding `json:"vulnerabilities,omitzero"`
	// Misconfigurations, Secrets and Licenses are the findings of those scanners, with the
	// same rule: absent when the scanner did not run, [] when it found nothing. Suppressed
	// findings stay in, with why in their suppressed field.
	Misconfigurations []inventory.Misconfiguration `json:"misconfigurations,omitzero"`
	Secrets           []inventory.Secret           `json:"secrets,omitzero"`
	Licenses          []inventory.LicenseFinding   `json:"licenses,omitzero"`
	// Policy holds the deny and warn messages of the user's Rego policies (--policy):
	// absent when none ran.
	Policy []inventory.PolicyResult `json:"policy,omitzero"`
	// DB describes the vulnerability data the findings were matched against.
	DB       *inventory.DBInfo   `json:"db,omitempty"`
	Warnings []inventory.Warning `json:"warnings"`
}

// Tool names the program that wrote the report.
type Tool struct {
	Name    string `json:"name"`
	Version string `json:"version,omitempty"`
}

// New builds the report for inv: layers, packages, findings and warnings sorted
// (report.Sorted), layers, packages and warnings never null, so that the output depends only
// on inv and opts. Vulnerabilities keeps the difference between nil (no scan: the field is
// left out) and empty (a scan that found nothing: []).
func New(inv *inventory.Inventory, opts report.Options) (*Report, error) {
	inv, err := report.SortedBy(inv, opts.FindingOrder)
	if err != nil {
		return nil, fmt.Errorf("json report: %w", err)
	}
	name, version := opts.Tool()
	r := &Report{
		SchemaVersion:     SchemaVersion,
		Tool:              Tool{Name: name, Version: version},
		Target:            inv.Target,
		OS:                inv.OS,
		Layers:            inv.Layers,
		Packages:          inv.Packages,
		Vulnerabilities:   inv.Vulnerabilities,
		Misconfigurations: inv.Misconfigurations,
		Secrets:           inv.Secrets,
		Licenses:          inv.Licenses,
		Policy:            inv.Policy,
		DB:                inv.DB,
		Warnings:          inv.Warnings,
	}
	if ts, ok := opts.Timestamp(); ok {
		r.CreatedAt = ts.Format(time.RFC3339)
	}
	if r.Layers == nil {
		r.Layers = []inventory.Layer{}
	}
	if r.Packages == nil {
		r.Packages = []inventory.Package{}
	}
	if r.Warnings == nil {
		r.Warnings = []inventory.Warning{}
	}
	return r, nil
}

// Write writes the report for inv to w as indented JSON followed by a newline.
func Write(w io.Writer, inv *inventory.Inventory, opts report.Options) error {
	r, err := New(inv, opts)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(r); err != nil {
		return fmt.Errorf("json report: writing the report for %s: %w", inv.Target.Name, err)
	}
	return nil
}
