package version

import (
	"errors"
	"strings"
)

// Apk orders Alpine (and Wolfi) package versions as apk-tools 2.12.14 does (apk version -t):
//
//	number{.number}[letter]{_suffix[number]}[-rN]
//
// The parts are compared in turn: numbers by value, except that a number after a '.' that
// starts with zeros ranks below other numbers, lower the more zeros it has, and then by what
// follows the zeros (1.000 < 1.00 < 1.001 < 1.0 < 1.01 < 1.1); a letter
// by its byte, a suffix by the order alpha < beta < pre < rc < (none) < cvs < svn < git <
// hg < p. When one version runs out first, it is older, unless the other goes on with a
// pre-release suffix (alpha, beta, pre, rc), which makes the other older.
//
// apk-tools before 2.12.14 ranked "1.0_rc1" above "1.0" (a number made only of zeros was
// followed by an empty number); 2.12.14 fixed that, and so does Apk. knqyf263/go-apk-version
// keeps the old behaviour, so Apk is our own implementation, checked against what the real
// apk said for 69,215 pairs (testdata/apk-version-vectors.tsv.gz).
//
// Unlike apk, which compares anything, Apk returns an error for a string that is not a
// version by the grammar above (apk version --check would reject it too), for an empty
// string, and for one that does not start with a digit.
type Apk struct{}

const apkEco = "apk"

// Token kinds, in apk's order: when one version runs out, the comparison of what follows
// depends on this order.
const (
	apkDigitOrZero = iota // a number after '.'
	apkDigit              // the first number, or the rest of a number after its leading zeros
	apkLetter
	apkSuffix
	apkSuffixNo
	apkRevision
	apkEnd
	apkInvalid
)

// Suffix ranks: pre-release suffixes are negative, the others zero or positive.
var apkSuffixes = []struct {
	name string
	rank int
}{
	{"alpha", -4}, {"beta", -3}, {"pre", -2}, {"rc", -1},
	{"cvs", 0}, {"svn", 1}, {"git", 2}, {"hg", 3}, {"p", 4},
}

// apkValue is the value of one token: digits for numbers, rank for leading zeros (minus
// their count), letters (the byte) and suffixes.
type apkValue struct {
	digits string
	rank   int
}

func (a apkValue) compare(b apkValue) int {
	if a.rank != b.rank {
		return sign(a.rank - b.rank)
	}
	return compareDigits(a.digits, b.digits)
}

// apkScanner walks a version string token by token. kind is the kind of the next token.
type apkScanner struct {
	s    string
	kind int
	// legacyZeros reproduces apk-tools before 2.12.14: after a run of leading zeros, the
	// next token is always a number, even an empty one. Only the tests set it.
	legacyZeros bool
}

func newApkScanner(s string) apkScanner { return apkScanner{s: s, kind: apkDigit} }

// next consumes the token of kind sc.kind, returns its value, and finds the next kind.
func (sc *apkScanner) next() apkValue {
	if sc.s == "" {
		sc.kind = apkEnd
		return apkValue{}
	}
	var v apkValue
	n := 0
	switch sc.kind {
	case apkDigitOrZero:
		if sc.s[0] == '0' {
			for n < len(sc.s) && sc.s[n] == '0' {
				n++
			}
			sc.s = sc.s[n:]
			v.rank = -n
			switch {
			case sc.s == "":
				sc.kind = apkEnd
			case sc.legacyZeros || isDigit(sc.s[0]):
				sc.kind = apkDigit
			default:
				sc.follow(apkDigit)
			}
			return v
		}
		fallthrough
	case apkDigit, apkSuffixNo, apkRevision:
		for n < len(sc.s) && isDigit(sc.s[n]) {
			n++
		}
		v.digits = sc.s[:n] // may be empty, as in "4.8.0.-r1" (real, in Alpine's secdb): 0
	case apkLetter:
		v.rank = int(sc.s[0])
		n = 1
	case apkSuffix:
		found := false
		for _, suf := range apkSuffixes {
			if strings.HasPrefix(sc.s, suf.name) {
				v.rank, n, found = suf.rank, len(suf.name), true
				break
			}
		}
		if !found {
			sc.kind = apkInvalid
			return v
		}
	default:
		sc.kind = apkInvalid
		return v
	}
	sc.s = sc.s[n:]
	if sc.s == "" {
		sc.kind = apkEnd
	} else {
		sc.follow(sc.kind)
	}
	return v
}

// follow sets sc.kind to the kind of token that starts at sc.s after a token of kind prev,
// consuming its lead-in ('.', '_' or "-r"), or to apkInvalid if none may follow prev there.
func (sc *apkScanner) follow(prev int) {
	c := sc.s[0]
	next := apkInvalid
	switch {
	case (prev == apkDigit || prev == apkDigitOrZero) && 'a' <= c && c <= 'z':
		next = apkLetter
	case prev == apkLetter && isDigit(c):
		next = apkDigit
	case prev == apkSuffix && isDigit(c):
		next = apkSuffixNo
	case c == '.':
		next, sc.s = apkDigitOrZero, sc.s[1:]
	case c == '_':
		next, sc.s = apkSuffix, sc.s[1:]
	case c == '-' && len(sc.s) > 1 && sc.s[1] == 'r':
		next, sc.s = apkRevision, sc.s[2:]
	}
	// A kind may only go back in the order in the three ways apk allows:
	// 1.2.3 (number after number), 1_rc1_p2 (suffix after suffix number), 1a2 (number
	// after letter).
	if next < prev && !(next == apkDigitOrZero && prev == apkDigit) &&
		!(next == apkSuffix && prev == apkSuffixNo) && !(next == apkDigit && prev == apkLetter) {
		next = apkInvalid
	}
	sc.kind = next
}

func validateApk(s string) error {
	if s == "" {
		return invalid(apkEco, s, errors.New("empty"))
	}
	if !isDigit(s[0]) {
		return invalid(apkEco, s, errors.New("does not start with a digit"))
	}
	sc := newApkScanner(s)
	for sc.kind != apkEnd && sc.kind != apkInvalid {
		sc.next()
	}
	if sc.kind == apkInvalid {
		at := len(s) - len(sc.s)
		return invalidf(apkEco, s, "not a version by apk's rules at byte %d", at)
	}
	return nil
}

// Compare implements Comparator.
func (Apk) Compare(a, b string) (int, error) {
	if err := validateApk(a); err != nil {
		return 0, err
	}
	if err := validateApk(b); err != nil {
		return 0, err
	}
	return compareApk(newApkScanner(a), newApkScanner(b)), nil
}

func compareApk(sa, sb apkScanner) int {
	var va, vb apkValue
	for sa.kind == sb.kind && sa.kind != apkEnd && sa.kind != apkInvalid {
		va, vb = sa.next(), sb.next()
		if c := va.compare(vb); c != 0 {
			return c
		}
	}
	if sa.kind == sb.kind {
		return 0
	}
	// Equal so far, and one goes on where the other stops or changes kind: the one going
	// on is newer, unless it goes on with a pre-release suffix.
	if sa.kind == apkSuffix && sa.peek().rank < 0 {
		return -1
	}
	if sb.kind == apkSuffix && sb.peek().rank < 0 {
		return 1
	}
	if sa.kind > sb.kind {
		return -1
	}
	return 1
}

// peek returns the value of the next token without consuming it.
func (sc apkScanner) peek() apkValue { return sc.next() }
