package version

import (
	"errors"
	"strconv"
	"strings"
	"testing"
)

func TestFor(t *testing.T) {
	for ns, want := range map[string]Comparator{
		"debian:12": Deb{}, "ubuntu:22.04": Deb{}, "debian": Deb{},
		"alpine:3.19": Apk{}, "wolfi": Apk{},
		"rhel:9": RPM{}, "centos:7": RPM{}, "rocky:9": RPM{}, "almalinux:9": RPM{},
		"fedora:35": RPM{}, "amzn:2": RPM{}, "ol:8": RPM{}, "sles:15": RPM{},
		"opensuse-leap:15.5": RPM{},
		"go":                 GoSemver{}, "npm": Npm{}, "pypi": PEP440{}, "PyPI": PEP440{},
		"rubygems": Gem{}, "maven": Maven{}, "packagist": Composer{}, "nuget": NuGet{},
		"crates.io": SemVer{},
	} {
		got, err := For(ns)
		if err != nil || got != want {
			t.Errorf("For(%q) = %T, %v; want %T", ns, got, err, want)
		}
	}
	for _, ns := range []string{"", "gentoo:1", "debianx:12", "crates", ":12", "hex"} {
		c, err := For(ns)
		if err == nil || !errors.Is(err, ErrUnknownNamespace) || !strings.Contains(err.Error(), `"`+ns+`"`) {
			t.Errorf("For(%q) = %v, %v; want an error naming it", ns, c, err)
		}
	}
}

// order lists versions of one ecosystem from oldest to newest; versions in one inner slice
// are equal. Every pair is checked, both ways round.
type order [][]string

func checkOrder(t *testing.T, c Comparator, o order) {
	t.Helper()
	for i, gi := range o {
		for j, gj := range o {
			for _, a := range gi {
				for _, b := range gj {
					want := sign(i - j)
					got, err := c.Compare(a, b)
					if err != nil || got != want {
						t.Errorf("%T.Compare(%q, %q) = %d, %v; want %d", c, a, b, got, err, want)
					}
				}
			}
		}
	}
}

// checkInvalid asserts that each bad version is refused, whichever side it is on, with an
// error that wraps ErrInvalid and names the ecosystem and the version.
func checkInvalid(t *testing.T, c Comparator, eco string, bad []string) {
	t.Helper()
	const good = "1.0.0"
	for _, v := range bad {
		for _, args := range [][2]string{{v, good}, {good, v}, {v, v}} {
			got, err := c.Compare(args[0], args[1])
			if err == nil {
				t.Errorf("%T.Compare(%q, %q) = %d, nil; want an error", c, args[0], args[1], got)
				continue
			}
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), eco+" version "+strconv.Quote(v)) {
				t.Errorf("%T.Compare(%q, %q): error %q should wrap ErrInvalid and name %q and %q", c, args[0], args[1], err, eco, v)
			}
		}
	}
}

func TestDeb(t *testing.T) {
	checkOrder(t, Deb{}, order{
		{"0.9"},
		{"1.0~~"}, {"1.0~~a"}, {"1.0~"}, {"1.0~beta1"}, {"1.0~rc1"},
		{"1.0", "1.0-0", "0:1.0", "1.00"},
		{"1.0-1"}, {"1.0-1ubuntu1"}, {"1.0-1+deb12u1"}, {"1.0-1.1"}, // letters < "+" < "."
		{"1.0a"}, {"1.0+"}, {"1.0+deb12u1"}, {"1.0.1"}, {"1.1"}, {"1.10"},
		{"1.99999999999999999999"}, {"1.100000000000000000000"},
		{"2.0"}, {"1:0.1"}, {"1:1.0-1"}, {"2:0"},
	})
	checkInvalid(t, Deb{}, "deb", []string{"", "a1.0", "1.0 x", "1:", ":1.0", "1.0-", "1.0_x",
		"1.0@", "99999999999:1", "1.0-a:b", "1:a", "é", "-1", " 1.0"})
}

func TestApk(t *testing.T) {
	checkOrder(t, Apk{}, order{
		{"0.9"},
		{"1.0_alpha"}, {"1.0_alpha1"}, {"1.0_alpha2"}, {"1.0_beta"}, {"1.0_pre1"}, {"1.0_rc1"},
		{"1.0"}, {"1.0-r0"}, {"1.0-r1"}, {"1.0-r10"},
		{"1.0_cvs"}, {"1.0_svn"}, {"1.0_git20230101"}, {"1.0_hg"}, {"1.0_p1"}, {"1.0_p2"},
		{"1.0a"}, {"1.0b"}, {"1.0.0"}, {"1.0.1"}, {"1.1"}, {"1.10"}, {"2"},
	})
	// Leading zeros after a '.' rank by their count first (more zeros, older), then what
	// follows them: 1.000 < 1.00 < 1.001 < 1.0 < 1.01 < 1.1.
	checkOrder(t, Apk{}, order{{"1.000"}, {"1.00"}, {"1.001"}, {"1.0"}, {"1.01"}, {"1.1"}})
	checkInvalid(t, Apk{}, "apk", []string{"", "a", "1.0-1", "1.0_foo", "1.0A", "1.0~abc",
		"1.0-r1_rc1", "1.0_rc1a", "1.0 ", " 1.0", "v1.0"})
}

func TestRPM(t *testing.T) {
	checkOrder(t, RPM{}, order{
		{"1.0~~"}, {"1.0~rc1"}, {"1.0~rc1^1"}, {"1.0~rc2"},
		{"1.0", "0:1.0", "1.0.", "1.00", "001.0"},
		{"1.0-1", "1.0-01"}, {"1.0-1.el9"}, {"1.0-1.el9_0"}, {"1.0-1.el9_0.1"}, {"1.0-1.fc35"},
		{"1.0-2"}, {"1.0-10"},
		{"1.0^"}, {"1.0^git1"}, {"1.0^1"}, {"1.0A"}, {"1.0a"}, {"1.0b"}, {"1.0.0"}, {"1.01"},
		{"1.9"}, {"1.10"}, {"2.0"}, {"1:0.1"}, {"2:0"},
	})
	// Letters are older than numbers; '.' and '_' only separate.
	checkOrder(t, RPM{}, order{{"a"}, {"b"}, {"1a", "1.a", "1_a"}, {"1.0"}})
	checkInvalid(t, RPM{}, "rpm", []string{"", "1.0\x00"})
}

func TestGoSemver(t *testing.T) {
	checkOrder(t, GoSemver{}, order{
		{"v0.0.0-20190101000000-abcdefabcdef"}, {"v0.0.0-20200101000000-abcdefabcdef"},
		{"0", "v0", "v0.0.0", "0.0.0"},
		{"v0.1.0-rc.1"}, {"v0.1.0", "0.1.0"},
		{"v0.1.1-0.20200101000000-abcdefabcdef"}, // pseudo-version after v0.1.0
		{"v0.1.1"}, {"1.2.3-alpha"}, {"1.2.3-alpha.1"}, {"1.2.3-beta"}, {"v1.2.3"},
		{"v2.0.0+incompatible", "v2.0.0"}, {"v2.0.1+incompatible"}, {"v10.0.0"},
	})
	checkInvalid(t, GoSemver{}, "go", []string{"", "v", "1.2.3.4", "v1.2.3-", "latest", "vv1.0.0", "01.0.0"})
}

func TestNpm(t *testing.T) {
	checkOrder(t, Npm{}, order{
		{"1.0.0-0"}, {"1.0.0-1"}, {"1.0.0-10"}, {"1.0.0-alpha"}, {"1.0.0-alpha.1"},
		{"1.0.0-alpha.beta"}, {"1.0.0-beta"}, {"1.0.0-beta.2"}, {"1.0.0-beta.11"},
		{"1.0.0-rc.1"}, {"1.0.0-x.7.z.92"},
		{"1.0.0", "v1.0.0", " 1.0.0 ", "1.0.0+build.1"}, {"1.0.1"}, {"1.10.0"}, {"2.0.0"},
	})
	checkInvalid(t, Npm{}, "npm", []string{"", "1.0", "1", "01.0.0", "1.0.0-01", "=1.0.0",
		"1.0.0.0", "9007199254740992.0.0", "x"})
}

func TestSemVer(t *testing.T) {
	// The example chain from semver.org, item 11.
	checkOrder(t, SemVer{}, order{
		{"1.0.0-alpha"}, {"1.0.0-alpha.1"}, {"1.0.0-alpha.beta"}, {"1.0.0-beta"},
		{"1.0.0-beta.2"}, {"1.0.0-beta.11"}, {"1.0.0-rc.1"}, {"1.0.0", "1.0.0+build.5"},
		{"2.0.0"}, {"2.1.0"}, {"2.1.1"}, {"18446744073709551615.0.0"},
	})
	checkInvalid(t, SemVer{}, "semver", []string{"", "0", "1.0", "v1.0.0", "1.0.0-", "01.0.0",
		"1.0.0-01", "18446744073709551616.0.0", "1.0.0+"})
}

func TestPEP440(t *testing.T) {
	// The ordering example of PEP 440 ("Summary of permitted suffixes and relative ordering"),
	// with spellings it normalises.
	checkOrder(t, PEP440{}, order{
		{"1.0.dev456", "1.0dev456", "1.0-dev456"},
		{"1.0a1", "1.0alpha1", "1.0.a1", "1.0-a1", "1.0_a1"},
		{"1.0a2.dev456"}, {"1.0a12.dev456"}, {"1.0a12"}, {"1.0b1.dev456"}, {"1.0b2"},
		{"1.0b2.post345.dev456"}, {"1.0b2.post345"},
		{"1.0rc1.dev456"}, {"1.0rc1", "1.0c1", "1.0pre1", "1.0preview1", "1.0RC1"},
		{"1.0", "1.0.0", "v1.0", "1.0.0.0"},
		{"1.0+abc.5"}, {"1.0+abc.7"}, {"1.0+local.1", "1.0+local-1", "1.0+local_1"}, {"1.0+5", "1.0+05"},
		{"1.0.post456.dev34"}, {"1.0.post456", "1.0-456", "1.0post456", "1.0.r456", "1.0-rev456"},
		{"1.1.dev1"}, {"1.1"}, {"2012.10"}, {"1!0.1"},
	})
	checkInvalid(t, PEP440{}, "pypi", []string{"", "foo", "1.0.x", "1..0", "1.0-", "1.0+", "1.0a1a"})
}

func TestGem(t *testing.T) {
	checkOrder(t, Gem{}, order{
		{"0.9"},
		{"1.0.a", "1.0.a.0"}, {"1.0.a.1", "1.0.a1"}, {"1.0.alpha"}, {"1.0.b"},
		{"1.0-pre"}, {"1.0-rc1"}, {"1.0.pre"}, {"1.0.rc1"}, // "-" is ".pre.": 1.0.pre.pre, 1.0.pre.rc1
		{"1.0", "1", "1.0.0.0", " 1.0 "}, {"1.0.0.1"}, {"1.0.1"}, {"1.1"}, {"1.9"}, {"1.10"},
		{"2.0.0.pre"}, {"2.0.0.rc1"}, {"2.0"}, {"99999999999999999999.1"}, {"100000000000000000000.1"},
	})
	checkInvalid(t, Gem{}, "rubygems", []string{"", "a", "1..0", "1.0.", "1.0_1", "1.0 x", "-1"})
}

func TestMaven(t *testing.T) {
	// Checked with maven-artifact 3.8.7's ComparableVersion. The one-letter forms a, b, m
	// stand for alpha, beta, milestone only when a number follows; alone they are unknown
	// qualifiers, which rank after sp, alphabetically.
	checkOrder(t, Maven{}, order{
		{"1-alpha", "1.0-alpha"}, {"1-alpha-1", "1-alpha1", "1-a1"}, {"1-alpha-10"},
		{"1-beta"}, {"1-b1"}, {"1-milestone"}, {"1-m1"},
		{"1-rc", "1-cr", "1.0-RC"}, {"1-rc1"}, {"1-snapshot", "1-SNAPSHOT"},
		{"1", "1.0", "1.0.0", "1-0", "1-ga", "1-final", "1.0-final", "1-release", "1.0.RELEASE"},
		{"1-sp"}, {"1-sp1"}, {"1-a"}, {"1-abc", "1.0.abc", "1.0-abc"}, {"1-b"}, {"1-m"}, {"1-xyz"},
		{"1-1"}, {"1.0.1"}, {"1.1"}, {"1.9"}, {"1.10"}, {"2.0.0-RC1"}, {"2"},
	})
	checkInvalid(t, Maven{}, "maven", []string{"", " "})
}

func TestComposer(t *testing.T) {
	checkOrder(t, Composer{}, order{
		{"1.0.0-dev", "1.0-dev"},
		{"1.0.0-alpha", "1.0.0-a"}, {"1.0.0-alpha1", "1.0.0-alpha.1", "1.0.0alpha1", "1.0.0-a1"},
		{"1.0.0-alpha2"}, {"1.0.0-alpha10"}, {"1.0.0-beta", "1.0.0-b"}, {"1.0.0-beta2", "1.0.0-b.2"},
		{"1.0.0-RC1", "1.0.0-rc1", "1.0.0-rc.1"},
		{"1.0.0", "1.0", "1", "v1.0.0", "1.0.0.0", "1.0.0-stable", "1.0.0+build"},
		{"1.0.0-patch1", "1.0.0-pl1", "1.0.0-p1"}, {"1.0.0.1"}, {"1.0.x-dev"}, {"1.1.0"},
		{"2.0.0-dev"}, {"2.0.0"}, {"2010-01-02"}, {"2010.01.02"}, // 2010.01.02.0 vs 2010.01.02
	})
	checkInvalid(t, Composer{}, "packagist", []string{"", "1.2.3.4.5", "1.0.0-foo", "foo"})
	if _, err := (Composer{}).Compare("dev-main", "dev-feature"); err == nil {
		t.Error("Composer orders two different branches; it should refuse")
	}
	if c, err := (Composer{}).Compare("dev-main", "dev-main"); c != 0 || err != nil {
		t.Errorf("Composer.Compare(dev-main, dev-main) = %d, %v; want 0", c, err)
	}
}

func TestNuGet(t *testing.T) {
	// From NuGet's documentation on version precedence and NuGet.Versioning's rules.
	checkOrder(t, NuGet{}, order{
		{"1.0.0-0"}, {"1.0.0-1"}, {"1.0.0-10"},
		{"1.0.0-alpha", "1.0.0-ALPHA", "1.0.0-Alpha"}, {"1.0.0-alpha.1", "1.0.0-ALPHA.1"},
		{"1.0.0-alpha.beta"}, {"1.0.0-beta", "1.0.0-Beta+meta"}, {"1.0.0-beta.2"},
		{"1.0.0-beta.11"}, {"1.0.0-rc.1"}, {"1.0.0-RC.2"},
		{"1.0.0", "1.0", "1", "1.0.0.0", "01.0.0", "1.0.0+githash"},
		{"1.0.0.1"}, {"1.0.1"}, {"1.10"}, {"2.0.0.0-beta"}, {"2.0.0.0"},
	})
	checkInvalid(t, NuGet{}, "nuget", []string{"", "1.0.0.0.0", "a", "1.0-", "1.0+", "1..0",
		"v1.0", "1.0.0-beta_1", "2147483648.0", " 1.0", "1.0.0-a..b"})
}

// Every comparator is antisymmetric and reflexive on its own good versions.
func TestCompareSelf(t *testing.T) {
	for _, c := range []Comparator{Deb{}, Apk{}, RPM{}, GoSemver{}, Npm{}, PEP440{}, Gem{}, Maven{}, Composer{}, NuGet{}, SemVer{}} {
		if got, err := c.Compare("1.0.0", "1.0.0"); got != 0 || err != nil {
			t.Errorf("%T.Compare(1.0.0, 1.0.0) = %d, %v", c, got, err)
		}
	}
}
