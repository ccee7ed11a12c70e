package version

import (
	"strings"

	pep440 "github.com/aquasecurity/go-pep440-version"
)

// PEP440 orders Python package versions by PEP 440 (aquasecurity/go-pep440-version), as
// pip and the "packaging" library do: epochs, then the release numbers (trailing zeros do
// not count), dev < pre (a < b < rc) < release < post, and local versions after the public
// version they extend.
type PEP440 struct{}

const pep440Eco = "pypi"

// parsePEP440 parses with the library after spelling the local version's separators as
// '.': PEP 440 treats '-', '_' and '.' alike there, the library only knows '.'.
func parsePEP440(s string) (pep440.Version, error) {
	v := s
	if i := strings.IndexByte(v, '+'); i >= 0 {
		v = v[:i+1] + strings.NewReplacer("-", ".", "_", ".").Replace(v[i+1:])
	}
	return guard(pep440Eco, s, func(string) (pep440.Version, error) { return pep440.Parse(v) })
}

// Compare implements Comparator.
func (PEP440) Compare(a, b string) (int, error) {
	va, err := parsePEP440(a)
	if err != nil {
		return 0, err
	}
	vb, err := parsePEP440(b)
	if err != nil {
		return 0, err
	}
	return sign(va.Compare(vb)), nil
}
