// Package cargo finds Rust crates: in Cargo.lock files (lock format v1 to v4, with the
// crates the workspace members depend on marked direct) and in programs built with
// cargo-auditable, which embeds the dependency tree as zlib-compressed JSON in a linker
// section (.dep-v0 in ELF and PE files, __DATA,.dep-v0 in Mach-O). Workspace members and
// other local path crates are not reported: they are not crates.io releases.
package cargo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"

	"github.com/package-url/packageurl-go"

	"github.com/shipshape-dev/shipshape/internal/analyzer"
	"github.com/shipshape-dev/shipshape/internal/analyzer/gobinary"
	"github.com/shipshape-dev/shipshape/internal/inventory"
)

// Analyzer reads Cargo.lock files and cargo-auditable programs. It holds no state and is
// safe for concurrent use.
type Analyzer struct{}

var _ analyzer.Analyzer = (*Analyzer)(nil)

// New returns the Rust analyzer.
func New() *Analyzer { return &Analyzer{} }

// ReadsAt implements analyzer.RandomAccess: executables are read at offsets (headers, the
// section table and one section), so the walker need not load files on disk into memory.
// A Cargo.lock is small and read whole either way.
func (*Analyzer) ReadsAt() {}

// Name implements analyzer.Analyzer.
func (*Analyzer) Name() string { return "cargo" }

// Version implements analyzer.Analyzer.
func (*Analyzer) Version() int { return 1 }

// MinBinarySize is the smallest executable claimed: a Rust program linked with the
// standard library is a few hundred kilobytes at least.
const MinBinarySize = 64 << 10

// maxLockSize bounds the Cargo.lock files read (the largest real ones are a few MB).
const maxLockSize = 64 << 20

// Claims implements analyzer.Analyzer: files named Cargo.lock, and executable regular
// files (the same cheap test as the Go binary analyzer, so the walker reads each program
// once for both).
func (*Analyzer) Claims(p string, info fs.FileInfo) bool {
	if info != nil && info.IsDir() {
		return false
	}
	if path.Base(p) == "Cargo.lock" {
		return true
	}
	return gobinary.IsExecutableFile(info, MinBinarySize)
}

// Analyze implements analyzer.Analyzer. Executables without cargo-auditable data give no
// facts and no warning.
func (*Analyzer) Analyze(ctx context.Context, in analyzer.Input) (analyzer.Facts, error) {
	if err := ctx.Err(); err != nil {
		return analyzer.Facts{}, err
	}
	var (
		pkgs     []inventory.Package
		warnings []string
		err      error
	)
	if path.Base(in.Path) == "Cargo.lock" {
		var data []byte
		data, err = io.ReadAll(io.LimitReader(in.Content, maxLockSize+1))
		if err != nil {
			return analyzer.Facts{}, fmt.Errorf("cargo: reading %s: %w", in.Path, err)
		}
		if len(data) > maxLockSize {
			return analyzer.Facts{}, fmt.Errorf("cargo: %s is larger than %d bytes; not read", in.Path, maxLockSize)
		}
		pkgs, warnings, err = ParseLock(data)
	} else {
		var ra io.ReaderAt
		ra, err = gobinary.ReaderAt(in.Content)
		if err != nil {
			return analyzer.Facts{}, fmt.Errorf("cargo: reading %s: %w", in.Path, err)
		}
		pkgs, warnings, err = ParseBinary(ra)
		if errors.Is(err, ErrNoAuditData) {
			return analyzer.Facts{}, nil
		}
	}
	if err != nil {
		return analyzer.Facts{}, fmt.Errorf("cargo: %s: %w", in.Path, err)
	}
	return analyzer.Facts{Packages: pkgs, PackageType: inventory.TypeCargo, Warnings: warnings}, nil
}

// PURL returns pkg:cargo/<name>@<version>.
func PURL(name, version string) string {
	return packageurl.NewPackageURL(packageurl.TypeCargo, "", name, version, nil, "").ToString()
}

func pkg(name, version, dependency string) inventory.Package {
	return inventory.Package{Type: inventory.TypeCargo, Name: name, Version: version, Dependency: dependency, PURL: PURL(name, version)}
}

// validCrate reports whether name and version look like a crate name (ASCII letters,
// digits, '-' and '_', at most 64 characters, as crates.io allows) and a version (a
// digit first, no spaces).
func validCrate(name, version string) bool {
	if name == "" || len(name) > 64 || version == "" || len(version) > 128 || version[0] < '0' || version[0] > '9' {
		return false
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	for _, r := range version {
		if r <= ' ' || r > '~' {
			return false
		}
	}
	return true
}
