package layer

import (
	"sort"
	"strings"

	"github.com/shipshape-dev/shipshape/internal/analyzer"
	"github.com/shipshape-dev/shipshape/internal/inventory"
)

// osSourcePriority orders the files the OS may be read from; earlier wins.
var osSourcePriority = []string{
	"etc/os-release",
	"usr/lib/os-release",
	"etc/alpine-release",
	"etc/debian_version",
	"etc/redhat-release",
	"etc/centos-release",
	"etc/rocky-release",
	"etc/almalinux-release",
	"etc/fedora-release",
	"etc/oracle-release",
	"etc/system-release",
}

func osPriority(p string) int {
	for i, s := range osSourcePriority {
		if s == p {
			return i
		}
	}
	return len(osSourcePriority)
}

// hidden tracks what higher layers hide from lower ones.
type hidden struct {
	exact map[string]bool // paths present (shadowing) or whited out in higher layers
	dirs  dirSet          // directories deleted or made opaque by higher layers
}

func (h *hidden) hides(p string) bool {
	return h.exact[p] || h.dirs.covers(p)
}

// dirSet is a set of deleted or opaque directories; "." stands for the whole tree.
type dirSet map[string]bool

// covers reports whether p is one of the directories or lies below one: it looks up p and
// each of its parents, so the cost is the path's depth, not the number of directories (a
// layer that purges a package can carry thousands of whiteouts).
func (d dirSet) covers(p string) bool {
	if len(d) == 0 {
		return false
	}
	if d["."] {
		return true
	}
	for q := p; q != ""; {
		if d[q] {
			return true
		}
		i := strings.LastIndexByte(q, '/')
		if i < 0 {
			break
		}
		q = q[:i]
	}
	return false
}

// layerIndex holds, per layer result, what attribute asks of it again and again: the
// facts of each (path, analyzer) and what the layer deletes.
type layerIndex struct {
	files    map[[2]string][]*FileFacts
	deleted  dirSet // whiteouts: the path itself and everything below it
	opaqueIn dirSet // opaque directories: everything below them
}

func indexLayer(r *Result) *layerIndex {
	ix := &layerIndex{files: map[[2]string][]*FileFacts{}, deleted: dirSet{}, opaqueIn: dirSet{}}
	for i := range r.Files {
		ff := &r.Files[i]
		k := [2]string{ff.Path, ff.Analyzer}
		ix.files[k] = append(ix.files[k], ff)
	}
	for _, w := range r.Whiteouts {
		ix.deleted[w] = true
	}
	for _, d := range r.Opaques {
		ix.opaqueIn[d] = true
	}
	return ix
}

// deletes reports whether the layer deletes p: a whiteout of p or of a folder above it,
// or an opaque folder above it.
func (ix *layerIndex) deletes(p string) bool {
	if ix.deleted.covers(p) {
		return true
	}
	if ix.opaqueIn["."] {
		return true
	}
	i := strings.LastIndexByte(p, '/')
	return i > 0 && ix.opaqueIn.covers(p[:i])
}

type visibleFile struct {
	layer int
	ff    FileFacts
}

// Merge combines per-layer results (bottom first) into an inventory: whiteouts and opaque
// directories are applied top-down, each package is attributed to the lowest layer from
// which it has been continuously present, and the OS is chosen from the visible files.
func Merge(layers []inventory.Layer, results []*Result) *inventory.Inventory {
	inv := &inventory.Inventory{Layers: layers, Packages: []inventory.Package{}}
	h := hidden{exact: map[string]bool{}, dirs: dirSet{}}
	index := make([]*layerIndex, len(results))
	for i, r := range results {
		if r != nil {
			index[i] = indexLayer(r)
		}
	}
	var visible []visibleFile
	for i := len(results) - 1; i >= 0; i-- {
		r := results[i]
		if r == nil {
			continue
		}
		var ref *inventory.LayerRef
		if i < len(layers) {
			ref = &inventory.LayerRef{Index: layers[i].Index, DiffID: layers[i].DiffID, CreatedBy: layers[i].CreatedBy}
		}
		for _, ff := range r.Files {
			if !h.hides(ff.Path) {
				visible = append(visible, visibleFile{layer: i, ff: ff})
			}
			// Secrets and layer-level misconfigurations count in every layer, hidden or not:
			// a secret deleted by a later layer is still in the image.
			for _, s := range ff.Facts.Secrets {
				if s.Path == "" {
					s.Path = "/" + ff.Path
				}
				if s.Layer == nil && ref != nil {
					l := *ref
					s.Layer = &l
				}
				inv.Secrets = append(inv.Secrets, s)
			}
			for _, m := range ff.Facts.Misconfigurations {
				if m.Target == "" {
					m.Target = "/" + ff.Path
				}
				if m.Layer == nil && ref != nil {
					l := *ref
					m.Layer = &l
				}
				inv.Misconfigurations = append(inv.Misconfigurations, m)
			}
		}
		for _, ff := range r.Files {
			h.exact[ff.Path] = true
		}
		for _, w := range r.Whiteouts {
			h.exact[w] = true
			h.dirs[w] = true
		}
		for _, d := range r.Opaques {
			h.dirs[d] = true
		}
		for _, w := range r.Warnings {
			if i < len(layers) && w.Layer == "" {
				w.Layer = layers[i].DiffID
			}
			inv.Warnings = append(inv.Warnings, w)
		}
	}
	sort.SliceStable(visible, func(i, j int) bool {
		if visible[i].ff.Path != visible[j].ff.Path {
			return visible[i].ff.Path < visible[j].ff.Path
		}
		return visible[i].ff.Analyzer < visible[j].ff.Analyzer
	})

	var oses []*inventory.OS
	licenses := map[string][]string{}
	owner := map[string]string{} // path -> type "\x00" name of the OS package owning it
	distroless := false
	for _, v := range visible {
		f := v.ff.Facts
		if f.OS != nil {
			o := *f.OS
			o.Source = "/" + v.ff.Path
			oses = append(oses, &o)
		}
		for name, paths := range f.Owns {
			for _, p := range paths {
				if _, ok := owner[p]; !ok {
					owner[p] = f.PackageType + "\x00" + name
				}
			}
		}
		for _, lf := range f.LicenseFiles {
			lf.Path = "/" + v.ff.Path
			if v.layer < len(layers) {
				lf.Layer = &inventory.LayerRef{Index: layers[v.layer].Index, DiffID: layers[v.layer].DiffID, CreatedBy: layers[v.layer].CreatedBy}
			}
			inv.Licenses = append(inv.Licenses, lf)
		}
		for name, ls := range f.Licenses {
			k := f.PackageType + "\x00" + name
			licenses[k] = append(licenses[k], ls...)
		}
		for _, p := range f.Packages {
			// A package found inside an archive keeps its nested location
			// ("/app.war:WEB-INF/lib/x.jar"); any other gets the file's path.
			if loc := "/" + v.ff.Path; !strings.HasPrefix(p.Location, loc+":") {
				p.Location = loc
			}
			p.Layer = attribute(index, layers, v.layer, v.ff.Path, v.ff.Analyzer, p)
			if strings.HasPrefix(v.ff.Path, "var/lib/dpkg/status.d/") {
				distroless = true
			}
			inv.Packages = append(inv.Packages, p)
		}
	}
	inv.OS = mergeOS(oses)
	if distroless {
		if inv.OS == nil {
			inv.OS = &inventory.OS{Family: "debian", Name: "Debian GNU/Linux (distroless)"}
		}
		inv.OS.Distroless = true
	}
	for i := range inv.Packages {
		p := &inv.Packages[i]
		if len(p.Licenses) == 0 {
			if ls := licenses[p.Type+"\x00"+p.Name]; len(ls) > 0 {
				p.Licenses = dedupe(ls)
			}
		}
		if p.PURL == "" {
			p.PURL = inventory.PURL(p, inv.OS)
		}
	}
	markOwned(inv, owner)
	inv.Sort()
	return inv
}

func dedupe(ss []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range ss {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	sort.Strings(out)
	return out
}

func samePackage(a, b inventory.Package) bool {
	return a.Type == b.Type && a.Name == b.Name && a.Version == b.Version && a.Arch == b.Arch
}

func hasPackage(ix *layerIndex, path, an string, p inventory.Package) (fileThere, pkgThere bool) {
	for _, ff := range ix.files[[2]string{path, an}] {
		fileThere = true
		for _, q := range ff.Facts.Packages {
			if samePackage(p, q) {
				return true, true
			}
		}
	}
	return fileThere, false
}

// attribute finds the lowest layer from which p has been present, unchanged in identity,
// in every version of the file that holds it up to layer top.
func attribute(index []*layerIndex, layers []inventory.Layer, top int, path, an string, p inventory.Package) *inventory.LayerRef {
	at := top
	if !index[top].deletes(path) {
		for k := top - 1; k >= 0; k-- {
			r := index[k]
			if r == nil {
				break
			}
			fileThere, pkgThere := hasPackage(r, path, an, p)
			if fileThere {
				if !pkgThere {
					break
				}
				at = k
			}
			if r.deletes(path) {
				break
			}
		}
	}
	ref := &inventory.LayerRef{Index: at}
	if at < len(layers) {
		ref.DiffID = layers[at].DiffID
		ref.CreatedBy = layers[at].CreatedBy
	}
	return ref
}

// mergeOS takes the highest-priority OS facts and fills their gaps from the others.
func mergeOS(oses []*inventory.OS) *inventory.OS {
	if len(oses) == 0 {
		return nil
	}
	sort.SliceStable(oses, func(i, j int) bool {
		return osPriority(strings.TrimPrefix(oses[i].Source, "/")) < osPriority(strings.TrimPrefix(oses[j].Source, "/"))
	})
	base := *oses[0]
	for _, o := range oses[1:] {
		if base.Family == "" {
			base.Family = o.Family
		}
		if base.Family != o.Family && o.Family != "" {
			continue
		}
		if base.Version == "" {
			base.Version = o.Version
		}
		if base.Name == "" {
			base.Name = o.Name
		}
		if base.Codename == "" {
			base.Codename = o.Codename
		}
	}
	return &base
}

// markOwned sets OwnedBy on the language packages whose file an OS package installed.
// owner maps a path (relative) to the type and name of the OS package listing it; range
// order does not matter because every key is looked up, never iterated.
func markOwned(inv *inventory.Inventory, owner map[string]string) {
	if len(owner) == 0 {
		return
	}
	purls := map[string]string{}
	for i := range inv.Packages {
		p := &inv.Packages[i]
		if k := p.Type + "\x00" + p.Name; purls[k] == "" {
			purls[k] = p.PURL
		}
	}
	for i := range inv.Packages {
		p := &inv.Packages[i]
		if inventory.IsOSType(p.Type) || p.Location == "" {
			continue
		}
		if k, ok := owner[analyzer.OwnedPath(p.Location)]; ok && purls[k] != "" {
			p.OwnedBy = purls[k]
		}
	}
}
