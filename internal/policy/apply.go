package policy

import (
	"fmt"
	"strings"
	"time"

	"github.com/shipshape-dev/shipshape/internal/inventory"
)

// Suppression kinds.
const (
	SuppressedByIgnore = "ignore"
	SuppressedByVEX    = "vex"
)

// Options are the policy inputs of one scan.
type Options struct {
	Ignore []*IgnoreFile
	VEX    []*VEXDocument
	// Now is the clock expiries are checked against; nil means time.Now.
	Now func() time.Time
}

// Result counts what Apply did.
type Result struct {
	// Suppressed counts the findings (of every kind) that policy keeps out of the gate.
	Suppressed int
	// Expired counts ignore entries that have expired.
	Expired int
}

// Apply computes every vulnerability finding's Risk and marks the findings that an ignore
// entry or a VEX statement covers as suppressed. Ignore entries are tried first, in file
// order, then VEX statements. Nothing is removed. Expired ignore entries suppress nothing
// and each gives one warning in inv.Warnings; so do VEX statements with an unknown status.
// VEX statements that say affected or under_investigation are recorded in Finding.VEX
// without suppressing.
func Apply(inv *inventory.Inventory, opts Options) Result {
	var res Result
	if inv == nil {
		return res
	}
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	t := now()
	pc := purlCache{}
	expiredHits := map[*IgnoreEntry]int{}
	var expired []*IgnoreEntry
	var live []*IgnoreEntry
	var sources = map[*IgnoreEntry]string{}
	for _, f := range opts.Ignore {
		if f == nil {
			continue
		}
		for i := range f.Entries {
			e := &f.Entries[i]
			sources[e] = f.Source
			if e.Expired(t) {
				expired = append(expired, e)
				continue
			}
			live = append(live, e)
		}
	}
	suppression := func(e *IgnoreEntry) *inventory.Suppression {
		s := &inventory.Suppression{Kind: SuppressedByIgnore, Source: sources[e], Statement: e.Describe(), Reason: e.Reason}
		if !e.Expires.IsZero() {
			s.Expires = e.Expires.UTC().Format(time.RFC3339)
		}
		return s
	}
	for i := range inv.Vulnerabilities {
		f := &inv.Vulnerabilities[i]
		f.Risk = Risk(f)
		if f.Suppressed != nil {
			res.Suppressed++
			continue
		}
		for _, e := range live {
			if e.matchesVuln(f, pc) {
				f.Suppressed = suppression(e)
				break
			}
		}
		for _, e := range expired {
			if e.matchesVuln(f, pc) {
				expiredHits[e]++
			}
		}
		if f.Suppressed == nil {
			applyVEX(f, &inv.Target, opts.VEX, pc)
		}
		if f.Suppressed != nil {
			res.Suppressed++
		}
	}
	for i := range inv.Misconfigurations {
		m := &inv.Misconfigurations[i]
		if m.Suppressed == nil {
			for _, e := range live {
				if e.matchesMisconfig(m) {
					m.Suppressed = suppression(e)
					break
				}
			}
		}
		for _, e := range expired {
			if e.matchesMisconfig(m) {
				expiredHits[e]++
			}
		}
		if m.Suppressed != nil {
			res.Suppressed++
		}
	}
	for i := range inv.Secrets {
		s := &inv.Secrets[i]
		if s.Suppressed == nil {
			for _, e := range live {
				if e.matchesSecret(s) {
					s.Suppressed = suppression(e)
					break
				}
			}
		}
		for _, e := range expired {
			if e.matchesSecret(s) {
				expiredHits[e]++
			}
		}
		if s.Suppressed != nil {
			res.Suppressed++
		}
	}
	for i := range inv.Licenses {
		l := &inv.Licenses[i]
		if l.Suppressed == nil {
			for _, e := range live {
				if e.matchesLicense(l, pc) {
					l.Suppressed = suppression(e)
					break
				}
			}
		}
		for _, e := range expired {
			if e.matchesLicense(l, pc) {
				expiredHits[e]++
			}
		}
		if l.Suppressed != nil {
			res.Suppressed++
		}
	}
	for _, e := range expired {
		res.Expired++
		msg := fmt.Sprintf("ignore entry %s expired on %s and no longer suppresses anything", e.Describe(), e.ExpiresText)
		if n := expiredHits[e]; n > 0 {
			msg += fmt.Sprintf(" (%d finding(s) it covered count again)", n)
		}
		msg += "; renew or remove it"
		inv.Warnings = append(inv.Warnings, inventory.Warning{Path: sources[e], Message: msg})
	}
	for _, d := range opts.VEX {
		if d == nil {
			continue
		}
		for _, w := range d.Warnings {
			inv.Warnings = append(inv.Warnings, inventory.Warning{Path: d.Source, Message: w})
		}
	}
	return res
}

func (e *IgnoreEntry) kindIs(k string) bool { return e.Kind == k || e.Kind == KindAny }

func (e *IgnoreEntry) matchesVuln(f *inventory.Finding, pc purlCache) bool {
	if !e.kindIs(KindVulnerability) {
		return false
	}
	if e.ID != "" && !matchID(e.ID, f.ID, f.Aliases) {
		return false
	}
	if e.purl != nil && !e.purl.matches(f.PkgPURL, pc) {
		return false
	}
	if e.Package != "" && e.Package != f.PkgName && e.Package != f.SourceName {
		return false
	}
	if e.Path != "" && !globMatch(e.Path, f.Location) {
		return false
	}
	return true
}

func (e *IgnoreEntry) matchesMisconfig(m *inventory.Misconfiguration) bool {
	if !e.kindIs(KindMisconfiguration) || (e.Kind == KindAny && (e.purl != nil || e.Package != "")) {
		return false
	}
	if e.ID != "" && !strings.EqualFold(e.ID, m.ID) {
		return false
	}
	return e.Path == "" || globMatch(e.Path, m.Target)
}

func (e *IgnoreEntry) matchesSecret(s *inventory.Secret) bool {
	if !e.kindIs(KindSecret) || (e.Kind == KindAny && (e.purl != nil || e.Package != "")) {
		return false
	}
	if e.ID != "" && !strings.EqualFold(e.ID, s.RuleID) {
		return false
	}
	return e.Path == "" || globMatch(e.Path, s.Path)
}

func (e *IgnoreEntry) matchesLicense(l *inventory.LicenseFinding, pc purlCache) bool {
	if !e.kindIs(KindLicense) {
		return false
	}
	if e.ID != "" && !strings.EqualFold(e.ID, l.License) {
		return false
	}
	if e.purl != nil && !e.purl.matches(l.PkgPURL, pc) {
		return false
	}
	if e.Package != "" && e.Package != l.PkgName {
		return false
	}
	return e.Path == "" || globMatch(e.Path, l.Path)
}
