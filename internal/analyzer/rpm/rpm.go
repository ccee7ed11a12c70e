// Package rpm finds the packages installed in a layer by reading the rpm database in any of
// its three formats (BerkeleyDB Packages, SQLite rpmdb.sqlite, NDB Packages.db) with
// github.com/knqyf263/go-rpmdb, after checking the file's structure so that a damaged or
// hostile database gives an error instead of a crash or a hang.
package rpm

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	rpmdb "github.com/knqyf263/go-rpmdb/pkg"

	// go-rpmdb opens rpmdb.sqlite through database/sql with the driver named "sqlite";
	// modernc.org/sqlite (pure Go, also the vulnerability DB's store) registers it.
	_ "modernc.org/sqlite"

	"github.com/shipshape-dev/shipshape/internal/analyzer"
	"github.com/shipshape-dev/shipshape/internal/inventory"
)

// Database file names, and the folders rpm keeps them in (var/lib/rpm before rpm 4.16's
// move to usr/lib/sysimage/rpm; Fedora and SUSE link one to the other).
const (
	nameBDB    = "Packages"
	nameSQLite = "rpmdb.sqlite"
	nameNDB    = "Packages.db"
)

var dbDirs = []string{"var/lib/rpm/", "usr/lib/sysimage/rpm/"}

// Analyzer reads rpm databases. It holds no state and is safe for concurrent use.
type Analyzer struct{}

var _ analyzer.Analyzer = (*Analyzer)(nil)

// New returns the rpm analyzer.
func New() *Analyzer { return &Analyzer{} }

// Name implements analyzer.Analyzer.
func (*Analyzer) Name() string { return "rpm" }

// Version implements analyzer.Analyzer.
func (*Analyzer) Version() int { return 4 }

// Claims implements analyzer.Analyzer: Packages, rpmdb.sqlite and Packages.db in
// var/lib/rpm/ or usr/lib/sysimage/rpm/, when not a directory.
func (*Analyzer) Claims(p string, info fs.FileInfo) bool {
	if info != nil && info.IsDir() {
		return false
	}
	for _, dir := range dbDirs {
		if name, ok := strings.CutPrefix(p, dir); ok {
			return name == nameBDB || name == nameSQLite || name == nameNDB
		}
	}
	return false
}

// Errors wrapped by Analyze and Parse.
var (
	// ErrNotDatabase means the file is empty or starts with none of the three formats' signatures.
	ErrNotDatabase = errors.New("not an rpm database (no SQLite, NDB or BerkeleyDB hash signature)")
	// ErrCorrupt means the file has a known format but is damaged or inconsistent.
	ErrCorrupt = errors.New("damaged rpm database")
)

// Analyze implements analyzer.Analyzer.
func (*Analyzer) Analyze(ctx context.Context, in analyzer.Input) (analyzer.Facts, error) {
	if err := ctx.Err(); err != nil {
		return analyzer.Facts{}, err
	}
	data, err := io.ReadAll(in.Content)
	if err != nil {
		return analyzer.Facts{}, fmt.Errorf("reading rpm database %s: %w", in.Path, err)
	}
	pkgs, owns, warnings, err := parse(ctx, data)
	if err != nil {
		return analyzer.Facts{}, fmt.Errorf("rpm database %s: %w; its packages are not reported", in.Path, err)
	}
	return analyzer.Facts{Packages: pkgs, PackageType: inventory.TypeRPM, Owns: owns, Warnings: warnings}, nil
}

// Parse reads the packages of an rpm database held in data, in database order, leaving
// out the gpg-pubkey entries rpm uses to store imported signing keys. Warnings report
// packages whose SOURCERPM could not be split.
//
// go-rpmdb reads from a file path, so data is written to a private temporary folder
// (under os.TempDir()) that is removed before Parse returns.
func Parse(ctx context.Context, data []byte) ([]inventory.Package, []string, error) {
	pkgs, _, warnings, err := parse(ctx, data)
	return pkgs, warnings, err
}

// parse is Parse that also returns, per package name, the installed files that
// analyzer.Ownable keeps.
func parse(ctx context.Context, data []byte) ([]inventory.Package, map[string][]string, []string, error) {
	format, err := check(data)
	if err != nil {
		return nil, nil, nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, nil, nil, err
	}
	dir, err := os.MkdirTemp("", "shipshape-rpmdb-")
	if err != nil {
		return nil, nil, nil, fmt.Errorf("making a temporary copy of the rpm database: %w (set TMPDIR to a writable folder)", err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, format.fileName())
	if err := os.WriteFile(path, data, 0o600); err != nil {
		return nil, nil, nil, fmt.Errorf("making a temporary copy of the rpm database: %w (set TMPDIR to a folder with space)", err)
	}
	if format == formatSQLite {
		if err := checkSQLite(ctx, path); err != nil {
			return nil, nil, nil, err
		}
	}
	infos, err := listPackages(path)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("%w (%s): %w", ErrCorrupt, format, err)
	}
	var (
		owns     map[string][]string
		pkgs     []inventory.Package
		warnings []string
	)
	for _, info := range infos {
		if info == nil || info.Name == "gpg-pubkey" {
			continue
		}
		if info.Name == "" {
			if len(warnings) < maxWarnings {
				warnings = append(warnings, fmt.Sprintf("a package header without a name (version %q) skipped", info.Version))
			}
			continue
		}
		p, warn := toPackage(info)
		if warn != "" && len(warnings) < maxWarnings {
			warnings = append(warnings, warn)
		}
		pkgs = append(pkgs, p)
		if files := ownable(info); len(files) > 0 {
			if owns == nil {
				owns = map[string][]string{}
			}
			owns[p.Name] = append(owns[p.Name], files...)
		}
	}
	return pkgs, owns, warnings, nil
}

// maxWarnings caps the warnings of one database.
const maxWarnings = 20

// listPackages runs go-rpmdb on the file at path, turning a panic into an error. Panics in
// the library's reader goroutine cannot be recovered here; check and checkSQLite exist to
// rule them out.
func listPackages(path string) (infos []*rpmdb.PackageInfo, err error) {
	defer func() {
		if r := recover(); r != nil {
			infos, err = nil, fmt.Errorf("go-rpmdb failed (internal error: %v)", r)
		}
	}()
	db, err := rpmdb.Open(path)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	return db.ListPackages()
}

// toPackage converts one go-rpmdb entry.
func toPackage(info *rpmdb.PackageInfo) (inventory.Package, string) {
	p := inventory.Package{
		Type:       inventory.TypeRPM,
		Name:       info.Name,
		Release:    info.Release,
		Arch:       info.Arch,
		Maintainer: info.Vendor,
		Modularity: info.Modularitylabel,
	}
	// go-rpmdb sets Epoch only when the header has an EPOCH tag, so nil means "no epoch"
	// and a pointer to 0 means an explicit epoch 0; Version shows neither.
	var epochPrefix string
	if info.Epoch != nil {
		e := *info.Epoch
		p.Epoch = &e
		if e != 0 {
			epochPrefix = strconv.Itoa(e) + ":"
		}
	}
	p.Version = epochPrefix + joinVR(info.Version, info.Release)
	if info.License != "" {
		p.Licenses = []string{info.License}
	}
	var warn string
	if info.SourceRpm != "" {
		name, version, release, ok := SplitSourceRPM(info.SourceRpm)
		if ok {
			// A source rpm has no epoch of its own in its file name; its binaries share it.
			p.SourceName = name
			p.SourceVersion = epochPrefix + joinVR(version, release)
		} else {
			warn = fmt.Sprintf("package %s: SOURCERPM %q is not name-version-release.src.rpm; source package unknown", info.Name, info.SourceRpm)
		}
	}
	return p, warn
}

func joinVR(version, release string) string {
	if release == "" {
		return version
	}
	return version + "-" + release
}

// SplitSourceRPM splits a SOURCERPM value, "name-version-release.src.rpm" (or .nosrc.rpm),
// from the right: the release and version hold no '-', the name may.
func SplitSourceRPM(s string) (name, version, release string, ok bool) {
	base, found := strings.CutSuffix(s, ".src.rpm")
	if !found {
		if base, found = strings.CutSuffix(s, ".nosrc.rpm"); !found {
			return "", "", "", false
		}
	}
	i := strings.LastIndexByte(base, '-')
	if i < 0 {
		return "", "", "", false
	}
	j := strings.LastIndexByte(base[:i], '-')
	if j <= 0 || j+1 == i || i+1 == len(base) {
		return "", "", "", false
	}
	return base[:j], base[j+1 : i], base[i+1:], true
}

// format is the storage format of an rpm database.
type format int

const (
	formatBDB format = iota + 1
	formatNDB
	formatSQLite
)

func (f format) String() string {
	switch f {
	case formatBDB:
		return "BerkeleyDB"
	case formatNDB:
		return "NDB"
	case formatSQLite:
		return "SQLite"
	}
	return "unknown"
}

// fileName is the name rpm gives a database of this format.
func (f format) fileName() string {
	switch f {
	case formatNDB:
		return nameNDB
	case formatSQLite:
		return nameSQLite
	}
	return nameBDB
}

var sqliteMagic = []byte("SQLite format 3\x00")

// sniff tells the format from the first bytes, testing in the order go-rpmdb does.
func sniff(data []byte) (format, error) {
	switch {
	case bytes.HasPrefix(data, sqliteMagic):
		return formatSQLite, nil
	case len(data) >= 4 && le32(data) == ndbHeaderMagic:
		return formatNDB, nil
	case len(data) >= 16 && (le32(data[12:]) == bdbHashMagic || be32(data[12:]) == bdbHashMagic):
		return formatBDB, nil
	}
	return 0, ErrNotDatabase
}

// ownable lists the installed files of info that analyzer.Ownable keeps, relative to the
// root. A header whose file list cannot be read lists none.
func ownable(info *rpmdb.PackageInfo) (out []string) {
	defer func() {
		if recover() != nil {
			out = nil
		}
	}()
	names, err := info.InstalledFileNames()
	if err != nil {
		return nil
	}
	for _, n := range names {
		if p := strings.TrimPrefix(n, "/"); analyzer.Ownable(p) {
			out = append(out, p)
		}
	}
	return out
}
