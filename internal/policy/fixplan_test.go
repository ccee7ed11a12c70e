package policy

import (
	"slices"
	"testing"
)

func TestFixPlan(t *testing.T) {
	inv := loadScan(t)
	Apply(inv, Options{Now: fixedNow})
	plan := FixPlan(inv)
	// Computed from the fixture: per package, the highest of the findings' fixed versions
	// by npm's rules, and every finding with a fix.
	want := map[string]struct {
		fixed string
		n     int
	}{}
	for _, f := range inv.Vulnerabilities {
		w := want[f.PkgName]
		w.n++
		if w.fixed == "" {
			w.fixed = f.FixedVersion
		} else if c, err := compareVersions(f.Namespace, f.FixedVersion, w.fixed); err != nil {
			t.Fatal(err)
		} else if c > 0 {
			w.fixed = f.FixedVersion
		}
		want[f.PkgName] = w
	}
	if len(plan) != len(want) {
		t.Fatalf("%d upgrades, want %d: %+v", len(plan), len(want), plan)
	}
	for i, u := range plan {
		w := want[u.PkgName]
		if u.FixedVersion != w.fixed || len(u.Fixes) != w.n || u.Severity == "" || u.Risk <= 0 || u.Note != "" {
			t.Errorf("%s: %+v, want %s fixing %d", u.PkgName, u, w.fixed, w.n)
		}
		if i > 0 && len(plan[i-1].Fixes) < len(u.Fixes) {
			t.Errorf("plan not ordered by findings fixed: %s before %s", plan[i-1].PkgName, u.PkgName)
		}
	}
	// The real data: lodash 4.17.15 needs 4.17.21 (GHSA-35jh, GHSA-29mw), not 4.17.20 or 4.17.19;
	// minimist needs 1.2.6, axios 1.6.0 (where the text order would say 0.21.1 > 1.6.0 is false anyway).
	for _, u := range plan {
		switch u.PkgName {
		case "lodash":
			if u.FixedVersion != "4.17.21" || len(u.Fixes) != 4 {
				t.Errorf("lodash: %+v", u)
			}
		case "minimist":
			if u.FixedVersion != "1.2.6" {
				t.Errorf("minimist: %+v", u)
			}
		}
	}
	// Suppressed findings are not planned for.
	f, _ := ParseIgnoreYAML([]byte("vulnerabilities:\n  - id: CVE-2021-44906\n"), "i.yaml")
	inv = loadScan(t)
	Apply(inv, Options{Ignore: []*IgnoreFile{f}, Now: fixedNow})
	for _, u := range FixPlan(inv) {
		if u.PkgName == "minimist" && (u.FixedVersion != "1.2.3" || slices.Contains(u.Fixes, "GHSA-xvch-5gv4-984h")) {
			t.Errorf("minimist with its critical finding ignored: %+v", u)
		}
	}
}

func TestCompareVersionsFallback(t *testing.T) {
	if c, err := compareVersions("npm", "1.10.0", "1.9.0"); err != nil || c <= 0 {
		t.Errorf("npm 1.10.0 vs 1.9.0: %d %v", c, err)
	}
	if _, err := compareVersions("nosuch", "1", "2"); err == nil {
		t.Error("unknown namespace compared without a note")
	}
}
