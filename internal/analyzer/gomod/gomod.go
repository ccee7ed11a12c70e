// Package gomod finds the Go modules a source tree requires, from its go.mod files: every
// require line (direct, or transitive when marked "// indirect"), with replace directives
// applied. The module cache (…/pkg/mod/…), vendor and testdata folders are not read: the
// go.mod files there describe other modules or test inputs, not the tree's own
// dependencies. go.sum is not read: it lists versions the build does not select (see
// docs/languages/go.md).
package gomod

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/semver"

	"github.com/shipshape-dev/shipshape/internal/analyzer"
	"github.com/shipshape-dev/shipshape/internal/analyzer/gobinary"
	"github.com/shipshape-dev/shipshape/internal/inventory"
)

// Analyzer reads go.mod files. It holds no state and is safe for concurrent use.
type Analyzer struct{}

var _ analyzer.Analyzer = (*Analyzer)(nil)

// New returns the go.mod analyzer.
func New() *Analyzer { return &Analyzer{} }

// Name implements analyzer.Analyzer.
func (*Analyzer) Name() string { return "gomod" }

// Version implements analyzer.Analyzer.
func (*Analyzer) Version() int { return 2 }

// maxSize bounds the go.mod files read (real ones are kilobytes).
const maxSize = 16 << 20

// Claims implements analyzer.Analyzer: files named go.mod outside module caches, vendor
// and testdata folders.
func (*Analyzer) Claims(p string, info fs.FileInfo) bool {
	if info != nil && info.IsDir() || path.Base(p) != "go.mod" {
		return false
	}
	slashed := "/" + p
	for _, skip := range []string{"/pkg/mod/", "/vendor/", "/testdata/"} {
		if strings.Contains(slashed, skip) {
			return false
		}
	}
	return !analyzer.InGoRoot(p)
}

// Analyze implements analyzer.Analyzer.
func (*Analyzer) Analyze(ctx context.Context, in analyzer.Input) (analyzer.Facts, error) {
	if err := ctx.Err(); err != nil {
		return analyzer.Facts{}, err
	}
	data, err := io.ReadAll(io.LimitReader(in.Content, maxSize+1))
	if err != nil {
		return analyzer.Facts{}, fmt.Errorf("gomod: reading %s: %w", in.Path, err)
	}
	if len(data) > maxSize {
		return analyzer.Facts{}, fmt.Errorf("gomod: %s is larger than %d bytes; not read", in.Path, maxSize)
	}
	pkgs, warnings, err := Parse(in.Path, data)
	if err != nil {
		return analyzer.Facts{}, fmt.Errorf("gomod: %s: %w", in.Path, err)
	}
	return analyzer.Facts{Packages: pkgs, PackageType: inventory.TypeGolang, Warnings: warnings}, nil
}

// Parse reads a go.mod file (name is used in messages). Requirements are reported as the
// module versions they resolve to after replace directives: a requirement replaced by
// another module version is reported as that version, one replaced by a folder is left
// out with a warning.
func Parse(name string, data []byte) ([]inventory.Package, []string, error) {
	f, err := parse(name, data)
	if err != nil {
		return nil, nil, fmt.Errorf("not a valid go.mod (fix it with `go mod tidy`): %w", err)
	}
	var warnings []string
	if f.Go != nil && semver.Compare("v"+f.Go.Version, "v1.17") < 0 {
		warnings = append(warnings, fmt.Sprintf("go.mod declares go %s: before go 1.17 the require list leaves out indirect dependencies, so some modules of the build are not reported", f.Go.Version))
	}
	var pkgs []inventory.Package
	for _, r := range f.Require {
		p, v := r.Mod.Path, r.Mod.Version
		if rep := replacement(f.Replace, p, v); rep != nil {
			if rep.New.Version == "" {
				warnings = append(warnings, fmt.Sprintf("module %s %s is replaced by the folder %s; not reported", p, v, rep.New.Path))
				continue
			}
			p, v = rep.New.Path, rep.New.Version
		}
		if !semver.IsValid(v) {
			warnings = append(warnings, fmt.Sprintf("module %s version %q is not a semantic version; not reported", p, v))
			continue
		}
		dep := inventory.DependencyDirect
		if r.Indirect {
			dep = inventory.DependencyTransitive
		}
		pkgs = append(pkgs, gobinary.Package(p, v, dep))
	}
	return pkgs, warnings, nil
}

// parse wraps modfile.Parse so that a panic on a crafted file becomes an error.
func parse(name string, data []byte) (f *modfile.File, err error) {
	defer func() {
		if p := recover(); p != nil {
			f, err = nil, fmt.Errorf("malformed go.mod: %v", p)
		}
	}()
	return modfile.Parse(name, data, nil)
}

// replacement returns the replace directive that applies to module path at version: one
// naming that version wins over one for every version.
func replacement(reps []*modfile.Replace, path, version string) *modfile.Replace {
	var any *modfile.Replace
	for _, r := range reps {
		if r.Old.Path != path {
			continue
		}
		if r.Old.Version == version {
			return r
		}
		if r.Old.Version == "" {
			any = r
		}
	}
	return any
}
