package policy

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/openvex/go-vex/pkg/vex"

	"github.com/shipshape-dev/shipshape/internal/inventory"
)

// VEXOutOptions name the author of the document WriteOpenVEX writes.
type VEXOutOptions struct {
	// Author defaults to "shipshape".
	Author string
	// Now is the document's timestamp; nil means time.Now.
	Now func() time.Time
}

// OpenVEXFromIgnores turns the user's ignore decisions into an OpenVEX document: one
// statement per (vulnerability, justification, reason) listing, as products, the purls of
// the packages whose findings a live (not expired) vulnerability entry of the ignore files
// suppresses. The status is not_affected; the justification is the entry's justification
// when it gives one, and the impact statement its reason (or, without one, which entry of
// which file made the decision), because OpenVEX requires one of the two. Findings
// suppressed by VEX or by nothing are left out, so are findings without a purl. Statements
// are sorted by vulnerability id, and products by purl.
func OpenVEXFromIgnores(inv *inventory.Inventory, ignores []*IgnoreFile, opts VEXOutOptions) (*vex.VEX, error) {
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	ts := now().UTC().Truncate(time.Second)
	type key struct{ id, just, impact string }
	groups := map[key]*vex.Statement{}
	aliases := map[key][]string{}
	var keys []key
	for i := range inv.Vulnerabilities {
		f := &inv.Vulnerabilities[i]
		if f.Suppressed == nil || f.Suppressed.Kind != SuppressedByIgnore || f.PkgPURL == "" {
			continue
		}
		e, src := firstLiveEntry(f, ignores, ts)
		if e == nil {
			continue
		}
		impact := e.Reason
		if impact == "" {
			impact = fmt.Sprintf("ignored by %s in %s", e.Describe(), src)
		}
		k := key{f.ID, e.Justification, impact}
		st, ok := groups[k]
		if !ok {
			st = &vex.Statement{
				Vulnerability:   vex.Vulnerability{Name: vex.VulnerabilityID(f.ID)},
				Status:          vex.StatusNotAffected,
				Justification:   vex.Justification(e.Justification),
				ImpactStatement: impact,
			}
			groups[k] = st
			keys = append(keys, k)
		}
		aliases[k] = append(aliases[k], f.Aliases...)
		if !slices.ContainsFunc(st.Products, func(p vex.Product) bool { return p.ID == f.PkgPURL }) {
			st.Products = append(st.Products, vex.Product{Component: vex.Component{ID: f.PkgPURL,
				Identifiers: map[vex.IdentifierType]string{vex.PURL: f.PkgPURL}}})
		}
	}
	slices.SortFunc(keys, func(a, b key) int {
		return cmp.Or(strings.Compare(a.id, b.id), strings.Compare(a.just, b.just), strings.Compare(a.impact, b.impact))
	})
	author := opts.Author
	if author == "" {
		author = "shipshape"
	}
	doc := &vex.VEX{
		Metadata: vex.Metadata{
			Context:   vex.ContextLocator(),
			Author:    author,
			Timestamp: &ts,
			Version:   1,
			Tooling:   "shipshape --vex-out",
		},
		Statements: []vex.Statement{},
	}
	for _, k := range keys {
		st := groups[k]
		slices.SortFunc(st.Products, func(a, b vex.Product) int { return strings.Compare(a.ID, b.ID) })
		al := aliases[k]
		slices.Sort(al)
		for _, a := range slices.Compact(al) {
			if a != k.id {
				st.Vulnerability.Aliases = append(st.Vulnerability.Aliases, vex.VulnerabilityID(a))
			}
		}
		doc.Statements = append(doc.Statements, *st)
	}
	if _, err := doc.GenerateCanonicalID(); err != nil {
		return nil, fmt.Errorf("naming the OpenVEX document: %w", err)
	}
	return doc, nil
}

// WriteOpenVEX writes OpenVEXFromIgnores as indented JSON.
func WriteOpenVEX(w io.Writer, inv *inventory.Inventory, ignores []*IgnoreFile, opts VEXOutOptions) error {
	doc, err := OpenVEXFromIgnores(inv, ignores, opts)
	if err != nil {
		return err
	}
	return doc.ToJSON(w)
}

func firstLiveEntry(f *inventory.Finding, ignores []*IgnoreFile, now time.Time) (*IgnoreEntry, string) {
	for _, file := range ignores {
		if file == nil {
			continue
		}
		for i := range file.Entries {
			e := &file.Entries[i]
			if !e.Expired(now) && e.matchesVuln(f, nil) {
				return e, file.Source
			}
		}
	}
	return nil, ""
}
