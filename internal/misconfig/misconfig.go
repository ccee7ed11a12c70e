// Package misconfig holds what every misconfiguration scanner shares: check metadata, the
// small Check interface the per-kind packages (dockerfile, compose, kubernetes, imageconfig)
// implement, and the code that turns a check's hits into inventory.Misconfiguration results.
//
// Each per-kind package parses its input into one documented, JSON-serialisable value and
// lists its checks explicitly in a Checks() function; custom Rego checks (package
// misconfig/rego) see the JSON encoding of that same value.
package misconfig

import (
	"slices"
	"strings"

	"github.com/shipshape-dev/shipshape/internal/inventory"
)

// Severities, from the most to the least severe.
const (
	Critical = "CRITICAL"
	High     = "HIGH"
	Medium   = "MEDIUM"
	Low      = "LOW"
	Unknown  = "UNKNOWN"
)

// Severities lists the severities in order, most severe first.
var Severities = []string{Critical, High, Medium, Low, Unknown}

// SeverityRank orders severities: CRITICAL 4 … LOW 1, anything else 0.
func SeverityRank(s string) int {
	switch strings.ToUpper(s) {
	case Critical:
		return 4
	case High:
		return 3
	case Medium:
		return 2
	case Low:
		return 1
	}
	return 0
}

// Meta describes one check. ID is stable across releases.
type Meta struct {
	ID          string   `json:"id"`
	Title       string   `json:"title"`
	Severity    string   `json:"severity"`
	Description string   `json:"description,omitempty"`
	Resolution  string   `json:"resolution,omitempty"`
	References  []string `json:"references,omitempty"`
}

// Hit is one place where a check failed.
type Hit struct {
	// Object is the resource inside the input (a compose service, "Deployment/web").
	Object string
	// Message says what exactly was found.
	Message string
	// StartLine and EndLine locate the offending lines (1-based); Code is their text.
	StartLine, EndLine int
	Code               string
	// Path, for YAML inputs, is a dotted path into the document ("services.web.privileged",
	// "spec.containers[0].securityContext"); the caller turns it into lines when StartLine is 0.
	Path string
	// Secret, when set, is masked wherever it appears in Code and Message.
	Secret string
}

// A Check inspects one parsed input of type In and reports where it fails.
type Check[In any] interface {
	Meta() Meta
	Eval(in In) []Hit
}

// Rule is a Check made of metadata and a function.
type Rule[In any] struct {
	M  Meta
	Fn func(In) []Hit
}

// Meta returns the rule's metadata.
func (r Rule[In]) Meta() Meta { return r.M }

// Eval runs the rule.
func (r Rule[In]) Eval(in In) []Hit { return r.Fn(in) }

// Metas returns the metadata of checks, in their order.
func Metas[In any](checks []Check[In]) []Meta {
	out := make([]Meta, len(checks))
	for i, c := range checks {
		out[i] = c.Meta()
	}
	return out
}

// Run evaluates checks on in and returns one failed result per hit, and one passed result
// for each check without hits. locate (may be nil) fills in lines for hits that carry only
// a Path. A check that panics is reported as an error result, never ends the scan.
func Run[In any](kind, target string, in In, checks []Check[In], locate func(Hit) Hit) []inventory.Misconfiguration {
	var out []inventory.Misconfiguration
	for _, c := range checks {
		m := c.Meta()
		hits, err := safeEval(c, in)
		if err != "" {
			r := Result(kind, target, m, Hit{Message: err})
			r.Status = inventory.CheckError
			out = append(out, r)
			continue
		}
		if len(hits) == 0 {
			r := Result(kind, target, m, Hit{})
			r.Status = inventory.CheckPass
			out = append(out, r)
			continue
		}
		for _, h := range hits {
			if locate != nil && h.StartLine == 0 {
				h = locate(h)
			}
			out = append(out, Result(kind, target, m, h))
		}
	}
	return out
}

func safeEval[In any](c Check[In], in In) (hits []Hit, msg string) {
	defer func() {
		if r := recover(); r != nil {
			hits = nil
			msg = "the check failed on this input (internal error); please report it"
		}
	}()
	return c.Eval(in), ""
}

// Result builds a failed result of check m for hit h.
func Result(kind, target string, m Meta, h Hit) inventory.Misconfiguration {
	if h.Secret != "" {
		h.Code = strings.ReplaceAll(h.Code, h.Secret, Mask(h.Secret))
		h.Message = strings.ReplaceAll(h.Message, h.Secret, Mask(h.Secret))
	}
	end := h.EndLine
	if end == 0 {
		end = h.StartLine
	}
	return inventory.Misconfiguration{
		Kind:        kind,
		ID:          m.ID,
		Title:       m.Title,
		Severity:    m.Severity,
		Description: m.Description,
		References:  slices.Clone(m.References),
		Resolution:  m.Resolution,
		Status:      inventory.CheckFail,
		Message:     h.Message,
		Target:      target,
		Object:      h.Object,
		StartLine:   h.StartLine,
		EndLine:     end,
		Code:        h.Code,
	}
}

// ParseError is the result recorded for an input that could not be parsed at all.
func ParseError(kind, target string, err error) inventory.Misconfiguration {
	return inventory.Misconfiguration{
		Kind:     kind,
		ID:       "SS-PARSE",
		Title:    "Input could not be parsed",
		Severity: Unknown,
		Status:   inventory.CheckError,
		Message:  err.Error(),
		Target:   target,
	}
}

// Filter keeps results whose status is fail (and pass/error when all is set) and whose
// severity is in severities (empty keeps every severity).
func Filter(ms []inventory.Misconfiguration, severities []string, all bool) []inventory.Misconfiguration {
	keep := map[string]bool{}
	for _, s := range severities {
		keep[strings.ToUpper(strings.TrimSpace(s))] = true
	}
	var out []inventory.Misconfiguration
	for _, m := range ms {
		if !all && m.Status != inventory.CheckFail {
			continue
		}
		if len(keep) > 0 && !keep[m.Severity] && m.Status != inventory.CheckError {
			continue
		}
		out = append(out, m)
	}
	return out
}

// CustomResult is what a custom (Rego) check reports for one input: its metadata and its
// hits (none when it passed), or Err when it could not be evaluated.
type CustomResult struct {
	Meta Meta
	Hits []Hit
	Err  string
}

// FromCustom turns custom check results into misconfigurations of kind rego.
func FromCustom(target string, res []CustomResult, locate func(Hit) Hit) []inventory.Misconfiguration {
	var out []inventory.Misconfiguration
	for _, r := range res {
		switch {
		case r.Err != "":
			m := Result(inventory.CheckRego, target, r.Meta, Hit{Message: r.Err})
			m.Status = inventory.CheckError
			out = append(out, m)
		case len(r.Hits) == 0:
			m := Result(inventory.CheckRego, target, r.Meta, Hit{})
			m.Status = inventory.CheckPass
			out = append(out, m)
		default:
			for _, h := range r.Hits {
				if locate != nil {
					h = locate(h)
				}
				out = append(out, Result(inventory.CheckRego, target, r.Meta, h))
			}
		}
	}
	return out
}

// WithCode fills a hit's Code from the input's lines when it has lines but no code.
func WithCode(lines []string, h Hit) Hit {
	if h.Code == "" && h.StartLine >= 1 && h.StartLine <= len(lines) {
		end := max(h.EndLine, h.StartLine)
		end = min(end, len(lines))
		h.Code = strings.TrimRight(strings.Join(lines[h.StartLine-1:end], "\n"), "\r\n ")
	}
	return h
}
