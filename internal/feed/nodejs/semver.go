package nodejs

// This file turns npm version range expressions (node-semver syntax) into unions of
// version intervals and back into vulndb.Range values. It carries its own minimal
// SemVer 2.0 comparator, used only to sort, merge and subtract intervals here; the
// matcher's comparator lives elsewhere.
//
// Ranges are desugared exactly as node-semver documents it: "1.2.x", "=1.2", "~1.2.3"
// and "1.2.3 - 1.2" are ">=1.2.0 <1.3.0-0", "^1.2.3" is ">=1.2.3 <2.0.0-0", "<=1.2" is
// "<1.3.0-0", ">1.2" is ">=1.3.0", "<1.2" is "<1.2.0-0". Interval bounds keep whether
// they are inclusive, so union, complement and intersection are exact in SemVer
// precedence. What is not modelled is npm's extra rule that a prerelease only satisfies
// a comparator set naming a prerelease of the same X.Y.Z: vulndb.Range has no way to
// say it, so prereleases are ordered like any version.
//
// Exact intervals become vulndb ranges in three steps:
//
//   - An exclusive lower bound "> v" becomes the least version above v: X.Y.(Z+1)-0
//     for a release, v with ".0" appended for a prerelease (exact).
//   - An upper bound "<X.Y.Z-0" is written as Fixed "X.Y.Z", counting X.Y.Z's own
//     prereleases as affected (erring toward reporting). It keeps ranges readable and
//     lets neighbours merge: "5.x" unpatched next to "6.x before 6.11.1" is one range
//     fixed in 6.11.1, not a range "fixed" in 6.0.0-0.
//   - A lower bound "X.Y.Z-0" is written as Introduced "X.Y.Z", leaving X.Y.Z's
//     prereleases out, unless the range ends at a prerelease of that same X.Y.Z. That is
//     npm's own prerelease rule in the one place it matters for these data:
//     "<5.0.0-beta.5" minus "^4.0.8" keeps 5.0.0-0 up to 5.0.0-beta.5. A lower bound
//     0.0.0 (left by the feed's "patched: <0.0.0", meaning no fix) is dropped, and so
//     is a range that ends below 0.0.0.
//
// So every release version is classified exactly as node-semver would; prereleases are
// classified by precedence, close to npm's rule, never less cautiously than at the top
// of a range.

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/shipshape-dev/shipshape/internal/vulndb"
)

// semver is a parsed SemVer 2.0 version. Build metadata is dropped: it does not order.
type semver struct {
	major, minor, patch uint64
	pre                 []string
}

func (v semver) String() string {
	s := fmt.Sprintf("%d.%d.%d", v.major, v.minor, v.patch)
	if len(v.pre) > 0 {
		s += "-" + strings.Join(v.pre, ".")
	}
	return s
}

// compareSemver orders by SemVer 2.0 precedence.
func compareSemver(a, b semver) int {
	for _, d := range [][2]uint64{{a.major, b.major}, {a.minor, b.minor}, {a.patch, b.patch}} {
		if d[0] != d[1] {
			if d[0] < d[1] {
				return -1
			}
			return 1
		}
	}
	switch {
	case len(a.pre) == 0 && len(b.pre) == 0:
		return 0
	case len(a.pre) == 0:
		return 1
	case len(b.pre) == 0:
		return -1
	}
	for i := 0; i < len(a.pre) && i < len(b.pre); i++ {
		x, y := a.pre[i], b.pre[i]
		if x == y {
			continue
		}
		xn, xerr := strconv.ParseUint(x, 10, 64)
		yn, yerr := strconv.ParseUint(y, 10, 64)
		switch {
		case xerr == nil && yerr == nil:
			if xn < yn {
				return -1
			}
			return 1
		case xerr == nil: // numeric identifiers sort before alphanumeric ones
			return -1
		case yerr == nil:
			return 1
		case x < y:
			return -1
		default:
			return 1
		}
	}
	switch {
	case len(a.pre) < len(b.pre):
		return -1
	case len(a.pre) > len(b.pre):
		return 1
	}
	return 0
}

// partial is a possibly incomplete version as written in a range: "1", "1.2", "1.2.x",
// "1.2.3-beta.1". n is how many numeric parts were given (0 for "*" or "x").
type partial struct {
	v semver
	n int
}

var errSyntax = errors.New("not an npm version range")

// parsePartial reads "v1.2.3-pre+build", "1.2", "1.x", "*" and the like.
func parsePartial(s string) (partial, error) {
	s = strings.TrimPrefix(strings.TrimPrefix(s, "="), "v")
	if s == "" {
		return partial{}, errSyntax
	}
	if i := strings.IndexByte(s, '+'); i >= 0 {
		if !validIdents(s[i+1:], false) {
			return partial{}, fmt.Errorf("%w: bad build metadata in %q", errSyntax, s)
		}
		s = s[:i]
	}
	var pre string
	if i := strings.IndexByte(s, '-'); i >= 0 {
		s, pre = s[:i], s[i+1:]
		if !validIdents(pre, true) {
			return partial{}, fmt.Errorf("%w: bad prerelease %q", errSyntax, pre)
		}
	}
	parts := strings.Split(s, ".")
	if len(parts) > 3 {
		return partial{}, fmt.Errorf("%w: %q has more than three numbers", errSyntax, s)
	}
	var p partial
	nums := []*uint64{&p.v.major, &p.v.minor, &p.v.patch}
	for i, part := range parts {
		if part == "x" || part == "X" || part == "*" {
			break
		}
		n, err := strconv.ParseUint(part, 10, 64)
		if err != nil || n == math.MaxUint64 || (len(part) > 1 && part[0] == '0') {
			return partial{}, fmt.Errorf("%w: bad number %q", errSyntax, part)
		}
		*nums[i] = n
		p.n = i + 1
	}
	for _, part := range parts[p.n:] { // after a wildcard, only wildcards
		if part != "x" && part != "X" && part != "*" {
			return partial{}, fmt.Errorf("%w: %q", errSyntax, s)
		}
	}
	if pre != "" {
		if p.n < 3 {
			return partial{}, fmt.Errorf("%w: prerelease on a partial version %q", errSyntax, s)
		}
		p.v.pre = strings.Split(pre, ".")
	}
	return p, nil
}

func validIdents(s string, noLeadingZero bool) bool {
	if s == "" {
		return false
	}
	for _, id := range strings.Split(s, ".") {
		if id == "" {
			return false
		}
		numeric := true
		for _, r := range id {
			switch {
			case r >= '0' && r <= '9':
			case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r == '-':
				numeric = false
			default:
				return false
			}
		}
		if numeric && noLeadingZero && len(id) > 1 && id[0] == '0' {
			return false
		}
	}
	return true
}

// lowestPre is X.Y.Z-0, the least version of X.Y.Z's line (v must be a release).
func lowestPre(v semver) semver {
	v.pre = []string{"0"}
	return v
}

func isLowestPre(v semver) bool { return len(v.pre) == 1 && v.pre[0] == "0" }

// next returns the least version above a partial's whole span: 1.x -> 2.0.0,
// 1.2 -> 1.3.0. ok is false when that does not exist (n == 0) or overflows.
func (p partial) next() (semver, bool) {
	v := p.v
	v.pre = nil
	switch p.n {
	case 1:
		return semver{major: v.major + 1}, v.major < math.MaxUint64-1
	case 2:
		return semver{major: v.major, minor: v.minor + 1}, v.minor < math.MaxUint64-1
	case 3:
		return semver{major: v.major, minor: v.minor, patch: v.patch + 1}, v.patch < math.MaxUint64-1
	}
	return semver{}, false
}

// bound is one end of an interval; set false means unbounded.
type bound struct {
	v    semver
	set  bool
	incl bool
}

// interval is lo..hi; an unset lo is -inf, an unset hi +inf.
type interval struct{ lo, hi bound }

func incl(v semver) bound { return bound{v: v, set: true, incl: true} }
func excl(v semver) bound { return bound{v: v, set: true} }

var everything = interval{}

func (iv interval) empty() bool {
	if !iv.lo.set || !iv.hi.set {
		return false
	}
	c := compareSemver(iv.lo.v, iv.hi.v)
	return c > 0 || (c == 0 && !(iv.lo.incl && iv.hi.incl))
}

// nothing is an interval no version is in.
var nothing = interval{lo: excl(semver{}), hi: excl(semver{})}

// parseRange reads a node-semver range expression ("<1.2.3 || >=2.0.0 <2.1.0",
// "^1.2.3", "1.x", "1.2.3 - 2.0.0", "*") into a union of intervals, normalized.
func parseRange(expr string) ([]interval, error) {
	var out []interval
	for _, set := range strings.Split(expr, "||") {
		iv, err := parseSet(strings.TrimSpace(set))
		if err != nil {
			return nil, fmt.Errorf("%q: %w", strings.TrimSpace(set), err)
		}
		out = append(out, iv)
	}
	return normalize(out), nil
}

// parseSet reads one comparator set (comparators joined by spaces, or a hyphen range)
// into the interval they all agree on.
func parseSet(s string) (interval, error) {
	fields := strings.Fields(s)
	if len(fields) == 0 {
		return everything, nil // "" is "*"
	}
	if len(fields) == 3 && fields[1] == "-" {
		lo, err := parsePartial(fields[0])
		if err != nil {
			return interval{}, err
		}
		hi, err := parsePartial(fields[2])
		if err != nil {
			return interval{}, err
		}
		a, err := comparator(">=", lo)
		if err != nil {
			return interval{}, err
		}
		b, err := comparator("<=", hi)
		if err != nil {
			return interval{}, err
		}
		return intersect(a, b), nil
	}
	// Join operators written apart from their version: "< 2.0.5", ">= 1.0.0".
	var comps []string
	for i := 0; i < len(fields); i++ {
		f := fields[i]
		if strings.TrimLeft(f, "<>=~^") == "" && i+1 < len(fields) {
			f += fields[i+1]
			i++
		}
		comps = append(comps, f)
	}
	iv := everything
	for _, c := range comps {
		op := c[:len(c)-len(strings.TrimLeft(c, "<>=~^"))]
		p, err := parsePartial(c[len(op):])
		if err != nil {
			return interval{}, err
		}
		civ, err := comparator(op, p)
		if err != nil {
			return interval{}, err
		}
		iv = intersect(iv, civ)
	}
	return iv, nil
}

// comparator desugars one operator and partial version into an interval.
func comparator(op string, p partial) (interval, error) {
	v := p.v
	if op == "~>" { // accepted by node-semver as a synonym of ~
		op = "~"
	}
	if p.n == 0 { // "*", "x", ">=*" ...
		switch op {
		case "<", ">":
			return nothing, nil
		case "", "=", ">=", "<=", "~", "^":
			return everything, nil
		}
		return interval{}, fmt.Errorf("%w: operator %q", errSyntax, op)
	}
	next, ok := p.next()
	if !ok {
		return interval{}, fmt.Errorf("%w: %v is too large", errSyntax, v)
	}
	switch op {
	case "", "=":
		if p.n == 3 {
			return interval{lo: incl(v), hi: incl(v)}, nil
		}
		return interval{lo: incl(v), hi: excl(lowestPre(next))}, nil
	case ">=":
		return interval{lo: incl(v)}, nil
	case ">":
		if p.n == 3 {
			return interval{lo: excl(v)}, nil
		}
		return interval{lo: incl(next)}, nil
	case "<":
		if p.n == 3 {
			return interval{hi: excl(v)}, nil
		}
		return interval{hi: excl(lowestPre(v))}, nil
	case "<=":
		if p.n == 3 {
			return interval{hi: incl(v)}, nil
		}
		return interval{hi: excl(lowestPre(next))}, nil
	case "~":
		// ~1.2.3, ~1.2: same minor; ~1: same major.
		up := partial{v: v, n: min(p.n, 2)}
		hi, ok := up.next()
		if !ok {
			return interval{}, fmt.Errorf("%w: %v is too large", errSyntax, v)
		}
		return interval{lo: incl(v), hi: excl(lowestPre(hi))}, nil
	case "^":
		// The left-most non-zero part may not change; with a partial, the given
		// zero parts are fixed ("^0.0" is <0.1.0, "^0.x" is <1.0.0).
		var up partial
		switch {
		case v.major != 0 || p.n == 1:
			up = partial{v: v, n: 1}
		case v.minor != 0 || p.n == 2:
			up = partial{v: v, n: 2}
		default:
			up = partial{v: v, n: 3}
		}
		hi, ok := up.next()
		if !ok {
			return interval{}, fmt.Errorf("%w: %v is too large", errSyntax, v)
		}
		return interval{lo: incl(v), hi: excl(lowestPre(hi))}, nil
	}
	return interval{}, fmt.Errorf("%w: operator %q", errSyntax, op)
}

// lowerLess orders lower bounds: -inf first, then by version, inclusive before exclusive.
func lowerLess(a, b bound) int {
	switch {
	case !a.set && !b.set:
		return 0
	case !a.set:
		return -1
	case !b.set:
		return 1
	}
	if c := compareSemver(a.v, b.v); c != 0 {
		return c
	}
	switch {
	case a.incl == b.incl:
		return 0
	case a.incl:
		return -1
	}
	return 1
}

// upperLess orders upper bounds: by version, exclusive before inclusive, +inf last.
func upperLess(a, b bound) int {
	switch {
	case !a.set && !b.set:
		return 0
	case !a.set:
		return 1
	case !b.set:
		return -1
	}
	if c := compareSemver(a.v, b.v); c != 0 {
		return c
	}
	switch {
	case a.incl == b.incl:
		return 0
	case a.incl:
		return 1
	}
	return -1
}

func intersect(a, b interval) interval {
	out := a
	if lowerLess(b.lo, a.lo) > 0 {
		out.lo = b.lo
	}
	if upperLess(b.hi, a.hi) < 0 {
		out.hi = b.hi
	}
	if out.empty() {
		return nothing
	}
	return out
}

// normalize sorts a union of intervals and merges those that overlap or touch.
func normalize(ivs []interval) []interval {
	var list []interval
	for _, iv := range ivs {
		if !iv.empty() {
			list = append(list, iv)
		}
	}
	slices.SortStableFunc(list, func(a, b interval) int { return lowerLess(a.lo, b.lo) })
	var out []interval
	for _, iv := range list {
		if n := len(out); n > 0 && joins(out[n-1].hi, iv.lo) {
			if upperLess(iv.hi, out[n-1].hi) > 0 {
				out[n-1].hi = iv.hi
			}
			continue
		}
		out = append(out, iv)
	}
	return out
}

// joins reports whether an interval ending at hi and one starting at lo (not before the
// first's start) leave no version between them.
func joins(hi, lo bound) bool {
	if !hi.set || !lo.set {
		return true
	}
	c := compareSemver(lo.v, hi.v)
	return c < 0 || (c == 0 && (hi.incl || lo.incl))
}

// complement returns the versions in none of a normalized union's intervals.
func complement(ivs []interval) []interval {
	var out []interval
	lo := bound{} // -inf
	for _, iv := range ivs {
		if iv.lo.set {
			gap := interval{lo: lo, hi: bound{v: iv.lo.v, set: true, incl: !iv.lo.incl}}
			if !gap.empty() {
				out = append(out, gap)
			}
		}
		if !iv.hi.set {
			return out
		}
		lo = bound{v: iv.hi.v, set: true, incl: !iv.hi.incl}
	}
	return append(out, interval{lo: lo})
}

// subtract returns the versions in a but not in b; both normalized.
func subtract(a, b []interval) []interval {
	comp := complement(b)
	var out []interval
	for _, x := range a {
		for _, y := range comp {
			if iv := intersect(x, y); !iv.empty() {
				out = append(out, iv)
			}
		}
	}
	return normalize(out)
}

// successor is the least version above v in SemVer precedence: X.Y.(Z+1)-0 for a
// release, v with ".0" appended for a prerelease.
func successor(v semver) semver {
	if len(v.pre) == 0 {
		return semver{major: v.major, minor: v.minor, patch: v.patch + 1, pre: []string{"0"}}
	}
	v.pre = append(slices.Clip(v.pre), "0")
	return v
}

// toRanges turns a normalized union into vulndb ranges and exact versions (see the file
// comment for the three steps).
func toRanges(ivs []interval) (ranges []vulndb.Range, versions []string) {
	adjusted := make([]interval, 0, len(ivs))
	for _, iv := range ivs {
		if iv.lo.set && !iv.lo.incl {
			iv.lo = incl(successor(iv.lo.v))
		}
		if iv.hi.set && !iv.hi.incl && isLowestPre(iv.hi.v) {
			iv.hi.v.pre = nil
		}
		if iv.lo.set && isLowestPre(iv.lo.v) && !(iv.hi.set && len(iv.hi.v.pre) > 0 && sameRelease(iv.lo.v, iv.hi.v)) {
			iv.lo.v.pre = nil
		}
		if iv.lo.set && iv.lo.incl && compareSemver(iv.lo.v, semver{}) == 0 {
			iv.lo = bound{} // from 0.0.0 is from the beginning (patched "<0.0.0")
		}
		if iv.hi.set && !iv.hi.incl && compareSemver(iv.hi.v, semver{}) == 0 {
			continue // below 0.0.0: only 0.0.0's prereleases, which npm never matches here
		}
		adjusted = append(adjusted, iv)
	}
	for _, iv := range normalize(adjusted) {
		if iv.lo.set && iv.hi.set && iv.hi.incl && compareSemver(iv.lo.v, iv.hi.v) == 0 {
			versions = append(versions, iv.lo.v.String())
			continue
		}
		r := vulndb.Range{Type: "SEMVER"}
		if iv.lo.set {
			r.Introduced = iv.lo.v.String()
		}
		if iv.hi.set {
			if iv.hi.incl {
				r.LastAffected = iv.hi.v.String()
			} else {
				r.Fixed = iv.hi.v.String()
			}
		}
		ranges = append(ranges, r)
	}
	return ranges, versions
}

func sameRelease(a, b semver) bool {
	return a.major == b.major && a.minor == b.minor && a.patch == b.patch
}

// fixedAfter reports whether a patched version exists at or above the end of some
// affected interval: the advisory then names a fix.
func fixedAfter(affected, patched []interval) bool {
	for _, a := range affected {
		if !a.hi.set {
			continue
		}
		for _, p := range patched {
			if !p.hi.set {
				return true
			}
			c := compareSemver(p.hi.v, a.hi.v)
			if c > 0 || (c == 0 && p.hi.incl && !a.hi.incl) {
				return true
			}
		}
	}
	return false
}
