// Package python finds the Python packages of a layer or a source tree: installed
// distributions (*.dist-info/METADATA, *.egg-info/PKG-INFO and *.egg-info files) and the
// lock and requirements files of projects (requirements*.txt, poetry.lock, Pipfile.lock,
// uv.lock). Package names keep the spelling their file gives; purls use the PEP 503
// normal form, as PyPI and the vulnerability DB do.
package python

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/package-url/packageurl-go"

	"github.com/shipshape-dev/shipshape/internal/analyzer"
	"github.com/shipshape-dev/shipshape/internal/inventory"
)

// Analyzer reads Python metadata, lock and requirements files. It holds no state and is
// safe for concurrent use.
type Analyzer struct{}

var _ analyzer.Analyzer = (*Analyzer)(nil)

// New returns the Python analyzer.
func New() *Analyzer { return &Analyzer{} }

// Name implements analyzer.Analyzer.
func (*Analyzer) Name() string { return "python" }

// Version implements analyzer.Analyzer.
func (*Analyzer) Version() int { return 3 }

// kind is the format of a claimed file.
type kind int

const (
	kindNone kind = iota
	kindMetadata
	kindRequirements
	kindPoetry
	kindPipenv
	kindUV
)

func kindOf(p string, isDir bool) kind {
	if isDir {
		return kindNone
	}
	base := path.Base(p)
	switch {
	case base == "METADATA":
		if strings.HasSuffix(p, ".dist-info/METADATA") && len(p) > len(".dist-info/METADATA") {
			return kindMetadata
		}
		return kindNone
	case base == "PKG-INFO":
		if strings.HasSuffix(p, ".egg-info/PKG-INFO") && len(p) > len(".egg-info/PKG-INFO") {
			return kindMetadata
		}
		return kindNone
	case strings.HasSuffix(base, ".egg-info") && len(base) > len(".egg-info"):
		// distutils and old setuptools write the metadata as a file of that name.
		return kindMetadata
	case analyzer.InsideInstalledPackage(p):
		// A lock or requirements file shipped inside an installed distribution or a
		// documentation folder is that project's development setup, not what is installed.
		return kindNone
	case base == "poetry.lock":
		return kindPoetry
	case base == "Pipfile.lock":
		return kindPipenv
	case base == "uv.lock":
		return kindUV
	case strings.HasPrefix(base, "requirements") && strings.HasSuffix(base, ".txt"):
		return kindRequirements
	}
	return kindNone
}

// Claims implements analyzer.Analyzer.
func (*Analyzer) Claims(p string, info fs.FileInfo) bool {
	return kindOf(p, info != nil && info.IsDir()) != kindNone
}

// Analyze implements analyzer.Analyzer.
func (*Analyzer) Analyze(ctx context.Context, in analyzer.Input) (analyzer.Facts, error) {
	if err := ctx.Err(); err != nil {
		return analyzer.Facts{}, err
	}
	k := kindOf(in.Path, false)
	if k == kindNone {
		return analyzer.Facts{}, fmt.Errorf("python: %s is not a file this analyzer reads", in.Path)
	}
	data, err := io.ReadAll(in.Content)
	if err != nil {
		return analyzer.Facts{}, fmt.Errorf("reading %s: %w", in.Path, err)
	}
	var (
		pkgs     []inventory.Package
		warnings []string
	)
	switch k {
	case kindMetadata:
		var p inventory.Package
		p, err = ParseMetadata(data)
		if err == nil {
			pkgs = []inventory.Package{p}
		}
	case kindRequirements:
		pkgs, warnings, err = ParseRequirements(data)
	case kindPoetry:
		pkgs, warnings, err = ParsePoetryLock(data)
	case kindPipenv:
		pkgs, warnings, err = ParsePipfileLock(data)
	case kindUV:
		pkgs, warnings, err = ParseUVLock(data)
	}
	if err != nil {
		return analyzer.Facts{}, fmt.Errorf("python: %s: %w", in.Path, err)
	}
	return analyzer.Facts{Packages: pkgs, PackageType: inventory.TypePyPI, Warnings: warnings}, nil
}

var separators = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`[-_.]+`) })

// NormalizeName returns the PEP 503 normal form of a distribution name: lower case, runs
// of '-', '_' and '.' replaced by one '-'.
func NormalizeName(name string) string {
	return separators().ReplaceAllString(strings.ToLower(strings.TrimSpace(name)), "-")
}

// PURL returns pkg:pypi/<normalised name>@version.
func PURL(name, version string) string {
	return packageurl.NewPackageURL(packageurl.TypePyPi, "", NormalizeName(name), version, nil, "").ToString()
}

// pkg builds a PyPI package.
func pkg(name, version string) inventory.Package {
	return inventory.Package{Type: inventory.TypePyPI, Name: name, Version: version, PURL: PURL(name, version)}
}

// validName reports whether s is a distribution name as PEP 508 allows: ASCII letters,
// digits, '-', '_' and '.', starting and ending with a letter or digit.
func validName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		alnum := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
		if !alnum && (i == 0 || i == len(s)-1 || (c != '-' && c != '_' && c != '.')) {
			return false
		}
	}
	return true
}

// sortPackages orders by normalised name, then version, and drops exact repeats (the same
// name and version with the same flags).
func sortPackages(pkgs []inventory.Package) []inventory.Package {
	sort.SliceStable(pkgs, func(i, j int) bool {
		a, b := NormalizeName(pkgs[i].Name), NormalizeName(pkgs[j].Name)
		if a != b {
			return a < b
		}
		return pkgs[i].Version < pkgs[j].Version
	})
	out := pkgs[:0]
	for i, p := range pkgs {
		if i > 0 {
			q := out[len(out)-1]
			if NormalizeName(q.Name) == NormalizeName(p.Name) && q.Version == p.Version && q.Dev == p.Dev && q.Dependency == p.Dependency {
				continue
			}
		}
		out = append(out, p)
	}
	return out
}
