package policy

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Kinds of finding an ignore entry applies to.
const (
	KindVulnerability    = "vulnerability"
	KindMisconfiguration = "misconfiguration"
	KindSecret           = "secret"
	KindLicense          = "license"
	// KindAny is the kind of the entries of a plain id list (.trivyignore style): the id is
	// looked for among every kind of finding.
	KindAny = "any"
)

// DefaultIgnoreFile is read from the working folder when --ignorefile is not given and the
// file exists.
const DefaultIgnoreFile = ".shipshapeignore.yaml"

// IgnoreFile is a parsed ignore file.
type IgnoreFile struct {
	// Source is the file name, as given; it is recorded in every suppression.
	Source  string
	Entries []IgnoreEntry
}

// IgnoreEntry is one rule of an ignore file. Every criterion it sets must match for the
// entry to cover a finding; it sets at least one.
type IgnoreEntry struct {
	// Kind is one of the Kind* constants.
	Kind string
	// ID is a vulnerability id (aliases match too), a misconfiguration check id, a secret
	// rule id or a licence (SPDX id or expression as reported).
	ID string
	// PURL is a package URL; without a version it covers every version, and the qualifiers
	// it gives must match.
	PURL string
	// Package is a package name (binary or source package).
	Package string
	// Path is a glob over the finding's file: the package's location, the misconfiguration's
	// target or the secret's file. ** matches any number of path elements.
	Path string
	// Expires is when the entry stops suppressing (zero: never); ExpiresText as written.
	Expires     time.Time
	ExpiresText string
	Reason      string
	// Justification is an OpenVEX not_affected justification used by --vex-out.
	Justification string
	// Line is the entry's line in the file (1-based).
	Line int

	purl *purlPattern
}

// Describe names the entry in messages: its criteria and its place in the file.
func (e *IgnoreEntry) Describe() string {
	var parts []string
	for _, kv := range [][2]string{{"id", e.ID}, {"purl", e.PURL}, {"package", e.Package}, {"path", e.Path}} {
		if kv[1] != "" {
			parts = append(parts, kv[0]+" "+kv[1])
		}
	}
	return fmt.Sprintf("%s (line %d)", strings.Join(parts, ", "), e.Line)
}

// Expired reports whether the entry no longer suppresses at now.
func (e *IgnoreEntry) Expired(now time.Time) bool {
	return !e.Expires.IsZero() && !now.Before(e.Expires)
}

// Justifications are the OpenVEX not_affected justifications an ignore entry may give.
var Justifications = []string{
	"component_not_present",
	"vulnerable_code_not_present",
	"vulnerable_code_not_in_execute_path",
	"vulnerable_code_cannot_be_controlled_by_adversary",
	"inline_mitigations_already_exist",
}

// LoadIgnoreFile reads and parses an ignore file. Files named *.yaml or *.yml are shipshape's
// YAML format; anything else (e.g. .trivyignore) is a plain list of ids, one a line.
func LoadIgnoreFile(name string) (*IgnoreFile, error) {
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("reading the ignore file: %w", err)
	}
	switch strings.ToLower(filepath.Ext(name)) {
	case ".yaml", ".yml":
		return ParseIgnoreYAML(data, name)
	}
	return ParsePlainIgnore(data, name)
}

// maxIgnoreFileSize bounds what is parsed: an ignore file is written by hand.
const maxIgnoreFileSize = 8 << 20

// ParseIgnoreYAML parses shipshape's YAML ignore format:
//
//	vulnerabilities:
//	  - id: CVE-2022-37434          # or GHSA-..., matched against aliases too
//	    purl: pkg:apk/alpine/zlib    # optional; with @version for one version only
//	    package: zlib                # optional; binary or source package name
//	    path: usr/lib/**             # optional; glob over the package's location
//	    expires: 2027-01-31          # optional; a date (suppresses through that day, UTC) or RFC 3339
//	    reason: not reachable, zlib is only used for decompressing trusted files
//	    justification: vulnerable_code_not_in_execute_path   # optional, for --vex-out
//	misconfigurations:
//	  - id: DS002
//	    path: Dockerfile
//	secrets:
//	  - id: aws-access-key-id
//	    path: app/testdata/**
//	licenses:
//	  - id: GPL-3.0-only
//	    package: bash
//
// trivy's .trivyignore.yaml spelling is accepted too: paths: and purls: lists (an entry then
// covers what any of them covers), expired_at: for expires: and statement: for reason:.
// Unknown keys, entries with no criterion and bad dates are errors naming the line.
func ParseIgnoreYAML(data []byte, source string) (*IgnoreFile, error) {
	if len(data) > maxIgnoreFileSize {
		return nil, fmt.Errorf("ignore file %s: %d bytes is too large for an ignore file (limit %d)", source, len(data), maxIgnoreFileSize)
	}
	f := &IgnoreFile{Source: source}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("ignore file %s: not valid YAML: %w", source, err)
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return f, nil // empty file: no entries
	}
	top := doc.Content[0]
	if top.Kind == yaml.ScalarNode && top.Tag == "!!null" {
		return f, nil
	}
	if top.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("ignore file %s line %d: expected a mapping with vulnerabilities, misconfigurations, secrets or licenses", source, top.Line)
	}
	kinds := map[string]string{
		"vulnerabilities":   KindVulnerability,
		"misconfigurations": KindMisconfiguration,
		"secrets":           KindSecret,
		"licenses":          KindLicense,
	}
	for i := 0; i+1 < len(top.Content); i += 2 {
		k, v := top.Content[i], top.Content[i+1]
		kind, ok := kinds[k.Value]
		if !ok {
			return nil, fmt.Errorf("ignore file %s line %d: unknown key %q (expected vulnerabilities, misconfigurations, secrets or licenses)", source, k.Line, k.Value)
		}
		if v.Kind == yaml.ScalarNode && v.Tag == "!!null" {
			continue
		}
		if v.Kind != yaml.SequenceNode {
			return nil, fmt.Errorf("ignore file %s line %d: %s must be a list of entries", source, v.Line, k.Value)
		}
		for _, item := range v.Content {
			es, err := parseEntry(item, kind)
			if err != nil {
				return nil, fmt.Errorf("ignore file %s line %d: %w", source, item.Line, err)
			}
			f.Entries = append(f.Entries, es...)
		}
	}
	return f, nil
}

// parseEntry reads one entry. The lists paths: and purls: (trivy's .trivyignore.yaml
// spelling, as are expired_at: and statement:) expand into one entry per path and purl,
// which together match what any of them matches.
func parseEntry(n *yaml.Node, kind string) ([]IgnoreEntry, error) {
	e := IgnoreEntry{Kind: kind, Line: n.Line}
	if n.Kind != yaml.MappingNode {
		return nil, errors.New("an entry must be a mapping (id:, purl:, package:, path:, expires:, reason:)")
	}
	var paths, purls []string
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		key := k.Value
		switch key {
		case "expired_at":
			key = "expires"
		case "statement":
			key = "reason"
		case "paths":
			key = "path"
		case "purls":
			key = "purl"
		}
		if seen[key] {
			return nil, fmt.Errorf("%s is given twice (as %s)", key, k.Value)
		}
		seen[key] = true
		if k.Value == "paths" || k.Value == "purls" {
			if v.Kind != yaml.SequenceNode {
				return nil, fmt.Errorf("%s must be a list", k.Value)
			}
			var vals []string
			for _, x := range v.Content {
				if x.Kind != yaml.ScalarNode || strings.TrimSpace(x.Value) == "" {
					return nil, fmt.Errorf("line %d: %s must hold non-empty single values", x.Line, k.Value)
				}
				vals = append(vals, strings.TrimSpace(x.Value))
			}
			if k.Value == "paths" {
				paths = vals
			} else {
				purls = vals
			}
			continue
		}
		if v.Kind != yaml.ScalarNode {
			return nil, fmt.Errorf("%s must be a single value, not a list or mapping (write one entry per value)", k.Value)
		}
		val := strings.TrimSpace(v.Value)
		switch key {
		case "id":
			e.ID = val
		case "purl":
			purls = []string{val}
		case "package":
			e.Package = val
		case "path":
			paths = []string{val}
		case "expires":
			e.ExpiresText = val
		case "reason":
			e.Reason = val
		case "justification":
			e.Justification = val
		default:
			return nil, fmt.Errorf("unknown key %q (expected id, purl, package, path, expires, reason, justification; or paths, purls, expired_at, statement)", k.Value)
		}
	}
	if len(paths)*len(purls) > 10000 {
		return nil, fmt.Errorf("%d paths times %d purls is too many combinations for one entry; split it", len(paths), len(purls))
	}
	if len(paths) == 0 {
		paths = []string{""}
	}
	if len(purls) == 0 {
		purls = []string{""}
	}
	var out []IgnoreEntry
	for _, pu := range purls {
		for _, pa := range paths {
			x := e
			x.PURL, x.Path = pu, pa
			if err := x.finish(); err != nil {
				return nil, err
			}
			out = append(out, x)
		}
	}
	return out, nil
}

// finish validates the entry and parses its purl and expiry.
func (e *IgnoreEntry) finish() error {
	if e.ID == "" && e.PURL == "" && e.Package == "" && e.Path == "" {
		return errors.New("the entry has none of id, purl, package, path: it would match everything")
	}
	if (e.Kind == KindMisconfiguration || e.Kind == KindSecret) && (e.PURL != "" || e.Package != "") {
		return fmt.Errorf("%s entries match by id and path only", e.Kind)
	}
	if e.PURL != "" {
		pp, err := parsePURLPattern(e.PURL)
		if err != nil {
			return fmt.Errorf("purl %q: %w", e.PURL, err)
		}
		e.purl = &pp
	}
	if e.ExpiresText != "" {
		t, err := ParseExpiry(e.ExpiresText)
		if err != nil {
			return err
		}
		e.Expires = t
	}
	if e.Justification != "" && !containsString(Justifications, e.Justification) {
		return fmt.Errorf("justification %q is not an OpenVEX justification (choose one of %s)", e.Justification, strings.Join(Justifications, ", "))
	}
	return nil
}

func containsString(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// ParseExpiry parses an expiry: a date YYYY-MM-DD means the entry suppresses through that
// day (UTC) and stops at the start of the next; an RFC 3339 time is the exact instant.
func ParseExpiry(s string) (time.Time, error) {
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t.AddDate(0, 0, 1), nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("expires %q is neither a date (2006-01-02) nor an RFC 3339 time (2006-01-02T15:04:05Z)", s)
}

// ParsePlainIgnore parses a plain list of ids, one a line, as trivy's .trivyignore: blank
// lines and lines starting with # are skipped, and an id may be followed by exp:YYYY-MM-DD.
// Each id is looked for among every kind of finding.
func ParsePlainIgnore(data []byte, source string) (*IgnoreFile, error) {
	if len(data) > maxIgnoreFileSize {
		return nil, fmt.Errorf("ignore file %s: %d bytes is too large for an ignore file (limit %d)", source, len(data), maxIgnoreFileSize)
	}
	f := &IgnoreFile{Source: source}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64*1024), maxIgnoreFileSize)
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		fields := strings.Fields(text)
		e := IgnoreEntry{Kind: KindAny, ID: fields[0], Line: line}
		for _, fl := range fields[1:] {
			if strings.HasPrefix(fl, "#") {
				break
			}
			exp, ok := strings.CutPrefix(fl, "exp:")
			if !ok {
				return nil, fmt.Errorf("ignore file %s line %d: unexpected %q after the id (only exp:YYYY-MM-DD may follow)", source, line, fl)
			}
			e.ExpiresText = exp
		}
		if err := e.finish(); err != nil {
			return nil, fmt.Errorf("ignore file %s line %d: %w", source, line, err)
		}
		f.Entries = append(f.Entries, e)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("ignore file %s line %d: %w", source, line+1, err)
	}
	return f, nil
}
