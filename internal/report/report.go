// Package report holds what every report writer shares: the options a writer takes, the
// order packages and vulnerability findings are written in, the severity scale, and the
// SPDX licence identifiers the SBOM formats check licences against. Each format lives in its
// own subpackage with one Write function.
package report

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/shipshape-dev/shipshape/internal/inventory"
)

// DefaultToolName names the tool in reports when Options.ToolName is empty.
const DefaultToolName = "shipshape"

// Options are the settings every report writer takes.
type Options struct {
	// ToolName and ToolVersion name the program that wrote the report.
	ToolName    string
	ToolVersion string
	// Now, when set, gives the time recorded in the report. When nil, formats that can
	// leave the time out do, so that output depends on the inventory alone; SPDX, which
	// requires a creation time, refuses to write without it.
	Now func() time.Time
	// Color makes the table writer colour the severity of vulnerability findings with ANSI
	// escape codes. Callers set it only when the output is a terminal; other writers ignore it.
	Color bool
	// FindingOrder, when set, orders vulnerability findings in place of the writer's default
	// (the CLI's --sort-by); findings it leaves equal keep the default order.
	FindingOrder func(a, b inventory.Finding) int
	// Template is the Go text/template source the template writer executes, and
	// TemplateName the name its errors are reported under (the file it came from).
	Template     string
	TemplateName string
}

// Tool returns the tool name (DefaultToolName when unset) and version.
func (o Options) Tool() (name, version string) {
	name = o.ToolName
	if name == "" {
		name = DefaultToolName
	}
	return name, o.ToolVersion
}

// Timestamp returns Now() in UTC truncated to whole seconds, and false when Now is nil.
func (o Options) Timestamp() (time.Time, bool) {
	if o.Now == nil {
		return time.Time{}, false
	}
	return o.Now().UTC().Truncate(time.Second), true
}

// ErrNilInventory is returned by writers given a nil inventory.
var ErrNilInventory = errors.New("no inventory to report")

// Sorted returns a copy of inv whose layers are ordered by index and whose packages and
// warnings are in the order Inventory.Sort gives, with ties that Sort leaves in input order
// broken by purl, layer and finally the package's whole JSON encoding. Vulnerability findings
// are copied in CompareFindings order with their severity normalised (NormalizeSeverity) and
// their list fields sorted (SortedFinding); a nil Vulnerabilities stays nil and an empty one
// stays empty, because "no scan ran" and "the scan found nothing" read differently; the
// misconfigurations, secrets and licence findings are copied in Inventory.SortChecks order
// (ties broken by their JSON encoding), their severity normalised, nil staying nil in the same way. Writers
// call Sorted so that their output does not depend on the order of the input; inv itself is
// not changed.
func Sorted(inv *inventory.Inventory) (*inventory.Inventory, error) {
	return SortedBy(inv, nil)
}

// SortedBy is Sorted with the vulnerability findings ordered by order first (when not nil),
// then CompareFindings.
func SortedBy(inv *inventory.Inventory, order func(a, b inventory.Finding) int) (*inventory.Inventory, error) {
	if inv == nil {
		return nil, ErrNilInventory
	}
	c := *inv
	c.Layers = slices.Clone(inv.Layers)
	slices.SortStableFunc(c.Layers, func(a, b inventory.Layer) int {
		return cmp.Or(cmp.Compare(a.Index, b.Index), strings.Compare(a.DiffID, b.DiffID))
	})
	c.Packages = slices.Clone(inv.Packages)
	slices.SortStableFunc(c.Packages, ComparePackages)
	c.Warnings = slices.Clone(inv.Warnings)
	slices.SortStableFunc(c.Warnings, func(a, b inventory.Warning) int {
		return cmp.Or(strings.Compare(a.Layer, b.Layer), strings.Compare(a.Path, b.Path),
			strings.Compare(a.Message, b.Message))
	})
	if inv.Vulnerabilities != nil {
		c.Vulnerabilities = make([]inventory.Finding, len(inv.Vulnerabilities))
		for i := range inv.Vulnerabilities {
			c.Vulnerabilities[i] = SortedFinding(inv.Vulnerabilities[i])
		}
		if order != nil {
			slices.SortStableFunc(c.Vulnerabilities, func(a, b inventory.Finding) int {
				return cmp.Or(order(a, b), CompareFindings(a, b))
			})
		} else {
			slices.SortStableFunc(c.Vulnerabilities, CompareFindings)
		}
	}
	// Checks keep nil (the scanner did not run) apart from empty (it found nothing).
	// Sorting by the whole JSON encoding first makes SortChecks' stable order total.
	c.Misconfigurations = byJSON(cloneKeepNil(inv.Misconfigurations))
	for i := range c.Misconfigurations {
		c.Misconfigurations[i].Severity = NormalizeSeverity(c.Misconfigurations[i].Severity)
	}
	c.Secrets = byJSON(cloneKeepNil(inv.Secrets))
	for i := range c.Secrets {
		c.Secrets[i].Severity = NormalizeSeverity(c.Secrets[i].Severity)
	}
	c.Licenses = byJSON(cloneKeepNil(inv.Licenses))
	for i := range c.Licenses {
		c.Licenses[i].Severity = NormalizeSeverity(c.Licenses[i].Severity)
	}
	c.SortChecks()
	if inv.DB != nil {
		db := *inv.DB
		db.Sources = slices.Clone(inv.DB.Sources)
		slices.SortStableFunc(db.Sources, func(a, b inventory.DBSourceInfo) int {
			return cmp.Or(strings.Compare(a.Name, b.Name), strings.Compare(a.DataDate, b.DataDate),
				cmp.Compare(a.Records, b.Records))
		})
		c.DB = &db
	}
	return &c, nil
}

func cloneKeepNil[T any](s []T) []T {
	if s == nil {
		return nil
	}
	return append(make([]T, 0, len(s)), s...)
}

// byJSON sorts s by each element's JSON encoding (elements that cannot be encoded keep
// their order) and returns it.
func byJSON[T any](s []T) []T {
	keys := make(map[int][]byte, len(s))
	idx := make([]int, len(s))
	for i := range s {
		idx[i] = i
		keys[i], _ = json.Marshal(s[i])
	}
	slices.SortStableFunc(idx, func(a, b int) int { return bytes.Compare(keys[a], keys[b]) })
	out := make([]T, len(s), cap(s))
	for k, i := range idx {
		out[k] = s[i]
	}
	if s == nil {
		return nil
	}
	return out
}

// ComparePackages orders packages as Inventory.Sort does (type, name, version, arch,
// location) and breaks the ties it leaves so that the order is total: packages that
// compare equal encode to the same JSON and so are indistinguishable in any report.
func ComparePackages(a, b inventory.Package) int {
	if c := cmp.Or(
		strings.Compare(a.Type, b.Type),
		strings.Compare(a.Name, b.Name),
		strings.Compare(a.Version, b.Version),
		strings.Compare(a.Arch, b.Arch),
		strings.Compare(a.Location, b.Location),
		strings.Compare(a.PURL, b.PURL),
	); c != 0 {
		return c
	}
	ja, errA := json.Marshal(a)
	jb, errB := json.Marshal(b)
	if errA != nil || errB != nil {
		// A Package holds only strings, ints and bools: Marshal cannot fail.
		return 0
	}
	return bytes.Compare(ja, jb)
}

// PURL returns the package URL of p: its own when set, else one built from the package
// and the OS as the analyzers would, or "" when p has no type or name to build one from.
func PURL(p *inventory.Package, o *inventory.OS) string {
	if p.PURL != "" {
		return p.PURL
	}
	if p.Type == "" || p.Name == "" {
		return ""
	}
	return inventory.PURL(p, o)
}
