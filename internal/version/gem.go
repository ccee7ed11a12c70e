package version

import (
	"errors"
	"regexp"
	"strings"
	"sync"
)

// Gem orders RubyGems versions as Gem::Version#<=> does: the version is split into runs of
// digits (numbers, compared by value) and runs of letters (compared bytewise, and older than
// any number, so "1.0.a" < "1.0"); "-" stands for ".pre."; trailing zeros of the numeric
// part, and of the part from the first letters on, do not count ("1.0" == "1").
//
// This is our own implementation: aquasecurity/go-gem-version ranks "1.0.a" above
// "1.0.alpha" (Ruby compares the strings) and overflows on long numbers.
type Gem struct{}

const gemEco = "rubygems"

// gemPattern is Gem::Version's own test for a well-formed version.
var gemPattern = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^[0-9]+(?:\.[0-9a-zA-Z]+)*(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$`)
})

// gemSegment is a run of digits or of letters.
type gemSegment struct {
	s   string
	num bool
}

func parseGem(s string) ([]gemSegment, error) {
	v := strings.Trim(s, " \t\n\v\f\r\x00")
	if v == "" {
		return nil, invalid(gemEco, s, errors.New("empty"))
	}
	if !gemPattern().MatchString(v) {
		return nil, invalid(gemEco, s, errors.New("malformed"))
	}
	v = strings.ReplaceAll(v, "-", ".pre.")
	var segs []gemSegment
	for i := 0; i < len(v); {
		j := i
		switch {
		case isDigit(v[i]):
			for j < len(v) && isDigit(v[j]) {
				j++
			}
			segs = append(segs, gemSegment{strings.TrimLeft(v[i:j], "0"), true})
		case isAlpha(v[i]):
			for j < len(v) && isAlpha(v[j]) {
				j++
			}
			segs = append(segs, gemSegment{v[i:j], false})
		default:
			j++
		}
		i = j
	}
	// Drop trailing zeros from the numeric part and from the rest, separately.
	first := len(segs)
	for i, sg := range segs {
		if !sg.num {
			first = i
			break
		}
	}
	trim := func(p []gemSegment) []gemSegment {
		for len(p) > 0 && p[len(p)-1].num && p[len(p)-1].s == "" {
			p = p[:len(p)-1]
		}
		return p
	}
	head, tail := trim(segs[:first:first]), trim(segs[first:])
	return append(head, tail...), nil
}

// Compare implements Comparator.
func (Gem) Compare(a, b string) (int, error) {
	sa, err := parseGem(a)
	if err != nil {
		return 0, err
	}
	sb, err := parseGem(b)
	if err != nil {
		return 0, err
	}
	zero := gemSegment{"", true}
	for i := 0; i < len(sa) || i < len(sb); i++ {
		x, y := zero, zero
		if i < len(sa) {
			x = sa[i]
		}
		if i < len(sb) {
			y = sb[i]
		}
		switch {
		case x.num && y.num:
			if c := compareDigits(x.s, y.s); c != 0 {
				return c, nil
			}
		case x.num:
			return 1, nil
		case y.num:
			return -1, nil
		default:
			if c := strings.Compare(x.s, y.s); c != 0 {
				return c, nil
			}
		}
	}
	return 0, nil
}
