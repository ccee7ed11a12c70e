package python

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/BurntSushi/toml"

	"github.com/shipshape-dev/shipshape/internal/inventory"
)

// ParsePoetryLock reads a poetry.lock (lock-version 1.x, 2.0 and 2.1). Every [[package]]
// is reported. Poetry before 1.5 marks development-only packages with category = "dev";
// Poetry 2 (lock-version 2.1) lists the dependency groups that need a package in groups,
// and a package that "main" does not need is Dev. Poetry 1.5 to 1.8 write neither, so
// their packages are never Dev. The lock file does not say which packages the project
// requires itself (that is pyproject.toml), so Dependency is left empty.
func ParsePoetryLock(data []byte) ([]inventory.Package, []string, error) {
	var lock struct {
		Package []struct {
			Name     string   `toml:"name"`
			Version  string   `toml:"version"`
			Category string   `toml:"category"`
			Groups   []string `toml:"groups"`
		} `toml:"package"`
		Metadata map[string]any `toml:"metadata"`
	}
	if _, err := toml.Decode(string(data), &lock); err != nil {
		return nil, nil, fmt.Errorf("not a poetry.lock (TOML): %w", err)
	}
	if len(lock.Package) == 0 && lock.Metadata == nil {
		return nil, nil, fmt.Errorf("not a poetry.lock: no [[package]] and no [metadata] table")
	}
	var (
		pkgs     []inventory.Package
		warnings []string
	)
	for i, e := range lock.Package {
		if !validName(e.Name) || e.Version == "" {
			warnings = append(warnings, fmt.Sprintf("package[%d] has no valid name or version; skipped", i))
			continue
		}
		p := pkg(e.Name, e.Version)
		switch {
		case e.Category != "":
			p.Dev = e.Category == "dev"
		case len(e.Groups) > 0:
			p.Dev = !contains(e.Groups, "main")
		}
		pkgs = append(pkgs, p)
	}
	return sortPackages(pkgs), warnings, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// ParsePipfileLock reads a Pipfile.lock (pipenv): "default" holds the packages the
// project runs with, "develop" the development-only ones (Dev, unless also in
// "default"). Versions are written "==1.2.3". Entries without a version (git, path or
// file requirements) are skipped with a warning: they name no PyPI version.
func ParsePipfileLock(data []byte) ([]inventory.Package, []string, error) {
	var lock struct {
		Meta    json.RawMessage            `json:"_meta"`
		Default map[string]json.RawMessage `json:"default"`
		Develop map[string]json.RawMessage `json:"develop"`
	}
	if err := json.Unmarshal(data, &lock); err != nil {
		return nil, nil, fmt.Errorf("not a Pipfile.lock (JSON object): %w", err)
	}
	if lock.Meta == nil && lock.Default == nil && lock.Develop == nil {
		return nil, nil, fmt.Errorf("not a Pipfile.lock: no _meta, default or develop section")
	}
	var (
		pkgs     []inventory.Package
		warnings []string
	)
	read := func(section string, entries map[string]json.RawMessage, dev bool) {
		names := make([]string, 0, len(entries))
		for n := range entries {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			var e struct {
				Version string `json:"version"`
			}
			_ = json.Unmarshal(entries[n], &e) // a non-object entry has no version
			v, ok := strings.CutPrefix(strings.TrimSpace(e.Version), "==")
			v = strings.TrimPrefix(v, "=") // "===1.2.3"
			if !validName(n) || !ok || v == "" {
				warnings = append(warnings, fmt.Sprintf("%s.%s has no pinned version (git, path or file requirement?); skipped", section, n))
				continue
			}
			if dev && inDefault(lock.Default, n) {
				continue
			}
			p := pkg(n, strings.TrimSpace(v))
			p.Dev = dev
			pkgs = append(pkgs, p)
		}
	}
	read("default", lock.Default, false)
	read("develop", lock.Develop, true)
	return sortPackages(pkgs), warnings, nil
}

func inDefault(def map[string]json.RawMessage, name string) bool {
	if _, ok := def[name]; ok {
		return true
	}
	for n := range def {
		if NormalizeName(n) == NormalizeName(name) {
			return true
		}
	}
	return false
}

// uvDep is one entry of a uv.lock dependency list.
type uvDep struct {
	Name  string   `toml:"name"`
	Extra []string `toml:"extra"`
}

type uvPackage struct {
	Name                 string             `toml:"name"`
	Version              string             `toml:"version"`
	Source               map[string]any     `toml:"source"`
	Dependencies         []uvDep            `toml:"dependencies"`
	OptionalDependencies map[string][]uvDep `toml:"optional-dependencies"`
	DevDependencies      map[string][]uvDep `toml:"dev-dependencies"`
}

// isProject reports whether a uv.lock package is a member of the locked project itself
// (its source is the workspace: virtual or editable) rather than a dependency.
func (p *uvPackage) isProject() bool {
	_, virtual := p.Source["virtual"]
	_, editable := p.Source["editable"]
	return virtual || editable
}

// ParseUVLock reads a uv.lock (version 1). The project's own packages (source virtual or
// editable) are not reported; they say which packages are direct dependencies (their
// dependencies, optional-dependencies and dev-dependencies) and which are development
// only (Dev: reachable from a dev-dependencies group but not from the runtime and
// optional dependencies). Every other package is reported, transitive unless direct.
func ParseUVLock(data []byte) ([]inventory.Package, []string, error) {
	var lock struct {
		Version *int        `toml:"version"`
		Package []uvPackage `toml:"package"`
	}
	if _, err := toml.Decode(string(data), &lock); err != nil {
		return nil, nil, fmt.Errorf("not a uv.lock (TOML): %w", err)
	}
	if lock.Version == nil {
		return nil, nil, fmt.Errorf("not a uv.lock: no top-level version")
	}
	byName := map[string]*uvPackage{}
	var roots []*uvPackage
	for i := range lock.Package {
		p := &lock.Package[i]
		n := NormalizeName(p.Name)
		if _, dup := byName[n]; !dup {
			byName[n] = p
		}
		if p.isProject() {
			roots = append(roots, p)
		}
	}
	direct := map[string]bool{}
	prod := map[string]bool{}
	dev := map[string]bool{}
	var walk func(d uvDep, seen map[string]bool)
	walk = func(d uvDep, seen map[string]bool) {
		n := NormalizeName(d.Name)
		p, ok := byName[n]
		key := n + "[" + strings.Join(d.Extra, ",") + "]"
		if seen[key] {
			return
		}
		seen[key] = true
		seen[n] = true
		if !ok {
			return
		}
		for _, c := range p.Dependencies {
			walk(c, seen)
		}
		for _, x := range d.Extra {
			for _, c := range p.OptionalDependencies[x] {
				walk(c, seen)
			}
		}
	}
	for _, r := range roots {
		var runtime []uvDep
		runtime = append(runtime, r.Dependencies...)
		for _, g := range sortedKeys(r.OptionalDependencies) {
			runtime = append(runtime, r.OptionalDependencies[g]...)
		}
		for _, d := range runtime {
			direct[NormalizeName(d.Name)] = true
			walk(d, prod)
		}
		for _, g := range sortedKeys(r.DevDependencies) {
			for _, d := range r.DevDependencies[g] {
				direct[NormalizeName(d.Name)] = true
				walk(d, dev)
			}
		}
	}
	var (
		pkgs     []inventory.Package
		warnings []string
	)
	for i := range lock.Package {
		e := &lock.Package[i]
		if e.isProject() {
			continue
		}
		if !validName(e.Name) || e.Version == "" {
			warnings = append(warnings, fmt.Sprintf("package[%d] (%s) has no valid name or version; skipped", i, quote(e.Name)))
			continue
		}
		p := pkg(e.Name, e.Version)
		if len(roots) > 0 {
			n := NormalizeName(e.Name)
			p.Dependency = inventory.DependencyTransitive
			if direct[n] {
				p.Dependency = inventory.DependencyDirect
			}
			p.Dev = dev[n] && !prod[n]
		}
		pkgs = append(pkgs, p)
	}
	return sortPackages(pkgs), warnings, nil
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
