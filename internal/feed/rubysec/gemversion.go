package rubysec

// MINIMAL LOCAL GEM VERSION ORDERING. shipshape's version comparators live (or will
// live) in internal/version; this file only exists so the parser can sort and merge
// requirement intervals, and should give way to that package once it lands. It follows
// RubyGems' Gem::Version and Gem::Requirement as documented:
//
//   - a version is digits and dots with optional letters ("1.2.3", "2.0.0.rc1",
//     "1.2.3-beta.1", where "-" reads as ".pre."); it is split into runs of digits
//     (numbers) and runs of letters (strings);
//   - the canonical form drops trailing zero numbers from the release part (before the
//     first string) and from the prerelease part separately, so 1.0 == 1.0.0 and
//     1.0.0.a == 1.0.a;
//   - segments compare pairwise, a missing one counting as 0; a number beats a string
//     (so 1.0.a < 1.0), numbers compare as numbers, strings byte-wise;
//   - "~> r" is "v >= r and v.release < r.bump", where bump drops the string segments,
//     then the last segment (if more than one remains), and increments the new last one.

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
)

// gemSeg is one segment: a number (digits without leading zeros, "" for zero) or a
// string of letters.
type gemSeg struct {
	s     string
	isStr bool
}

type gemVersion struct {
	text  string   // as written (trimmed); "0" for an empty version
	segs  []gemSeg // as scanned, for bump
	canon []gemSeg
}

var gemVersionRE = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^[0-9]+(\.[0-9a-zA-Z]+)*(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$`)
})

var errVersion = errors.New("not a RubyGems version")

func parseGemVersion(s string) (gemVersion, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		s = "0"
	}
	if !gemVersionRE().MatchString(s) {
		return gemVersion{}, fmt.Errorf("%w: %q", errVersion, s)
	}
	v := gemVersion{text: s}
	norm := strings.ReplaceAll(s, "-", ".pre.")
	for i := 0; i < len(norm); {
		c := norm[i]
		j := i
		switch {
		case isDigit(c):
			for j < len(norm) && isDigit(norm[j]) {
				j++
			}
			v.segs = append(v.segs, gemSeg{s: strings.TrimLeft(norm[i:j], "0")})
		case isLetter(c):
			for j < len(norm) && isLetter(norm[j]) {
				j++
			}
			v.segs = append(v.segs, gemSeg{s: norm[i:j], isStr: true})
		default:
			j++
		}
		i = j
	}
	first := len(v.segs)
	for i, g := range v.segs {
		if g.isStr {
			first = i
			break
		}
	}
	v.canon = append(dropZeros(v.segs[:first]), dropZeros(v.segs[first:])...)
	return v, nil
}

func dropZeros(segs []gemSeg) []gemSeg {
	n := len(segs)
	for n > 0 && !segs[n-1].isStr && segs[n-1].s == "" {
		n--
	}
	return append([]gemSeg(nil), segs[:n]...)
}

func isDigit(c byte) bool  { return c >= '0' && c <= '9' }
func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

func compareGem(a, b gemVersion) int {
	for i := 0; i < len(a.canon) || i < len(b.canon); i++ {
		x, y := gemSeg{}, gemSeg{}
		if i < len(a.canon) {
			x = a.canon[i]
		}
		if i < len(b.canon) {
			y = b.canon[i]
		}
		if x == y {
			continue
		}
		switch {
		case x.isStr && !y.isStr:
			return -1
		case !x.isStr && y.isStr:
			return 1
		case x.isStr:
			return strings.Compare(x.s, y.s)
		case len(x.s) != len(y.s): // numbers without leading zeros
			if len(x.s) < len(y.s) {
				return -1
			}
			return 1
		default:
			return strings.Compare(x.s, y.s)
		}
	}
	return 0
}

// bumpFloor returns the least version whose release is at least v.bump: the bump with
// the smallest possible prerelease segment appended ("1.2.3" -> bump "1.3" -> "1.3.A").
// Every version below it has a release below the bump, every version from it up has
// not, which makes "~> v" exactly [v, bumpFloor(v)).
func bumpFloor(v gemVersion) gemVersion {
	segs := append([]gemSeg(nil), v.segs...)
	for hasString(segs) {
		segs = segs[:len(segs)-1]
	}
	if len(segs) > 1 {
		segs = segs[:len(segs)-1]
	}
	parts := make([]string, len(segs))
	for i, g := range segs {
		parts[i] = g.s
		if parts[i] == "" {
			parts[i] = "0"
		}
	}
	if len(parts) == 0 { // cannot happen: a version starts with a number
		parts = []string{"0"}
	}
	parts[len(parts)-1] = increment(parts[len(parts)-1])
	out, err := parseGemVersion(strings.Join(parts, ".") + ".A")
	if err != nil {
		panic(err) // digits and dots and a letter always parse
	}
	return out
}

func hasString(segs []gemSeg) bool {
	for _, g := range segs {
		if g.isStr {
			return true
		}
	}
	return false
}

// increment adds one to a decimal digit string.
func increment(d string) string {
	b := []byte(d)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] < '9' {
			b[i]++
			return string(b)
		}
		b[i] = '0'
	}
	return "1" + string(b)
}

// above returns a version just above v, for an exclusive lower bound: RubyGems versions
// are dense (1.0 < 1.0.0.1 < 1.0.0.0.1 ...), so there is no least one; v with ".0.1"
// appended leaves out only versions of the form v.0.0..., which nobody publishes.
func above(v gemVersion) gemVersion {
	out, err := parseGemVersion(v.text + ".0.1")
	if err != nil {
		panic(err) // a valid version followed by ".0.1" is valid
	}
	return out
}

// Intervals of gem versions: a bound with set false is unbounded.
type bound struct {
	v    gemVersion
	set  bool
	incl bool
}

type interval struct{ lo, hi bound }

func incl(v gemVersion) bound { return bound{v: v, set: true, incl: true} }
func excl(v gemVersion) bound { return bound{v: v, set: true} }

func (iv interval) empty() bool {
	if !iv.lo.set || !iv.hi.set {
		return false
	}
	c := compareGem(iv.lo.v, iv.hi.v)
	return c > 0 || (c == 0 && !(iv.lo.incl && iv.hi.incl))
}

var errRequirement = errors.New("not a RubyGems requirement")

var requirementRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^\s*(=|!=|>=|<=|>|<|~>)?\s*(\S+)\s*$`) })

// parseRequirement reads one requirement list as rubysec writes it: requirements
// joined by commas, all of which must hold ("~> 4.2.5, >= 4.2.5.1").
func parseRequirement(s string) (interval, error) {
	var iv interval
	parts := strings.Split(s, ",")
	for _, part := range parts {
		m := requirementRE().FindStringSubmatch(part)
		if m == nil {
			return interval{}, fmt.Errorf("%w: %q", errRequirement, strings.TrimSpace(part))
		}
		v, err := parseGemVersion(m[2])
		if err != nil {
			return interval{}, fmt.Errorf("%w: %q: %w", errRequirement, strings.TrimSpace(part), err)
		}
		var c interval
		switch m[1] {
		case "", "=":
			c = interval{lo: incl(v), hi: incl(v)}
		case ">":
			c = interval{lo: excl(v)}
		case ">=":
			c = interval{lo: incl(v)}
		case "<":
			c = interval{hi: excl(v)}
		case "<=":
			c = interval{hi: incl(v)}
		case "~>":
			c = interval{lo: incl(v), hi: excl(bumpFloor(v))}
		default: // "!=" is not an interval; the advisory data never uses it
			return interval{}, fmt.Errorf("%w: %q is not supported", errRequirement, strings.TrimSpace(part))
		}
		iv = intersect(iv, c)
	}
	return iv, nil
}

func lowerCmp(a, b bound) int {
	switch {
	case !a.set && !b.set:
		return 0
	case !a.set:
		return -1
	case !b.set:
		return 1
	}
	if c := compareGem(a.v, b.v); c != 0 {
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

func upperCmp(a, b bound) int {
	switch {
	case !a.set && !b.set:
		return 0
	case !a.set:
		return 1
	case !b.set:
		return -1
	}
	if c := compareGem(a.v, b.v); c != 0 {
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
	if lowerCmp(b.lo, a.lo) > 0 {
		out.lo = b.lo
	}
	if upperCmp(b.hi, a.hi) < 0 {
		out.hi = b.hi
	}
	return out
}

// normalize sorts a union of intervals and merges those that overlap or touch, dropping
// empty ones.
func normalize(ivs []interval) []interval {
	var list []interval
	for _, iv := range ivs {
		if !iv.empty() {
			list = append(list, iv)
		}
	}
	// Insertion sort: advisories have a handful of requirements, and it is stable.
	for i := 1; i < len(list); i++ {
		for j := i; j > 0 && lowerCmp(list[j-1].lo, list[j].lo) > 0; j-- {
			list[j-1], list[j] = list[j], list[j-1]
		}
	}
	var out []interval
	for _, iv := range list {
		if n := len(out); n > 0 && joins(out[n-1].hi, iv.lo) {
			if upperCmp(iv.hi, out[n-1].hi) > 0 {
				out[n-1].hi = iv.hi
			}
			continue
		}
		out = append(out, iv)
	}
	return out
}

// joins reports whether an interval ending at hi and a later-starting one starting at
// lo leave no version between them.
func joins(hi, lo bound) bool {
	if !hi.set || !lo.set {
		return true
	}
	c := compareGem(lo.v, hi.v)
	return c < 0 || (c == 0 && (hi.incl || lo.incl))
}

// complement returns the versions in none of a normalized union's intervals.
func complement(ivs []interval) []interval {
	var out []interval
	lo := bound{}
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
