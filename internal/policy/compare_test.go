package policy

import (
	"testing"

	"github.com/shipshape-dev/shipshape/internal/inventory"
)

func TestCompareSelf(t *testing.T) {
	inv := loadScan(t)
	c := Compare(inv, inv, CompareOptions{})
	if len(c.Vulnerabilities.Added)+len(c.Vulnerabilities.Fixed) != 0 || c.Vulnerabilities.Unchanged != len(inv.Vulnerabilities) {
		t.Errorf("self comparison: %+v", c.Vulnerabilities)
	}
	if c.Packages.Unchanged != len(inv.Packages) || len(c.Packages.Added)+len(c.Packages.Removed)+len(c.Packages.Upgraded) != 0 {
		t.Errorf("self comparison: %+v", c.Packages)
	}
}

func TestCompareDowngradeAndRemoval(t *testing.T) {
	// The npm scan against itself with lodash taken back to the version of one of its
	// fixes and minimist removed: a version change (ordered by npm's rules) and removals.
	old := loadScan(t)
	new := loadScan(t)
	var pkgs []inventory.Package
	for _, p := range new.Packages {
		switch p.Name {
		case "lodash":
			p.Version = "4.17.9" // older than 4.17.15 by npm's rules, newer as text
		case "minimist":
			continue
		}
		pkgs = append(pkgs, p)
	}
	new.Packages = pkgs
	var fs []inventory.Finding
	for _, f := range new.Vulnerabilities {
		if f.PkgName != "minimist" {
			fs = append(fs, f)
		}
	}
	new.Vulnerabilities = fs
	c := Compare(old, new, CompareOptions{})
	if len(c.Packages.Downgraded) == 0 || c.Packages.Downgraded[0].Name != "lodash" || c.Packages.Downgraded[0].To != "4.17.9" {
		t.Errorf("downgraded %+v", c.Packages.Downgraded)
	}
	if len(c.Packages.Removed) == 0 || c.Packages.Removed[0].Name != "minimist" {
		t.Errorf("removed %+v", c.Packages.Removed)
	}
	for _, f := range c.Vulnerabilities.Fixed {
		if f.PkgName != "minimist" {
			t.Errorf("fixed %s %s", f.ID, f.PkgName)
		}
	}
	if len(c.Vulnerabilities.Fixed) == 0 {
		t.Error("minimist's findings are not reported fixed")
	}
}
