// Package dotnet finds the .NET (NuGet) packages of a layer by reading the dependency
// manifests the .NET SDK writes next to an application (*.deps.json), NuGet lock files
// (packages.lock.json) and legacy packages.config files.
package dotnet

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
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

// Analyzer reads *.deps.json, packages.lock.json and packages.config. It holds no state and
// is safe for concurrent use.
type Analyzer struct{}

var _ analyzer.Analyzer = (*Analyzer)(nil)

// New returns the dotnet analyzer.
func New() *Analyzer { return &Analyzer{} }

// Name implements analyzer.Analyzer.
func (*Analyzer) Name() string { return "dotnet" }

// Version implements analyzer.Analyzer.
func (*Analyzer) Version() int { return 1 }

// Claims implements analyzer.Analyzer: files named *.deps.json, packages.lock.json or
// packages.config.
func (*Analyzer) Claims(p string, info fs.FileInfo) bool {
	if info != nil && info.IsDir() {
		return false
	}
	base := path.Base(p)
	return base == "packages.lock.json" || base == "packages.config" ||
		(strings.HasSuffix(base, ".deps.json") && len(base) > len(".deps.json"))
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
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	var (
		pkgs     []inventory.Package
		warnings []string
	)
	switch base := path.Base(in.Path); {
	case base == "packages.lock.json":
		pkgs, warnings, err = ParsePackagesLock(data)
	case base == "packages.config":
		pkgs, warnings, err = ParsePackagesConfig(data)
	default:
		pkgs, warnings, err = ParseDepsJSON(data)
	}
	if err != nil {
		return analyzer.Facts{}, fmt.Errorf("dotnet: %s: %w", in.Path, err)
	}
	return analyzer.Facts{Packages: pkgs, PackageType: inventory.TypeNuGet, Warnings: warnings}, nil
}

// PURL returns pkg:nuget/Name@Version.
func PURL(name, version string) string {
	return packageurl.NewPackageURL(packageurl.TypeNuget, "", name, version, nil, "").ToString()
}

func newPackage(name, version string) inventory.Package {
	return inventory.Package{Type: inventory.TypeNuGet, Name: name, Version: version, PURL: PURL(name, version)}
}

// finish sorts by name then version and merges duplicates (the same package listed for
// several target frameworks): direct wins over transitive, non-dev over dev.
func finish(pkgs []inventory.Package) []inventory.Package {
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

// splitNameVersion splits "Name/Version".
func splitNameVersion(s string) (string, string, bool) {
	i := strings.LastIndexByte(s, '/')
	if i <= 0 || i == len(s)-1 {
		return "", "", false
	}
	return s[:i], s[i+1:], true
}

// ParseDepsJSON reads a .NET *.deps.json. Packages are the "libraries" entries of type
// "package" ("project" and "reference" entries are the application's own code). A package
// is direct when a "project" entry under "targets" lists it among its dependencies, and
// transitive otherwise; when the file has no project entries Dependency is left empty.
func ParseDepsJSON(data []byte) ([]inventory.Package, []string, error) {
	var deps struct {
		Targets   map[string]map[string]json.RawMessage `json:"targets"`
		Libraries map[string]json.RawMessage            `json:"libraries"`
	}
	if err := json.Unmarshal(data, &deps); err != nil {
		return nil, nil, fmt.Errorf("not a .deps.json file: %w", err)
	}
	if deps.Libraries == nil && deps.Targets == nil {
		return nil, nil, fmt.Errorf("not a .deps.json file: no \"targets\" or \"libraries\"")
	}
	direct := map[string]bool{}
	sawProject := false
	for _, target := range deps.Targets {
		for key, raw := range target {
			var e struct {
				Type         string            `json:"type"`
				Dependencies map[string]string `json:"dependencies"`
			}
			if json.Unmarshal(raw, &e) != nil {
				continue
			}
			typ := e.Type
			if typ == "" {
				var lib struct {
					Type string `json:"type"`
				}
				if raw, ok := deps.Libraries[key]; ok && json.Unmarshal(raw, &lib) == nil {
					typ = lib.Type
				}
			}
			if typ == "project" {
				sawProject = true
				for n := range e.Dependencies {
					direct[n] = true
				}
			}
		}
	}
	var (
		pkgs     []inventory.Package
		warnings []string
	)
	keys := make([]string, 0, len(deps.Libraries))
	for k := range deps.Libraries {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, key := range keys {
		var lib struct {
			Type string `json:"type"`
		}
		if err := json.Unmarshal(deps.Libraries[key], &lib); err != nil {
			warnings = append(warnings, fmt.Sprintf("library %q: %v; skipped", key, err))
			continue
		}
		if lib.Type != "package" {
			continue
		}
		name, version, ok := splitNameVersion(key)
		if !ok {
			warnings = append(warnings, fmt.Sprintf("library %q is not of the form Name/Version; skipped", key))
			continue
		}
		p := newPackage(name, version)
		if sawProject {
			p.Dependency = inventory.DependencyTransitive
			if direct[name] {
				p.Dependency = inventory.DependencyDirect
			}
		}
		pkgs = append(pkgs, p)
	}
	return finish(pkgs), warnings, nil
}

// ParsePackagesLock reads a NuGet packages.lock.json: for each target framework, entries of
// type Direct (direct), Transitive and CentralTransitive (transitive); Project entries are
// other projects of the solution and are skipped. The version is "resolved".
func ParsePackagesLock(data []byte) ([]inventory.Package, []string, error) {
	var lock struct {
		Version      int                                   `json:"version"`
		Dependencies map[string]map[string]json.RawMessage `json:"dependencies"`
	}
	if err := json.Unmarshal(data, &lock); err != nil {
		return nil, nil, fmt.Errorf("not a NuGet packages.lock.json: %w", err)
	}
	var (
		pkgs     []inventory.Package
		warnings []string
	)
	for framework, deps := range lock.Dependencies {
		for name, raw := range deps {
			var e struct {
				Type     string `json:"type"`
				Resolved string `json:"resolved"`
			}
			if err := json.Unmarshal(raw, &e); err != nil {
				warnings = append(warnings, fmt.Sprintf("%s: %q: %v; skipped", framework, name, err))
				continue
			}
			var dep string
			switch strings.ToLower(e.Type) {
			case "project":
				continue
			case "direct":
				dep = inventory.DependencyDirect
			case "transitive", "centraltransitive":
				dep = inventory.DependencyTransitive
			}
			if name == "" || e.Resolved == "" {
				warnings = append(warnings, fmt.Sprintf("%s: %q has no resolved version; skipped", framework, name))
				continue
			}
			p := newPackage(name, e.Resolved)
			p.Dependency = dep
			pkgs = append(pkgs, p)
		}
	}
	sort.Strings(warnings)
	return finish(pkgs), warnings, nil
}

// ParsePackagesConfig reads a legacy NuGet packages.config: <package id version
// developmentDependency>. It lists every installed package without saying which the
// project asked for, so Dependency is left empty; developmentDependency="true" sets Dev.
func ParsePackagesConfig(data []byte) ([]inventory.Package, []string, error) {
	var cfg struct {
		XMLName  xml.Name `xml:"packages"`
		Packages []struct {
			ID      string `xml:"id,attr"`
			Version string `xml:"version,attr"`
			Dev     string `xml:"developmentDependency,attr"`
		} `xml:"package"`
	}
	if err := xml.Unmarshal(data, &cfg); err != nil {
		return nil, nil, fmt.Errorf("not a NuGet packages.config: %w", err)
	}
	var (
		pkgs     []inventory.Package
		warnings []string
	)
	for i, e := range cfg.Packages {
		if e.ID == "" || e.Version == "" {
			warnings = append(warnings, fmt.Sprintf("package %d has no id or version; skipped", i+1))
			continue
		}
		p := newPackage(e.ID, e.Version)
		p.Dev = strings.EqualFold(strings.TrimSpace(e.Dev), "true")
		pkgs = append(pkgs, p)
	}
	return finish(pkgs), warnings, nil
}
