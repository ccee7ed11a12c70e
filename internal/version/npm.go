package version

import (
	"errors"
	"strings"

	"golang.org/x/mod/semver"
)

// Npm orders npm package versions as node-semver does (semver.compare, not loose): semantic
// versions by SemVer 2.0.0 precedence, with surrounding spaces and one leading "v" ignored,
// and MAJOR, MINOR and PATCH at most 2^53-1 (JavaScript's safe integers).
//
// aquasecurity/go-npm-version is not used: it reads an "x" prerelease identifier as a
// wildcard, so that "1.0.0-x.7.z.92" equals every 1.0.0 version.
type Npm struct{}

const npmEco = "npm"

const maxSafeInteger = "9007199254740991" // 2^53-1

func parseNpm(s string) (string, error) {
	v := strings.TrimSpace(s)
	v = strings.TrimPrefix(v, "v")
	if err := semverStrict(v); err != nil {
		return "", invalid(npmEco, s, err)
	}
	core := v
	if i := strings.IndexAny(core, "-+"); i >= 0 {
		core = core[:i]
	}
	for _, n := range strings.Split(core, ".") {
		if compareDigits(n, maxSafeInteger) > 0 {
			return "", invalid(npmEco, s, errors.New("number beyond 2^53-1"))
		}
	}
	return "v" + v, nil
}

// Compare implements Comparator.
func (Npm) Compare(a, b string) (int, error) {
	va, err := parseNpm(a)
	if err != nil {
		return 0, err
	}
	vb, err := parseNpm(b)
	if err != nil {
		return 0, err
	}
	return semver.Compare(va, vb), nil
}
