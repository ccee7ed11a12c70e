package docker

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"slices"
	"strings"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
)

// Container is a container as listed by the Engine.
type Container struct {
	ID      string
	Name    string
	Image   string
	ImageID string
	State   string
}

// Containers lists containers: running ones, or all with all set, carrying every label
// in labels ("key" or "key=value"). The list is sorted by name.
func (e *Engine) Containers(ctx context.Context, all bool, labels ...string) ([]Container, error) {
	f := client.Filters{}
	if len(labels) > 0 {
		f = f.Add("label", labels...)
	}
	res, err := e.Client.ContainerList(ctx, client.ContainerListOptions{All: all, Filters: f})
	if err != nil {
		return nil, wrap("listing containers", err)
	}
	out := make([]Container, 0, len(res.Items))
	for _, c := range res.Items {
		name := c.ID
		if len(c.Names) > 0 {
			name = strings.TrimPrefix(c.Names[0], "/")
		}
		out = append(out, Container{ID: c.ID, Name: name, Image: c.Image, ImageID: c.ImageID, State: string(c.State)})
	}
	slices.SortFunc(out, func(a, b Container) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// InspectContainer returns what `docker inspect` shows for a container (name or ID).
func (e *Engine) InspectContainer(ctx context.Context, ref string) (*container.InspectResponse, error) {
	res, err := e.Client.ContainerInspect(ctx, ref, client.ContainerInspectOptions{})
	if err != nil {
		return nil, wrap("container "+ref, err)
	}
	return &res.Container, nil
}

// Change is one entry of the Engine's changes list (docker diff).
type Change struct {
	Path string
	Kind string // A added, C changed, D deleted
}

// Changes returns the files added, changed and deleted in the container's writable layer
// since it was created from its image, sorted by path.
func (e *Engine) Changes(ctx context.Context, id string) ([]Change, error) {
	res, err := e.Client.ContainerDiff(ctx, id, client.ContainerDiffOptions{})
	if err != nil {
		return nil, wrap("changes of container "+id, err)
	}
	out := make([]Change, 0, len(res.Changes))
	for _, c := range res.Changes {
		out = append(out, Change{Path: path.Clean("/" + c.Path), Kind: c.Kind.String()})
	}
	slices.SortFunc(out, func(a, b Change) int { return strings.Compare(a.Path, b.Path) })
	return out, nil
}

// MaxCopies is how many separate copies ChangesLayer makes before it reads the container's
// whole filesystem once (docker export) and keeps only the changed files instead.
const MaxCopies = 256

// ChangesLayer returns the container's changes as one layer tar: added and changed files
// (copied out of the container), and a whiteout (.wh.NAME) for each deleted path, so it
// can be scanned on top of the image's layers. Changed directories contribute only their
// changed entries, which the list names one by one.
func (e *Engine) ChangesLayer(ctx context.Context, id string, changes []Change) (io.ReadCloser, error) {
	var copies []Change
	var deleted []string
	for _, c := range changes {
		switch c.Kind {
		case "D":
			deleted = append(deleted, c.Path)
		case "A", "C":
			// An added directory is copied whole, so its descendants need no copy of their own.
			if n := len(copies); n > 0 && copies[n-1].Kind == "A" && strings.HasPrefix(c.Path, copies[n-1].Path+"/") {
				continue
			}
			copies = append(copies, c)
		}
	}
	pr, pw := io.Pipe()
	go func() {
		tw := tar.NewWriter(pw)
		var err error
		if len(copies) > MaxCopies {
			err = e.exportChanged(ctx, id, changes, tw)
		} else {
			err = e.copyChanged(ctx, id, copies, tw)
		}
		for _, d := range deleted {
			if err != nil {
				break
			}
			err = tw.WriteHeader(&tar.Header{Name: strings.TrimPrefix(path.Join(path.Dir(d), ".wh."+path.Base(d)), "/"), Typeflag: tar.TypeReg, Mode: 0o600})
		}
		if err == nil {
			err = tw.Close()
		}
		pw.CloseWithError(err)
	}()
	return pr, nil
}

// copyChanged copies each path out of the container (the archive API) into tw, with the
// entry names made absolute (the API names them relative to the copied path's parent).
func (e *Engine) copyChanged(ctx context.Context, id string, copies []Change, tw *tar.Writer) error {
	for _, c := range copies {
		res, err := e.Client.CopyFromContainer(ctx, id, client.CopyFromContainerOptions{SourcePath: c.Path})
		if err != nil {
			if errors.Is(wrap("", err), ErrNotFound) {
				// Gone since the changes list was read (a temporary file): nothing to scan.
				continue
			}
			return wrap(fmt.Sprintf("copying %s out of container %s", c.Path, id), err)
		}
		if c.Kind == "C" && res.Stat.Mode.IsDir() {
			// A changed directory: its changed entries are listed (and copied) on their own.
			res.Content.Close()
			continue
		}
		err = retar(tar.NewReader(res.Content), tw, path.Dir(c.Path), nil)
		res.Content.Close()
		if err != nil {
			return fmt.Errorf("copying %s out of container %s: %w", c.Path, id, err)
		}
	}
	return nil
}

// exportChanged reads the container's whole filesystem once and keeps the changed files.
func (e *Engine) exportChanged(ctx context.Context, id string, changes []Change, tw *tar.Writer) error {
	rc, err := e.Client.ContainerExport(ctx, id, client.ContainerExportOptions{})
	if err != nil {
		return wrap("exporting container "+id, err)
	}
	defer rc.Close()
	want := map[string]bool{}
	var addedDirs []string
	for _, c := range changes {
		if c.Kind == "A" || c.Kind == "C" {
			want[c.Path] = true
			if c.Kind == "A" {
				addedDirs = append(addedDirs, c.Path+"/")
			}
		}
	}
	keep := func(p string) bool {
		if want[p] {
			return true
		}
		for _, d := range addedDirs {
			if strings.HasPrefix(p, d) {
				return true
			}
		}
		return false
	}
	return retar(tar.NewReader(rc), tw, "/", keep)
}

// retar copies entries of tr into tw under base, keeping those keep accepts (nil: all).
func retar(tr *tar.Reader, tw *tar.Writer, base string, keep func(string) bool) error {
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		full := path.Clean("/" + path.Join(base, hdr.Name))
		if keep != nil && !keep(full) {
			continue
		}
		h := *hdr
		h.Name = strings.TrimPrefix(full, "/")
		if hdr.Typeflag == tar.TypeDir {
			h.Name += "/"
		}
		if hdr.Typeflag == tar.TypeLink {
			h.Linkname = strings.TrimPrefix(path.Clean("/"+path.Join(base, hdr.Linkname)), "/")
		}
		if h.Name == "" || h.Name == "/" {
			continue
		}
		if err := tw.WriteHeader(&h); err != nil {
			return err
		}
		if hdr.Typeflag == tar.TypeReg || hdr.Typeflag == '\x00' {
			if _, err := io.Copy(tw, tr); err != nil {
				return err
			}
		}
	}
}
