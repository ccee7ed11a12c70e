// Package layer streams image layers and root filesystems once, hands the files that
// analyzers claim to them, caches each layer's facts on disk by (diffID, analyzer versions),
// and merges the per-layer facts into one inventory with whiteouts applied top-down.
package layer

import (
	"archive/tar"
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"sort"
	"strings"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"

	"github.com/shipshape-dev/shipshape/internal/analyzer"
	"github.com/shipshape-dev/shipshape/internal/inventory"
)

// Limits bound what one layer may cost.
type Limits struct {
	// MaxFileSize is the largest claimed file read into memory; larger ones are skipped
	// with a warning.
	MaxFileSize int64
	// MaxLayerSize is the largest uncompressed size of one layer.
	MaxLayerSize int64
	// MaxRatio is the largest uncompressed/compressed ratio accepted once a layer has
	// expanded past RatioFloor bytes; beyond it the layer is refused as a decompression bomb.
	MaxRatio   int64
	RatioFloor int64
}

// DefaultLimits are used when a field of Limits is zero.
var DefaultLimits = Limits{
	MaxFileSize:  512 << 20,
	MaxLayerSize: 64 << 30,
	MaxRatio:     1000,
	RatioFloor:   1 << 30,
}

func (l Limits) withDefaults() Limits {
	if l.MaxFileSize <= 0 {
		l.MaxFileSize = DefaultLimits.MaxFileSize
	}
	if l.MaxLayerSize <= 0 {
		l.MaxLayerSize = DefaultLimits.MaxLayerSize
	}
	if l.MaxRatio <= 0 {
		l.MaxRatio = DefaultLimits.MaxRatio
	}
	if l.RatioFloor <= 0 {
		l.RatioFloor = DefaultLimits.RatioFloor
	}
	return l
}

// FileFacts are the facts one analyzer drew from one file.
type FileFacts struct {
	Path     string         `json:"path"`
	Analyzer string         `json:"analyzer"`
	Facts    analyzer.Facts `json:"facts"`
}

// Result is what one layer holds, as far as the analyzers care.
type Result struct {
	// Files lists claimed files (sorted by path, then analyzer). A claimed file whose
	// analysis failed still appears, so that it shadows the same path in lower layers.
	Files []FileFacts `json:"files,omitempty"`
	// Whiteouts are paths deleted by this layer (from .wh.NAME entries).
	Whiteouts []string `json:"whiteouts,omitempty"`
	// Opaques are directories whose lower-layer content this layer hides (.wh..wh..opq).
	Opaques []string `json:"opaques,omitempty"`
	// Warnings name files that could not be analysed.
	Warnings []inventory.Warning `json:"warnings,omitempty"`
}

func (r *Result) sort() {
	sort.SliceStable(r.Files, func(i, j int) bool {
		if r.Files[i].Path != r.Files[j].Path {
			return r.Files[i].Path < r.Files[j].Path
		}
		return r.Files[i].Analyzer < r.Files[j].Analyzer
	})
	sort.Strings(r.Whiteouts)
	sort.Strings(r.Opaques)
}

// ErrBomb is wrapped by errors about layers that expand beyond the limits.
var ErrBomb = errors.New("layer expands beyond the allowed size (possible decompression bomb)")

// Compression of a layer stream.
type Compression string

// Compressions recognised by their magic bytes.
const (
	None Compression = "none"
	Gzip Compression = "gzip"
	Zstd Compression = "zstd"
)

var (
	gzipMagic = []byte{0x1f, 0x8b}
	zstdMagic = []byte{0x28, 0xb5, 0x2f, 0xfd}
)

// Decompress detects the compression of r by its magic bytes and returns a reader of the
// uncompressed stream.
func Decompress(r io.Reader) (io.ReadCloser, Compression, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	head, err := br.Peek(4)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, None, fmt.Errorf("reading layer header: %w", err)
	}
	switch {
	case bytes.HasPrefix(head, gzipMagic):
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, Gzip, fmt.Errorf("opening gzip stream: %w", err)
		}
		return zr, Gzip, nil
	case bytes.HasPrefix(head, zstdMagic):
		zr, err := zstd.NewReader(br, zstd.WithDecoderConcurrency(1), zstd.WithDecoderLowmem(true))
		if err != nil {
			return nil, Zstd, fmt.Errorf("opening zstd stream: %w", err)
		}
		return zr.IOReadCloser(), Zstd, nil
	}
	return io.NopCloser(br), None, nil
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// guardReader refuses to expand past the limits.
type guardReader struct {
	r          io.Reader
	compressed *countingReader
	n          int64
	lim        Limits
}

func (g *guardReader) Read(p []byte) (int, error) {
	n, err := g.r.Read(p)
	g.n += int64(n)
	if g.n > g.lim.MaxLayerSize {
		return n, fmt.Errorf("%w: more than %d bytes uncompressed", ErrBomb, g.lim.MaxLayerSize)
	}
	if g.n > g.lim.RatioFloor && g.compressed.n > 0 && g.n/g.compressed.n > g.lim.MaxRatio {
		return n, fmt.Errorf("%w: %d bytes from %d compressed (ratio above %d)", ErrBomb, g.n, g.compressed.n, g.lim.MaxRatio)
	}
	return n, err
}

// CleanPath turns a tar entry name into a root-relative slash path. ok is false for names
// that would escape the root (such as "../etc/passwd").
func CleanPath(name string) (string, bool) {
	name = strings.ReplaceAll(name, "\\", "/")
	for _, part := range strings.Split(name, "/") {
		if part == ".." {
			return "", false
		}
	}
	p := path.Clean("/" + name)
	p = strings.TrimPrefix(p, "/")
	if p == "" {
		p = "."
	}
	return p, true
}

// Walker runs analyzers over layer streams.
type Walker struct {
	Analyzers analyzer.Set
	Limits    Limits
}

// WalkTar reads one layer stream (gzip, zstd or plain tar) once. It returns the facts found
// so far together with any error, so a truncated layer still contributes what it held.
func (w *Walker) WalkTar(ctx context.Context, r io.Reader) (*Result, error) {
	lim := w.Limits.withDefaults()
	cr := &countingReader{r: r}
	dr, _, err := Decompress(cr)
	if err != nil {
		return &Result{}, err
	}
	defer dr.Close()
	tr := tar.NewReader(&guardReader{r: dr, compressed: cr, lim: lim})
	res := &Result{}
	seen := map[string][]FileFacts{}
	first := true
	for {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			if first {
				// An empty stream is an empty layer; a non-empty one must be a tar.
				break
			}
			break
		}
		if err != nil {
			res.sort()
			if first {
				return res, fmt.Errorf("not a tar stream (unknown layer format or media type): %w", err)
			}
			return res, fmt.Errorf("reading layer tar: %w", err)
		}
		first = false
		p, ok := CleanPath(hdr.Name)
		if !ok {
			res.Warnings = append(res.Warnings, inventory.Warning{Path: hdr.Name, Message: "entry escapes the layer root with '..'; ignored"})
			continue
		}
		dir, base := path.Split(p)
		dir = strings.TrimSuffix(dir, "/")
		if strings.HasPrefix(base, ".wh.") {
			if base == ".wh..wh..opq" {
				res.Opaques = append(res.Opaques, orDot(dir))
			} else {
				res.Whiteouts = append(res.Whiteouts, path.Join(dir, strings.TrimPrefix(base, ".wh.")))
			}
			continue
		}
		info := hdr.FileInfo()
		switch hdr.Typeflag {
		case tar.TypeReg, tar.TypeGNUSparse, '\x00':
			claimers := w.Analyzers.Claimers(p, info)
			if len(claimers) == 0 {
				continue
			}
			ffs := w.analyze(ctx, p, info, tr, hdr.Size, claimers, lim, res)
			seen[p] = ffs
			res.Files = append(res.Files, ffs...)
		case tar.TypeLink:
			target, ok := CleanPath(hdr.Linkname)
			if !ok {
				res.Warnings = append(res.Warnings, inventory.Warning{Path: p, Message: "hard link target escapes the layer root; ignored"})
				continue
			}
			prev, found := seen[target]
			if !found {
				continue
			}
			for _, ff := range prev {
				ff.Path = p
				res.Files = append(res.Files, ff)
			}
			seen[p] = prev
		}
	}
	res.sort()
	return res, nil
}

func orDot(s string) string {
	if s == "" {
		return "."
	}
	return s
}

// analyze reads a claimed file once and hands it to each claimer.
func (w *Walker) analyze(ctx context.Context, p string, info fs.FileInfo, r io.Reader, size int64, claimers []analyzer.Analyzer, lim Limits, res *Result) []FileFacts {
	out := make([]FileFacts, 0, len(claimers))
	if size > lim.MaxFileSize {
		res.Warnings = append(res.Warnings, inventory.Warning{Path: "/" + p,
			Message: fmt.Sprintf("file is %d bytes, above the %d-byte cap for analysis; skipped (raise --max-file-size to read it)", size, lim.MaxFileSize)})
		for _, a := range claimers {
			if !analyzer.IsSparse(a) {
				out = append(out, FileFacts{Path: p, Analyzer: a.Name()})
			}
		}
		return out
	}
	var content func() io.Reader
	if ra, ok := r.(io.ReaderAt); ok && allRandomAccess(claimers) {
		// A file on disk whose claimers all read at offsets (executables): each reads only
		// the headers and sections it needs, and the file is not held in memory.
		content = func() io.Reader { return io.NewSectionReader(ra, 0, size) }
	} else {
		data, err := readFile(r, size, lim.MaxFileSize+1)
		if err != nil {
			res.Warnings = append(res.Warnings, inventory.Warning{Path: "/" + p, Message: fmt.Sprintf("reading file: %v", err)})
		}
		content = func() io.Reader { return bytes.NewReader(data) }
	}
	for _, a := range claimers {
		facts, aerr := safeAnalyze(ctx, a, analyzer.Input{Path: p, Info: info, Content: content()})
		if aerr != nil {
			res.Warnings = append(res.Warnings, inventory.Warning{Path: "/" + p, Message: fmt.Sprintf("%s analyzer: %v", a.Name(), aerr)})
		}
		for _, m := range facts.Warnings {
			res.Warnings = append(res.Warnings, inventory.Warning{Path: "/" + p, Message: a.Name() + ": " + m})
		}
		facts.Warnings = nil
		if facts.Empty() && analyzer.IsSparse(a) {
			continue
		}
		out = append(out, FileFacts{Path: p, Analyzer: a.Name(), Facts: facts})
	}
	return out
}

// readFile reads at most limit bytes of a claimed file into a buffer sized from its declared
// size, so a big file (a 100 MB jar) is read in one allocation instead of a doubling series.
// The declared size is at most the file cap (larger files are not read), which is the same
// bound a file that really has that size reaches anyway.
func allRandomAccess(claimers []analyzer.Analyzer) bool {
	for _, a := range claimers {
		if _, ok := a.(analyzer.RandomAccess); !ok {
			return false
		}
	}
	return true
}

func readFile(r io.Reader, size, limit int64) ([]byte, error) {
	buf := bytes.NewBuffer(make([]byte, 0, min(max(size, 0), limit)+bytes.MinRead))
	_, err := buf.ReadFrom(io.LimitReader(r, limit))
	return buf.Bytes(), err
}

// safeAnalyze turns an analyzer panic into an error, so one bad file never ends the scan.
func safeAnalyze(ctx context.Context, a analyzer.Analyzer, in analyzer.Input) (f analyzer.Facts, err error) {
	defer func() {
		if r := recover(); r != nil {
			f = analyzer.Facts{}
			err = fmt.Errorf("analyzer failed on this file (internal error: %v); please report it", r)
		}
	}()
	return a.Analyze(ctx, in)
}
