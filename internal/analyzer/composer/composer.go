// Package composer finds the PHP packages of a layer by reading Composer's composer.lock
// and the vendor/composer/installed.json that Composer writes into an installed vendor tree.
package composer

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

// Analyzer reads composer.lock and vendor/composer/installed.json. It holds no state and is
// safe for concurrent use.
type Analyzer struct{}

var _ analyzer.Analyzer = (*Analyzer)(nil)

// New returns the composer analyzer.
func New() *Analyzer { return &Analyzer{} }

// Name implements analyzer.Analyzer.
func (*Analyzer) Name() string { return "composer" }

// Version implements analyzer.Analyzer.
func (*Analyzer) Version() int { return 2 }

// Claims implements analyzer.Analyzer: any composer.lock outside installed packages, and
// installed.json inside a vendor/composer folder.
func (*Analyzer) Claims(p string, info fs.FileInfo) bool {
	if info != nil && info.IsDir() {
		return false
	}
	if path.Base(p) == "composer.lock" {
		// A lock file inside an installed package (vendor/<vendor>/<package>/) is that
		// package's development setup, not what is installed.
		return !strings.HasPrefix(p, "vendor/") && !strings.Contains(p, "/vendor/") && !analyzer.InsideInstalledPackage(p)
	}
	return p == "vendor/composer/installed.json" || strings.HasSuffix(p, "/vendor/composer/installed.json")
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
	if path.Base(in.Path) == "composer.lock" {
		pkgs, warnings, err = ParseLock(data)
	} else {
		pkgs, warnings, err = ParseInstalled(data)
	}
	if err != nil {
		return analyzer.Facts{}, fmt.Errorf("composer: %s: %w", in.Path, err)
	}
	return analyzer.Facts{Packages: pkgs, PackageType: inventory.TypeComposer, Warnings: warnings}, nil
}

// PURL returns pkg:composer/vendor/package@version.
func PURL(name, version string) string {
	ns, n := "", name
	if i := strings.IndexByte(name, '/'); i > 0 {
		ns, n = name[:i], name[i+1:]
	}
	return packageurl.NewPackageURL(packageurl.TypeComposer, ns, n, version, nil, "").ToString()
}

type entry struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// collect turns entries into packages; the version is kept as written ("v1.2.3" included),
// since Composer's own comparison, which advisories are written for, accepts the prefix.
func collect(entries []json.RawMessage, dev func(name string) bool, where string, pkgs []inventory.Package, warnings []string) ([]inventory.Package, []string) {
	for i, raw := range entries {
		var e entry
		if err := json.Unmarshal(raw, &e); err != nil || e.Name == "" || e.Version == "" {
			warnings = append(warnings, fmt.Sprintf("%s[%d] has no name or version; skipped", where, i))
			continue
		}
		pkgs = append(pkgs, inventory.Package{
			Type:    inventory.TypeComposer,
			Name:    e.Name,
			Version: e.Version,
			Dev:     dev(e.Name),
			PURL:    PURL(e.Name, e.Version),
		})
	}
	return pkgs, warnings
}

func sortPackages(pkgs []inventory.Package) []inventory.Package {
	sort.SliceStable(pkgs, func(i, j int) bool {
		if pkgs[i].Name != pkgs[j].Name {
			return pkgs[i].Name < pkgs[j].Name
		}
		return pkgs[i].Version < pkgs[j].Version
	})
	return pkgs
}

// ParseLock reads a composer.lock: "packages" are runtime packages, "packages-dev" are
// require-dev ones (Dev). composer.lock does not say which packages the project requires
// itself (that is composer.json, a file this analyzer does not see together with the lock),
// so Dependency is left empty.
func ParseLock(data []byte) ([]inventory.Package, []string, error) {
	var lock struct {
		Packages    []json.RawMessage `json:"packages"`
		PackagesDev []json.RawMessage `json:"packages-dev"`
	}
	if err := json.Unmarshal(data, &lock); err != nil {
		return nil, nil, fmt.Errorf("not a composer.lock: %w", err)
	}
	pkgs, warnings := collect(lock.Packages, func(string) bool { return false }, "packages", nil, nil)
	pkgs, warnings = collect(lock.PackagesDev, func(string) bool { return true }, "packages-dev", pkgs, warnings)
	return sortPackages(pkgs), warnings, nil
}

// ParseInstalled reads vendor/composer/installed.json: Composer 1 writes an array of
// packages; Composer 2 an object with "packages" and "dev-package-names" (which marks Dev).
func ParseInstalled(data []byte) ([]inventory.Package, []string, error) {
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) > 0 && trimmed[0] == '[' {
		var list []json.RawMessage
		if err := json.Unmarshal(trimmed, &list); err != nil {
			return nil, nil, fmt.Errorf("not a Composer installed.json: %w", err)
		}
		pkgs, warnings := collect(list, func(string) bool { return false }, "installed", nil, nil)
		return sortPackages(pkgs), warnings, nil
	}
	var v2 struct {
		Packages []json.RawMessage `json:"packages"`
		DevNames []string          `json:"dev-package-names"`
	}
	if err := json.Unmarshal(trimmed, &v2); err != nil {
		return nil, nil, fmt.Errorf("not a Composer installed.json: %w", err)
	}
	dev := map[string]bool{}
	for _, n := range v2.DevNames {
		dev[n] = true
	}
	pkgs, warnings := collect(v2.Packages, func(n string) bool { return dev[n] }, "packages", nil, nil)
	return sortPackages(pkgs), warnings, nil
}
