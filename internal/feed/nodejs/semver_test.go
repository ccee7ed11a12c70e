package nodejs

import (
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/shipshape-dev/shipshape/internal/vulndb"
)

func mustVersion(t testing.TB, s string) semver {
	t.Helper()
	p, err := parsePartial(s)
	if err != nil || p.n != 3 {
		t.Fatalf("version %q: %v", s, err)
	}
	return p.v
}

func TestCompareSemver(t *testing.T) {
	// SemVer 2.0 §11's example chain, plus numeric parts compared as numbers.
	chain := []string{
		"0.0.0-0", "0.0.0", "0.9.99", "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta",
		"1.0.0-beta", "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "1.0.1-0",
		"1.0.1", "1.2.0", "1.10.0", "2.0.0", "10.0.0",
	}
	for i := range chain {
		for j := range chain {
			a, b := mustVersion(t, chain[i]), mustVersion(t, chain[j])
			want := 0
			if i < j {
				want = -1
			} else if i > j {
				want = 1
			}
			if got := compareSemver(a, b); got != want {
				t.Errorf("compare(%s, %s) = %d, want %d", chain[i], chain[j], got, want)
			}
		}
	}
	if compareSemver(mustVersion(t, "1.0.0+build.1"), mustVersion(t, "v1.0.0")) != 0 {
		t.Error("build metadata and a leading v must not change the order")
	}
}

// translate runs a vulnerable expression (and optional patched one) the way Parse does.
func translate(t *testing.T, vulnerable, patched string) ([]vulndb.Range, []string, string) {
	t.Helper()
	var p *string
	if patched != "" {
		p = &patched
	}
	aff, _, err := affected(&vulnerable, p)
	if err != nil {
		t.Fatalf("affected(%q, %q): %v", vulnerable, patched, err)
	}
	if aff == nil {
		return nil, nil, ""
	}
	return aff.Ranges, aff.Versions, aff.Status
}

func r(intro, fixed, last string) vulndb.Range {
	return vulndb.Range{Type: "SEMVER", Introduced: intro, Fixed: fixed, LastAffected: last}
}

func TestTranslate(t *testing.T) {
	tests := []struct {
		vulnerable, patched string
		ranges              []vulndb.Range
		versions            []string
		status              string
	}{
		// The brief's forms.
		{"<=1.5.1", ">=1.5.2", []vulndb.Range{r("", "", "1.5.1")}, nil, "fixed"},
		{"<2.0.5", "", []vulndb.Range{r("", "2.0.5", "")}, nil, "affected"},
		{">=1.0.0 <1.2.3 || >=2.0.0 <2.0.1", ">=1.2.3 <2.0.0 || >=2.0.1",
			[]vulndb.Range{r("1.0.0", "1.2.3", ""), r("2.0.0", "2.0.1", "")}, nil, "fixed"},
		{"2.1.4", "", nil, []string{"2.1.4"}, "affected"},
		{"=3.0.0-rc.1", "", nil, []string{"3.0.0-rc.1"}, "affected"},
		{"<=0.9.4 || 1.0.0", ">=1.0.1 || >=0.9.5 <1.0.0", []vulndb.Range{r("", "", "0.9.4")}, []string{"1.0.0"}, "fixed"},
		// Spacing, "v", comparator order inside a set.
		{"<  2.0.5", "", []vulndb.Range{r("", "2.0.5", "")}, nil, "affected"},
		{"<=v2.0.0-alpha7", ">=v2.0.0-alpha8", []vulndb.Range{r("", "", "2.0.0-alpha7")}, nil, "fixed"},
		{"<5.0.3 >=5.0.0 || < 4.2.1", ">=5.0.3 >=4.2.1", []vulndb.Range{r("", "4.2.1", ""), r("5.0.0", "5.0.3", "")}, nil, "fixed"},
		// Exclusive lower bounds start at the next release.
		{"<3.4.6 || > 4.0.0 <4.0.5", ">=3.4.6 < 4.0.0|| >=4.0.5", []vulndb.Range{r("", "3.4.6", ""), r("4.0.1", "4.0.5", "")}, nil, "fixed"},
		{">2.51.0 <=2.67.0", "", []vulndb.Range{r("2.51.1", "", "2.67.0")}, nil, "affected"},
		// Partial versions and x-ranges, desugared like node-semver.
		{"<3.11 || >= 4 <4.5", ">=3.11 <4 || >=4.5", []vulndb.Range{r("", "3.11.0", ""), r("4.0.0", "4.5.0", "")}, nil, "fixed"},
		{"<= 1.0", "", []vulndb.Range{r("", "1.1.0", "")}, nil, "affected"},
		{"2.0.x || 2.1.x", ">= 2.2.x", []vulndb.Range{r("2.0.0", "2.2.0", "")}, nil, "fixed"},
		{"<1.0.0", ">= 1.x", []vulndb.Range{r("", "1.0.0", "")}, nil, "fixed"},
		{"~0.8.0-pre", "", []vulndb.Range{r("0.8.0-pre", "0.9.0", "")}, nil, "affected"},
		{"^0.0.3 || ^0.2.3 || ^1.2.3", "", []vulndb.Range{r("0.0.3", "0.0.4", ""), r("0.2.3", "0.3.0", ""), r("1.2.3", "2.0.0", "")}, nil, "affected"},
		{"1.2.3 - 2.3", "", []vulndb.Range{r("1.2.3", "2.4.0", "")}, nil, "affected"},
		{"~1 || ~2.1", "", []vulndb.Range{r("1.0.0", "2.0.0", ""), r("2.1.0", "2.2.0", "")}, nil, "affected"},
		// Everything, and the feed's "no fix" idioms.
		{"*", "", []vulndb.Range{r("", "", "")}, nil, "affected"},
		{"<=99.999.99999", "<0.0.0", []vulndb.Range{r("", "", "99.999.99999")}, nil, "affected"},
		{"<=99.999.99999", "<=0.0.0", []vulndb.Range{r("0.0.1", "", "99.999.99999")}, nil, "affected"},
		{">=0.1.0", "<0.0.0", []vulndb.Range{r("0.1.0", "", "")}, nil, "affected"},
		// Vulnerable minus patched.
		{">=2.0.0", ">=2.15.0", []vulndb.Range{r("2.0.0", "2.15.0", "")}, nil, "fixed"},
		{"<=6.8.5", ">=5.0.3 <6.0.0 || >=6.8.6", []vulndb.Range{r("", "5.0.3", ""), r("6.0.0", "", "6.8.5")}, nil, "fixed"},
		{"<2.0.18 || <3.0.16 || <3.1.6 || <4.0.8 || <5.0.0-beta.5", "^2.0.18 || ^3.0.16 || ^3.1.6 || ^4.0.8 || ^5.0.0-beta.5",
			[]vulndb.Range{r("", "2.0.18", ""), r("3.0.0", "3.0.16", ""), r("4.0.0", "4.0.8", ""), r("5.0.0-0", "5.0.0-beta.5", "")}, nil, "fixed"},
		{"<= 2.4.2 || >= 3.0.0 <=3.0.1", ">=2.5.0 <= 3.0.0 || >=3.1.0", []vulndb.Range{r("", "", "2.4.2")}, []string{"3.0.1"}, "fixed"},
		// Core: whole release lines minus the per-line fixes; an unpatched line joins the next.
		{"8.x || 7.x || 4.x || 6.x || 5.x", "^8.1.4 || ^7.10.1 || ^4.8.4 || ^6.11.1",
			[]vulndb.Range{r("4.0.0", "4.8.4", ""), r("5.0.0", "6.11.1", ""), r("7.0.0", "7.10.1", ""), r("8.0.0", "8.1.4", "")}, nil, "fixed"},
		{"<= 10", "^6.14.4 || ^8.11.4 || >= 10.9.0",
			[]vulndb.Range{r("", "6.14.4", ""), r("7.0.0", "8.11.4", ""), r("9.0.0", "10.9.0", "")}, nil, "fixed"},
		{"8.5.0", "^8.6.0", nil, []string{"8.5.0"}, "fixed"},
		// Patched covers everything vulnerable: nothing left.
		{"<1.0.0", ">=0.0.0", nil, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.vulnerable+" minus "+tt.patched, func(t *testing.T) {
			ranges, versions, status := translate(t, tt.vulnerable, tt.patched)
			if !reflect.DeepEqual(ranges, tt.ranges) || !slices.Equal(versions, tt.versions) || status != tt.status {
				t.Errorf("got %+v %v %q\nwant %+v %v %q", ranges, versions, status, tt.ranges, tt.versions, tt.status)
			}
		})
	}
}

func TestParseRangeErrors(t *testing.T) {
	for _, expr := range []string{
		"latest", ">=1.0.0 foo", "1.2.3.4", "<<1.0.0", "=>1.0.0", "01.2.3", "1.2.3-", "1.2.3-01",
		"1.2-beta", "1.x.3", "1.2.3 - ", "~", "!=1.0.0", "<1.0.0 ||| >2", "1.2.3+", "18446744073709551615.0.0",
		"^18446744073709551614.0.0",
	} {
		if ivs, err := parseRange(expr); err == nil {
			t.Errorf("parseRange(%q) = %+v, want an error", expr, ivs)
		} else if !strings.Contains(err.Error(), "npm version range") {
			t.Errorf("parseRange(%q): %v", expr, err)
		}
	}
	// A broken vulnerable range skips the advisory; a broken patched one is ignored.
	bad, good := "not a range", "<1.0.0"
	if _, _, err := affected(&bad, nil); err == nil {
		t.Error("bad vulnerable range accepted")
	}
	aff, warnings, err := affected(&good, &bad)
	if err != nil || aff == nil || !slices.Equal(warnings, []string{WarnBadPatched}) || aff.Status != vulndb.StatusAffected {
		t.Errorf("bad patched range: %+v %v %v", aff, warnings, err)
	}
	empty := " "
	if _, _, err := affected(&empty, nil); err == nil {
		t.Error("empty vulnerable range accepted")
	}
}

// grid is a set of versions dense enough to tell every interval operation apart.
func grid(t testing.TB) []semver {
	var out []semver
	for _, s := range []string{
		"0.0.0-0", "0.0.0", "0.0.1-0", "0.0.1", "0.1.0", "1.0.0-0", "1.0.0-alpha", "1.0.0-beta.1",
		"1.0.0", "1.0.1-0", "1.0.1", "1.0.2", "1.1.0", "1.2.0-rc.1", "1.2.0", "2.0.0-0", "2.0.0",
		"2.0.1", "3.0.0", "3.0.0-beta", "3.0.0-beta.0", "3.0.0-beta0",
	} {
		out = append(out, mustVersion(t, s))
	}
	return out
}

func contains(iv interval, v semver) bool {
	if iv.lo.set {
		c := compareSemver(v, iv.lo.v)
		if c < 0 || (c == 0 && !iv.lo.incl) {
			return false
		}
	}
	if iv.hi.set {
		c := compareSemver(v, iv.hi.v)
		if c > 0 || (c == 0 && !iv.hi.incl) {
			return false
		}
	}
	return true
}

func unionContains(ivs []interval, v semver) bool {
	return slices.ContainsFunc(ivs, func(iv interval) bool { return contains(iv, v) })
}

func randomUnion(rng *rand.Rand, g []semver) []interval {
	n := rng.IntN(4)
	var out []interval
	for range n {
		var iv interval
		if rng.IntN(4) > 0 {
			iv.lo = bound{v: g[rng.IntN(len(g))], set: true, incl: rng.IntN(2) == 0}
		}
		if rng.IntN(4) > 0 {
			iv.hi = bound{v: g[rng.IntN(len(g))], set: true, incl: rng.IntN(2) == 0}
		}
		out = append(out, iv)
	}
	return out
}

// TestSetAlgebra checks normalize, complement and subtract against membership, version
// by version, on random unions.
func TestSetAlgebra(t *testing.T) {
	g := grid(t)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 3000; i++ {
		a, b := randomUnion(rng, g), randomUnion(rng, g)
		na, nb := normalize(a), normalize(b)
		comp := complement(nb)
		diff := subtract(na, nb)
		for j := 1; j < len(na); j++ {
			if lowerLess(na[j-1].lo, na[j].lo) >= 0 || joins(na[j-1].hi, na[j].lo) {
				t.Fatalf("normalize(%+v) = %+v is not sorted and disjoint", a, na)
			}
		}
		for _, v := range g {
			inA, inB := unionContains(a, v), unionContains(b, v)
			if unionContains(na, v) != inA {
				t.Fatalf("normalize(%+v) = %+v changes %v", a, na, v)
			}
			if unionContains(comp, v) == inB {
				t.Fatalf("complement(%+v) = %+v wrong at %v", nb, comp, v)
			}
			if unionContains(diff, v) != (inA && !inB) {
				t.Fatalf("subtract(%+v, %+v) = %+v wrong at %v", na, nb, diff, v)
			}
		}
	}
}

// TestToRangesReleases checks that the Range form classifies every release version
// exactly as the intervals do (prereleases may differ by design; see semver.go).
func TestToRangesReleases(t *testing.T) {
	g := grid(t)
	rng := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 3000; i++ {
		ivs := normalize(randomUnion(rng, g))
		ranges, versions := toRanges(ivs)
		for _, v := range g {
			if len(v.pre) > 0 {
				continue
			}
			if got, want := rangesContain(t, ranges, versions, v), unionContains(ivs, v); got != want {
				t.Fatalf("%+v -> %+v %v: %v in ranges %v, in intervals %v", ivs, ranges, versions, v, got, want)
			}
		}
	}
}

func rangesContain(t testing.TB, ranges []vulndb.Range, versions []string, v semver) bool {
	for _, s := range versions {
		if compareSemver(mustVersion(t, s), v) == 0 {
			return true
		}
	}
	for _, rg := range ranges {
		if rg.Introduced != "" && compareSemver(v, mustVersion(t, rg.Introduced)) < 0 {
			continue
		}
		if rg.Fixed != "" && compareSemver(v, mustVersion(t, rg.Fixed)) >= 0 {
			continue
		}
		if rg.LastAffected != "" && compareSemver(v, mustVersion(t, rg.LastAffected)) > 0 {
			continue
		}
		return true
	}
	return false
}
