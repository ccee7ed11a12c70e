package version

import (
	"errors"
	"strings"

	"golang.org/x/mod/semver"
)

// SemVer orders Semantic Versioning 2.0.0 versions, the rules of crates.io (cargo's semver
// crate): MAJOR.MINOR.PATCH, all three required, no leading zeros and no "v"; prereleases
// older than the release and ordered identifier by identifier (numbers by value, below
// alphanumerics, compared in ASCII order); build metadata ignored.
type SemVer struct{}

const semverEco = "semver"

// semverStrict reports why s is not a semantic version, or nil.
func semverStrict(s string) error {
	core := s
	if i := strings.IndexAny(core, "-+"); i >= 0 {
		core = core[:i]
	}
	parts := strings.Split(core, ".")
	if len(parts) != 3 {
		return errors.New("want MAJOR.MINOR.PATCH")
	}
	for _, p := range parts {
		if p == "" || len(p) > 1 && p[0] == '0' {
			return errors.New("empty number or leading zero")
		}
		for i := 0; i < len(p); i++ {
			if !isDigit(p[i]) {
				return errors.New("not a number")
			}
		}
		if compareDigits(p, "18446744073709551615") > 0 {
			return errors.New("number beyond 2^64-1")
		}
	}
	if !semver.IsValid("v" + s) {
		return errors.New("bad prerelease or build metadata")
	}
	return nil
}

// Compare implements Comparator.
func (SemVer) Compare(a, b string) (int, error) {
	if err := semverStrict(a); err != nil {
		return 0, invalid(semverEco, a, err)
	}
	if err := semverStrict(b); err != nil {
		return 0, invalid(semverEco, b, err)
	}
	return semver.Compare("v"+a, "v"+b), nil
}
