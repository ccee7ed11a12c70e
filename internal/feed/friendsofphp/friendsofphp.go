// Package friendsofphp reads the FriendsOfPHP security advisories database
// (github.com/FriendsOfPHP/security-advisories) into vulndb records: each
// <vendor>/<package>/<id>.yaml becomes one Vulnerability and one
// Affected{Namespace "packagist", Package "<vendor>/<package>"}.
//
// The id is the advisory's cve when it has one, else "FOP-<vendor>/<package>/<file
// stem>" (stems are dates such as 2017-02-01, or vendor ids such as SS-2016-003-1 or
// a GHSA id, which then also becomes an alias). Summary is the title, References the
// link. The package is the reference "composer://<vendor>/<package>"; when the
// reference is missing or not of that form, the folder names are used instead (counted
// in Stats.Warnings). Packages served from other Composer repositories than Packagist
// (composer-repository: false) stay in the packagist namespace: a composer.lock names
// them the same way.
//
// # Versions
//
// Each branch ("6.3.x": {time, versions: [">=6.3.0", "<6.3.8"]}) becomes one
// vulndb.Range of type ECOSYSTEM, in file order: ">=a" is Introduced a, "<b" Fixed b,
// "<=b" LastAffected b, "=v" (not used by the data) a single version in Versions. A
// branch with only an upper bound starts from the beginning. An exclusive lower bound
// ">a" (7 branches in the data, e.g. drupal ">8.7.3") has no exact Range form; it
// becomes Introduced at a with its last numeric part (padded to Composer's four)
// incremented, ">8.7.3" starting at 8.7.3.1, which leaves out only a's patch releases
// (8.7.3-p1); with a stability suffix it is widened to Introduced a. Both are counted in
// Stats.Warnings. A branch that cannot be translated (two lower bounds, an operator
// such as "!=" or "^", an unreadable version) is dropped with a counted warning and
// the advisory keeps its other branches; an advisory with no usable branch is skipped.
//
// Status is fixed when some branch has an exclusive upper bound: the database's rules
// say "<b" names the release that ships the fix. Branches that only say "<=b" are
// unfixed, and so is the advisory when all its branches are.
package friendsofphp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"

	"github.com/shipshape-dev/shipshape/internal/feed"
	"github.com/shipshape-dev/shipshape/internal/vulndb"
)

// Feed parses FriendsOfPHP advisories. It is safe for concurrent use.
type Feed struct {
	mu    sync.Mutex
	stats Stats
}

// Stats counts what a Feed has parsed since it was made.
type Stats struct {
	// Files is the number of files read; Records the records emitted.
	Files, Records int
	// Skipped counts advisories left out, by reason.
	Skipped map[string]int
	// Warnings counts caveats on emitted advisories, by kind (once per advisory).
	Warnings map[string]int
}

// Reasons and caveats counted in Stats.
const (
	SkipNoBranch        = "no translatable branch"
	SkipMalformed       = "malformed advisory"
	WarnBranchDropped   = "branch not translatable, dropped"
	WarnExclusiveLower  = "exclusive lower bound approximated"
	WarnPackageFromPath = "reference missing or malformed, package taken from the folders"
)

// Namespace is the vulndb namespace of the emitted entries.
const Namespace = "packagist"

// New returns the FriendsOfPHP feed parser.
func New() *Feed { return &Feed{} }

// Name returns "friendsofphp".
func (*Feed) Name() string { return "friendsofphp" }

// Info describes the data.
func (*Feed) Info() feed.Info {
	return feed.Info{
		Licence:     "Unlicense",
		Attribution: "PHP Security Advisories Database by FriendsOfPHP, https://github.com/FriendsOfPHP/security-advisories, public domain (Unlicense)",
		UpstreamURL: "https://github.com/FriendsOfPHP/security-advisories/archive/refs/heads/master.tar.gz",
	}
}

// split returns the vendor and package folders and the file stem of an advisory path.
func split(name string) (vendor, pkg, stem string, ok bool) {
	parts := strings.Split(strings.ReplaceAll(name, "\\", "/"), "/")
	if len(parts) < 3 {
		return "", "", "", false
	}
	vendor, pkg, file := parts[len(parts)-3], parts[len(parts)-2], parts[len(parts)-1]
	stem, ok = strings.CutSuffix(file, ".yaml")
	if !ok || stem == "" || vendor == "" || pkg == "" || vendor[0] == '.' || pkg[0] == '.' {
		return "", "", "", false
	}
	return vendor, pkg, stem, true
}

// Match accepts <vendor>/<package>/<id>.yaml, not in hidden folders (.github).
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

// advisory is the part of the schema that is read; branches stay a node to keep their
// order.
type advisory struct {
	Title     string    `yaml:"title"`
	Link      string    `yaml:"link"`
	CVE       string    `yaml:"cve"`
	Reference string    `yaml:"reference"`
	Branches  yaml.Node `yaml:"branches"`
}

type branch struct {
	Versions []string `yaml:"versions"`
}

type skipError struct {
	reason string
	err    error
}

func (e *skipError) Error() string { return e.reason + ": " + e.err.Error() }
func (e *skipError) Unwrap() error { return e.err }

// Parse reads one advisory file and emits its record.
func (f *Feed) Parse(ctx context.Context, in feed.Input, emit func(vulndb.Record) error) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%s: %w", in.Name, err)
	}
	vendor, pkg, stem, ok := split(in.Name)
	if !ok {
		f.count(0, SkipMalformed, nil)
		return fmt.Errorf("%s: not a <vendor>/<package>/<id>.yaml advisory path", in.Name)
	}
	data, err := io.ReadAll(in.R)
	if err != nil {
		f.count(0, SkipMalformed, nil)
		return fmt.Errorf("%s: %w", in.Name, err)
	}
	rec, warnings, err := convert(data, vendor, pkg, stem)
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

func convert(data []byte, vendor, pkg, stem string) (vulndb.Record, []string, error) {
	var a advisory
	if err := yaml.NewDecoder(bytes.NewReader(data)).Decode(&a); err != nil {
		return vulndb.Record{}, nil, err
	}
	var warnings []string
	warn := func(w string) {
		if !slices.Contains(warnings, w) {
			warnings = append(warnings, w)
		}
	}
	name, ok := strings.CutPrefix(strings.TrimSpace(a.Reference), "composer://")
	if parts := strings.Split(name, "/"); !ok || len(parts) != 2 || parts[0] == "" || parts[1] == "" {
		name = vendor + "/" + pkg
		warn(WarnPackageFromPath)
	}
	v := &vulndb.Vulnerability{Summary: strings.TrimSpace(a.Title)}
	if cve := strings.TrimSpace(a.CVE); strings.HasPrefix(cve, "CVE-") {
		v.ID = cve
	} else {
		v.ID = "FOP-" + vendor + "/" + pkg + "/" + stem
	}
	if strings.HasPrefix(stem, "GHSA-") {
		v.Aliases = []string{stem}
	}
	if link := strings.TrimSpace(a.Link); link != "" {
		v.References = []string{link}
	}

	if a.Branches.Kind != yaml.MappingNode {
		return vulndb.Record{}, warnings, &skipError{SkipNoBranch, errors.New("branches is not a mapping")}
	}
	aff := vulndb.Affected{VulnID: v.ID, Namespace: Namespace, Package: name, Status: vulndb.StatusAffected}
	var firstErr error
	for i := 0; i+1 < len(a.Branches.Content); i += 2 {
		label := a.Branches.Content[i].Value
		var b branch
		if err := a.Branches.Content[i+1].Decode(&b); err != nil {
			warn(WarnBranchDropped)
			if firstErr == nil {
				firstErr = fmt.Errorf("branch %q: %w", label, err)
			}
			continue
		}
		r, exact, approx, err := translate(b.Versions)
		if err != nil {
			warn(WarnBranchDropped)
			if firstErr == nil {
				firstErr = fmt.Errorf("branch %q: %w", label, err)
			}
			continue
		}
		if approx {
			warn(WarnExclusiveLower)
		}
		switch {
		case exact != "":
			if !slices.Contains(aff.Versions, exact) {
				aff.Versions = append(aff.Versions, exact)
			}
		case !slices.Contains(aff.Ranges, r):
			aff.Ranges = append(aff.Ranges, r)
		}
		if r.Fixed != "" {
			aff.Status = vulndb.StatusFixed
		}
	}
	if len(aff.Ranges) == 0 && len(aff.Versions) == 0 {
		if firstErr == nil {
			firstErr = errors.New("no branches")
		}
		return vulndb.Record{}, warnings, &skipError{SkipNoBranch, firstErr}
	}
	return vulndb.Record{Vulnerability: v, Affected: []vulndb.Affected{aff}}, warnings, nil
}

// Composer versions as the database writes them: numbers, optionally a stability.
var versionRE = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^v?(\d+(?:\.\d+){0,3})(?:[-.]?((?:alpha|beta|rc|a|b|p|pl|patch)\.?\d*))?$`)
})

var constraintRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^(>=|<=|>|<|==|=)?\s*(\S+)$`) })

var errConstraint = errors.New("not a translatable constraint")

// translate turns one branch's constraints into a range, or a single version (exact).
// approx reports an exclusive lower bound that had to be approximated.
func translate(constraints []string) (r vulndb.Range, exact string, approx bool, err error) {
	if len(constraints) == 0 {
		return r, "", false, fmt.Errorf("%w: no versions", errConstraint)
	}
	r.Type = "ECOSYSTEM"
	var lower, upper bool
	for _, c := range constraints {
		c = strings.TrimSpace(c)
		m := constraintRE().FindStringSubmatch(c)
		if m == nil {
			return r, "", false, fmt.Errorf("%w: %q", errConstraint, c)
		}
		op, ver := m[1], m[2]
		vm := versionRE().FindStringSubmatch(strings.ToLower(ver))
		if vm == nil {
			return r, "", false, fmt.Errorf("%w: %q is not a version", errConstraint, c)
		}
		switch op {
		case ">=", ">":
			if lower {
				return r, "", false, fmt.Errorf("%w: two lower bounds", errConstraint)
			}
			lower = true
			r.Introduced = ver
			if op == ">" {
				approx = true
				if vm[2] == "" {
					r.Introduced = nextRelease(vm[1])
				}
			}
		case "<", "<=":
			if upper {
				return r, "", false, fmt.Errorf("%w: two upper bounds", errConstraint)
			}
			upper = true
			if op == "<" {
				r.Fixed = ver
			} else {
				r.LastAffected = ver
			}
		default: // "=", "==", or a bare version
			if len(constraints) != 1 {
				return r, "", false, fmt.Errorf("%w: an exact version among other constraints", errConstraint)
			}
			return vulndb.Range{}, ver, false, nil
		}
	}
	return r, "", approx, nil
}

// nextRelease pads a numeric version to Composer's four parts and increments the last:
// the least release above it ("8.7.3" -> "8.7.3.1", "3.2" -> "3.2.0.1").
func nextRelease(v string) string {
	parts := strings.Split(v, ".")
	for len(parts) < 4 {
		parts = append(parts, "0")
	}
	last := parts[3]
	if n, err := strconv.ParseUint(last, 10, 64); err == nil && n < 1<<63 {
		parts[3] = strconv.FormatUint(n+1, 10)
	} else {
		parts[3] = last + "1" // absurdly long: still a larger number
	}
	return strings.Join(parts, ".")
}
