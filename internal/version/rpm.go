package version

import (
	"errors"
	"strings"
)

// RPM orders rpm package versions, [epoch:]version[-release], as rpm itself does
// (rpmverCmp and rpmvercmp in rpm 4.18): epoch, then version, then release, each compared
// segment by segment, where a segment is a run of ASCII digits (compared by value) or of
// ASCII letters (compared bytewise, and older than any number); other bytes only separate
// segments, except '~', which sorts before everything including the end of the string, and
// '^', which sorts after the end but before anything else. A missing epoch is 0; a version
// without a release is older than the same version with one.
//
// rpm accepts any non-empty string, and so does RPM: only the empty string (and one with a
// NUL byte, which rpm cannot see) is an error.
// This is our own implementation rather than knqyf263/go-rpm-version, which cannot report
// errors and differs from rpm on a few inputs (see testdata/README.md).
type RPM struct{}

const rpmEco = "rpm"

type rpmVersion struct {
	epoch, version, release string
	hasRelease              bool
}

// parseRPM splits an EVR the way rpm's parseEVR does: the epoch is a leading run of digits
// followed by ':', the release whatever follows the last '-'.
func parseRPM(s string) (rpmVersion, error) {
	if s == "" {
		return rpmVersion{}, invalid(rpmEco, s, errors.New("empty"))
	}
	if strings.IndexByte(s, 0) >= 0 { // rpm's C strings end there
		return rpmVersion{}, invalid(rpmEco, s, errors.New("contains a NUL byte"))
	}
	v := rpmVersion{epoch: "0", version: s}
	n := 0
	for n < len(s) && isDigit(s[n]) {
		n++
	}
	if n < len(s) && s[n] == ':' {
		if n > 0 {
			v.epoch = s[:n]
		}
		v.version = s[n+1:]
	}
	if i := strings.LastIndexByte(v.version, '-'); i >= 0 {
		v.version, v.release, v.hasRelease = v.version[:i], v.version[i+1:], true
	}
	return v, nil
}

// Compare implements Comparator.
func (RPM) Compare(a, b string) (int, error) {
	va, err := parseRPM(a)
	if err != nil {
		return 0, err
	}
	vb, err := parseRPM(b)
	if err != nil {
		return 0, err
	}
	if c := rpmvercmp(va.epoch, vb.epoch); c != 0 {
		return c, nil
	}
	if c := rpmvercmp(va.version, vb.version); c != 0 {
		return c, nil
	}
	switch {
	case va.hasRelease && vb.hasRelease:
		return rpmvercmp(va.release, vb.release), nil
	case va.hasRelease:
		return 1, nil
	case vb.hasRelease:
		return -1, nil
	}
	return 0, nil
}

// rpmvercmp compares one part (epoch, version or release) by rpm's segment rules.
func rpmvercmp(a, b string) int {
	if a == b {
		return 0
	}
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		for i < len(a) && !isAlnum(a[i]) && a[i] != '~' && a[i] != '^' {
			i++
		}
		for j < len(b) && !isAlnum(b[j]) && b[j] != '~' && b[j] != '^' {
			j++
		}
		ca, cb := byteAt(a, i), byteAt(b, j)
		// '~' sorts before everything, even the end.
		if ca == '~' || cb == '~' {
			if ca != '~' {
				return 1
			}
			if cb != '~' {
				return -1
			}
			i++
			j++
			continue
		}
		// '^' sorts after the end, before everything else.
		if ca == '^' || cb == '^' {
			switch {
			case i == len(a):
				return -1
			case j == len(b):
				return 1
			case ca != '^':
				return 1
			case cb != '^':
				return -1
			}
			i++
			j++
			continue
		}
		if i == len(a) || j == len(b) {
			break
		}
		// A segment is a run of digits or a run of letters, of the kind a's segment starts with.
		numeric := isDigit(ca)
		kind := isAlpha
		if numeric {
			kind = isDigit
		}
		si, sj := i, j
		for i < len(a) && kind(a[i]) {
			i++
		}
		for j < len(b) && kind(b[j]) {
			j++
		}
		if sj == j { // b's segment is of the other kind: numbers are newer than letters
			if numeric {
				return 1
			}
			return -1
		}
		var c int
		if numeric {
			c = compareDigits(a[si:i], b[sj:j])
		} else {
			c = strings.Compare(a[si:i], b[sj:j])
		}
		if c != 0 {
			return c
		}
	}
	// One side ran out of segments: the other is newer, unless both did.
	switch {
	case i >= len(a) && j >= len(b):
		return 0
	case i >= len(a):
		return -1
	}
	return 1
}

func byteAt(s string, i int) byte {
	if i < len(s) {
		return s[i]
	}
	return 0
}
