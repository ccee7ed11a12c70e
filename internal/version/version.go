// Package version orders package versions the way each ecosystem's own tool does:
// dpkg for Debian and Ubuntu, apk-tools for Alpine and Wolfi, rpm for the Red Hat and SUSE
// families, and the published rules of Go modules, npm, PyPI, RubyGems, Maven, Composer,
// NuGet and crates.io. The matcher (detect) asks For a namespace's Comparator and never
// compares version strings itself.
package version

import (
	"errors"
	"fmt"
	"strings"
)

// A Comparator orders versions of one ecosystem.
//
// Compare returns -1 if a is older than b, 0 if the ecosystem treats them as the same
// version, and +1 if a is newer. It returns an error, wrapping ErrInvalid and naming the
// version and the ecosystem, when either string is not a version of that ecosystem. It
// never panics, whatever the input.
type Comparator interface {
	Compare(a, b string) (int, error)
}

// ErrInvalid is wrapped by every error a Comparator returns for a string that is not a
// version of its ecosystem. For returns ErrUnknownNamespace for a namespace it has no
// rules for.
var (
	ErrInvalid          = errors.New("invalid version")
	ErrUnknownNamespace = errors.New("no version rules for namespace")
)

// For returns the Comparator for a vulnerability DB namespace: "<distro>:<release>" for OS
// packages ("debian:12", "alpine:3.19", "rhel:9"; "wolfi" has no release) or the ecosystem
// name for language packages ("go", "npm", "pypi", "rubygems", "maven", "packagist",
// "nuget", "crates.io"). Matching ignores letter case and the release after ':'.
func For(namespace string) (Comparator, error) {
	eco := namespace
	if i := strings.IndexByte(eco, ':'); i >= 0 {
		eco = eco[:i]
	}
	switch strings.ToLower(eco) {
	case "debian", "ubuntu":
		return Deb{}, nil
	case "alpine", "wolfi":
		return Apk{}, nil
	case "rhel", "centos", "rocky", "almalinux", "fedora", "amzn", "ol", "sles", "opensuse-leap":
		return RPM{}, nil
	case "go":
		return GoSemver{}, nil
	case "npm":
		return Npm{}, nil
	case "pypi":
		return PEP440{}, nil
	case "rubygems":
		return Gem{}, nil
	case "maven":
		return Maven{}, nil
	case "packagist":
		return Composer{}, nil
	case "nuget":
		return NuGet{}, nil
	case "crates.io":
		return SemVer{}, nil
	}
	return nil, fmt.Errorf("version: namespace %q: %w (known: debian, ubuntu, alpine, wolfi, "+
		"rhel, centos, rocky, almalinux, fedora, amzn, ol, sles, opensuse-leap, go, npm, pypi, "+
		"rubygems, maven, packagist, nuget, crates.io)", namespace, ErrUnknownNamespace)
}

// invalid builds the error for a string that is not a version of ecosystem eco.
func invalid(eco, v string, why error) error {
	if why == nil {
		return fmt.Errorf("%s version %q: %w", eco, v, ErrInvalid)
	}
	return fmt.Errorf("%s version %q: %w: %v", eco, v, ErrInvalid, why)
}

// invalidf is invalid with a formatted reason.
func invalidf(eco, v, format string, args ...any) error {
	return invalid(eco, v, fmt.Errorf(format, args...))
}

// guard runs a third-party parser and turns a panic into an invalid-version error, so that
// no input can crash a scan.
func guard[T any](eco, v string, parse func(string) (T, error)) (res T, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = invalidf(eco, v, "parser panicked: %v", r)
		}
	}()
	res, err = parse(v)
	if err != nil {
		return res, invalid(eco, v, err)
	}
	return res, nil
}

// sign maps any int to -1, 0 or +1.
func sign(n int) int {
	switch {
	case n < 0:
		return -1
	case n > 0:
		return 1
	}
	return 0
}

// compareDigits orders two runs of ASCII digits by numeric value, whatever their length.
func compareDigits(a, b string) int {
	a = strings.TrimLeft(a, "0")
	b = strings.TrimLeft(b, "0")
	if len(a) != len(b) {
		return sign(len(a) - len(b))
	}
	return strings.Compare(a, b)
}
