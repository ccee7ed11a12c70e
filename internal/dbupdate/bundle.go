package dbupdate

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// tarDir writes the regular files of dir into a tar at out, under prefix/.
func tarDir(dir, prefix, out string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].Name() < entries[j].Name() })
	f, err := os.CreateTemp(filepath.Dir(out), ".bundle-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	tw := tar.NewWriter(f)
	for _, e := range entries {
		if !e.Type().IsRegular() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		info, err := e.Info()
		if err != nil {
			f.Close()
			return err
		}
		if err := tw.WriteHeader(&tar.Header{Name: prefix + "/" + e.Name(), Mode: 0o644, Size: info.Size(), Typeflag: tar.TypeReg}); err != nil {
			f.Close()
			return err
		}
		src, err := os.Open(filepath.Join(dir, e.Name()))
		if err != nil {
			f.Close()
			return err
		}
		_, err = io.Copy(tw, src)
		src.Close()
		if err != nil {
			f.Close()
			return err
		}
	}
	if err := tw.Close(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), out)
}

// untar extracts the known bundle files (and nothing else) into dir.
func untar(bundle, dir string) error {
	f, err := os.Open(bundle)
	if err != nil {
		return err
	}
	defer f.Close()
	tr := tar.NewReader(f)
	allowed := map[string]bool{MetadataFile: true, SignatureFile: true, DBFile: true}
	found := 0
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("not a shipshape DB bundle (tar): %w", err)
		}
		name := path.Clean(hdr.Name)
		if hdr.Typeflag != tar.TypeReg || path.Dir(name) != Prefix || !allowed[path.Base(name)] {
			continue
		}
		if err := os.MkdirAll(filepath.Join(dir, Prefix), 0o755); err != nil {
			return err
		}
		out, err := os.Create(filepath.Join(dir, Prefix, path.Base(name)))
		if err != nil {
			return err
		}
		_, err = io.Copy(out, tr)
		out.Close()
		if err != nil {
			return fmt.Errorf("reading the bundle (truncated?): %w", err)
		}
		found++
	}
	if found == 0 {
		return errors.New("not a shipshape DB bundle: no v1/metadata.json inside")
	}
	return nil
}
