// Package rubysec reads the Ruby Advisory Database (github.com/rubysec/ruby-advisory-db)
// into vulndb records: each gems/<gem>/<id>.yml becomes one Vulnerability and one
// Affected{Namespace "rubygems", Package gem}.
//
// The id is "CVE-<cve>" when the advisory has a CVE, else "GHSA-<ghsa>", else
// "RUBYSEC-<gem>-<file stem>" (the stem is then an OSVDB id or a date); the other
// identifiers (GHSA, OSVDB-n) become aliases. Summary is the title, Description the
// description, Published the date, References the url and any related urls. cvss_v2,
// cvss_v3 and cvss_v4 are bare scores (the database keeps no vectors) and become
// severities of source "rubysec" with the rating of their version's scale.
//
// # Versions
//
// The database says which versions are NOT affected: patched_versions and
// unaffected_versions, each a list of RubyGems requirements ("~> 1.2.3", ">= 2.0.1",
// several joined by commas when all must hold). A version is affected when it meets
// none of them, which is how bundler-audit reads the data. So the parser:
//
//  1. turns every list entry into one interval of versions (the intersection of its
//     requirements; "~> 1.2.3" is [1.2.3, 1.3.A), see gemversion.go);
//  2. sorts the intervals in RubyGems order and merges those that overlap or touch;
//  3. takes the complement: the gaps before, between and after them;
//  4. writes each gap as a vulndb.Range of type ECOSYSTEM: the gap's start is
//     Introduced (empty when it is the beginning), its end is Fixed when the next
//     interval starts inclusively (">= 1.2.3": Fixed 1.2.3) and LastAffected when it
//     starts exclusively ("> 1.2.3": LastAffected 1.2.3); a single-version gap becomes
//     Versions.
//
// Sorting is unavoidable: patched and unaffected entries are unordered and may overlap,
// so only the merged, sorted union has well-defined gaps. Two bounds need a version the
// advisory does not name. After "~> 1.2.3" the next gap starts at "1.3.A", the least
// RubyGems version whose release is 1.3 (its prereleases are not covered by "~>"). After
// "<= 2.0.3" or "= 2.0.3" the gap starts just above 2.0.3, and RubyGems versions have no
// least successor; Introduced is then "2.0.3.0.1", which leaves out only versions like
// 2.0.3.0.0.5. Such advisories are counted in Stats.Warnings.
//
// Status is fixed when some patched version lies at or above the end of an affected
// range, else affected (only unaffected_versions, or no requirement at all: every version
// is affected). When the requirements cover every version, no Affected is emitted.
//
// rubies/<engine>/*.yml (advisories for Ruby interpreters) are matched and counted as
// skipped: interpreters are not packages shipshape inventories. The platform field (for
// example jruby-only advisories) is not modelled; such advisories apply to every
// platform of the gem.
package rubysec

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"

	"github.com/shipshape-dev/shipshape/internal/feed"
	"github.com/shipshape-dev/shipshape/internal/vulndb"
)

// Feed parses ruby-advisory-db files. It is safe for concurrent use.
type Feed struct {
	mu    sync.Mutex
	stats Stats
}

// Stats counts what a Feed has parsed since it was made.
type Stats struct {
	// Files is the number of files read; Records the records emitted.
	Files, Records int
	// Skipped counts files left out, by reason.
	Skipped map[string]int
	// Warnings counts advisories emitted with a caveat, by kind.
	Warnings map[string]int
}

// Reasons and caveats counted in Stats.
const (
	SkipRuby         = "interpreter advisory (rubies/)"
	SkipBadVersions  = "version requirement not translatable"
	SkipMalformed    = "malformed advisory"
	WarnApproximated = "exclusive lower bound approximated"
	WarnNothingLeft  = "no version left affected"
	WarnGemFromPath  = "no gem field, name taken from the folder"
)

// Namespace is the vulndb namespace of the emitted entries.
const Namespace = "rubygems"

// New returns the rubysec feed parser.
func New() *Feed { return &Feed{} }

// Name returns "rubysec".
func (*Feed) Name() string { return "rubysec" }

// Info describes the data.
func (*Feed) Info() feed.Info {
	return feed.Info{
		Licence:     "public domain (ruby-advisory-db; parts may carry OSVDB terms, see its LICENSE.txt)",
		Attribution: "Ruby Advisory Database, https://github.com/rubysec/ruby-advisory-db, released into the public domain by its contributors",
		UpstreamURL: "https://github.com/rubysec/ruby-advisory-db/archive/refs/heads/master.tar.gz",
	}
}

// split returns the top folder ("gems" or "rubies"), the package folder and the file
// stem of an advisory path, or ok false.
func split(name string) (top, dir, stem string, ok bool) {
	parts := strings.Split(strings.ReplaceAll(name, "\\", "/"), "/")
	if len(parts) < 3 {
		return "", "", "", false
	}
	top, dir, file := parts[len(parts)-3], parts[len(parts)-2], parts[len(parts)-1]
	stem, ok = strings.CutSuffix(file, ".yml")
	if !ok || stem == "" || dir == "" || (top != "gems" && top != "rubies") {
		return "", "", "", false
	}
	return top, dir, stem, true
}

// Match accepts gems/<gem>/<id>.yml and rubies/<engine>/<id>.yml.
func (*Feed) Match(name string) bool {
	_, _, _, ok := split(name)
	return ok
}

// Stats returns a copy of the counters.
func (f *Feed) Stats() Stats {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.stats
	s.Skipped = clone(f.stats.Skipped)
	s.Warnings = clone(f.stats.Warnings)
	return s
}

func clone(m map[string]int) map[string]int {
	out := make(map[string]int, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func (f *Feed) count(records int, skipped string, warnings []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.stats.Files++
	f.stats.Records += records
	if skipped != "" {
		if f.stats.Skipped == nil {
			f.stats.Skipped = map[string]int{}
		}
		f.stats.Skipped[skipped]++
	}
	for _, w := range warnings {
		if f.stats.Warnings == nil {
			f.stats.Warnings = map[string]int{}
		}
		f.stats.Warnings[w]++
	}
}

// advisory is the part of the schema that is read. Identifier fields are scalars of
// any YAML type (osvdb is an integer).
type advisory struct {
	Gem                string              `yaml:"gem"`
	CVE                string              `yaml:"cve"`
	GHSA               string              `yaml:"ghsa"`
	OSVDB              string              `yaml:"osvdb"`
	URL                string              `yaml:"url"`
	Title              string              `yaml:"title"`
	Date               string              `yaml:"date"`
	Description        string              `yaml:"description"`
	CVSSv2             *float64            `yaml:"cvss_v2"`
	CVSSv3             *float64            `yaml:"cvss_v3"`
	CVSSv4             *float64            `yaml:"cvss_v4"`
	PatchedVersions    []string            `yaml:"patched_versions"`
	UnaffectedVersions []string            `yaml:"unaffected_versions"`
	Related            map[string][]string `yaml:"related"`
}

// skipError is an advisory deliberately left out; reason is its Stats key.
type skipError struct {
	reason string
	err    error
}

func (e *skipError) Error() string { return e.reason + ": " + e.err.Error() }
func (e *skipError) Unwrap() error { return e.err }

// Parse reads one advisory file and emits its record; interpreter advisories are
// counted and left out.
func (f *Feed) Parse(ctx context.Context, in feed.Input, emit func(vulndb.Record) error) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%s: %w", in.Name, err)
	}
	top, dir, stem, ok := split(in.Name)
	if !ok {
		f.count(0, SkipMalformed, nil)
		return fmt.Errorf("%s: not a gems/<gem>/<id>.yml advisory path", in.Name)
	}
	if top == "rubies" {
		f.count(0, SkipRuby, nil)
		return nil
	}
	data, err := io.ReadAll(in.R)
	if err != nil {
		f.count(0, SkipMalformed, nil)
		return fmt.Errorf("%s: %w", in.Name, err)
	}
	rec, warnings, err := convert(data, dir, stem)
	if err != nil {
		reason := SkipMalformed
		var se *skipError
		if errors.As(err, &se) {
			reason = se.reason
		}
		f.count(0, reason, warnings)
		return fmt.Errorf("%s: %w", in.Name, err)
	}
	if err := emit(rec); err != nil {
		f.count(0, "", warnings)
		return fmt.Errorf("%s: %s: %w", in.Name, rec.Vulnerability.ID, err)
	}
	f.count(1, "", warnings)
	return nil
}

func convert(data []byte, dir, stem string) (vulndb.Record, []string, error) {
	var a advisory
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&a); err != nil {
		return vulndb.Record{}, nil, err
	}
	var warnings []string
	gem := strings.TrimSpace(a.Gem)
	if gem == "" {
		gem = dir
		warnings = append(warnings, WarnGemFromPath)
	}
	cve := prefixed("CVE-", a.CVE)
	ghsa := prefixed("GHSA-", a.GHSA)
	osvdb := prefixed("OSVDB-", a.OSVDB)
	v := &vulndb.Vulnerability{
		Summary:     strings.TrimSpace(a.Title),
		Description: strings.TrimSpace(a.Description),
		Published:   strings.TrimSpace(a.Date),
	}
	for _, id := range []string{cve, ghsa, osvdb} {
		if id == "" {
			continue
		}
		if v.ID == "" && id != osvdb {
			v.ID = id
		} else {
			v.Aliases = append(v.Aliases, id)
		}
	}
	if v.ID == "" {
		v.ID = "RUBYSEC-" + gem + "-" + stem
	}
	for _, s := range []struct {
		typ   string
		score *float64
	}{{"CVSS_V4", a.CVSSv4}, {"CVSS_V3", a.CVSSv3}, {"CVSS_V2", a.CVSSv2}} {
		if s.score != nil && *s.score >= 0 && *s.score <= 10 {
			v.Severities = append(v.Severities, vulndb.Severity{Source: "rubysec", Type: s.typ, Score: *s.score, Rating: scoreRating(s.typ, *s.score)})
		}
	}
	for _, u := range append([]string{a.URL}, a.Related["url"]...) {
		if u = strings.TrimSpace(u); u != "" && !slices.Contains(v.References, u) {
			v.References = append(v.References, u)
		}
	}

	aff, more, err := affected(a.PatchedVersions, a.UnaffectedVersions)
	warnings = append(warnings, more...)
	if err != nil {
		return vulndb.Record{}, warnings, &skipError{SkipBadVersions, err}
	}
	rec := vulndb.Record{Vulnerability: v}
	if aff != nil {
		aff.VulnID, aff.Namespace, aff.Package = v.ID, Namespace, gem
		rec.Affected = []vulndb.Affected{*aff}
	}
	return rec, warnings, nil
}

// prefixed turns a bare identifier ("2011-5036") into its full form ("CVE-2011-5036"),
// leaving one already prefixed alone.
func prefixed(prefix, id string) string {
	id = strings.TrimSpace(id)
	if id == "" {
		return ""
	}
	if len(id) >= len(prefix) && strings.EqualFold(id[:len(prefix)], prefix) {
		return prefix + id[len(prefix):]
	}
	return prefix + id
}

// affected computes the Affected entry (without ids) as the complement of the patched
// and unaffected requirements; nil when they cover every version.
func affected(patched, unaffected []string) (*vulndb.Affected, []string, error) {
	var fixedIvs, all []interval
	for _, lists := range []struct {
		field string
		reqs  []string
	}{{"patched_versions", patched}, {"unaffected_versions", unaffected}} {
		for _, req := range lists.reqs {
			iv, err := parseRequirement(req)
			if err != nil {
				return nil, nil, fmt.Errorf("%s: %w", lists.field, err)
			}
			all = append(all, iv)
			if lists.field == "patched_versions" {
				fixedIvs = append(fixedIvs, iv)
			}
		}
	}
	gaps := complement(normalize(all))
	var warnings []string
	aff := &vulndb.Affected{Status: vulndb.StatusAffected}
	for _, g := range gaps {
		if g.lo.set && !g.lo.incl {
			g.lo = incl(above(g.lo.v))
			if !slices.Contains(warnings, WarnApproximated) {
				warnings = append(warnings, WarnApproximated)
			}
			if g.empty() {
				continue
			}
		}
		if g.lo.set && g.hi.set && g.hi.incl && compareGem(g.lo.v, g.hi.v) == 0 {
			aff.Versions = append(aff.Versions, g.lo.v.text)
			continue
		}
		r := vulndb.Range{Type: "ECOSYSTEM"}
		if g.lo.set {
			r.Introduced = g.lo.v.text
		}
		if g.hi.set {
			if g.hi.incl {
				r.LastAffected = g.hi.v.text
			} else {
				r.Fixed = g.hi.v.text
			}
		}
		aff.Ranges = append(aff.Ranges, r)
	}
	if len(aff.Ranges) == 0 && len(aff.Versions) == 0 {
		return nil, append(warnings, WarnNothingLeft), nil
	}
	if fixedAfter(gaps, normalize(fixedIvs)) {
		aff.Status = vulndb.StatusFixed
	}
	return aff, warnings, nil
}

// fixedAfter reports whether a patched version lies at or above the end of some
// affected gap.
func fixedAfter(gaps, patched []interval) bool {
	for _, g := range gaps {
		if !g.hi.set {
			continue
		}
		for _, p := range patched {
			if !p.hi.set {
				return true
			}
			c := compareGem(p.hi.v, g.hi.v)
			if c > 0 || (c == 0 && p.hi.incl && !g.hi.incl) {
				return true
			}
		}
	}
	return false
}

// scoreRating is the CVSS qualitative scale (v2's, as NVD publishes it, has no CRITICAL).
func scoreRating(typ string, score float64) string {
	switch {
	case typ != "CVSS_V2" && score >= 9:
		return vulndb.Critical
	case score >= 7:
		return vulndb.High
	case score >= 4:
		return vulndb.Medium
	case score > 0 || typ == "CVSS_V2":
		return vulndb.Low
	}
	return ""
}

var _ feed.Feed = (*Feed)(nil)
