// Package dbbuild compiles vulnerability feeds — files, folders, archives, URLs or the
// snapshot embedded in the binary — into a shipshape vulnerability DB, handing each file
// to the parser of its feed.
package dbbuild

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/bzip2"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"

	"github.com/shipshape-dev/shipshape/internal/feed"
	"github.com/shipshape-dev/shipshape/internal/vulndb"
)

// Source is one feed input.
type Source struct {
	// Name is the source name stored in the DB; empty means the feed's name.
	Name string
	Feed feed.Feed
	// Location is a file, folder or archive path, or an http(s) URL.
	Location string
	// Open, when set, is used instead of Location (the embedded snapshot); Location then
	// only names the input (its extension says how to unpack it).
	Open func() (io.ReadCloser, error)
	// DataDate, Origin and Licence go into the DB metadata when known.
	DataDate, Origin, Licence string
}

func (s Source) name() string {
	if s.Name != "" {
		return s.Name
	}
	return s.Feed.Name()
}

// Options tune a build.
type Options struct {
	// Now stamps the DB's build time.
	Now func() time.Time
	// HTTPClient fetches URL sources; nil means a client with a 5-minute timeout.
	HTTPClient *http.Client
	// Progress, when set, wraps downloads to show their progress.
	Progress func(name string, size int64, r io.Reader) io.Reader
	// Parallel is how many sources are parsed at once; 0 means GOMAXPROCS.
	Parallel int
}

// Summary reports what a build did.
type Summary struct {
	Sources  []vulndb.SourceInfo
	Files    int
	Warnings []string
}

// dataDater is implemented by feeds that learn their data's date while parsing.
type dataDater interface{ DataDate() string }

// Build parses every source and writes the DB to out atomically. A file that fails to
// parse is a warning; a source that yields no record at all is an error. Sources are parsed
// in parallel (up to Options.Parallel at a time) while one writer stores their records in
// source order, so the DB's content does not depend on timing.
func Build(ctx context.Context, out string, sources []Source, opts Options) (*Summary, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	par := opts.Parallel
	if par <= 0 {
		par = runtime.GOMAXPROCS(0)
	}
	w, err := vulndb.Create(out)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	parsed := make([]*parsedSource, len(sources))
	sem := make(chan struct{}, par)
	for i := range sources {
		parsed[i] = &parsedSource{recs: make(chan vulndb.Record, 1024), done: make(chan struct{})}
	}
	go func() {
		// Start parsers in source order: the writer drains sources in that order, so the
		// earliest unfinished source always holds a slot and nothing deadlocks.
		for i := range sources {
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				for _, p := range parsed[i:] {
					p.err = ctx.Err()
					close(p.recs)
					close(p.done)
				}
				return
			}
			go func(i int) {
				defer func() { <-sem }()
				parsed[i].run(ctx, sources[i], opts)
			}(i)
		}
	}()
	sum := &Summary{}
	for i, src := range sources {
		p := parsed[i]
		name := src.name()
		n := 0
		var newest string
		var werr error
		for r := range p.recs {
			if werr != nil {
				continue // drain so the parser can finish
			}
			n++
			if r.Vulnerability != nil && r.Vulnerability.Modified > newest {
				newest = r.Vulnerability.Modified
			}
			if err := w.Add(name, r); err != nil {
				werr = err
				cancel()
			}
		}
		<-p.done
		if werr != nil {
			w.Abort()
			return nil, fmt.Errorf("feed %s (%s): writing the DB: %w", name, src.Location, werr)
		}
		if p.err != nil {
			w.Abort()
			return nil, fmt.Errorf("feed %s (%s): %w", name, src.Location, p.err)
		}
		sum.Files += p.files
		sum.Warnings = append(sum.Warnings, p.warnings...)
		if n == 0 {
			w.Abort()
			return nil, fmt.Errorf("feed %s (%s) gave no records: is it the right kind of feed (%s) and the right file?", name, src.Location, src.Feed.Name())
		}
		date := src.DataDate
		if dd, ok := src.Feed.(dataDater); ok && date == "" {
			date = dd.DataDate()
		}
		if date == "" && newest != "" {
			date = newest
		}
		w.SetSource(vulndb.SourceInfo{Name: name, DataDate: date, Origin: src.Origin, Licence: src.Licence})
	}
	if err := w.Finish(opts.Now()); err != nil {
		return nil, err
	}
	db, err := vulndb.Open(out)
	if err != nil {
		return nil, err
	}
	sum.Sources = db.Meta().Sources
	db.Close()
	return sum, nil
}

// parsedSource carries one source's records from its parser to the writer.
type parsedSource struct {
	recs     chan vulndb.Record
	done     chan struct{}
	err      error
	files    int
	warnings []string
}

// run parses one source, sending its records; it closes recs and done when finished.
func (p *parsedSource) run(ctx context.Context, src Source, opts Options) {
	defer close(p.done)
	defer close(p.recs)
	name := src.name()
	emit := func(r vulndb.Record) error {
		select {
		case p.recs <- r:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	visit := func(fname string, r io.Reader) error {
		if !src.Feed.Match(fname) {
			return nil
		}
		p.files++
		if err := src.Feed.Parse(ctx, feed.Input{Name: fname, R: r}, emit); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			p.warnings = append(p.warnings, fmt.Sprintf("%s: %s: %v", name, fname, err))
		}
		return nil
	}
	p.err = open(ctx, src, opts, visit)
}

type visitFunc func(name string, r io.Reader) error

func open(ctx context.Context, src Source, opts Options, visit visitFunc) error {
	if src.Open != nil {
		rc, err := src.Open()
		if err != nil {
			return err
		}
		defer rc.Close()
		return walkStream(ctx, path.Base(src.Location), rc, visit)
	}
	loc := src.Location
	if strings.HasPrefix(loc, "http://") || strings.HasPrefix(loc, "https://") {
		return fetch(ctx, loc, opts, func(name string, r io.Reader) error {
			return walkStream(ctx, name, r, visit)
		})
	}
	st, err := os.Stat(loc)
	if err != nil {
		return err
	}
	if st.IsDir() {
		return filepath.WalkDir(loc, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.Type().IsRegular() {
				return nil
			}
			rel, _ := filepath.Rel(loc, p)
			f, err := os.Open(p)
			if err != nil {
				return err
			}
			defer f.Close()
			return walkStream(ctx, filepath.ToSlash(rel), f, visit)
		})
	}
	f, err := os.Open(loc)
	if err != nil {
		return err
	}
	defer f.Close()
	return walkStream(ctx, filepath.Base(loc), f, visit)
}

// fetch downloads url and hands it on; a download cut short is an error.
func fetch(ctx context.Context, url string, opts Options, next visitFunc) error {
	client := opts.HTTPClient
	if client == nil {
		client = &http.Client{Timeout: 5 * time.Minute}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("downloading: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("downloading: HTTP %s", resp.Status)
	}
	var r io.Reader = resp.Body
	if opts.Progress != nil {
		r = opts.Progress(url, resp.ContentLength, r)
	}
	data, err := io.ReadAll(r)
	if err != nil {
		return fmt.Errorf("downloading: %w", err)
	}
	if resp.ContentLength >= 0 && int64(len(data)) != resp.ContentLength {
		return fmt.Errorf("downloading: got %d of %d bytes (cut short)", len(data), resp.ContentLength)
	}
	name := path.Base(req.URL.Path)
	return next(name, bytes.NewReader(data))
}

// walkStream unpacks r by its name's extension: zip and tar archives are walked member by
// member, .gz/.bz2/.zst files decompressed; anything else is visited as is.
func walkStream(ctx context.Context, name string, r io.Reader, visit visitFunc) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	lower := strings.ToLower(name)
	switch {
	case strings.HasSuffix(lower, ".zip"):
		data, err := io.ReadAll(r)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			return fmt.Errorf("%s: not a valid zip: %w", name, err)
		}
		files := append([]*zip.File(nil), zr.File...)
		sort.Slice(files, func(i, j int) bool { return files[i].Name < files[j].Name })
		for _, f := range files {
			if f.FileInfo().IsDir() {
				continue
			}
			rc, err := f.Open()
			if err != nil {
				return fmt.Errorf("%s: %s: %w", name, f.Name, err)
			}
			err = walkStream(ctx, f.Name, rc, visit)
			rc.Close()
			if err != nil {
				return err
			}
		}
		return nil
	case strings.HasSuffix(lower, ".tar.gz"), strings.HasSuffix(lower, ".tgz"):
		zr, err := gzip.NewReader(r)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		defer zr.Close()
		return walkTar(ctx, name, zr, visit)
	case strings.HasSuffix(lower, ".tar.zst"):
		zr, err := zstd.NewReader(r)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		defer zr.Close()
		return walkTar(ctx, name, zr, visit)
	case strings.HasSuffix(lower, ".tar.bz2"):
		return walkTar(ctx, name, bzip2.NewReader(r), visit)
	case strings.HasSuffix(lower, ".tar"):
		return walkTar(ctx, name, r, visit)
	case strings.HasSuffix(lower, ".gz"):
		zr, err := gzip.NewReader(r)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		defer zr.Close()
		return walkStream(ctx, name[:len(name)-3], zr, visit)
	case strings.HasSuffix(lower, ".bz2"):
		return walkStream(ctx, name[:len(name)-4], bzip2.NewReader(r), visit)
	case strings.HasSuffix(lower, ".zst"):
		zr, err := zstd.NewReader(r)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		defer zr.Close()
		return walkStream(ctx, name[:len(name)-4], zr, visit)
	}
	return visit(name, r)
}

func walkTar(ctx context.Context, name string, r io.Reader, visit visitFunc) error {
	tr := tar.NewReader(r)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: reading tar (truncated or corrupt?): %w", name, err)
		}
		if hdr.Typeflag != tar.TypeReg {
			continue
		}
		member := strings.TrimPrefix(path.Clean("/"+hdr.Name), "/")
		if err := walkStream(ctx, member, tr, visit); err != nil {
			return err
		}
	}
}
