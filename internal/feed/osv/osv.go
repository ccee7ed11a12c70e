// Package osv parses advisories in the OSV schema (https://ossf.github.io/osv-schema/),
// JSON or YAML, one advisory per file: the Go vulnerability database, PyPA, RustSec, the
// GitHub Advisory Database, and the per-ecosystem dumps of osv.dev.
//
// Each advisory becomes one vulndb.Record: its Vulnerability (id, aliases, summary,
// details, CVSS severities scored from their vectors, CWEs, dates, reference URLs) and one
// Affected per affected package whose ecosystem maps to a shipshape namespace (see
// Namespace). OSV range events are flattened into introduced..fixed and
// introduced..last_affected pairs. Withdrawn advisories are skipped.
package osv

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/shipshape-dev/shipshape/internal/feed"
	"github.com/shipshape-dev/shipshape/internal/vulndb"
)

// Feed parses OSV advisories. It holds no state: one Feed may parse several files
// concurrently.
//
// OSV files carry no date for the feed as a whole (the newest "modified" is no substitute:
// real files have typos such as a year ahead), so Feed has no DataDate.
type Feed struct{}

var _ feed.Feed = (*Feed)(nil)

// New returns an OSV parser.
func New() *Feed { return &Feed{} }

// Name is "osv".
func (f *Feed) Name() string { return "osv" }

// Info describes the OSV data for the DB's metadata and NOTICE. The licence is that of the
// sources shipshape builds from by default (Go, PyPA and GitHub advisories are CC-BY-4.0;
// RustSec is CC0-1.0, which needs no attribution but gets it anyway).
func (f *Feed) Info() feed.Info {
	return feed.Info{
		Licence: "CC-BY-4.0",
		Attribution: "Open source vulnerability advisories in the OSV format (https://osv.dev): " +
			"Go Vulnerability Database (Go Authors, CC-BY-4.0), PyPA Advisory Database (CC-BY-4.0), " +
			"GitHub Advisory Database (GitHub, Inc., CC-BY-4.0), RustSec Advisory Database (CC0-1.0).",
		// Per ecosystem: <UpstreamURL><Ecosystem>/all.zip, e.g. .../PyPI/all.zip.
		UpstreamURL: "https://osv-vulnerabilities.storage.googleapis.com/",
	}
}

// Match accepts *.json, *.yaml and *.yml files, except those under a dot directory (such
// as .github) and the index files of the Go vulnerability database's zip (index/db.json,
// index/modules.json, index/vulns.json).
func (f *Feed) Match(name string) bool {
	name = trimCompression(name)
	dir := path.Dir(name)
	for _, part := range strings.Split(dir, "/") {
		if strings.HasPrefix(part, ".") && part != "." && part != ".." {
			return false
		}
	}
	if path.Base(dir) == "index" {
		switch path.Base(name) {
		case "db.json", "modules.json", "vulns.json":
			return false
		}
	}
	switch strings.ToLower(path.Ext(name)) {
	case ".json", ".yaml", ".yml":
		return true
	}
	return false
}

// maxYAML bounds what is read of one YAML file; OSV advisories are a few KB.
const maxYAML = 64 << 20

// Parse reads one file: a JSON advisory, a JSON array of advisories, or a YAML advisory
// (by the name's extension, else by its first byte). In an array a malformed advisory is
// skipped; the file is an error only when none could be read.
func (f *Feed) Parse(ctx context.Context, in feed.Input, emit func(vulndb.Record) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	br := bufio.NewReader(in.R)
	first, err := firstByte(br)
	if err != nil {
		if err == io.EOF {
			return fmt.Errorf("%s: empty file", in.Name)
		}
		return fmt.Errorf("%s: %w", in.Name, err)
	}
	ext := strings.ToLower(path.Ext(trimCompression(in.Name)))
	switch {
	case first == '[':
		return f.parseArray(ctx, in.Name, br, emit)
	case ext == ".yaml" || ext == ".yml" || first != '{':
		var a advisory
		if err := decodeYAML(io.LimitReader(br, maxYAML), &a); err != nil {
			return fmt.Errorf("%s: %w", in.Name, err)
		}
		return f.emitAdvisory(in.Name, &a, emit)
	default:
		var a advisory
		if err := json.NewDecoder(br).Decode(&a); err != nil {
			return fmt.Errorf("%s: %w", in.Name, err)
		}
		return f.emitAdvisory(in.Name, &a, emit)
	}
}

func (f *Feed) parseArray(ctx context.Context, name string, r io.Reader, emit func(vulndb.Record) error) error {
	dec := json.NewDecoder(r)
	if _, err := dec.Token(); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	var good, bad int
	var firstErr error
	for dec.More() {
		if err := ctx.Err(); err != nil {
			return err
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			// The stream itself is broken: nothing after this point can be read.
			if good == 0 {
				return fmt.Errorf("%s: %w", name, err)
			}
			return nil
		}
		var a advisory
		err := json.Unmarshal(raw, &a)
		if err == nil {
			err = a.check()
		}
		if err != nil {
			bad++
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		good++
		if err := f.emitAdvisory(name, &a, emit); err != nil {
			return err
		}
	}
	if good == 0 && bad > 0 {
		return fmt.Errorf("%s: no advisory could be read (%d malformed): %w", name, bad, firstErr)
	}
	return nil
}

// decodeYAML decodes one YAML document, turning a panic of the YAML library into an error.
func decodeYAML(r io.Reader, v any) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("YAML decoder failed: %v", p)
		}
	}()
	return yaml.NewDecoder(r).Decode(v)
}

func firstByte(br *bufio.Reader) (byte, error) {
	for {
		b, err := br.ReadByte()
		if err != nil {
			return 0, err
		}
		switch b {
		case ' ', '\t', '\r', '\n':
			continue
		case 0xEF: // UTF-8 byte order mark
			if next, err := br.Peek(2); err == nil && next[0] == 0xBB && next[1] == 0xBF {
				_, _ = br.Discard(2)
				continue
			}
		}
		return b, br.UnreadByte()
	}
}

func (f *Feed) emitAdvisory(name string, a *advisory, emit func(vulndb.Record) error) error {
	if err := a.check(); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	if a.Withdrawn != "" {
		return nil
	}
	rec := convert(a)
	if err := emit(rec); err != nil {
		return fmt.Errorf("%s: %s: %w", name, a.ID, err)
	}
	return nil
}

func (a *advisory) check() error {
	if a.ID == "" {
		return errors.New("not an OSV advisory: no id")
	}
	return nil
}

// convert turns a decoded advisory into a record.
func convert(a *advisory) vulndb.Record {
	v := &vulndb.Vulnerability{
		ID:          string(a.ID),
		Aliases:     dedupe(a.Aliases.strings(), string(a.ID)),
		Summary:     string(a.Summary),
		Description: string(a.Details),
		Published:   date(string(a.Published)),
		Modified:    date(string(a.Modified)),
	}
	for _, s := range a.Severity {
		if sev, ok := scoreSeverity(string(s.Type), strings.TrimSpace(string(s.Score))); ok {
			v.Severities = append(v.Severities, sev)
		}
	}
	if isGHSA(v.ID, v.Aliases) {
		if r := ghsaRating(string(a.DatabaseSpecific.Severity)); r != "" {
			v.Severities = append(v.Severities, vulndb.Severity{Source: "ghsa", Rating: r})
		}
	}
	v.CWEs = dedupe(a.DatabaseSpecific.CWEIDs.strings(), "")
	var refs []string
	for _, r := range a.References {
		refs = append(refs, string(r.URL))
	}
	v.References = dedupe(refs, "")

	rec := vulndb.Record{Vulnerability: v}
	for _, af := range a.Affected {
		if x, ok := affected(v.ID, &af); ok {
			rec.Affected = append(rec.Affected, x)
		}
	}
	return rec
}

// affected converts one affected[] entry; ok is false when it names no package, its
// ecosystem has no namespace, or it has neither ranges nor versions (OSV then says
// nothing a matcher could evaluate).
func affected(id string, af *osvAffected) (vulndb.Affected, bool) {
	name := strings.TrimSpace(string(af.Package.Name))
	ns, ok := Namespace(string(af.Package.Ecosystem))
	if name == "" || !ok {
		return vulndb.Affected{}, false
	}
	out := vulndb.Affected{VulnID: id, Namespace: ns, Package: name, Status: vulndb.StatusAffected}
	for _, r := range af.Ranges {
		out.Ranges = append(out.Ranges, flatten(strings.ToUpper(string(r.Type)), r.Events)...)
	}
	for _, ver := range af.Versions.strings() {
		if ver != "" {
			out.Versions = append(out.Versions, ver)
		}
	}
	if len(out.Ranges) == 0 && len(out.Versions) == 0 {
		return vulndb.Affected{}, false
	}
	if ns == "go" {
		out.Platforms = goPlatforms(&af.EcosystemSpecific)
	}
	for _, r := range out.Ranges {
		if r.Fixed != "" && r.Type != "GIT" {
			out.Status = vulndb.StatusFixed
			break
		}
	}
	return out, true
}

// flatten pairs a range's events in order: each introduced opens an interval that the
// next fixed or last_affected closes; an interval still open at the end has no upper
// bound. Introduced "0" (or empty) means from the beginning. OSV producers list events in
// version order; read that way, a second introduced inside an open interval and a
// fixed/last_affected with no open interval change nothing, so they are dropped (real
// data has both, e.g. several last_affected in a row). "limit" events (meaningful only for
// GIT ranges) are ignored.
func flatten(typ string, events []map[string]text) []vulndb.Range {
	var out []vulndb.Range
	var cur vulndb.Range
	open := false
	for _, ev := range events {
		if v, ok := ev["introduced"]; ok {
			if open {
				continue
			}
			open = true
			cur = vulndb.Range{Type: typ}
			if s := strings.TrimSpace(string(v)); s != "0" {
				cur.Introduced = s
			}
			continue
		}
		fixed, isFixed := ev["fixed"]
		last, isLast := ev["last_affected"]
		if !open || !isFixed && !isLast {
			continue
		}
		if isFixed {
			cur.Fixed = strings.TrimSpace(string(fixed))
		} else {
			cur.LastAffected = strings.TrimSpace(string(last))
		}
		if cur.Fixed == "" && cur.LastAffected == "" {
			continue // an empty bound: keep the interval open
		}
		out = append(out, cur)
		open = false
	}
	if open {
		out = append(out, cur)
	}
	return out
}

// date returns an OSV timestamp as given, or "" for the zero time (0001-01-01), which the
// Go vulnerability database's OSV export writes when it leaves a date out.
func date(s string) string {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil && t.Year() <= 1 {
		return ""
	}
	return s
}

func isGHSA(id string, aliases []string) bool {
	if strings.HasPrefix(id, "GHSA-") {
		return true
	}
	for _, a := range aliases {
		if strings.HasPrefix(a, "GHSA-") {
			return true
		}
	}
	return false
}

// ghsaRating maps the GitHub Advisory Database's severity (LOW, MODERATE, HIGH, CRITICAL)
// to a shipshape rating; anything else gives "".
func ghsaRating(s string) string {
	switch strings.ToUpper(strings.TrimSpace(s)) {
	case "LOW":
		return vulndb.Low
	case "MODERATE", "MEDIUM":
		return vulndb.Medium
	case "HIGH":
		return vulndb.High
	case "CRITICAL":
		return vulndb.Critical
	}
	return ""
}

// dedupe drops empty strings, duplicates and skip, keeping the first occurrence's order.
func dedupe(ss []string, skip string) []string {
	var out []string
	seen := map[string]bool{}
	for _, s := range ss {
		s = strings.TrimSpace(s)
		if s == "" || s == skip || seen[s] {
			continue
		}
		seen[s] = true
		out = append(out, s)
	}
	return out
}

// trimCompression drops a compression suffix from a file name.
func trimCompression(name string) string {
	for _, ext := range []string{".gz", ".bz2", ".xz", ".zst"} {
		if strings.HasSuffix(strings.ToLower(name), ext) {
			return name[:len(name)-len(ext)]
		}
	}
	return name
}

// goPlatforms returns the platforms a Go vulnerability database entry is limited to: one
// per affected import path. When any import path has no limit, or none is listed, the
// entry applies everywhere and nil is returned.
func goPlatforms(g *goSpecific) []vulndb.Platform {
	var out []vulndb.Platform
	for _, imp := range g.Imports {
		p := vulndb.Platform{OS: imp.GOOS.strings(), Arch: imp.GOARCH.strings()}
		if len(p.OS) == 0 && len(p.Arch) == 0 {
			return nil
		}
		out = append(out, p)
	}
	return out
}
