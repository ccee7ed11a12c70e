package version

import "testing"

// fuzzComparator checks what must hold for any input: no panic; a version that parses
// equals itself; the order is antisymmetric; and whether a pair is refused does not depend
// on the order of its two sides.
func fuzzComparator(t *testing.T, c Comparator, a, b string) {
	ab, errAB := c.Compare(a, b)
	ba, errBA := c.Compare(b, a)
	if (errAB == nil) != (errBA == nil) {
		t.Fatalf("%T: Compare(%q, %q) error %v, reversed error %v", c, a, b, errAB, errBA)
	}
	if errAB == nil {
		if ab < -1 || ab > 1 || ab != -ba {
			t.Fatalf("%T: Compare(%q, %q) = %d, reversed %d", c, a, b, ab, ba)
		}
	}
	for _, v := range []string{a, b} {
		if got, err := c.Compare(v, v); err == nil && got != 0 {
			t.Fatalf("%T: Compare(%q, %q) = %d, want 0", c, v, v, got)
		}
	}
	if _, err := c.Compare(a, a); errAB == nil && err != nil {
		t.Fatalf("%T: Compare(%q, %q) is fine but %q alone is refused: %v", c, a, b, a, err)
	}
}

func FuzzDeb(f *testing.F) {
	f.Add("1:1.0-1", "1.0~rc1-1+deb12u1")
	f.Fuzz(func(t *testing.T, a, b string) { fuzzComparator(t, Deb{}, a, b) })
}

func FuzzApk(f *testing.F) {
	f.Add("1.0_rc1-r0", "1.00.1a_p2")
	f.Fuzz(func(t *testing.T, a, b string) { fuzzComparator(t, Apk{}, a, b) })
}

func FuzzRPM(f *testing.F) {
	f.Add("1:1.0~rc1^git2-1.el9", "1.0-1.el9_0.1")
	f.Fuzz(func(t *testing.T, a, b string) { fuzzComparator(t, RPM{}, a, b) })
}

// FuzzLanguages runs the language comparators on the same inputs: they parse untrusted
// strings from lock files and advisories, and must not panic either.
func FuzzLanguages(f *testing.F) {
	f.Add("1.0.0-alpha.1+build", "v1.0rc1.post2.dev3+local.7")
	f.Fuzz(func(t *testing.T, a, b string) {
		for _, c := range []Comparator{GoSemver{}, Npm{}, PEP440{}, Gem{}, Maven{}, Composer{}, NuGet{}, SemVer{}} {
			fuzzComparator(t, c, a, b)
		}
	})
}
