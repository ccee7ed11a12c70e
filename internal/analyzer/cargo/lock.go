package cargo

import (
	"fmt"
	"sort"
	"strings"

	"github.com/BurntSushi/toml"

	"github.com/shipshape-dev/shipshape/internal/inventory"
)

// lockFile is the part of a Cargo.lock this analyzer reads. Version 1 files have no
// version key and list dependencies as "name version (source)"; version 2 (also without
// the key) shortens them to "name" or "name version" where that is unambiguous and moves
// checksums into each package; versions 3 and 4 add the key (4 changes how git references
// are written, which is not read here).
type lockFile struct {
	Version  int           `toml:"version"`
	Packages []lockPackage `toml:"package"`
}

type lockPackage struct {
	Name         string   `toml:"name"`
	Version      string   `toml:"version"`
	Source       string   `toml:"source"`
	Dependencies []string `toml:"dependencies"`
}

// ParseLock reads a Cargo.lock (format v1 to v4). It reports every crate that comes from a
// registry or a git repository; crates without a source are the workspace's own members
// (or path dependencies) and are left out, but the crates they depend on are marked
// direct and all others transitive. Warnings name entries that could not be read.
func ParseLock(data []byte) ([]inventory.Package, []string, error) {
	var lf lockFile
	md, err := toml.Decode(string(data), &lf)
	if err != nil {
		return nil, nil, fmt.Errorf("not a Cargo.lock (TOML with [[package]] tables): %w", err)
	}
	if !md.IsDefined("package") {
		if len(md.Keys()) == 0 {
			return nil, nil, nil // an empty file
		}
		return nil, nil, fmt.Errorf("not a Cargo.lock: no [[package]] table")
	}
	if lf.Version > 4 {
		return nil, nil, fmt.Errorf("lock format version %d is newer than the versions this analyzer knows (1 to 4); update shipshape", lf.Version)
	}
	var warnings []string
	type entry struct {
		lockPackage
		local  bool
		direct bool
	}
	entries := make([]*entry, 0, len(lf.Packages))
	byName := map[string][]*entry{}
	for _, p := range lf.Packages {
		p.Name, p.Version, p.Source = strings.TrimSpace(p.Name), strings.TrimSpace(p.Version), strings.TrimSpace(p.Source)
		if !validCrate(p.Name, p.Version) {
			warnings = append(warnings, fmt.Sprintf("package %q version %q is not a crate name and version; skipped", p.Name, p.Version))
			continue
		}
		e := &entry{lockPackage: p, local: p.Source == ""}
		entries = append(entries, e)
		byName[p.Name] = append(byName[p.Name], e)
	}
	hasLocal := false
	for _, e := range entries {
		if !e.local {
			continue
		}
		hasLocal = true
		for _, ref := range e.Dependencies {
			name, version, source := splitDependency(ref)
			for _, c := range byName[name] {
				if (version == "" || c.Version == version) && (source == "" || c.Source == source) && !c.local {
					c.direct = true
				}
			}
		}
	}
	var pkgs []inventory.Package
	for _, e := range entries {
		if e.local {
			continue
		}
		dep := ""
		if hasLocal {
			dep = inventory.DependencyTransitive
			if e.direct {
				dep = inventory.DependencyDirect
			}
		}
		pkgs = append(pkgs, pkg(e.Name, e.Version, dep))
	}
	sortPackages(pkgs)
	return pkgs, warnings, nil
}

// splitDependency splits a Cargo.lock dependency reference: "name", "name version" or
// "name version (source)".
func splitDependency(ref string) (name, version, source string) {
	ref = strings.TrimSpace(ref)
	if i := strings.IndexByte(ref, '('); i >= 0 && strings.HasSuffix(ref, ")") {
		source = ref[i+1 : len(ref)-1]
		ref = strings.TrimSpace(ref[:i])
	}
	name, version, _ = strings.Cut(ref, " ")
	return name, strings.TrimSpace(version), source
}

func sortPackages(pkgs []inventory.Package) {
	sort.SliceStable(pkgs, func(i, j int) bool {
		if pkgs[i].Name != pkgs[j].Name {
			return pkgs[i].Name < pkgs[j].Name
		}
		return pkgs[i].Version < pkgs[j].Version
	})
}
