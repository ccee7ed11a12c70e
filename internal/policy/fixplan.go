package policy

import (
	"cmp"
	"slices"
	"strings"

	"github.com/shipshape-dev/shipshape/internal/inventory"
	"github.com/shipshape-dev/shipshape/internal/version"
)

// Upgrade is one step of a fix plan: upgrading one package to the lowest version that fixes
// every finding of it that has a fix.
type Upgrade struct {
	PkgName          string `json:"pkgName"`
	PkgType          string `json:"pkgType"`
	PkgPURL          string `json:"pkgPURL"`
	InstalledVersion string `json:"installedVersion"`
	Location         string `json:"location,omitempty"`
	// FixedVersion is the version to upgrade to: the highest of the findings' lowest fixed
	// versions, so the lowest version that fixes them all.
	FixedVersion string `json:"fixedVersion"`
	// Fixes lists the ids of the findings the upgrade fixes; Unfixed those of the same
	// package that no version fixes yet.
	Fixes   []string `json:"fixes"`
	Unfixed []string `json:"unfixed,omitempty"`
	// Severity is the highest severity among Fixes, Risk the highest risk.
	Severity string  `json:"severity"`
	Risk     float64 `json:"risk"`
	// Layer is the image layer that installed the package, when known.
	Layer *inventory.LayerRef `json:"layer,omitempty"`
	// BaseImage is true when the package comes from the base image's layers (--base): the
	// fix is a rebuild on a newer base rather than an upgrade in your own layers.
	BaseImage bool `json:"baseImage,omitempty"`
	// Note says when versions could not be compared by the ecosystem's rules.
	Note string `json:"note,omitempty"`
}

// MarkBase sets BaseImage on the upgrades of packages from the bottom baseLayers layers.
func MarkBase(plan []Upgrade, baseLayers int) {
	for i := range plan {
		if l := plan[i].Layer; l != nil && l.Index < baseLayers {
			plan[i].BaseImage = true
		}
	}
}

// FixPlan returns, for every package with findings that have a fix, the smallest upgrade
// that fixes them all. Suppressed findings are left out. Upgrades are ordered by how many
// findings they fix (most first), then by highest severity, highest risk, package name and
// location.
func FixPlan(inv *inventory.Inventory) []Upgrade {
	if inv == nil {
		return nil
	}
	type key struct{ purl, name, version, location string }
	byPkg := map[key]*Upgrade{}
	var keys []key
	for i := range inv.Vulnerabilities {
		f := &inv.Vulnerabilities[i]
		if f.Suppressed != nil {
			continue
		}
		k := key{f.PkgPURL, f.PkgName, f.InstalledVersion, f.Location}
		u, ok := byPkg[k]
		if !ok {
			u = &Upgrade{PkgName: f.PkgName, PkgType: f.PkgType, PkgPURL: f.PkgPURL, InstalledVersion: f.InstalledVersion,
				Location: f.Location, Layer: f.Layer}
			byPkg[k] = u
			keys = append(keys, k)
		}
		if f.FixedVersion == "" {
			u.Unfixed = append(u.Unfixed, f.ID)
			continue
		}
		u.Fixes = append(u.Fixes, f.ID)
		if severityRank(f.Severity) > severityRank(u.Severity) || u.Severity == "" {
			u.Severity = strings.ToUpper(f.Severity)
		}
		u.Risk = max(u.Risk, f.Risk)
		if u.FixedVersion == "" {
			u.FixedVersion = f.FixedVersion
			continue
		}
		c, err := compareVersions(f.Namespace, f.FixedVersion, u.FixedVersion)
		if err != nil {
			u.Note = "versions compared as text: " + err.Error()
		}
		if c > 0 {
			u.FixedVersion = f.FixedVersion
		}
	}
	var out []Upgrade
	for _, k := range keys {
		u := byPkg[k]
		if len(u.Fixes) == 0 {
			continue
		}
		slices.Sort(u.Fixes)
		u.Fixes = slices.Compact(u.Fixes)
		slices.Sort(u.Unfixed)
		u.Unfixed = slices.Compact(u.Unfixed)
		out = append(out, *u)
	}
	slices.SortFunc(out, func(a, b Upgrade) int {
		return cmp.Or(len(b.Fixes)-len(a.Fixes), severityRank(b.Severity)-severityRank(a.Severity),
			cmp.Compare(b.Risk, a.Risk), strings.Compare(a.PkgName, b.PkgName), strings.Compare(a.Location, b.Location),
			strings.Compare(a.InstalledVersion, b.InstalledVersion), strings.Compare(a.PkgPURL, b.PkgPURL))
	})
	return out
}

// compareVersions orders two versions by the rules of the namespace's ecosystem, falling
// back to text order (with the error) when there are none or a version does not parse.
func compareVersions(namespace, a, b string) (int, error) {
	c, err := version.For(namespace)
	if err == nil {
		var r int
		if r, err = c.Compare(a, b); err == nil {
			return r, nil
		}
	}
	return strings.Compare(a, b), err
}
