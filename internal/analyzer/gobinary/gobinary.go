// Package gobinary finds the Go modules compiled into Go programs (ELF, Mach-O, PE and
// XCOFF executables, stripped or not, PIE or not) from the build information the Go linker
// embeds: the main module, every dependency module (with replace directives applied, as
// the code that was built is the replacement) and the Go standard library, reported as
// the module "stdlib" with the toolchain's version in semver form (go1.19.13 -> v1.19.13),
// as the Go vulnerability database names it.
package gobinary

import (
	"bytes"
	"context"
	"debug/buildinfo"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"

	"github.com/package-url/packageurl-go"
	"golang.org/x/mod/module"
	"golang.org/x/mod/semver"

	"github.com/shipshape-dev/shipshape/internal/analyzer"
	"github.com/shipshape-dev/shipshape/internal/inventory"
)

// Analyzer reads the build information of Go executables. It holds no state and is safe
// for concurrent use.
type Analyzer struct{}

var _ analyzer.Analyzer = (*Analyzer)(nil)

// New returns the Go binary analyzer.
func New() *Analyzer { return &Analyzer{} }

// ReadsAt implements analyzer.RandomAccess: executables are read at offsets (headers, the
// section table and one section), so the walker need not load files on disk into memory.
func (*Analyzer) ReadsAt() {}

// Name implements analyzer.Analyzer.
func (*Analyzer) Name() string { return "gobinary" }

// Version implements analyzer.Analyzer.
func (*Analyzer) Version() int { return 1 }

// MinSize is the smallest file claimed: no Go program is smaller than this (the smallest
// hello-world the gc toolchain links is over a megabyte), while it skips the many tiny
// executable scripts of an image.
const MinSize = 64 << 10

// Claims implements analyzer.Analyzer: executable regular files of at least MinSize bytes.
func (*Analyzer) Claims(_ string, info fs.FileInfo) bool {
	return IsExecutableFile(info, MinSize)
}

// IsExecutableFile reports whether info is a regular file with an execute bit set and at
// least min bytes long. Windows programs in Linux layers usually carry no execute bit, so
// a name ending in .exe counts as executable too.
func IsExecutableFile(info fs.FileInfo, min int64) bool {
	if info == nil || !info.Mode().IsRegular() || info.Size() < min {
		return false
	}
	return info.Mode().Perm()&0o111 != 0 || strings.HasSuffix(strings.ToLower(info.Name()), ".exe")
}

// Executable formats recognised by their first bytes.
const (
	FormatNone   = ""
	FormatELF    = "elf"
	FormatMachO  = "macho"
	FormatPE     = "pe"
	FormatXCOFF  = "xcoff"
	FormatMachOF = "macho-fat"
)

// Format returns the executable format of a file from its first bytes (at least 4), or
// FormatNone. It is the cheap test done before any parsing.
func Format(head []byte) string {
	if len(head) < 4 {
		return FormatNone
	}
	switch {
	case bytes.HasPrefix(head, []byte("\x7fELF")):
		return FormatELF
	case bytes.HasPrefix(head, []byte("MZ")):
		return FormatPE
	case bytes.HasPrefix(head, []byte{0xfe, 0xed, 0xfa, 0xce}), bytes.HasPrefix(head, []byte{0xfe, 0xed, 0xfa, 0xcf}),
		bytes.HasPrefix(head, []byte{0xce, 0xfa, 0xed, 0xfe}), bytes.HasPrefix(head, []byte{0xcf, 0xfa, 0xed, 0xfe}):
		return FormatMachO
	case bytes.HasPrefix(head, []byte{0xca, 0xfe, 0xba, 0xbe}):
		// Also the magic of Java class files; debug/macho tells them apart.
		return FormatMachOF
	case bytes.HasPrefix(head, []byte{0x01, 0xdf}), bytes.HasPrefix(head, []byte{0x01, 0xf7}):
		return FormatXCOFF
	}
	return FormatNone
}

// Analyze implements analyzer.Analyzer. Files that are not executables, or executables not
// built by Go, give no facts and no warning.
func (*Analyzer) Analyze(ctx context.Context, in analyzer.Input) (analyzer.Facts, error) {
	if err := ctx.Err(); err != nil {
		return analyzer.Facts{}, err
	}
	ra, err := ReaderAt(in.Content)
	if err != nil {
		return analyzer.Facts{}, fmt.Errorf("gobinary: reading %s: %w", in.Path, err)
	}
	pkgs, warnings, err := Parse(ra)
	if errors.Is(err, ErrNotGo) {
		return analyzer.Facts{}, nil
	}
	if err != nil {
		return analyzer.Facts{}, fmt.Errorf("gobinary: %s: %w", in.Path, err)
	}
	return analyzer.Facts{Packages: pkgs, PackageType: inventory.TypeGolang, Warnings: warnings}, nil
}

// ReaderAt returns r itself when it can be read at any offset (the walker hands analyzers
// a *bytes.Reader, and a *os.File also qualifies), or else reads r into memory.
func ReaderAt(r io.Reader) (io.ReaderAt, error) {
	if ra, ok := r.(io.ReaderAt); ok {
		return ra, nil
	}
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	return bytes.NewReader(data), nil
}

// ErrNotGo is returned by Parse for input that is not a Go executable (another program, a
// script, a data file). Callers treat it as "nothing to report".
var ErrNotGo = errors.New("not a Go executable")

// Parse reads the Go build information of an executable and returns its modules: the
// main module (when it has a real version, not "(devel)"), each dependency, and "stdlib",
// each with the GOOS/GOARCH it was built for as Platform.
// Warnings name what could not be reported (a Go version that is not a release, say).
func Parse(r io.ReaderAt) ([]inventory.Package, []string, error) {
	head := make([]byte, 4)
	if n, _ := r.ReadAt(head, 0); Format(head[:n]) == FormatNone {
		return nil, nil, ErrNotGo
	}
	bi, err := readBuildInfo(r)
	if err != nil {
		// debug/buildinfo says "not a Go executable" for programs from other compilers and
		// "unrecognized file" for other files; neither is a problem with the input.
		msg := err.Error()
		if strings.Contains(msg, "not a Go executable") || strings.Contains(msg, "unrecognized file") {
			return nil, nil, fmt.Errorf("%w (%v)", ErrNotGo, err)
		}
		return nil, nil, fmt.Errorf("reading Go build information (the file may be truncated or damaged): %w", err)
	}
	return packages(bi)
}

// readBuildInfo wraps buildinfo.Read so a panic inside the standard library on a crafted
// file becomes an error.
func readBuildInfo(r io.ReaderAt) (bi *buildinfo.BuildInfo, err error) {
	defer func() {
		if p := recover(); p != nil {
			bi, err = nil, fmt.Errorf("malformed executable: %v", p)
		}
	}()
	return buildinfo.Read(r)
}

func packages(bi *buildinfo.BuildInfo) ([]inventory.Package, []string, error) {
	var (
		pkgs     []inventory.Package
		warnings []string
	)
	if bi.Main.Path != "" && validModule(bi.Main.Path, bi.Main.Version) {
		pkgs = append(pkgs, Package(bi.Main.Path, bi.Main.Version, ""))
	}
	for _, d := range bi.Deps {
		if d == nil {
			continue
		}
		p, v := d.Path, d.Version
		if d.Replace != nil {
			if d.Replace.Version == "" || d.Replace.Version == "(devel)" {
				// Replaced by a folder (replace x => ../x): the code is the builder's own,
				// with no module version to look up.
				warnings = append(warnings, fmt.Sprintf("module %s %s is replaced by the folder %s; not reported", d.Path, d.Version, d.Replace.Path))
				continue
			}
			p, v = d.Replace.Path, d.Replace.Version
		}
		if !validModule(p, v) {
			warnings = append(warnings, fmt.Sprintf("dependency %q version %q is not a module path and version; not reported", p, v))
			continue
		}
		pkgs = append(pkgs, Package(p, v, ""))
	}
	if std, ok := StdlibVersion(bi.GoVersion); ok {
		pkgs = append(pkgs, Package(StdlibModule, std, ""))
	} else if bi.GoVersion != "" {
		warnings = append(warnings, fmt.Sprintf("Go version %q is not a release; the standard library is not reported", bi.GoVersion))
	}
	if len(pkgs) == 0 && len(warnings) == 0 {
		return nil, nil, nil
	}
	if platform := Platform(bi); platform != "" {
		for i := range pkgs {
			pkgs[i].Platform = platform
		}
	}
	return pkgs, warnings, nil
}

// Platform returns "GOOS/GOARCH" from the build settings (recorded since Go 1.18), or "".
func Platform(bi *buildinfo.BuildInfo) string {
	var goos, goarch string
	for _, s := range bi.Settings {
		switch s.Key {
		case "GOOS":
			goos = s.Value
		case "GOARCH":
			goarch = s.Value
		}
	}
	if goos == "" || goarch == "" || strings.ContainsAny(goos+goarch, "/ ") {
		return ""
	}
	return goos + "/" + goarch
}

func validModule(path, version string) bool {
	if module.CheckPath(path) != nil && module.CheckImportPath(path) != nil {
		return false
	}
	return semver.IsValid(version)
}

// StdlibModule is the module name the Go vulnerability database gives the standard library.
const StdlibModule = "stdlib"

// StdlibVersion turns a Go toolchain version as the build information records it
// ("go1.19.13", "go1.21rc2", "go1.26.8 X:jsonv2", "go1.26.8-X:jsonv2") into the semver the
// Go vulnerability database uses for module "stdlib" ("v1.19.13", "v1.21.0-rc.2",
// "v1.26.8"). What follows a space or '-' (GOEXPERIMENT settings, a vendor's suffix) is
// dropped: Go release names have neither. ok is false for development builds ("devel
// go1.22-abcdef") and anything else that is not a release.
func StdlibVersion(goVersion string) (string, bool) {
	v, _, _ := strings.Cut(strings.TrimSpace(goVersion), " ")
	v, _, _ = strings.Cut(v, "-")
	v, ok := strings.CutPrefix(v, "go")
	if !ok || v == "" {
		return "", false
	}
	pre := ""
	for _, tag := range []string{"rc", "beta", "alpha"} {
		if i := strings.Index(v, tag); i > 0 {
			n := v[i+len(tag):]
			if n == "" || strings.Trim(n, "0123456789") != "" {
				return "", false
			}
			pre = "-" + tag + "." + n
			v = v[:i]
			break
		}
	}
	parts := strings.Split(v, ".")
	if len(parts) < 2 || len(parts) > 3 {
		return "", false
	}
	for _, p := range parts {
		if p == "" || strings.Trim(p, "0123456789") != "" || (len(p) > 1 && p[0] == '0') {
			return "", false
		}
	}
	if len(parts) == 2 {
		parts = append(parts, "0")
	}
	out := "v" + strings.Join(parts, ".") + pre
	if !semver.IsValid(out) {
		return "", false
	}
	return out, true
}

// Package builds a Go module package with its purl (pkg:golang/<module path>@<version>,
// the last path element being the purl name).
func Package(path, version, dependency string) inventory.Package {
	return inventory.Package{Type: inventory.TypeGolang, Name: path, Version: version, Dependency: dependency, PURL: PURL(path, version)}
}

// PURL returns the package URL of a Go module: the module path split at its last '/'
// into namespace and name (lower-cased, as the purl spec asks for golang).
func PURL(path, version string) string {
	ns, name := "", path
	if i := strings.LastIndexByte(path, '/'); i >= 0 {
		ns, name = path[:i], path[i+1:]
	}
	return packageurl.NewPackageURL(packageurl.TypeGolang, ns, name, version, nil, "").ToString()
}
