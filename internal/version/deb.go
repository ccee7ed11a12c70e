package version

import (
	"errors"
	"strings"
)

// Deb orders Debian and Ubuntu package versions, [epoch:]upstream[-revision], exactly as
// dpkg --compare-versions does (deb-version(7)): the epoch numerically, then upstream and
// revision by alternating non-digit runs (where '~' sorts before everything, even the end,
// and letters before other characters) and numeric runs. A missing revision equals "0".
//
// Versions dpkg refuses, and versions it only warns about (not starting with a digit,
// characters outside Debian policy), are errors here: no Debian package carries one.
//
// This is our own implementation rather than knqyf263/go-deb-version, which accepts
// non-ASCII letters and '_', trims spaces, accepts an empty revision and overflows on
// long digit runs (see testdata/README.md).
type Deb struct{}

const debEco = "deb"

type debVersion struct {
	epoch    int64
	upstream string
	revision string
}

func parseDeb(s string) (debVersion, error) {
	var v debVersion
	if s == "" {
		return v, invalid(debEco, s, errors.New("empty"))
	}
	rest := s
	if i := strings.IndexByte(s, ':'); i >= 0 {
		e := s[:i]
		if e == "" {
			return v, invalid(debEco, s, errors.New("epoch is empty"))
		}
		for j := 0; j < len(e); j++ {
			if !isDigit(e[j]) {
				return v, invalid(debEco, s, errors.New("epoch is not a number"))
			}
			v.epoch = v.epoch*10 + int64(e[j]-'0')
			if v.epoch > 1<<31-1 { // dpkg's limit (INT_MAX)
				return v, invalid(debEco, s, errors.New("epoch is too big"))
			}
		}
		rest = s[i+1:]
		if rest == "" {
			return v, invalid(debEco, s, errors.New("nothing after the epoch's colon"))
		}
	}
	v.upstream = rest
	if i := strings.LastIndexByte(rest, '-'); i >= 0 {
		v.upstream, v.revision = rest[:i], rest[i+1:]
		if v.revision == "" {
			return v, invalid(debEco, s, errors.New("revision is empty"))
		}
	}
	if v.upstream == "" {
		return v, invalid(debEco, s, errors.New("upstream version is empty"))
	}
	if !isDigit(v.upstream[0]) {
		return v, invalid(debEco, s, errors.New("upstream version does not start with a digit"))
	}
	for i := 0; i < len(v.upstream); i++ {
		if c := v.upstream[i]; !isAlnum(c) && c != '.' && c != '+' && c != '~' && c != '-' && c != ':' {
			return v, invalidf(debEco, s, "character %q not allowed in upstream version", c)
		}
	}
	for i := 0; i < len(v.revision); i++ {
		if c := v.revision[i]; !isAlnum(c) && c != '.' && c != '+' && c != '~' {
			return v, invalidf(debEco, s, "character %q not allowed in revision", c)
		}
	}
	return v, nil
}

// Compare implements Comparator.
func (Deb) Compare(a, b string) (int, error) {
	va, err := parseDeb(a)
	if err != nil {
		return 0, err
	}
	vb, err := parseDeb(b)
	if err != nil {
		return 0, err
	}
	if va.epoch != vb.epoch {
		if va.epoch < vb.epoch {
			return -1, nil
		}
		return 1, nil
	}
	if c := debCompareFragment(va.upstream, vb.upstream); c != 0 {
		return c, nil
	}
	return debCompareFragment(va.revision, vb.revision), nil
}

// debOrder is the weight of one byte of a non-digit run; 0 stands for the end of the run.
func debOrder(c byte, ok bool) int {
	switch {
	case !ok || isDigit(c):
		return 0
	case isAlpha(c):
		return int(c)
	case c == '~':
		return -1
	}
	return int(c) + 256
}

// debCompareFragment compares an upstream version or a revision the way dpkg does.
func debCompareFragment(a, b string) int {
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		// Non-digit runs, byte by byte; the shorter run is padded with "end".
		for (i < len(a) && !isDigit(a[i])) || (j < len(b) && !isDigit(b[j])) {
			var ca, cb byte
			if i < len(a) {
				ca = a[i]
			}
			if j < len(b) {
				cb = b[j]
			}
			oa, ob := debOrder(ca, i < len(a)), debOrder(cb, j < len(b))
			if oa != ob {
				return sign(oa - ob)
			}
			// Equal weights here mean two equal non-digit bytes: both are in range.
			i++
			j++
		}
		// Numeric runs, by value.
		si := i
		for i < len(a) && isDigit(a[i]) {
			i++
		}
		sj := j
		for j < len(b) && isDigit(b[j]) {
			j++
		}
		if c := compareDigits(a[si:i], b[sj:j]); c != 0 {
			return c
		}
	}
	return 0
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }
func isAlpha(c byte) bool { return ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') }
func isAlnum(c byte) bool { return isDigit(c) || isAlpha(c) }
