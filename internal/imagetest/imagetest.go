// Package imagetest builds real container images for tests: layers from the Alpine
// minirootfs tarballs in testdata/images or from files listed in Go, written out as
// docker-archives and OCI layouts with go-containerregistry. Only tests import it.
package imagetest

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// RepoRoot returns the repository root (where go.mod is).
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// AlpineRootfs returns the path of a committed Alpine minirootfs tarball, e.g.
// AlpineRootfs("3.19.4", "x86_64").
func AlpineRootfs(version, arch string) string {
	return filepath.Join(RepoRoot(), "testdata", "images", fmt.Sprintf("alpine-minirootfs-%s-%s.tar.gz", version, arch))
}

// LayerFromFile makes a layer from a tar or tar.gz file on disk.
func LayerFromFile(path string) (v1.Layer, error) {
	return tarball.LayerFromFile(path)
}

// File is one tar entry of a layer built in Go.
type File struct {
	Name     string
	Body     string
	Mode     int64
	Type     byte // tar.TypeReg when zero
	Linkname string
}

// TarBytes returns an uncompressed tar of files.
func TarBytes(files []File) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range files {
		typ := f.Type
		if typ == 0 {
			typ = tar.TypeReg
		}
		mode := f.Mode
		if mode == 0 {
			mode = 0o644
			if typ == tar.TypeDir {
				mode = 0o755
			}
		}
		hdr := &tar.Header{Name: f.Name, Typeflag: typ, Mode: mode, Linkname: f.Linkname, ModTime: time.Unix(0, 0)}
		if typ == tar.TypeReg {
			hdr.Size = int64(len(f.Body))
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, fmt.Errorf("tar header %s: %w", f.Name, err)
		}
		if typ == tar.TypeReg {
			if _, err := tw.Write([]byte(f.Body)); err != nil {
				return nil, err
			}
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// LayerFromFiles makes a gzip layer from files listed in Go.
func LayerFromFiles(files []File) (v1.Layer, error) {
	data, err := TarBytes(files)
	if err != nil {
		return nil, err
	}
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(data)), nil
	})
}

// Step is one layer with the Dockerfile-like command that made it.
type Step struct {
	Layer     v1.Layer
	CreatedBy string
}

// Image stacks the layers into an image for platform (e.g. "linux/amd64").
func Image(platform string, steps ...Step) (v1.Image, error) {
	img := empty.Image
	img = mutate.MediaType(img, types.DockerManifestSchema2)
	for _, s := range steps {
		var err error
		img, err = mutate.Append(img, mutate.Addendum{
			Layer:   s.Layer,
			History: v1.History{CreatedBy: s.CreatedBy, Created: v1.Time{Time: time.Unix(0, 0).UTC()}},
		})
		if err != nil {
			return nil, fmt.Errorf("appending layer: %w", err)
		}
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	p, err := v1.ParsePlatform(platform)
	if err != nil {
		return nil, err
	}
	cf.OS, cf.Architecture, cf.Variant = p.OS, p.Architecture, p.Variant
	cf.Config.Cmd = []string{"/bin/sh"}
	return mutate.ConfigFile(img, cf)
}

// WriteDockerArchive writes img as a `docker save`-style tarball tagged tag.
func WriteDockerArchive(path, tag string, img v1.Image) error {
	ref, err := parseTag(tag)
	if err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := tarball.Write(ref, img, f); err != nil {
		return fmt.Errorf("writing docker archive: %w", err)
	}
	return f.Close()
}

func parseTag(tag string) (name.Tag, error) {
	t, err := name.NewTag(tag)
	if err != nil {
		return name.Tag{}, fmt.Errorf("tag %q: %w", tag, err)
	}
	return t, nil
}

// WriteOCILayout writes images into an OCI image layout folder at dir. Each image gets the
// ref.name annotation of its key in refs (may be empty) and its platform.
func WriteOCILayout(dir string, images []v1.Image, refs []string) error {
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		return fmt.Errorf("creating layout: %w", err)
	}
	for i, img := range images {
		cf, err := img.ConfigFile()
		if err != nil {
			return err
		}
		opts := []layout.Option{layout.WithPlatform(v1.Platform{OS: cf.OS, Architecture: cf.Architecture, Variant: cf.Variant})}
		if i < len(refs) && refs[i] != "" {
			opts = append(opts, layout.WithAnnotations(map[string]string{"org.opencontainers.image.ref.name": refs[i]}))
		}
		if err := p.AppendImage(img, opts...); err != nil {
			return fmt.Errorf("writing image to layout: %w", err)
		}
	}
	return nil
}

// WriteOCILayoutIndex writes a layout whose index.json points at one nested image index
// holding images (a multi-platform image), annotated with ref.
func WriteOCILayoutIndex(dir string, images []v1.Image, ref string) error {
	var idx v1.ImageIndex = empty.Index
	idx = mutate.IndexMediaType(idx, types.OCIImageIndex)
	for _, img := range images {
		cf, err := img.ConfigFile()
		if err != nil {
			return err
		}
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{
			Platform: &v1.Platform{OS: cf.OS, Architecture: cf.Architecture, Variant: cf.Variant},
		}})
	}
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		return fmt.Errorf("creating layout: %w", err)
	}
	var opts []layout.Option
	if ref != "" {
		opts = append(opts, layout.WithAnnotations(map[string]string{"org.opencontainers.image.ref.name": ref}))
	}
	if err := p.AppendIndex(idx, opts...); err != nil {
		return fmt.Errorf("writing index to layout: %w", err)
	}
	return nil
}
