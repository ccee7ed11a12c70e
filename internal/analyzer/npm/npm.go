// Package npm finds the JavaScript packages of a layer: it reads npm package-lock.json
// (v1, v2, v3), yarn.lock (v1 and berry), pnpm-lock.yaml (5.x, 6.x, 9.x) and the manifests
// of installed packages under node_modules.
package npm

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"path"
	"sort"
	"strings"

	"github.com/package-url/packageurl-go"

	"github.com/shipshape-dev/shipshape/internal/analyzer"
	"github.com/shipshape-dev/shipshape/internal/inventory"
)

// Analyzer reads npm, yarn and pnpm lock files and installed package manifests. It holds
// no state and is safe for concurrent use.
type Analyzer struct{}

var _ analyzer.Analyzer = (*Analyzer)(nil)

// New returns the npm analyzer.
func New() *Analyzer { return &Analyzer{} }

// Name implements analyzer.Analyzer.
func (*Analyzer) Name() string { return "npm" }

// Version implements analyzer.Analyzer.
func (*Analyzer) Version() int { return 2 }

// Claims implements analyzer.Analyzer: package-lock.json, yarn.lock and pnpm-lock.yaml
// anywhere except inside installed packages (analyzer.InsideInstalledPackage), and node_modules/<name>/package.json or node_modules/@scope/<name>/package.json.
func (*Analyzer) Claims(p string, info fs.FileInfo) bool {
	if info != nil && info.IsDir() {
		return false
	}
	switch path.Base(p) {
	case "package-lock.json", "yarn.lock", "pnpm-lock.yaml":
		// A lock file inside an installed package (a gem, a Python package, a module in
		// node_modules) is that package's development setup, not what is installed.
		return !analyzer.InsideInstalledPackage(p)
	case "package.json":
		return isInstalledManifest(p)
	}
	return false
}

// isInstalledManifest reports whether p is .../node_modules/<name>/package.json or
// .../node_modules/@scope/<name>/package.json.
func isInstalledManifest(p string) bool {
	parts := strings.Split(p, "/")
	n := len(parts)
	if n >= 3 && parts[n-3] == "node_modules" && !strings.HasPrefix(parts[n-2], "@") && parts[n-2] != "" && !strings.HasPrefix(parts[n-2], ".") {
		return true
	}
	if n >= 4 && parts[n-4] == "node_modules" && strings.HasPrefix(parts[n-3], "@") && len(parts[n-3]) > 1 && parts[n-2] != "" {
		return true
	}
	return false
}

// Analyze implements analyzer.Analyzer.
func (*Analyzer) Analyze(ctx context.Context, in analyzer.Input) (analyzer.Facts, error) {
	if err := ctx.Err(); err != nil {
		return analyzer.Facts{}, err
	}
	data, err := io.ReadAll(in.Content)
	if err != nil {
		return analyzer.Facts{}, fmt.Errorf("reading %s: %w", in.Path, err)
	}
	var (
		pkgs     []inventory.Package
		warnings []string
	)
	switch path.Base(in.Path) {
	case "package-lock.json":
		pkgs, warnings, err = ParsePackageLock(data)
	case "yarn.lock":
		pkgs, warnings, err = ParseYarnLock(data)
	case "pnpm-lock.yaml":
		pkgs, warnings, err = ParsePnpmLock(data)
	case "package.json":
		var p *inventory.Package
		p, err = ParseInstalledManifest(data)
		if p != nil {
			pkgs = []inventory.Package{*p}
		}
	default:
		return analyzer.Facts{}, nil
	}
	if err != nil {
		return analyzer.Facts{}, fmt.Errorf("npm: %s: %w", in.Path, err)
	}
	return analyzer.Facts{Packages: pkgs, PackageType: inventory.TypeNpm, Warnings: warnings}, nil
}

// PURL returns pkg:npm/<name>@<version>, with a scope as the namespace (%40scope).
func PURL(name, version string) string {
	ns, n := "", name
	if strings.HasPrefix(name, "@") {
		if i := strings.IndexByte(name, '/'); i > 0 {
			ns, n = name[:i], name[i+1:]
		}
	}
	return packageurl.NewPackageURL(packageurl.TypeNPM, ns, n, version, nil, "").ToString()
}

func newPackage(name, version string) inventory.Package {
	return inventory.Package{Type: inventory.TypeNpm, Name: name, Version: version, PURL: PURL(name, version)}
}

// sortPackages orders packages by name, then version, and drops exact duplicates
// (same name and version), keeping the first; a direct or non-dev entry wins.
func sortPackages(pkgs []inventory.Package) []inventory.Package {
	sort.SliceStable(pkgs, func(i, j int) bool {
		if pkgs[i].Name != pkgs[j].Name {
			return pkgs[i].Name < pkgs[j].Name
		}
		return pkgs[i].Version < pkgs[j].Version
	})
	out := pkgs[:0]
	for _, p := range pkgs {
		if k := len(out) - 1; k >= 0 && out[k].Name == p.Name && out[k].Version == p.Version {
			if p.Dependency == inventory.DependencyDirect {
				out[k].Dependency = p.Dependency
			}
			if !p.Dev {
				out[k].Dev = false
			}
			continue
		}
		out = append(out, p)
	}
	return out
}

// ---- package-lock.json ----

type lockEntryV1 struct {
	Version      string                 `json:"version"`
	Dev          bool                   `json:"dev"`
	Bundled      bool                   `json:"bundled"`
	Dependencies map[string]lockEntryV1 `json:"dependencies"`
}

type lockEntryV2 struct {
	Name                 string            `json:"name"`
	Version              string            `json:"version"`
	Dev                  bool              `json:"dev"`
	Link                 bool              `json:"link"`
	Dependencies         map[string]string `json:"dependencies"`
	DevDependencies      map[string]string `json:"devDependencies"`
	OptionalDependencies map[string]string `json:"optionalDependencies"`
}

type packageLock struct {
	LockfileVersion int                    `json:"lockfileVersion"`
	Packages        map[string]lockEntryV2 `json:"packages"`
	Dependencies    map[string]lockEntryV1 `json:"dependencies"`
}

// ParsePackageLock reads an npm package-lock.json (or npm-shrinkwrap.json). Version 2 and
// 3 files are read from "packages" (keyed by node_modules paths); version 1 files from the
// nested "dependencies" tree. In v2/v3 a package is direct when the root package
// (packages[""]) lists it in dependencies, devDependencies or optionalDependencies, otherwise
// transitive; v1 files do not record the root's own dependencies (the top level of the tree
// is hoisted, not direct), so Dependency is left empty for them. Links (workspaces) and the root are skipped.
func ParsePackageLock(data []byte) ([]inventory.Package, []string, error) {
	var lock packageLock
	if err := json.Unmarshal(data, &lock); err != nil {
		return nil, nil, fmt.Errorf("not a package-lock.json: %w", err)
	}
	var (
		pkgs     []inventory.Package
		warnings []string
	)
	if len(lock.Packages) > 0 {
		root := lock.Packages[""]
		direct := map[string]bool{}
		for _, m := range []map[string]string{root.Dependencies, root.DevDependencies, root.OptionalDependencies} {
			for n := range m {
				direct[n] = true
			}
		}
		keys := make([]string, 0, len(lock.Packages))
		for k := range lock.Packages {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			e := lock.Packages[k]
			if k == "" || e.Link {
				continue
			}
			i := strings.LastIndex(k, "node_modules/")
			if i < 0 {
				continue // a workspace folder, not an installed package
			}
			name := k[i+len("node_modules/"):]
			if e.Name != "" {
				name = e.Name // an alias install: "node_modules/x": {"name": "real"}
			}
			if name == "" || e.Version == "" {
				warnings = append(warnings, fmt.Sprintf("package-lock entry %q has no name or version; skipped", k))
				continue
			}
			p := newPackage(name, e.Version)
			p.Dev = e.Dev
			// Only a top-level install (node_modules/<name>) can be a direct dependency.
			if i == 0 && direct[k[len("node_modules/"):]] {
				p.Dependency = inventory.DependencyDirect
			} else {
				p.Dependency = inventory.DependencyTransitive
			}
			pkgs = append(pkgs, p)
		}
		return sortPackages(pkgs), warnings, nil
	}
	var walk func(m map[string]lockEntryV1, depth int)
	walk = func(m map[string]lockEntryV1, depth int) {
		if depth > 256 {
			warnings = append(warnings, "package-lock dependency tree deeper than 256 levels; cut short")
			return
		}
		for name, e := range m {
			if e.Version == "" || strings.HasPrefix(e.Version, "file:") || strings.HasPrefix(e.Version, "link:") {
				if e.Version == "" {
					warnings = append(warnings, fmt.Sprintf("package-lock dependency %q has no version; skipped", name))
				}
			} else {
				version := e.Version
				// An alias records "npm:real-name@version" as its version.
				if strings.HasPrefix(version, "npm:") {
					if at := strings.LastIndex(version, "@"); at > len("npm:") {
						name, version = version[len("npm:"):at], version[at+1:]
					}
				}
				p := newPackage(name, version)
				p.Dev = e.Dev
				pkgs = append(pkgs, p)
			}
			walk(e.Dependencies, depth+1)
		}
	}
	walk(lock.Dependencies, 0)
	return sortPackages(pkgs), warnings, nil
}

// ---- node_modules/**/package.json ----

// ParseInstalledManifest reads the package.json of an installed package. It returns nil
// (and no error) for a manifest without a name or version, which is not an installed
// package.
func ParseInstalledManifest(data []byte) (*inventory.Package, error) {
	var m struct {
		Name    any `json:"name"`
		Version any `json:"version"`
	}
	if err := json.Unmarshal(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")), &m); err != nil {
		return nil, fmt.Errorf("not a package.json: %w", err)
	}
	name, _ := m.Name.(string)
	version, _ := m.Version.(string)
	if name == "" || version == "" {
		return nil, nil
	}
	p := newPackage(name, version)
	return &p, nil
}
