package version

import (
	"errors"
	"strconv"
	"strings"
)

// NuGet orders NuGet package versions as NuGet.Versioning's NuGetVersion and
// VersionComparer do: up to four numeric parts (missing parts are 0, leading zeros allowed,
// so "1.0" == "1.0.0.0"), a release (no label) newer than any prerelease, prerelease labels
// compared part by part — numbers by value and below words, words without regard to case —
// with fewer parts older; build metadata after '+' ignored.
type NuGet struct{}

const nugetEco = "nuget"

type nugetVersion struct {
	parts [4]int32
	label []string
}

func parseNuGet(s string) (nugetVersion, error) {
	var v nugetVersion
	if s == "" {
		return v, invalid(nugetEco, s, errors.New("empty"))
	}
	rest := s
	if i := strings.IndexByte(rest, '+'); i >= 0 {
		if !validIdentifiers(rest[i+1:]) {
			return v, invalid(nugetEco, s, errors.New("bad build metadata"))
		}
		rest = rest[:i]
	}
	if i := strings.IndexByte(rest, '-'); i >= 0 {
		if !validIdentifiers(rest[i+1:]) {
			return v, invalid(nugetEco, s, errors.New("bad prerelease label"))
		}
		v.label = strings.Split(rest[i+1:], ".")
		rest = rest[:i]
	}
	nums := strings.Split(rest, ".")
	if len(nums) > 4 {
		return v, invalid(nugetEco, s, errors.New("more than four numbers"))
	}
	for i, n := range nums {
		if n == "" || strings.TrimLeft(n, "0123456789") != "" {
			return v, invalidf(nugetEco, s, "part %d is not a number", i+1)
		}
		x, err := strconv.ParseInt(n, 10, 32)
		if err != nil {
			return v, invalidf(nugetEco, s, "part %d is too big", i+1)
		}
		v.parts[i] = int32(x)
	}
	return v, nil
}

// validIdentifiers reports whether s is one or more non-empty '.'-separated runs of
// [0-9A-Za-z-].
func validIdentifiers(s string) bool {
	for _, id := range strings.Split(s, ".") {
		if id == "" {
			return false
		}
		for i := 0; i < len(id); i++ {
			if !isAlnum(id[i]) && id[i] != '-' {
				return false
			}
		}
	}
	return true
}

// Compare implements Comparator.
func (NuGet) Compare(a, b string) (int, error) {
	va, err := parseNuGet(a)
	if err != nil {
		return 0, err
	}
	vb, err := parseNuGet(b)
	if err != nil {
		return 0, err
	}
	for i := range va.parts {
		if va.parts[i] != vb.parts[i] {
			if va.parts[i] < vb.parts[i] {
				return -1, nil
			}
			return 1, nil
		}
	}
	switch {
	case va.label == nil && vb.label == nil:
		return 0, nil
	case va.label == nil:
		return 1, nil
	case vb.label == nil:
		return -1, nil
	}
	for i := 0; i < len(va.label) && i < len(vb.label); i++ {
		if c := compareNuGetLabel(va.label[i], vb.label[i]); c != 0 {
			return c, nil
		}
	}
	return sign(len(va.label) - len(vb.label)), nil
}

// compareNuGetLabel compares one part of two prerelease labels: numbers (that fit an int32)
// by value and before words; words ordinally, ignoring case.
func compareNuGetLabel(a, b string) int {
	na, errA := strconv.ParseInt(a, 10, 32)
	nb, errB := strconv.ParseInt(b, 10, 32)
	switch {
	case errA == nil && errB == nil:
		return sign(int(na - nb))
	case errA == nil:
		return -1
	case errB == nil:
		return 1
	}
	return strings.Compare(strings.ToUpper(a), strings.ToUpper(b))
}
