package report

import (
	_ "embed"
	"strings"
	"sync"
)

// LicenseListVersion is the version of the SPDX License List the identifiers below come from.
// It is the list the CycloneDX 1.6 schema (as shipped with cyclonedx-go) checks license.id
// against, so an identifier accepted here validates in both SBOM formats; identifiers added
// to the list later are written as licence names instead, which loses nothing.
// The proper home of licence knowledge is internal/license; this is the minimum the SBOM
// writers need until it exists.
const LicenseListVersion = "3.17"

var (
	//go:embed spdx-license-ids.txt
	licenseIDsText string
	//go:embed spdx-exception-ids.txt
	exceptionIDsText string

	idsOnce      sync.Once
	licenseIDs   map[string]string // lower case -> canonical
	exceptionIDs map[string]string
)

func loadIDs() {
	licenseIDs = parseIDs(licenseIDsText)
	exceptionIDs = parseIDs(exceptionIDsText)
}

func parseIDs(text string) map[string]string {
	m := make(map[string]string)
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		m[strings.ToLower(line)] = line
	}
	return m
}

// SPDXLicenseID returns the canonical form of s when s, trimmed, is an identifier on the
// SPDX License List (matched case-insensitively, as the SPDX spec asks).
func SPDXLicenseID(s string) (string, bool) {
	idsOnce.Do(loadIDs)
	id, ok := licenseIDs[strings.ToLower(strings.TrimSpace(s))]
	return id, ok
}

func spdxExceptionID(s string) (string, bool) {
	idsOnce.Do(loadIDs)
	id, ok := exceptionIDs[strings.ToLower(s)]
	return id, ok
}

// SPDXExpression returns the canonical form of s when s is a valid SPDX licence expression
// (SPDX 2.3 annex D) built only from identifiers on the SPDX License List: license-id,
// license-id "+", "WITH" exception-id, "AND", "OR" and parentheses. Operators must be upper
// case; identifiers are matched case-insensitively and written in their canonical case, with
// single spaces between terms. LicenseRef- and DocumentRef- terms are refused: a writer that
// used them would have to define them in its document.
func SPDXExpression(s string) (string, bool) {
	toks, ok := tokenizeExpression(s)
	if !ok || len(toks) == 0 {
		return "", false
	}
	p := exprParser{toks: toks}
	if !p.or() || p.pos != len(toks) {
		return "", false
	}
	var b strings.Builder
	for i, t := range toks {
		if i > 0 && t != ")" && toks[i-1] != "(" {
			b.WriteByte(' ')
		}
		b.WriteString(t)
	}
	return b.String(), true
}

// IsCompoundExpression reports whether a canonical expression from SPDXExpression has more
// than one term.
func IsCompoundExpression(expr string) bool {
	return strings.ContainsAny(expr, " ()")
}

func tokenizeExpression(s string) ([]string, bool) {
	var toks []string
	start := -1
	flush := func(end int) {
		if start >= 0 {
			toks = append(toks, s[start:end])
			start = -1
		}
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			flush(i)
		case c == '(' || c == ')':
			flush(i)
			toks = append(toks, s[i:i+1])
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '.', c == '+':
			if start < 0 {
				start = i
			}
		default:
			return nil, false
		}
	}
	flush(len(s))
	return toks, true
}

// exprParser checks a token list against the SPDX expression grammar, where WITH binds
// tighter than AND, and AND tighter than OR, and rewrites identifiers to canonical case.
type exprParser struct {
	toks []string
	pos  int
}

func (p *exprParser) peek() string {
	if p.pos < len(p.toks) {
		return p.toks[p.pos]
	}
	return ""
}

func (p *exprParser) or() bool {
	if !p.and() {
		return false
	}
	for p.peek() == "OR" {
		p.pos++
		if !p.and() {
			return false
		}
	}
	return true
}

func (p *exprParser) and() bool {
	if !p.with() {
		return false
	}
	for p.peek() == "AND" {
		p.pos++
		if !p.with() {
			return false
		}
	}
	return true
}

func (p *exprParser) with() bool {
	if p.peek() == "(" {
		p.pos++
		if !p.or() || p.peek() != ")" {
			return false
		}
		p.pos++
		return true
	}
	if !p.simple() {
		return false
	}
	if p.peek() == "WITH" {
		p.pos++
		id, ok := spdxExceptionID(p.peek())
		if !ok {
			return false
		}
		p.toks[p.pos] = id
		p.pos++
	}
	return true
}

// simple accepts license-id or license-id "+".
func (p *exprParser) simple() bool {
	t := p.peek()
	if id, ok := SPDXLicenseID(t); ok && t != "" {
		p.toks[p.pos] = id
		p.pos++
		return true
	}
	if base, found := strings.CutSuffix(t, "+"); found {
		if id, ok := SPDXLicenseID(base); ok && base != "" && !strings.HasSuffix(base, "+") {
			p.toks[p.pos] = id + "+"
			p.pos++
			return true
		}
	}
	return false
}
