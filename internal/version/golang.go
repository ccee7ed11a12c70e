package version

import (
	"strings"

	"golang.org/x/mod/semver"
)

// GoSemver orders Go module versions with golang.org/x/mod/semver, the rules the go
// command uses: semantic versions where pseudo-versions (v0.0.0-20200101000000-abcdef123456)
// are prereleases and "+incompatible" is build metadata, which does not count. The leading
// "v" is optional, since OSV records (and the Go vulnerability DB) write versions without it.
type GoSemver struct{}

const goEco = "go"

func goCanonical(s string) (string, error) {
	v := s
	if !strings.HasPrefix(v, "v") {
		v = "v" + v
	}
	if !semver.IsValid(v) {
		return "", invalidf(goEco, s, "not a semantic version")
	}
	return v, nil
}

// Compare implements Comparator.
func (GoSemver) Compare(a, b string) (int, error) {
	va, err := goCanonical(a)
	if err != nil {
		return 0, err
	}
	vb, err := goCanonical(b)
	if err != nil {
		return 0, err
	}
	return semver.Compare(va, vb), nil
}
