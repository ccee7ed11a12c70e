package version

import (
	"errors"
	"math"
	"regexp"
	"strings"
	"sync"
)

// Composer orders Packagist versions as Composer does: each version is first normalised
// like composer/semver's VersionParser::normalize ("v1.2" → "1.2.0.0", "1.0-rc.1" →
// "1.0.0.0-RC1", "1.0.x-dev" → "1.0.9999999.9999999-dev", dates, "dev-<branch>"), then
// the normalised forms are compared like PHP's version_compare, which is what composer/semver's
// Comparator does: dev < alpha < beta < RC < (a number) < patch/pl/p.
//
// Composer orders no two different branches ("dev-main", "dev-feature"): comparing them is
// an error. A string VersionParser would refuse is an error too.
type Composer struct{}

const composerEco = "packagist"

var (
	composerAlias     = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^([^,\s]+) +as +([^,\s]+)$`) })
	composerStability = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(?i)@(?:stable|RC|beta|alpha|dev)$`) })
	composerBuild     = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^([^,\s+]+)\+[^\s]+$`) })
	// The stability suffix: a word, optional numbers, and an optional "-dev".
	composerModifier = `[._-]?(?:(stable|beta|b|RC|alpha|a|patch|pl|p)((?:[.-]?\d+)*)?)?([.-]?dev)?`
	composerClassic  = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`(?i)^v?(\d{1,5})(\.\d+)?(\.\d+)?(\.\d+)?` + composerModifier + `$`)
	})
	composerDate = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`(?i)^v?(\d{4}(?:[.:-]?\d{2}){1,6}(?:[.:-]?\d{1,3})?)` + composerModifier + `$`)
	})
	composerDev    = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(?i)^(.*?)[.-]?dev$`) })
	composerBranch = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`(?i)^v?(\d+)(\.(?:\d+|[xX*]))?(\.(?:\d+|[xX*]))?(\.(?:\d+|[xX*]))?$`)
	})
	composerNonDigit = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`\D`) })
)

// normalizeComposer returns the normal form of a Composer version, or an error.
func normalizeComposer(s string) (string, error) {
	v := strings.Trim(s, " \t\n\r\x00\x0b")
	if v == "" {
		return "", invalid(composerEco, s, errors.New("empty"))
	}
	if m := composerAlias().FindStringSubmatch(v); m != nil {
		v = m[1]
	}
	if m := composerStability().FindString(v); m != "" {
		v = v[:len(v)-len(m)]
	}
	switch v {
	case "master", "trunk", "default":
		v = "dev-" + v
	}
	if len(v) >= 4 && strings.EqualFold(v[:4], "dev-") {
		return "dev-" + v[4:], nil
	}
	if m := composerBuild().FindStringSubmatch(v); m != nil {
		v = m[1]
	}
	var m []string
	var stab int // index of the stability word in m
	if m = composerClassic().FindStringSubmatch(v); m != nil {
		v = m[1]
		for _, p := range m[2:5] {
			if p == "" {
				p = ".0"
			}
			v += p
		}
		stab = 5
	} else if m = composerDate().FindStringSubmatch(v); m != nil {
		v = composerNonDigit().ReplaceAllString(m[1], ".")
		stab = 2
	}
	if m != nil {
		if w := m[stab]; w != "" {
			if w == "stable" {
				return v, nil
			}
			v += "-" + expandComposerStability(w) + strings.TrimLeft(m[stab+1], ".-")
		}
		if m[stab+2] != "" {
			v += "-dev"
		}
		return v, nil
	}
	if m := composerDev().FindStringSubmatch(v); m != nil {
		if b := composerBranch().FindStringSubmatch(strings.TrimSpace(m[1])); b != nil {
			var sb strings.Builder
			for _, p := range b[1:5] {
				if p == "" {
					p = ".x"
				}
				sb.WriteString(strings.NewReplacer("*", "x", "X", "x").Replace(p))
			}
			return strings.ReplaceAll(sb.String(), "x", "9999999") + "-dev", nil
		}
	}
	return "", invalid(composerEco, s, errors.New("not a version Composer can normalise"))
}

func expandComposerStability(w string) string {
	switch w = strings.ToLower(w); w {
	case "a":
		return "alpha"
	case "b":
		return "beta"
	case "p", "pl":
		return "patch"
	case "rc":
		return "RC"
	}
	return w
}

// Compare implements Comparator.
func (Composer) Compare(a, b string) (int, error) {
	na, err := normalizeComposer(a)
	if err != nil {
		return 0, err
	}
	nb, err := normalizeComposer(b)
	if err != nil {
		return 0, err
	}
	if strings.HasPrefix(na, "dev-") && strings.HasPrefix(nb, "dev-") {
		if na == nb {
			return 0, nil
		}
		return 0, invalidf(composerEco, a, "Composer does not order branches (%s vs %s)", na, nb)
	}
	return phpVersionCompare(na, nb), nil
}

// phpVersionCompare orders two strings as PHP's version_compare does.
func phpVersionCompare(a, b string) int {
	if a == "" || b == "" {
		switch {
		case a == b:
			return 0
		case a == "":
			return -1
		}
		return 1
	}
	if a[0] != '#' {
		a = phpCanonical(a)
	}
	if b[0] != '#' {
		b = phpCanonical(b)
	}
	// Walk the '.'-separated elements in step while both have one, and more follow.
	moreA, moreB := true, true
	c := 0
	for a != "" && b != "" && moreA && moreB {
		var ea, eb, restA, restB string
		ea, restA, moreA = strings.Cut(a, ".")
		eb, restB, moreB = strings.Cut(b, ".")
		if c = phpCompareElement(ea, eb); c != 0 {
			break
		}
		if moreA {
			a = restA
		}
		if moreB {
			b = restB
		}
	}
	if c == 0 {
		// The one with elements left is newer if they start with a number; otherwise its
		// rest is compared with a number.
		if moreA {
			if a != "" && isDigit(a[0]) {
				return 1
			}
			return phpVersionCompare(a, "#N#")
		}
		if moreB {
			if b != "" && isDigit(b[0]) {
				return -1
			}
			return phpVersionCompare("#N#", b)
		}
	}
	return c
}

func phpCompareElement(a, b string) int {
	da, db := a != "" && isDigit(a[0]), b != "" && isDigit(b[0])
	switch {
	case da && db:
		na, nb := phpStrtol(a), phpStrtol(b)
		switch {
		case na < nb:
			return -1
		case na > nb:
			return 1
		}
		return 0
	case da:
		a = "#N#"
	case db:
		b = "#N#"
	}
	return sign(phpSpecialForm(a) - phpSpecialForm(b))
}

// phpSpecialForm ranks a non-numeric element by the first form it starts with.
func phpSpecialForm(s string) int {
	for _, f := range []struct {
		prefix string
		rank   int
	}{
		{"dev", 0}, {"alpha", 1}, {"a", 1}, {"beta", 2}, {"b", 2}, {"RC", 3}, {"rc", 3},
		{"#", 4}, {"pl", 5}, {"p", 5},
	} {
		if strings.HasPrefix(s, f.prefix) {
			return f.rank
		}
	}
	return -1
}

// phpStrtol reads the leading decimal digits of s, saturating like C's strtol.
func phpStrtol(s string) int64 {
	var n int64
	for i := 0; i < len(s) && isDigit(s[i]); i++ {
		d := int64(s[i] - '0')
		if n > (math.MaxInt64-d)/10 {
			return math.MaxInt64
		}
		n = n*10 + d
	}
	return n
}

// phpCanonical rewrites a version the way version_compare does before comparing: '-', '_'
// and '+' become '.', a '.' goes between a digit and a non-digit, other non-alphanumeric
// bytes become '.', and no two '.' are added in a row.
func phpCanonical(s string) string {
	out := make([]byte, 0, 2*len(s))
	out = append(out, s[0])
	prev := s[0]
	dig := func(c byte) bool { return isDigit(c) }
	ndig := func(c byte) bool { return !isDigit(c) && c != '.' }
	for i := 1; i < len(s); i++ {
		c := s[i]
		last := out[len(out)-1]
		switch {
		case c == '-' || c == '_' || c == '+':
			if last != '.' {
				out = append(out, '.')
			}
		case (ndig(prev) && dig(c)) || (dig(prev) && ndig(c)):
			if last != '.' {
				out = append(out, '.')
			}
			out = append(out, c)
		case !isAlnum(c):
			if last != '.' {
				out = append(out, '.')
			}
		default:
			out = append(out, c)
		}
		prev = c
	}
	return string(out)
}
