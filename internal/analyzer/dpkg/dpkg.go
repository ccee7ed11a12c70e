// Package dpkg finds the Debian packages installed in a layer: it reads the dpkg status
// database (var/lib/dpkg/status, or the per-package files distroless images keep in
// var/lib/dpkg/status.d/) and the licences named in machine-readable copyright files.
package dpkg

import (
	"context"
	"fmt"
	"io/fs"
	"strings"

	"github.com/shipshape-dev/shipshape/internal/analyzer"
	"github.com/shipshape-dev/shipshape/internal/inventory"
)

const (
	statusFile = "var/lib/dpkg/status"
	statusDir  = "var/lib/dpkg/status.d/"
	docDir     = "usr/share/doc/"
	infoDir    = "var/lib/dpkg/info/"
	copyright  = "/copyright"
)

// Analyzer reads dpkg status files and DEP-5 copyright files. It is safe for concurrent use.
type Analyzer struct{}

var _ analyzer.Analyzer = (*Analyzer)(nil)

// New returns the dpkg analyzer.
func New() *Analyzer { return &Analyzer{} }

// Name implements analyzer.Analyzer.
func (*Analyzer) Name() string { return "dpkg" }

// Version implements analyzer.Analyzer.
func (*Analyzer) Version() int { return 4 }

type fileKind int

const (
	kindNone fileKind = iota
	kindStatus
	kindCopyright
	kindFileList
)

// kindOf tells which kind of file p is, from its path alone.
func kindOf(p string) fileKind {
	switch {
	case p == statusFile:
		return kindStatus
	case strings.HasPrefix(p, statusDir):
		// Distroless images keep one control file per package in status.d, next to
		// "<package>.md5sums" files that list file digests and hold no package.
		name := p[len(statusDir):]
		if name != "" && !strings.Contains(name, "/") && !strings.HasSuffix(name, ".md5sums") {
			return kindStatus
		}
	case strings.HasPrefix(p, infoDir) && strings.HasSuffix(p, ".list"):
		if listPackage(p) != "" {
			return kindFileList
		}
	case strings.HasPrefix(p, docDir) && strings.HasSuffix(p, copyright):
		if pkg := copyrightPackage(p); pkg != "" {
			return kindCopyright
		}
	}
	return kindNone
}

// copyrightPackage returns the package directory of usr/share/doc/<pkg>/copyright, or ""
// when p is not exactly one directory below usr/share/doc.
func copyrightPackage(p string) string {
	if len(p) < len(docDir)+len(copyright) {
		return ""
	}
	pkg := p[len(docDir) : len(p)-len(copyright)]
	if pkg == "" || strings.Contains(pkg, "/") {
		return ""
	}
	return pkg
}

// listPackage returns the package of var/lib/dpkg/info/<pkg>[:<arch>].list, or "".
func listPackage(p string) string {
	name := strings.TrimSuffix(p[len(infoDir):], ".list")
	if strings.Contains(name, "/") {
		return ""
	}
	name, _, _ = strings.Cut(name, ":")
	return name
}

// Claims implements analyzer.Analyzer: the dpkg status file, the files of status.d except
// *.md5sums, the file lists var/lib/dpkg/info/*.list (for the files a package owns) and
// usr/share/doc/<pkg>/copyright. Only regular files are claimed.
func (*Analyzer) Claims(p string, info fs.FileInfo) bool {
	if info != nil && !info.Mode().IsRegular() {
		return false
	}
	return kindOf(p) != kindNone
}

// Analyze implements analyzer.Analyzer.
func (*Analyzer) Analyze(ctx context.Context, in analyzer.Input) (analyzer.Facts, error) {
	if in.Content == nil {
		return analyzer.Facts{}, nil
	}
	switch kindOf(in.Path) {
	case kindStatus:
		pkgs, warnings, err := parseStatus(ctx, in.Content)
		if err != nil {
			return analyzer.Facts{}, err
		}
		return analyzer.Facts{Packages: pkgs, Warnings: warnings}, nil
	case kindFileList:
		paths, err := parseFileList(ctx, in.Content)
		if err != nil {
			return analyzer.Facts{}, fmt.Errorf("dpkg file list %s: %w", in.Path, err)
		}
		if len(paths) == 0 {
			return analyzer.Facts{}, nil
		}
		return analyzer.Facts{
			Owns:        map[string][]string{listPackage(in.Path): paths},
			PackageType: inventory.TypeDeb,
		}, nil
	case kindCopyright:
		licenses, err := parseCopyright(ctx, in.Content)
		if err != nil {
			return analyzer.Facts{}, err
		}
		if len(licenses) == 0 {
			return analyzer.Facts{}, nil
		}
		return analyzer.Facts{
			Licenses:    map[string][]string{copyrightPackage(in.Path): licenses},
			PackageType: inventory.TypeDeb,
		}, nil
	}
	return analyzer.Facts{}, fmt.Errorf("%s is not a dpkg status or copyright file; the dpkg analyzer does not claim it", in.Path)
}
