package policy

import (
	"cmp"
	"slices"
	"strings"

	"github.com/shipshape-dev/shipshape/internal/inventory"
)

// Comparison is what changed between two scans (compare OLD NEW).
type Comparison struct {
	SchemaVersion int              `json:"schemaVersion"`
	Old           inventory.Target `json:"old"`
	New           inventory.Target `json:"new"`
	// SharedLayers is how many bottom layers the two images have in common (same diffIDs in
	// the same order): the shared base. With IgnoreBase, what those layers hold is left out
	// of both sides.
	SharedLayers    int                `json:"sharedLayers"`
	IgnoreBase      bool               `json:"ignoreBase,omitempty"`
	Packages        PackageChanges     `json:"packages"`
	Vulnerabilities VulnerabilityDelta `json:"vulnerabilities"`
}

// PackageChanges lists packages added, removed, upgraded and downgraded.
type PackageChanges struct {
	Added      []PackageRef    `json:"added"`
	Removed    []PackageRef    `json:"removed"`
	Upgraded   []PackageChange `json:"upgraded"`
	Downgraded []PackageChange `json:"downgraded"`
	// Unchanged counts packages present in both at the same version.
	Unchanged int `json:"unchanged"`
}

// PackageRef names one package of one side.
type PackageRef struct {
	Type    string              `json:"type"`
	Name    string              `json:"name"`
	Version string              `json:"version"`
	Arch    string              `json:"arch,omitempty"`
	PURL    string              `json:"purl,omitempty"`
	Layer   *inventory.LayerRef `json:"layer,omitempty"`
}

// PackageChange is a package present in both at different versions.
type PackageChange struct {
	Type string `json:"type"`
	Name string `json:"name"`
	Arch string `json:"arch,omitempty"`
	From string `json:"from"`
	To   string `json:"to"`
	// PURL is the new package's; Layer the new layer that installed it.
	PURL  string              `json:"purl,omitempty"`
	Layer *inventory.LayerRef `json:"layer,omitempty"`
	// Note says when the versions could not be ordered by the ecosystem's rules (the change
	// is then listed as an upgrade).
	Note string `json:"note,omitempty"`
}

// VulnerabilityDelta lists the findings only NEW has (Added) and only OLD has (Fixed). A
// finding is the same on both sides when its id, package type and package name are; so a
// package upgraded to a version that is still vulnerable keeps its finding unchanged.
type VulnerabilityDelta struct {
	Added     []inventory.Finding `json:"added"`
	Fixed     []inventory.Finding `json:"fixed"`
	Unchanged int                 `json:"unchanged"`
}

// CompareOptions tune Compare.
type CompareOptions struct {
	// IgnoreBase leaves out, on both sides, the packages and findings of the layers the two
	// images share at the bottom.
	IgnoreBase bool
}

// SharedLayers counts the bottom layers two inventories have in common, by diffID.
func SharedLayers(a, b *inventory.Inventory) int {
	la, lb := sortedLayers(a), sortedLayers(b)
	n := 0
	for n < len(la) && n < len(lb) && la[n].DiffID != "" && la[n].DiffID == lb[n].DiffID {
		n++
	}
	return n
}

func sortedLayers(inv *inventory.Inventory) []inventory.Layer {
	ls := slices.Clone(inv.Layers)
	slices.SortStableFunc(ls, func(x, y inventory.Layer) int { return cmp.Compare(x.Index, y.Index) })
	return ls
}

// Compare reports what changed from old to new.
func Compare(old, new *inventory.Inventory, opts CompareOptions) *Comparison {
	c := &Comparison{SchemaVersion: 1, Old: old.Target, New: new.Target, SharedLayers: SharedLayers(old, new), IgnoreBase: opts.IgnoreBase}
	inBase := func(l *inventory.LayerRef) bool {
		return opts.IgnoreBase && l != nil && l.Index < c.SharedLayers
	}
	c.Packages = comparePackages(old.Packages, new.Packages, inBase)
	c.Vulnerabilities = compareFindings(old.Vulnerabilities, new.Vulnerabilities, inBase)
	return c
}

type pkgKey struct{ typ, name, arch string }

func comparePackages(old, new []inventory.Package, inBase func(*inventory.LayerRef) bool) PackageChanges {
	group := func(ps []inventory.Package) (map[pkgKey][]inventory.Package, []pkgKey) {
		m := map[pkgKey][]inventory.Package{}
		var keys []pkgKey
		for _, p := range ps {
			if inBase(p.Layer) {
				continue
			}
			k := pkgKey{p.Type, p.Name, p.Arch}
			if _, ok := m[k]; !ok {
				keys = append(keys, k)
			}
			m[k] = append(m[k], p)
		}
		return m, keys
	}
	om, okeys := group(old)
	nm, nkeys := group(new)
	keys := append(okeys, nkeys...)
	slices.SortFunc(keys, func(a, b pkgKey) int {
		return cmp.Or(strings.Compare(a.typ, b.typ), strings.Compare(a.name, b.name), strings.Compare(a.arch, b.arch))
	})
	keys = slices.Compact(keys)
	out := PackageChanges{Added: []PackageRef{}, Removed: []PackageRef{}, Upgraded: []PackageChange{}, Downgraded: []PackageChange{}}
	byVersion := func(ps []inventory.Package) {
		slices.SortStableFunc(ps, func(a, b inventory.Package) int {
			c, _ := compareVersions(namespaceOfType(a.Type), a.Version, b.Version)
			return cmp.Or(c, strings.Compare(a.Version, b.Version), strings.Compare(a.Location, b.Location))
		})
	}
	for _, k := range keys {
		os, ns := slices.Clone(om[k]), slices.Clone(nm[k])
		// Versions on both sides are unchanged (as a multiset).
		var restOld []inventory.Package
		for _, p := range os {
			if i := slices.IndexFunc(ns, func(q inventory.Package) bool { return q.Version == p.Version }); i >= 0 {
				ns = slices.Delete(ns, i, i+1)
				out.Unchanged++
				continue
			}
			restOld = append(restOld, p)
		}
		byVersion(restOld)
		byVersion(ns)
		n := min(len(restOld), len(ns))
		for i := 0; i < n; i++ {
			o, p := restOld[i], ns[i]
			ch := PackageChange{Type: k.typ, Name: k.name, Arch: k.arch, From: o.Version, To: p.Version, PURL: p.PURL, Layer: p.Layer}
			c, err := compareVersions(namespaceOfType(k.typ), o.Version, p.Version)
			if err != nil {
				ch.Note = "versions compared as text: " + err.Error()
			}
			if c > 0 {
				out.Downgraded = append(out.Downgraded, ch)
			} else {
				out.Upgraded = append(out.Upgraded, ch)
			}
		}
		for _, p := range restOld[n:] {
			out.Removed = append(out.Removed, pkgRef(p))
		}
		for _, p := range ns[n:] {
			out.Added = append(out.Added, pkgRef(p))
		}
	}
	return out
}

func pkgRef(p inventory.Package) PackageRef {
	return PackageRef{Type: p.Type, Name: p.Name, Version: p.Version, Arch: p.Arch, PURL: p.PURL, Layer: p.Layer}
}

// namespaceOfType names the version rules of a package type for version.For.
func namespaceOfType(t string) string {
	switch t {
	case inventory.TypeDeb:
		return "debian"
	case inventory.TypeApk:
		return "alpine"
	case inventory.TypeRPM:
		return "rhel"
	case inventory.TypeGolang:
		return "go"
	case inventory.TypeGem:
		return "rubygems"
	case inventory.TypeCargo:
		return "crates.io"
	case inventory.TypeComposer:
		return "packagist"
	}
	return t // npm, pypi, maven, nuget
}

type findingKey struct{ id, typ, name string }

func compareFindings(old, new []inventory.Finding, inBase func(*inventory.LayerRef) bool) VulnerabilityDelta {
	count := func(fs []inventory.Finding) map[findingKey][]inventory.Finding {
		m := map[findingKey][]inventory.Finding{}
		for _, f := range fs {
			if inBase(f.Layer) {
				continue
			}
			k := findingKey{f.ID, f.PkgType, f.PkgName}
			m[k] = append(m[k], f)
		}
		return m
	}
	om, nm := count(old), count(new)
	d := VulnerabilityDelta{Added: []inventory.Finding{}, Fixed: []inventory.Finding{}}
	for k, ns := range nm {
		o := len(om[k])
		d.Unchanged += min(o, len(ns))
		if len(ns) > o {
			slices.SortStableFunc(ns, byPackage)
			d.Added = append(d.Added, ns[o:]...)
		}
	}
	for k, os := range om {
		n := len(nm[k])
		if len(os) > n {
			slices.SortStableFunc(os, byPackage)
			d.Fixed = append(d.Fixed, os[n:]...)
		}
	}
	order, _ := FindingOrder(SortSeverity)
	total := func(a, b inventory.Finding) int {
		li := func(l *inventory.LayerRef) int {
			if l == nil {
				return -1
			}
			return l.Index
		}
		return cmp.Or(order(a, b), cmp.Compare(li(a.Layer), li(b.Layer)), strings.Compare(a.FixedVersion, b.FixedVersion),
			strings.Compare(a.Namespace, b.Namespace), strings.Compare(a.Status, b.Status))
	}
	slices.SortFunc(d.Added, total)
	slices.SortFunc(d.Fixed, total)
	return d
}
