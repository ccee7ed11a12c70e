// Package java finds the Java packages of a layer or folder: jar, war, ear, par and hpi
// archives (including the archives nested in them) identified by their Maven
// pom.properties, their MANIFEST.MF or, failing both, their file name; Gradle lock files;
// and the dependencies a pom.xml declares with explicit versions.
//
// Packages are named "groupId:artifactId" (the form OSV's Maven ecosystem uses) with purls
// pkg:maven/groupId/artifactId@version. See docs/languages/java.md for the heuristics.
package java

import (
	"bytes"
	"context"
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

// Limits bound the work done on one archive, so that a zip bomb (an archive that expands to
// far more than its size, or nests archives without end) is refused with a warning.
type Limits struct {
	// MaxDepth is how deep archives nested in archives are opened (1: only the archives
	// directly inside the claimed file).
	MaxDepth int
	// MaxNestedBytes is the total number of bytes of nested archives read out of one
	// claimed file, at every depth together.
	MaxNestedBytes int64
	// MaxRatio is the largest uncompressed/compressed size ratio accepted for an entry
	// bigger than 1 MiB; a larger one is refused as a zip bomb.
	MaxRatio int64
	// MaxMetadataBytes is the largest MANIFEST.MF or pom.properties read.
	MaxMetadataBytes int64
	// MaxNestedArchives is how many nested archives are opened in one claimed file.
	MaxNestedArchives int
}

// DefaultLimits are the limits New uses.
var DefaultLimits = Limits{
	MaxDepth:          4,
	MaxNestedBytes:    1 << 30,
	MaxRatio:          100,
	MaxMetadataBytes:  1 << 20,
	MaxNestedArchives: 10000,
}

// Analyzer reads Java archives, gradle.lockfile and pom.xml files. It holds only its
// limits and is safe for concurrent use.
type Analyzer struct {
	lim Limits
}

var _ analyzer.Analyzer = (*Analyzer)(nil)

// New returns the Java analyzer with DefaultLimits.
func New() *Analyzer { return &Analyzer{lim: DefaultLimits} }

// NewWithLimits returns the Java analyzer with the given limits; zero fields take the
// default.
func NewWithLimits(l Limits) *Analyzer {
	if l.MaxDepth <= 0 {
		l.MaxDepth = DefaultLimits.MaxDepth
	}
	if l.MaxNestedBytes <= 0 {
		l.MaxNestedBytes = DefaultLimits.MaxNestedBytes
	}
	if l.MaxRatio <= 0 {
		l.MaxRatio = DefaultLimits.MaxRatio
	}
	if l.MaxMetadataBytes <= 0 {
		l.MaxMetadataBytes = DefaultLimits.MaxMetadataBytes
	}
	if l.MaxNestedArchives <= 0 {
		l.MaxNestedArchives = DefaultLimits.MaxNestedArchives
	}
	return &Analyzer{lim: l}
}

// Name implements analyzer.Analyzer.
func (*Analyzer) Name() string { return "java" }

// Version implements analyzer.Analyzer.
func (*Analyzer) Version() int { return 3 }

// archiveExts are the zip-based Java archive kinds read: jar, web (war), enterprise (ear),
// persistence (par) and Jenkins plugin (hpi, jpi) archives.
var archiveExts = map[string]bool{".jar": true, ".war": true, ".ear": true, ".par": true, ".hpi": true, ".jpi": true}

// IsArchive reports whether a file name is a Java archive by its extension (any case).
func IsArchive(name string) bool {
	return archiveExts[strings.ToLower(path.Ext(name))]
}

// kind says which parser reads a path; "" means none.
func kind(p string) string {
	base := path.Base(p)
	switch {
	case IsArchive(base):
		return "archive"
	case base == "gradle.lockfile", base == "buildscript-gradle.lockfile", base == "settings-gradle.lockfile",
		strings.HasSuffix(base, ".lockfile") && strings.Contains("/"+p, "/gradle/dependency-locks/"):
		if analyzer.InsideInstalledPackage(p) {
			return ""
		}
		return "gradle"
	case base == "pom.xml":
		// A pom.xml next to pom.properties in an exploded jar describes a dependency, not a
		// project being built; Maven's local repository stores poms as *.pom, not pom.xml.
		if strings.Contains("/"+p, "/META-INF/maven/") || analyzer.InsideInstalledPackage(p) {
			return ""
		}
		return "pom"
	case base == "pom.properties" && strings.Contains("/"+p, "/META-INF/maven/"):
		return "pomprops"
	}
	return ""
}

// Claims implements analyzer.Analyzer: Java archives by extension, gradle.lockfile (and the
// older gradle/dependency-locks/*.lockfile), pom.xml, and loose pom.properties under a
// META-INF/maven folder (exploded archives).
func (*Analyzer) Claims(p string, info fs.FileInfo) bool {
	if info != nil && info.IsDir() {
		return false
	}
	return kind(p) != ""
}

// sizedReaderAt is what bytes.Reader offers: the walker's content can be read in place.
type sizedReaderAt interface {
	io.ReaderAt
	Size() int64
}

// Analyze implements analyzer.Analyzer.
func (a *Analyzer) Analyze(ctx context.Context, in analyzer.Input) (analyzer.Facts, error) {
	if err := ctx.Err(); err != nil {
		return analyzer.Facts{}, err
	}
	k := kind(in.Path)
	var (
		pkgs     []inventory.Package
		warnings []string
	)
	if k == "archive" {
		var ra sizedReaderAt
		if r, ok := in.Content.(sizedReaderAt); ok {
			ra = r
		} else {
			data, err := io.ReadAll(in.Content)
			if err != nil {
				return analyzer.Facts{}, fmt.Errorf("java: reading %s: %w", in.Path, err)
			}
			ra = bytes.NewReader(data)
		}
		s := &scan{ctx: ctx, lim: a.lim, budget: a.lim.MaxNestedBytes, top: in.Path}
		if err := s.archive(ra, ra.Size(), path.Base(in.Path), "", 0); err != nil {
			return analyzer.Facts{}, fmt.Errorf("java: %s: %w", in.Path, err)
		}
		pkgs, warnings = s.pkgs, s.warnings
	} else {
		data, err := io.ReadAll(in.Content)
		if err != nil {
			return analyzer.Facts{}, fmt.Errorf("java: reading %s: %w", in.Path, err)
		}
		switch k {
		case "gradle":
			pkgs, warnings, err = ParseGradleLock(data, gradleConfiguration(in.Path))
		case "pom":
			pkgs, warnings, err = ParsePom(data)
		case "pomprops":
			var p inventory.Package
			var ok bool
			p, ok, err = pomPropertiesPackage(ParseProperties(string(data)), in.Path)
			if ok {
				pkgs = append(pkgs, p)
			}
		default:
			return analyzer.Facts{}, nil
		}
		if err != nil {
			return analyzer.Facts{}, fmt.Errorf("java: %s: %w", in.Path, err)
		}
	}
	if len(pkgs) == 0 && len(warnings) == 0 {
		return analyzer.Facts{}, nil
	}
	return analyzer.Facts{Packages: sortPackages(pkgs), PackageType: inventory.TypeMaven, Warnings: warnings}, nil
}

// PURL returns pkg:maven/groupId/artifactId@version; name is "groupId:artifactId" (or a
// bare artifactId when the group is unknown).
func PURL(name, version string) string {
	group, artifact := "", name
	if i := strings.IndexByte(name, ':'); i >= 0 {
		group, artifact = name[:i], name[i+1:]
	}
	return packageurl.NewPackageURL(packageurl.TypeMaven, group, artifact, version, nil, "").ToString()
}

// newPackage builds a Maven package; group may be empty when it could not be learned.
func newPackage(group, artifact, version string) inventory.Package {
	name := strings.ToValidUTF8(artifact, "\ufffd")
	if group != "" {
		name = strings.ToValidUTF8(group, "\ufffd") + ":" + name
	}
	version = strings.ToValidUTF8(version, "\ufffd")
	return inventory.Package{Type: inventory.TypeMaven, Name: name, Version: version, PURL: PURL(name, version)}
}

// sortPackages orders packages by location, name and version and drops exact duplicates.
func sortPackages(pkgs []inventory.Package) []inventory.Package {
	sort.SliceStable(pkgs, func(i, j int) bool {
		a, b := pkgs[i], pkgs[j]
		if a.Location != b.Location {
			return a.Location < b.Location
		}
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		if a.Version != b.Version {
			return a.Version < b.Version
		}
		return !a.Dev && b.Dev
	})
	out := pkgs[:0]
	for i, p := range pkgs {
		if i > 0 {
			q := out[len(out)-1]
			if q.Location == p.Location && q.Name == p.Name && q.Version == p.Version {
				continue
			}
		}
		out = append(out, p)
	}
	return out
}
