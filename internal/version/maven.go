package version

import (
	"errors"
	"strings"

	mvn "github.com/masahiro331/go-mvn-version"
)

// Maven orders Maven artifact versions by the rules of Maven's ComparableVersion
// (maven-artifact 3.8): items split at '.', '-' and letter/digit changes; numbers by value;
// qualifiers alpha (a) < beta (b) < milestone (m) < rc = cr < snapshot < "" = ga = final =
// release < sp, then other qualifiers alphabetically; trailing zeros and empty qualifiers do
// not count ("1.0-final" == "1").
//
// It uses masahiro331/go-mvn-version after one rewrite: ComparableVersion reads a qualifier
// after a '.' that is followed by a number or ends the version as if it came after a '-'
// ("1.0.abc" == "1-abc"); the library does not, so such a '.' is turned into '-' first.
// Numbers beyond 2^63-1 are compared wrongly by the library (Maven uses big integers).
type Maven struct{}

const mavenEco = "maven"

// mavenDotQualifiers rewrites ".X" to "-X" where X is a run of non-digits (other than '.'
// and '-') followed by a digit or the end of the version.
func mavenDotQualifiers(s string) string {
	var b []byte
	for i := 0; i < len(s); i++ {
		if s[i] != '.' {
			continue
		}
		j := i + 1
		for j < len(s) && s[j] != '.' && s[j] != '-' && !isDigit(s[j]) {
			j++
		}
		if j > i+1 && (j == len(s) || isDigit(s[j])) {
			if b == nil {
				b = []byte(s)
			}
			b[i] = '-'
		}
	}
	if b == nil {
		return s
	}
	return string(b)
}

func parseMaven(s string) (mvn.Version, error) {
	if strings.TrimSpace(s) == "" {
		return mvn.Version{}, invalid(mavenEco, s, errors.New("empty"))
	}
	v := mavenDotQualifiers(s)
	return guard(mavenEco, s, func(string) (mvn.Version, error) { return mvn.NewVersion(v) })
}

// Compare implements Comparator.
func (Maven) Compare(a, b string) (int, error) {
	va, err := parseMaven(a)
	if err != nil {
		return 0, err
	}
	vb, err := parseMaven(b)
	if err != nil {
		return 0, err
	}
	return sign(va.Compare(vb)), nil
}
