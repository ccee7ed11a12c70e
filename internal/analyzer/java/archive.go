package java

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/klauspost/compress/flate"

	"github.com/shipshape-dev/shipshape/internal/inventory"
)

// scan walks one claimed archive and the archives nested in it.
type scan struct {
	ctx      context.Context
	lim      Limits
	budget   int64  // nested-archive bytes still allowed
	archives int    // nested archives opened so far
	top      string // the claimed file's path
	pkgs     []inventory.Package
	warnings []string
}

// location is the Location of packages found in an archive at chain inside the claimed
// file: empty for the claimed file itself (the walker fills it in), else
// "/top.war:WEB-INF/lib/x.jar".
func (s *scan) location(chain string) string {
	if chain == "" {
		return ""
	}
	return "/" + s.top + ":" + chain
}

// maxWarnings bounds the warnings kept for one file; the last one says how many more there were.
const maxWarnings = 50

func (s *scan) warnf(chain, format string, args ...any) {
	where := ""
	if chain != "" {
		where = chain + ": "
	}
	s.warnings = capWarnings(s.warnings, strings.ToValidUTF8(where+fmt.Sprintf(format, args...), "\ufffd"))
}

// capWarnings appends w unless the list is full; past maxWarnings the last warning counts
// the ones left out.
func capWarnings(list []string, w string) []string {
	switch {
	case len(list) < maxWarnings:
		return append(list, w)
	case len(list) == maxWarnings:
		return append(list, "1 more warning left out")
	default:
		var n int
		fmt.Sscanf(list[maxWarnings], "%d", &n)
		list[maxWarnings] = fmt.Sprintf("%d more warnings left out", n+1)
		return list
	}
}

// pomProps is one META-INF/maven/**/pom.properties found in an archive.
type pomProps struct {
	pkg  inventory.Package
	path string
}

// archive reads one zip archive: its pom.properties files, its manifest and the archives
// nested in it. base is its file name; chain its path inside the claimed file ("" for the
// claimed file). An archive that is not a zip is an error at depth 0 and a warning below.
func (s *scan) archive(r io.ReaderAt, size int64, base, chain string, depth int) error {
	if err := s.ctx.Err(); err != nil {
		return err
	}
	zr, err := zip.NewReader(r, size)
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		if depth == 0 {
			return fmt.Errorf("not a readable zip archive (is the file complete?): %w", err)
		}
		s.warnf(chain, "not a readable zip archive: %v; skipped", err)
		return nil
	}
	// klauspost's inflater is faster than the standard library's on the already-compressed
	// jars that wars and ears deflate once more.
	zr.RegisterDecompressor(zip.Deflate, newInflater)
	var (
		props    []pomProps
		manifest Manifest
		nested   []*zip.File
	)
	for _, f := range zr.File {
		name := strings.TrimPrefix(strings.ReplaceAll(f.Name, `\`, "/"), "./")
		switch {
		case strings.HasSuffix(name, "/"):
			continue
		case strings.EqualFold(name, "META-INF/MANIFEST.MF"):
			if manifest != nil {
				continue
			}
			data, ok := s.readMetadata(f, chain)
			if ok {
				manifest = ParseManifest(data)
			}
		case path.Base(name) == "pom.properties" && strings.Contains("/"+name, "/META-INF/maven/"):
			data, ok := s.readMetadata(f, chain)
			if !ok {
				continue
			}
			p, ok, perr := pomPropertiesPackage(ParseProperties(string(data)), name)
			if perr != nil {
				s.warnf(chain, "%v", perr)
			}
			if ok {
				props = append(props, pomProps{pkg: p, path: name})
			}
		case IsArchive(name):
			nested = append(nested, f)
		}
	}

	loc := s.location(chain)
	own := ownIdentity(manifest, base)
	covered := len(props) == 1
	for _, p := range props {
		p.pkg.Location = loc
		s.pkgs = append(s.pkgs, p.pkg)
		if own.artifact != "" && strings.HasSuffix(p.pkg.Name, ":"+own.artifact) {
			covered = true
		}
	}
	// With pom.properties present but none for the archive itself, its own identity is
	// added only when the manifest names a group: the poms already describe the content,
	// and a renamed shaded jar should not add a bare artifactId next to them.
	if !covered && own.artifact != "" && own.version != "" && (len(props) == 0 || own.group != "") {
		p := newPackage(own.group, own.artifact, own.version)
		dup := false
		for _, q := range props {
			dup = dup || q.pkg.Name == p.Name
		}
		if !dup {
			p.Location = loc
			s.pkgs = append(s.pkgs, p)
			if own.group == "" {
				s.warnf(chain, "no pom.properties and no groupId in the manifest: reported as %q, which Maven advisories (named groupId:artifactId) cannot match", own.artifact)
			}
		}
	}

	for _, f := range nested {
		name := strings.TrimPrefix(strings.ReplaceAll(f.Name, `\`, "/"), "./")
		inner := name
		if chain != "" {
			inner = chain + ":" + name
		}
		if depth+1 > s.lim.MaxDepth {
			s.warnf(inner, "nested deeper than %d archives; not opened (possible zip bomb)", s.lim.MaxDepth)
			continue
		}
		ra, size, ok := s.openNested(r, f, inner)
		if !ok {
			continue
		}
		if err := s.archive(ra, size, path.Base(name), inner, depth+1); err != nil {
			return err
		}
	}
	return nil
}

// bomb reports whether an entry's declared sizes look like a zip bomb.
func (s *scan) bomb(f *zip.File) bool {
	u, c := f.UncompressedSize64, f.CompressedSize64
	if u <= 1<<20 {
		return false
	}
	return c == 0 || u/c > uint64(s.lim.MaxRatio)
}

// readMetadata reads a small metadata entry (manifest, pom.properties).
func (s *scan) readMetadata(f *zip.File, chain string) ([]byte, bool) {
	if f.UncompressedSize64 > uint64(s.lim.MaxMetadataBytes) {
		s.warnf(chain, "%s is %d bytes, above the %d-byte limit for metadata; skipped", f.Name, f.UncompressedSize64, s.lim.MaxMetadataBytes)
		return nil, false
	}
	data, err := readEntry(f, s.lim.MaxMetadataBytes)
	if err != nil {
		s.warnf(chain, "reading %s: %v; skipped", f.Name, err)
		return nil, false
	}
	return data, true
}

// openNested opens a nested archive within the limits. A stored (uncompressed) entry, as
// Spring Boot and most ears hold their jars, is read in place from its parent; a
// compressed one is inflated into memory. Both count against the byte budget, and every
// nested archive against the archive count, so entries that overlap in the parent (a
// non-recursive zip bomb) cannot multiply the work.
func (s *scan) openNested(parent io.ReaderAt, f *zip.File, inner string) (io.ReaderAt, int64, bool) {
	if s.archives >= s.lim.MaxNestedArchives {
		if s.archives == s.lim.MaxNestedArchives {
			s.warnf(inner, "more than %d nested archives in one file; the rest are not opened (possible zip bomb)", s.lim.MaxNestedArchives)
			s.archives++
		}
		return nil, 0, false
	}
	if s.bomb(f) {
		s.warnf(inner, "expands from %d to %d bytes (ratio above %d); refused as a possible zip bomb", f.CompressedSize64, f.UncompressedSize64, s.lim.MaxRatio)
		return nil, 0, false
	}
	if f.UncompressedSize64 > uint64(s.budget) {
		s.warnf(inner, "%d bytes would exceed the %d-byte limit on nested archives read from one file; refused as a possible zip bomb", f.UncompressedSize64, s.lim.MaxNestedBytes)
		s.budget = 0
		return nil, 0, false
	}
	s.archives++
	if f.Method == zip.Store && f.CompressedSize64 == f.UncompressedSize64 {
		if off, err := f.DataOffset(); err == nil && off >= 0 {
			size := int64(f.UncompressedSize64)
			s.budget -= size
			return io.NewSectionReader(parent, off, size), size, true
		}
	}
	data, err := readEntry(f, s.budget)
	if err != nil {
		s.warnf(inner, "reading nested archive: %v; skipped", err)
		return nil, 0, false
	}
	s.budget -= int64(len(data))
	return bytes.NewReader(data), int64(len(data)), true
}

func newInflater(r io.Reader) io.ReadCloser { return flate.NewReader(r) }

var errTooBig = errors.New("larger than its declared size allows")

// readEntry reads at most limit bytes of an entry; more is an error (the sizes a zip
// declares are not trusted).
func readEntry(f *zip.File, limit int64) ([]byte, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, errTooBig
	}
	return data, nil
}

// pomPropertiesPackage turns a pom.properties into a package. groupId and artifactId come
// from the file, or else from its folder (META-INF/maven/<groupId>/<artifactId>/); a file
// without a version yields no package and an error naming it.
func pomPropertiesPackage(props map[string]string, where string) (inventory.Package, bool, error) {
	group, artifact, version := props["groupId"], props["artifactId"], props["version"]
	dir := path.Dir(where)
	if artifact == "" {
		artifact = path.Base(dir)
	}
	if group == "" {
		if g := path.Base(path.Dir(dir)); g != "maven" && g != "." && g != "/" {
			group = g
		}
	}
	if version == "" || artifact == "" || artifact == "." || artifact == "/" || strings.ContainsAny(version+artifact+group, " \t") {
		return inventory.Package{}, false, fmt.Errorf("%s has no usable groupId, artifactId and version; skipped", where)
	}
	return newPackage(group, artifact, version), true, nil
}
