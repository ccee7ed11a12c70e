package rubysec

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/shipshape-dev/shipshape/internal/vulndb"
)

func gv(t testing.TB, s string) gemVersion {
	t.Helper()
	v, err := parseGemVersion(s)
	if err != nil {
		t.Fatalf("version %q: %v", s, err)
	}
	return v
}

func TestCompareGem(t *testing.T) {
	// Each group is equal within itself and below the next group.
	chain := [][]string{
		{"0.9"},
		{"1.0.A"},
		{"1.0.RC1"},
		{"1.0.a", "1.0.0.a", "1.a"},
		{"1.0.a.2"},
		{"1.0.b1"},
		{"1.0.pre.1", "1.0-1"},
		{"1.0.rc1"},
		{"1", "1.0", "1.0.0", "1.0.0.0", "01.0"},
		{"1.0.0.0.1"},
		{"1.0.0.1"},
		{"1.0.1"},
		{"1.1", "1.01"},
		{"1.2.3p9"},
		{"1.2.3"},
		{"1.10"},
		{"2.0.0.beta1"},
		{"2.0.0-alpha"}, // 2.0.0.pre.alpha: "beta" < "pre"
		{"2.0.0"},
		{"9"},
		{"20240101"},
		{"123456789012345678901234567890"},
	}
	for i, gi := range chain {
		for j, gj := range chain {
			for _, a := range gi {
				for _, b := range gj {
					want := 0
					if i < j {
						want = -1
					} else if i > j {
						want = 1
					}
					if got := compareGem(gv(t, a), gv(t, b)); got != want {
						t.Errorf("compareGem(%s, %s) = %d, want %d", a, b, got, want)
					}
				}
			}
		}
	}
	for _, bad := range []string{"1..2", "a1", "1.2.", "1_2", "1.2 3", ">= 1", "-1", "1.2-"} {
		if _, err := parseGemVersion(bad); err == nil {
			t.Errorf("parseGemVersion(%q) accepted", bad)
		}
	}
}

func TestBumpFloor(t *testing.T) {
	for in, want := range map[string]string{
		"1.2.3":        "1.3.A",
		"1.2":          "2.A",
		"1.0":          "2.A",
		"1":            "2.A",
		"0":            "1.A",
		"0.9":          "1.A",
		"1.9.9":        "1.10.A",
		"1.2.3.4":      "1.2.4.A",
		"4.2.5.1":      "4.2.6.A",
		"2.0.0.beta":   "2.1.A",
		"1.2.3.beta.1": "1.3.A",
		"1.2.3-rc1":    "1.3.A",
		"9.99":         "10.A",
	} {
		if got := bumpFloor(gv(t, in)).text; got != want {
			t.Errorf("bumpFloor(%s) = %s, want %s", in, got, want)
		}
	}
}

// release is Gem::Version#release: the segments before the first string.
func release(t testing.TB, v gemVersion) gemVersion {
	var parts []string
	for _, s := range v.segs {
		if s.isStr {
			break
		}
		parts = append(parts, s.s+strings.Repeat("0", boolInt(s.s == "")))
	}
	return gv(t, strings.Join(parts, "."))
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// satisfies is Gem::Requirement#satisfied_by? written from its definition, one
// operator at a time, with no intervals: the reference the translation is checked
// against.
func satisfies(t testing.TB, v gemVersion, reqList string) bool {
	for _, part := range strings.Split(reqList, ",") {
		part = strings.TrimSpace(part)
		op, ver := "=", part
		for _, o := range []string{"~>", ">=", "<=", "!=", ">", "<", "="} {
			if strings.HasPrefix(part, o) {
				op, ver = o, strings.TrimSpace(part[len(o):])
				break
			}
		}
		r := gv(t, ver)
		c := compareGem(v, r)
		ok := false
		switch op {
		case "=":
			ok = c == 0
		case "!=":
			ok = c != 0
		case ">":
			ok = c > 0
		case "<":
			ok = c < 0
		case ">=":
			ok = c >= 0
		case "<=":
			ok = c <= 0
		case "~>":
			// bump: drop strings, drop the last segment if more than one, increment.
			var nums []string
			for _, s := range r.segs {
				if s.isStr {
					break
				}
				if s.s == "" {
					nums = append(nums, "0")
				} else {
					nums = append(nums, s.s)
				}
			}
			if len(nums) > 1 {
				nums = nums[:len(nums)-1]
			}
			nums[len(nums)-1] = increment(nums[len(nums)-1])
			ok = c >= 0 && compareGem(release(t, v), gv(t, strings.Join(nums, "."))) < 0
		}
		if !ok {
			return false
		}
	}
	return true
}

// inRanges reports whether v is affected according to an Affected's ranges and versions.
func inRanges(t testing.TB, a *vulndb.Affected, v gemVersion) bool {
	if a == nil {
		return false
	}
	for _, s := range a.Versions {
		if compareGem(v, gv(t, s)) == 0 {
			return true
		}
	}
	for _, r := range a.Ranges {
		if r.Introduced != "" && compareGem(v, gv(t, r.Introduced)) < 0 {
			continue
		}
		if r.Fixed != "" && compareGem(v, gv(t, r.Fixed)) >= 0 {
			continue
		}
		if r.LastAffected != "" && compareGem(v, gv(t, r.LastAffected)) > 0 {
			continue
		}
		return true
	}
	return false
}

// probes are versions around every version an advisory names: itself, its prereleases,
// its next patch and the bump's neighbourhood. Versions of the form v.0.0.x (inside the
// documented approximation) are left out.
func probes(t testing.TB, reqs []string) []gemVersion {
	out := []gemVersion{gv(t, "0"), gv(t, "0.0.1"), gv(t, "0.1"), gv(t, "999"), gv(t, "999.a")}
	for _, list := range reqs {
		for _, part := range strings.Split(list, ",") {
			ver := strings.TrimSpace(strings.TrimLeft(strings.TrimSpace(part), "~<>=!"))
			v := gv(t, ver)
			nums := []string{}
			for _, s := range v.segs {
				if s.isStr {
					break
				}
				nums = append(nums, s.s+strings.Repeat("0", boolInt(s.s == "")))
			}
			next := slices.Clone(nums)
			next[len(next)-1] = increment(next[len(next)-1])
			cands := []string{ver, ver + ".1", ver + ".a", ver + ".rc1", ver + "-1", ver + ".0.1", strings.Join(next, ".")}
			if len(nums) > 1 {
				b := slices.Clone(nums[:len(nums)-1])
				b[len(b)-1] = increment(b[len(b)-1])
				bs := strings.Join(b, ".")
				cands = append(cands, bs, bs+".0", bs+".0.beta1", bs+".A", bs+".RC1", bs+".1")
				prev := slices.Clone(nums[:len(nums)-1])
				cands = append(cands, strings.Join(prev, ".")+".0.a")
			}
			for _, c := range cands {
				out = append(out, gv(t, c))
			}
		}
	}
	return out
}

// TestAffectedMatchesRequirements checks the translation against the requirement
// semantics, version by version, on synthetic requirement lists.
func TestAffectedMatchesRequirements(t *testing.T) {
	tests := []struct{ patched, unaffected []string }{
		{[]string{"~> 1.1.3", "~> 1.2.5", "~> 1.3.6", ">= 1.4.0"}, nil},
		{[]string{"~> 5.2.8", "~> 6.1.7, >= 6.1.7.1", ">= 7.0.4.1"}, nil},
		{[]string{">= 5.0.0.beta1.1", "~> 4.2.5, >= 4.2.5.1", "~> 4.1.14, >= 4.1.14.1"}, []string{"<= 4.0.13"}},
		{[]string{"= 2.2.10", ">= 2.2.18"}, []string{"< 1.16.0"}},
		{[]string{">= 2.0.2"}, []string{"< 2.0.0.beta1", "= 2.0.0-alpha"}},
		{nil, []string{"< 4.2.3", "> 4.2.3"}},
		{nil, []string{"< 0.0.6", "> 0.0.7"}},
		{[]string{"> 0.16.0"}, nil},
		{[]string{"~> 2.3.11", "> 3.0.4"}, []string{"< 3.0.0"}},
		{[]string{"~> 1", "~> 2.0"}, []string{"< 0.5"}},
		{[]string{"< 1.0", ">= 3.0"}, []string{"= 2.0"}},
		{nil, nil},
		{[]string{">= 0"}, nil},
	}
	for _, tt := range tests {
		name := strings.Join(tt.patched, " | ") + " / " + strings.Join(tt.unaffected, " | ")
		t.Run(name, func(t *testing.T) {
			checkAgainstRequirements(t, tt.patched, tt.unaffected)
		})
	}
}

func checkAgainstRequirements(t *testing.T, patched, unaffected []string) *vulndb.Affected {
	t.Helper()
	aff, _, err := affected(patched, unaffected)
	if err != nil {
		t.Fatal(err)
	}
	all := append(slices.Clone(patched), unaffected...)
	for _, v := range probes(t, all) {
		want := true
		for _, req := range all {
			if satisfies(t, v, req) {
				want = false
			}
		}
		if got := inRanges(t, aff, v); got != want {
			t.Errorf("%s: affected %v by %+v, want %v", v.text, got, aff, want)
		}
	}
	return aff
}

func TestAffectedRanges(t *testing.T) {
	r := func(intro, fixed, last string) vulndb.Range {
		return vulndb.Range{Type: "ECOSYSTEM", Introduced: intro, Fixed: fixed, LastAffected: last}
	}
	tests := []struct {
		patched, unaffected []string
		ranges              []vulndb.Range
		versions            []string
		status              string
		warnings            []string
	}{
		{[]string{"~> 1.1.3", "~> 1.2.5", "~> 1.3.6", ">= 1.4.0"}, nil,
			[]vulndb.Range{r("", "1.1.3", ""), r("1.2.A", "1.2.5", ""), r("1.3.A", "1.3.6", ""), r("1.4.A", "1.4.0", "")}, nil, "fixed", nil},
		{[]string{">= 2.0.6"}, []string{"<= 2.0.3"}, []vulndb.Range{r("2.0.3.0.1", "2.0.6", "")}, nil, "fixed", []string{WarnApproximated}},
		{[]string{"> 0.16.0"}, nil, []vulndb.Range{r("", "", "0.16.0")}, nil, "fixed", nil},
		{[]string{">= 4.2.4"}, []string{"< 4.2.3", "> 4.2.3"}, nil, []string{"4.2.3"}, "fixed", nil},
		{nil, []string{"< 0.0.6", "> 0.0.7"}, []vulndb.Range{r("0.0.6", "", "0.0.7")}, nil, "affected", nil},
		{nil, []string{"< 3.0.0"}, []vulndb.Range{r("3.0.0", "", "")}, nil, "affected", nil},
		{nil, nil, []vulndb.Range{r("", "", "")}, nil, "affected", nil},
		{[]string{">= 5.1.2"}, []string{"< 5.1.2"}, nil, nil, "", []string{WarnNothingLeft}},
		{[]string{"~> 2.3.11", "> 3.0.4"}, []string{"< 3.0.0"}, []vulndb.Range{r("3.0.0", "", "3.0.4")}, nil, "fixed", nil},
		// "< 4.0.0" takes in 4.0.0.beta1 to beta7 (prereleases sort below 4.0.0), so the
		// ">= 4.0.0.beta8" line leaves no gap.
		{[]string{">= 2.12.5, < 3.0.0", ">= 3.7.2, < 4.0.0", ">= 4.0.0.beta8"}, nil,
			[]vulndb.Range{r("", "2.12.5", ""), r("3.0.0", "3.7.2", "")}, nil, "fixed", nil},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.patched, "|")+"/"+strings.Join(tt.unaffected, "|"), func(t *testing.T) {
			aff, warnings, err := affected(tt.patched, tt.unaffected)
			if err != nil {
				t.Fatal(err)
			}
			var ranges []vulndb.Range
			var versions []string
			status := ""
			if aff != nil {
				ranges, versions, status = aff.Ranges, aff.Versions, aff.Status
			}
			if !reflect.DeepEqual(ranges, tt.ranges) || !slices.Equal(versions, tt.versions) || status != tt.status || !slices.Equal(warnings, tt.warnings) {
				t.Errorf("got %+v %v %q %v\nwant %+v %v %q %v", ranges, versions, status, warnings, tt.ranges, tt.versions, tt.status, tt.warnings)
			}
		})
	}
}

func TestRequirementErrors(t *testing.T) {
	for _, bad := range []string{"!= 1.0", "~> foo", ">= ", "=> 1.0", ">= 1.0 2.0", ">= 1.0,", "~>> 1"} {
		if _, _, err := affected([]string{bad}, nil); err == nil {
			t.Errorf("requirement %q accepted", bad)
		}
	}
}
