package policy

import (
	"strings"

	"github.com/shipshape-dev/shipshape/internal/inventory"
)

// Gate decides whether a scan fails CI.
type Gate struct {
	// Severities lists the severities that count (upper case); empty means all.
	Severities []string
}

// GateCount is how many findings of each kind count toward the exit code.
type GateCount struct {
	Vulnerabilities   int `json:"vulnerabilities"`
	Misconfigurations int `json:"misconfigurations"`
	Secrets           int `json:"secrets"`
	Licenses          int `json:"licenses"`
	// Policy counts the deny messages of Rego policies (--policy); severities do not apply.
	Policy int `json:"policy"`
}

// Total is the number of findings that fail the gate.
func (c GateCount) Total() int {
	return c.Vulnerabilities + c.Misconfigurations + c.Secrets + c.Licenses + c.Policy
}

// counts reports whether a finding of this severity counts.
func (g Gate) counts(severity string) bool {
	if len(g.Severities) == 0 {
		return true
	}
	sev := strings.ToUpper(strings.TrimSpace(severity))
	if sev == "" {
		sev = "UNKNOWN"
	}
	for _, s := range g.Severities {
		if strings.ToUpper(strings.TrimSpace(s)) == sev {
			return true
		}
	}
	return false
}

// Count counts the findings of inv that fail the gate: not suppressed, of a listed
// severity, and for misconfigurations only failed checks.
func (g Gate) Count(inv *inventory.Inventory) GateCount {
	var c GateCount
	if inv == nil {
		return c
	}
	for i := range inv.Vulnerabilities {
		f := &inv.Vulnerabilities[i]
		if f.Suppressed == nil && g.counts(f.Severity) {
			c.Vulnerabilities++
		}
	}
	for i := range inv.Misconfigurations {
		m := &inv.Misconfigurations[i]
		if m.Suppressed == nil && m.Status == inventory.CheckFail && g.counts(m.Severity) {
			c.Misconfigurations++
		}
	}
	for i := range inv.Secrets {
		s := &inv.Secrets[i]
		if s.Suppressed == nil && g.counts(s.Severity) {
			c.Secrets++
		}
	}
	for i := range inv.Licenses {
		l := &inv.Licenses[i]
		if l.Suppressed == nil && g.counts(l.Severity) {
			c.Licenses++
		}
	}
	for _, r := range inv.Policy {
		if r.Rule == "deny" {
			c.Policy++
		}
	}
	return c
}
