package source

import (
	"archive/tar"
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// store gives access to the named files of an archive or folder.
type store interface {
	// open returns the file's content and size.
	open(name string) (io.ReadCloser, int64, error)
	has(name string) bool
}

// readAll reads a small metadata file from s, refusing anything absurdly large.
func readAll(s store, name string) ([]byte, error) {
	rc, _, err := s.open(name)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	const max = 64 << 20
	data, err := io.ReadAll(io.LimitReader(rc, max+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", name, err)
	}
	if len(data) > max {
		return nil, fmt.Errorf("%s is larger than %d bytes; not image metadata", name, max)
	}
	return data, nil
}

type dirStore string

func (d dirStore) path(name string) (string, error) {
	clean := path.Clean("/" + name)
	if strings.Contains(name, "..") && clean != "/"+name {
		return "", fmt.Errorf("%s: path escapes the layout folder", name)
	}
	return filepath.Join(string(d), filepath.FromSlash(clean)), nil
}

func (d dirStore) open(name string) (io.ReadCloser, int64, error) {
	p, err := d.path(name)
	if err != nil {
		return nil, 0, err
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, 0, fmt.Errorf("opening %s: %w", name, err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, fmt.Errorf("opening %s: %w", name, err)
	}
	return f, st.Size(), nil
}

func (d dirStore) has(name string) bool {
	p, err := d.path(name)
	if err != nil {
		return false
	}
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}

// tarStore indexes a tar file once and serves its members as sections of the file, so
// several layers can be read at once without re-reading the archive.
type tarStore struct {
	f       *os.File
	entries map[string]tarEntry
}

type tarEntry struct {
	off, size int64
	link      string // symlink or hard link target, cleaned
}

func cleanMember(name string) string {
	return strings.TrimPrefix(path.Clean("/"+name), "/")
}

// errNotTar marks files that are not tar archives at all.
var errNotTar = errors.New("not a tar archive")

func newTarStore(f *os.File) (*tarStore, error) {
	ts := &tarStore{f: f, entries: map[string]tarEntry{}}
	tr := tar.NewReader(f)
	first := true
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			if first {
				return nil, fmt.Errorf("%w: empty file", errNotTar)
			}
			break
		}
		if err != nil {
			if first {
				return nil, fmt.Errorf("%w: %v", errNotTar, err)
			}
			return nil, fmt.Errorf("reading the archive's file list (truncated or corrupt tar?): %w", err)
		}
		first = false
		name := cleanMember(hdr.Name)
		switch hdr.Typeflag {
		case tar.TypeReg, '\x00':
			off, err := f.Seek(0, io.SeekCurrent)
			if err != nil {
				return nil, fmt.Errorf("reading archive: %w", err)
			}
			ts.entries[name] = tarEntry{off: off, size: hdr.Size}
		case tar.TypeSymlink:
			ts.entries[name] = tarEntry{link: cleanMember(path.Join(path.Dir(name), hdr.Linkname))}
		case tar.TypeLink:
			ts.entries[name] = tarEntry{link: cleanMember(hdr.Linkname)}
		}
	}
	// A truncated archive can end cleanly in the middle of a member; check sizes.
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("reading archive: %w", err)
	}
	for name, e := range ts.entries {
		if e.link == "" && e.off+e.size > st.Size() {
			return nil, fmt.Errorf("archive member %s is cut short (truncated archive)", name)
		}
	}
	return ts, nil
}

func (t *tarStore) resolve(name string) (tarEntry, error) {
	name = cleanMember(name)
	for i := 0; i < 16; i++ {
		e, ok := t.entries[name]
		if !ok {
			return tarEntry{}, fmt.Errorf("%s: not in the archive: %w", name, fs.ErrNotExist)
		}
		if e.link == "" {
			return e, nil
		}
		name = e.link
	}
	return tarEntry{}, fmt.Errorf("%s: too many levels of links in the archive", name)
}

func (t *tarStore) open(name string) (io.ReadCloser, int64, error) {
	e, err := t.resolve(name)
	if err != nil {
		return nil, 0, err
	}
	return io.NopCloser(io.NewSectionReader(t.f, e.off, e.size)), e.size, nil
}

func (t *tarStore) has(name string) bool {
	_, err := t.resolve(name)
	return err == nil
}

// isCompressed peeks at f for gzip or zstd magic, then rewinds.
func peekMagic(f *os.File) ([]byte, error) {
	br := bufio.NewReader(f)
	head, err := br.Peek(4)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	head = bytes.Clone(head)
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	return head, nil
}
