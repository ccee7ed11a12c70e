// Package source opens what the user asked to scan — a docker-archive or OCI tarball, an
// OCI image layout, a registry reference, or a folder — and yields an image model: its
// config, its layers as streams to open, and the identity of what was opened.
package source

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Layer is one image layer, bottom first.
type Layer struct {
	DiffID    string
	Digest    string
	Size      int64
	MediaType string
	CreatedBy string
	// Open returns the layer as stored (gzip, zstd or plain tar).
	Open func(ctx context.Context) (io.ReadCloser, error)
}

// Image is an opened container image.
type Image struct {
	// Name is the reference or path the user gave.
	Name           string
	Kind           string // "docker-archive", "oci-archive", "oci-layout", "registry"
	ImageID        string // config digest
	ManifestDigest string
	RepoTags       []string
	RepoDigests    []string
	Platform       string
	Config         *v1.ConfigFile
	Layers         []Layer
	// closer releases files held open by the image (nil when none).
	closer io.Closer
	// store is the archive the image was read from (docker-archive images), for rawConfig.
	store *tarStore
	// configName is the config's member in store.
	configName string
}

// rawConfig returns the config bytes of an image read from an archive.
func (img *Image) rawConfig() ([]byte, error) {
	if img.store == nil || img.configName == "" {
		return nil, errors.New("no archive")
	}
	return readAll(img.store, img.configName)
}

// Close releases the files the image holds open.
func (img *Image) Close() error {
	if img == nil || img.closer == nil {
		return nil
	}
	return img.closer.Close()
}

// Options tune how images are opened.
type Options struct {
	// Platform selects an image from a multi-platform index, as os/arch[/variant].
	// Empty means linux/<this machine's arch>, or the only image when there is one.
	Platform string
	// Registry settings.
	Registry RegistryOptions
	// TempDir holds decompressed copies of compressed archives; empty means os.TempDir().
	TempDir string
	// Engine is the local Docker Engine (nil: none is asked).
	Engine Engine
	// ImageSources orders how a bare reference is resolved (default DefaultImageSources).
	ImageSources []string
	// EngineCache, when set, is a folder where the configs of images read from the Engine
	// are kept, so that a later scan reads an image only for layers it has to analyse.
	EngineCache string
}

// Platform parses "os/arch[/variant]".
func parsePlatform(s string) (*v1.Platform, error) {
	if s == "" {
		return &v1.Platform{OS: "linux", Architecture: runtime.GOARCH}, nil
	}
	p, err := v1.ParsePlatform(s)
	if err == nil && (p.OS == "" || p.Architecture == "") {
		err = errors.New("both os and architecture are needed")
	}
	if err != nil {
		return nil, fmt.Errorf("invalid --platform %q (want os/arch[/variant], e.g. linux/arm64): %w", s, err)
	}
	return p, nil
}

// ErrNotFound is returned when a reference names nothing that can be opened.
var ErrNotFound = errors.New("image not found")

// Open resolves ref and opens the image. Prefixes select the source explicitly:
// "oci:" (an OCI layout folder or OCI tarball, optionally ":tag" or "@digest"),
// "archive:" or "docker-archive:" (a `docker save` tarball), "registry://" (a registry),
// "docker://" (the local Docker Engine). Without a prefix the sources are tried in
// opts.ImageSources order: an existing file or folder, the Engine, the registry.
func Open(ctx context.Context, ref string, opts Options) (*Image, error) {
	switch {
	case strings.HasPrefix(ref, "oci:"):
		p, sel := splitLayoutRef(strings.TrimPrefix(ref, "oci:"))
		return openPath(ctx, ref, p, sel, opts)
	case strings.HasPrefix(ref, "archive:"), strings.HasPrefix(ref, "docker-archive:"):
		p := ref[strings.Index(ref, ":")+1:]
		return openPath(ctx, ref, p, "", opts)
	case strings.HasPrefix(ref, "registry://"):
		return OpenRegistry(ctx, strings.TrimPrefix(ref, "registry://"), opts)
	case strings.HasPrefix(ref, "docker://"):
		return OpenEngine(ctx, ref, strings.TrimPrefix(ref, "docker://"), opts)
	}
	return openBare(ctx, ref, opts)
}

// looksLikePath tells apart "./x.tar", "/a/b", "x.tar" from registry references.
func looksLikePath(ref string) bool {
	if strings.HasPrefix(ref, ".") || strings.HasPrefix(ref, "/") || strings.HasPrefix(ref, "~") {
		return true
	}
	for _, ext := range []string{".tar", ".tar.gz", ".tgz", ".tar.zst"} {
		if strings.HasSuffix(ref, ext) {
			return true
		}
	}
	return false
}

// splitLayoutRef splits "path:tag" or "path@sha256:..." into the path and the selector.
func splitLayoutRef(s string) (string, string) {
	if i := strings.LastIndex(s, "@sha256:"); i > 0 {
		return s[:i], s[i+1:]
	}
	if _, err := os.Stat(s); err == nil {
		return s, ""
	}
	if i := strings.LastIndex(s, ":"); i > 0 && !strings.Contains(s[i:], "/") {
		return s[:i], s[i+1:]
	}
	return s, ""
}

func openPath(ctx context.Context, name, p, sel string, opts Options) (*Image, error) {
	st, err := os.Stat(p)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if st.IsDir() {
		if _, err := os.Stat(filepath.Join(p, "index.json")); err != nil {
			return nil, fmt.Errorf("%s: folder has no index.json, so it is not an OCI image layout (to scan a root filesystem folder use `shipshape rootfs %s`)", name, p)
		}
		img, err := openOCI(ctx, dirStore(p), name, sel, opts)
		if err != nil {
			return nil, err
		}
		img.Kind = "oci-layout"
		return img, nil
	}
	return openArchive(ctx, name, p, sel, opts)
}
