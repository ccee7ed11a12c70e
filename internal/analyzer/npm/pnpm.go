package npm

import (
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/shipshape-dev/shipshape/internal/inventory"
)

type pnpmEntry struct {
	Name    string `yaml:"name"`
	Version string `yaml:"version"`
	Dev     *bool  `yaml:"dev"`
}

type pnpmDeps struct {
	Dependencies         map[string]yaml.Node `yaml:"dependencies"`
	DevDependencies      map[string]yaml.Node `yaml:"devDependencies"`
	OptionalDependencies map[string]yaml.Node `yaml:"optionalDependencies"`
}

type pnpmLock struct {
	LockfileVersion any                  `yaml:"lockfileVersion"`
	Packages        map[string]pnpmEntry `yaml:"packages"`
	Importers       map[string]pnpmDeps  `yaml:"importers"`
	pnpmDeps        `yaml:",inline"`
}

// ParsePnpmLock reads a pnpm-lock.yaml. Packages come from the "packages" map, whose keys
// are "/name/version" (lockfile 5.x, peer suffix after "_"), "/name@version" (6.x) or
// "name@version" (9.x), with peer suffixes in parentheses; an entry's own name and version
// fields win over the key. A package is direct when the root (5.x, 6.x single project) or an
// importer lists it; Dev follows the entry's dev flag (5.x, 6.x) or, in 9.x, which has no
// such flag, is set for direct dependencies listed only under devDependencies.
func ParsePnpmLock(data []byte) ([]inventory.Package, []string, error) {
	var lock pnpmLock
	if err := yaml.Unmarshal(data, &lock); err != nil {
		return nil, nil, fmt.Errorf("not a pnpm-lock.yaml: %w", err)
	}
	if lock.LockfileVersion == nil {
		return nil, nil, fmt.Errorf("not a pnpm-lock.yaml: no lockfileVersion")
	}
	v5 := strings.HasPrefix(strings.Trim(fmt.Sprint(lock.LockfileVersion), "'\""), "5") ||
		strings.HasPrefix(strings.Trim(fmt.Sprint(lock.LockfileVersion), "'\""), "4") ||
		strings.HasPrefix(strings.Trim(fmt.Sprint(lock.LockfileVersion), "'\""), "3")

	direct := map[string]bool{}
	devOnly := map[string]bool{}
	prod := map[string]bool{}
	note := func(d pnpmDeps) {
		for n := range d.Dependencies {
			direct[n], prod[n] = true, true
		}
		for n := range d.OptionalDependencies {
			direct[n], prod[n] = true, true
		}
		for n := range d.DevDependencies {
			direct[n], devOnly[n] = true, true
		}
	}
	note(lock.pnpmDeps)
	for _, imp := range lock.Importers {
		note(imp)
	}

	var (
		pkgs     []inventory.Package
		warnings []string
	)
	for key, e := range lock.Packages {
		name, version := pnpmKey(key, v5)
		if e.Name != "" {
			name = e.Name
		}
		if e.Version != "" && (e.Name != "" || version == "") {
			version = e.Version
		}
		if name == "" || version == "" {
			warnings = append(warnings, fmt.Sprintf("pnpm-lock.yaml package %q has no name or version; skipped", key))
			continue
		}
		if strings.HasPrefix(version, "link:") || strings.HasPrefix(version, "file:") {
			continue
		}
		p := newPackage(name, version)
		if direct[name] {
			p.Dependency = inventory.DependencyDirect
		} else {
			p.Dependency = inventory.DependencyTransitive
		}
		if e.Dev != nil {
			p.Dev = *e.Dev
		} else if direct[name] && devOnly[name] && !prod[name] {
			p.Dev = true
		}
		pkgs = append(pkgs, p)
	}
	return sortPackages(pkgs), warnings, nil
}

// pnpmKey splits a packages key into name and version.
func pnpmKey(key string, v5 bool) (string, string) {
	k := strings.TrimPrefix(key, "/")
	if i := strings.IndexByte(k, '('); i >= 0 {
		k = k[:i]
	}
	if v5 {
		i := strings.LastIndexByte(k, '/')
		if i <= 0 {
			return "", ""
		}
		name, version := k[:i], k[i+1:]
		if j := strings.IndexByte(version, '_'); j >= 0 {
			version = version[:j]
		}
		return name, version
	}
	i := strings.LastIndexByte(k, '@')
	if i <= 0 {
		return "", ""
	}
	return k[:i], k[i+1:]
}
