package source

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Engine is a local container engine that holds images and streams them in `docker save`
// form. internal/docker implements it for the Docker Engine.
type Engine interface {
	// LookupImage reports whether the engine holds ref. err means the engine could not
	// be asked (not running, permission denied).
	LookupImage(ctx context.Context, ref string) (id string, repoDigests []string, found bool, err error)
	// SaveImage streams ref as a `docker save` tar.
	SaveImage(ctx context.Context, ref string) (io.ReadCloser, error)
	// String names the engine for messages.
	String() string
}

// Image sources a bare reference is tried against, in the default order.
const (
	SrcPath     = "path"
	SrcDocker   = "docker"
	SrcRegistry = "registry"
)

// DefaultImageSources is the order a bare reference is resolved in: an existing file or
// folder, the local Docker Engine, then the registry.
var DefaultImageSources = []string{SrcPath, SrcDocker, SrcRegistry}

// ValidateImageSources checks an --image-src list.
func ValidateImageSources(srcs []string) error {
	if len(srcs) == 0 {
		return errors.New("--image-src needs at least one of path, docker, registry")
	}
	for _, s := range srcs {
		switch s {
		case SrcPath, SrcDocker, SrcRegistry:
		default:
			return fmt.Errorf("unknown image source %q in --image-src (choose from path, docker, registry)", s)
		}
	}
	return nil
}

// openBare resolves a reference without a prefix by trying each source in order.
func openBare(ctx context.Context, ref string, opts Options) (*Image, error) {
	srcs := opts.ImageSources
	if len(srcs) == 0 {
		srcs = DefaultImageSources
	}
	if err := ValidateImageSources(srcs); err != nil {
		return nil, err
	}
	var tried []string
	var errs []error
	for _, src := range srcs {
		switch src {
		case SrcPath:
			if _, err := os.Stat(ref); err == nil {
				return openPath(ctx, ref, ref, "", opts)
			}
			if looksLikePath(ref) {
				return nil, fmt.Errorf("%s: no such file or folder: %w", ref, ErrNotFound)
			}
			tried = append(tried, "no such file or folder")
		case SrcDocker:
			if opts.Engine == nil {
				continue
			}
			id, digests, found, err := opts.Engine.LookupImage(ctx, ref)
			if err != nil {
				// An Engine that is not there is no reason to stop: try the next source,
				// and say why in the final error if nothing works.
				errs = append(errs, err)
				tried = append(tried, fmt.Sprintf("%s could not be asked", opts.Engine))
				continue
			}
			if !found {
				tried = append(tried, fmt.Sprintf("%s does not have it", opts.Engine))
				continue
			}
			return openEngine(ctx, ref, ref, id, digests, opts)
		case SrcRegistry:
			img, err := OpenRegistry(ctx, ref, opts)
			if err == nil {
				return img, nil
			}
			errs = append(errs, err)
			tried = append(tried, "the registry failed")
		}
	}
	if len(errs) == 0 {
		return nil, fmt.Errorf("%s: not found (%s): %w", ref, strings.Join(tried, "; "), ErrNotFound)
	}
	return nil, fmt.Errorf("%s: not found (%s): %w", ref, strings.Join(tried, "; "), errors.Join(errs...))
}

// OpenEngine opens ref from opts.Engine (the docker:// prefix).
func OpenEngine(ctx context.Context, name, ref string, opts Options) (*Image, error) {
	if opts.Engine == nil {
		return nil, fmt.Errorf("%s: no Docker Engine is configured", name)
	}
	id, digests, found, err := opts.Engine.LookupImage(ctx, ref)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if !found {
		return nil, fmt.Errorf("%s: %s has no image %q (list them with `docker images`, or pull it first): %w", name, opts.Engine, ref, ErrNotFound)
	}
	return openEngine(ctx, name, ref, id, digests, opts)
}

// openEngine reads the image through the engine's save stream. The stream is spooled to
// one temporary file, which is then indexed like any docker-archive: `docker save` writes
// manifest.json (the layer order) and the config (the diffIDs) after the layers, so a
// layer's identity is not known while it streams past, and the layer scanner needs the
// diffIDs first (per-layer cache) and reads layers in parallel. The file is removed when
// the image is closed.
func openEngine(ctx context.Context, name, ref, id string, digests []string, opts Options) (*Image, error) {
	if opts.EngineCache != "" && id != "" {
		if img := openEngineLazy(name, ref, id, digests, opts); img != nil {
			return img, nil
		}
	}
	img, err := spoolEngine(ctx, name, ref, id, digests, opts)
	if err == nil && opts.EngineCache != "" {
		if cfg, cerr := img.rawConfig(); cerr == nil {
			saveConfig(opts.EngineCache, img.ImageID, cfg)
		}
	}
	return img, err
}

// spoolEngine reads the whole save stream into one temporary file.
func spoolEngine(ctx context.Context, name, ref, id string, digests []string, opts Options) (*Image, error) {
	rc, err := opts.Engine.SaveImage(ctx, ref)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	defer rc.Close()
	tmp, err := os.CreateTemp(opts.TempDir, "shipshape-engine-*.tar")
	if err != nil {
		return nil, fmt.Errorf("%s: a temporary file for the image from %s: %w (set TMPDIR to a folder with room)", name, opts.Engine, err)
	}
	closers := multiCloser{tmp, removeOnClose(tmp.Name())}
	fail := func(err error) (*Image, error) {
		closers.Close()
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if _, err := io.Copy(tmp, contextReader{ctx: ctx, r: rc}); err != nil {
		return fail(fmt.Errorf("copying the image out of %s (was it removed meanwhile?): %w", opts.Engine, err))
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return fail(err)
	}
	ts, err := newTarStore(tmp)
	if err != nil {
		return fail(fmt.Errorf("the save stream from %s is not a readable image archive: %w", opts.Engine, err))
	}
	img, err := openDockerArchive(ts, name, "")
	if err != nil {
		return fail(fmt.Errorf("the save stream from %s: %w", opts.Engine, err))
	}
	if id != "" && img.ImageID != id {
		return fail(fmt.Errorf("the image changed while it was read (expected %s, got %s); scan again", id, img.ImageID))
	}
	img.Kind = "docker"
	img.RepoDigests = digests
	img.closer = closers
	return img, nil
}

// contextReader stops a copy when ctx is done.
type contextReader struct {
	ctx context.Context
	r   io.Reader
}

func (c contextReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// configPath is where the config of image id is kept in the engine cache.
func configPath(dir, id string) string {
	return filepath.Join(dir, strings.TrimPrefix(id, "sha256:")+".json")
}

// saveConfig keeps an image's config (its bytes hash to the image ID) so that the next
// scan of the image knows its layers without reading it. Failures only cost that.
func saveConfig(dir, id string, cfg []byte) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return
	}
	tmp, err := os.CreateTemp(dir, ".config-*")
	if err != nil {
		return
	}
	_, werr := tmp.Write(cfg)
	cerr := tmp.Close()
	if werr != nil || cerr != nil || os.Rename(tmp.Name(), configPath(dir, id)) != nil {
		os.Remove(tmp.Name())
	}
}

// openEngineLazy builds the image from its cached config alone: diffIDs, history and
// platform are all in it. Its layers are read from the Engine only if a layer is opened
// (one save stream, spooled once, shared by all layers); a scan whose layers are all in
// the layer cache never reads the image. It returns nil when no valid config is cached.
func openEngineLazy(name, ref, id string, digests []string, opts Options) *Image {
	data, err := os.ReadFile(configPath(opts.EngineCache, id))
	if err != nil {
		return nil
	}
	sum := sha256.Sum256(data)
	if "sha256:"+hex.EncodeToString(sum[:]) != id {
		return nil // damaged or foreign: read the image instead
	}
	cfg, err := v1.ParseConfigFile(bytes.NewReader(data))
	if err != nil || len(cfg.RootFS.DiffIDs) == 0 {
		return nil
	}
	lz := &lazyEngine{name: name, ref: ref, id: id, digests: digests, opts: opts}
	img := &Image{Name: name, Kind: "docker", ImageID: id, RepoDigests: digests, Config: cfg,
		Platform: platformOf(cfg), RepoTags: tagsOf(ref, opts), closer: lz}
	createdBy := historyByLayer(cfg, len(cfg.RootFS.DiffIDs))
	for i, d := range cfg.RootFS.DiffIDs {
		img.Layers = append(img.Layers, Layer{DiffID: d.String(), CreatedBy: createdBy[i], Open: func(ctx context.Context) (io.ReadCloser, error) {
			return lz.open(ctx, i)
		}})
	}
	return img
}

// tagsOf is the tag a save of ref would carry, when ref names a tag.
func tagsOf(ref string, opts Options) []string {
	if strings.HasPrefix(ref, "sha256:") || strings.Contains(ref, "@") {
		return nil
	}
	last := ref[strings.LastIndex(ref, "/")+1:]
	if !strings.Contains(last, ":") {
		ref += ":latest"
	}
	return []string{ref}
}

// lazyEngine spools the save stream on first use.
type lazyEngine struct {
	name, ref, id string
	digests       []string
	opts          Options
	once          sync.Once
	img           *Image
	err           error
}

func (l *lazyEngine) open(ctx context.Context, i int) (io.ReadCloser, error) {
	l.once.Do(func() { l.img, l.err = spoolEngine(ctx, l.name, l.ref, l.id, l.digests, l.opts) })
	if l.err != nil {
		return nil, l.err
	}
	if i >= len(l.img.Layers) {
		return nil, fmt.Errorf("%s: the image read from %s has %d layers, its cached config %d", l.name, l.opts.Engine, len(l.img.Layers), i+1)
	}
	return l.img.Layers[i].Open(ctx)
}

func (l *lazyEngine) Close() error {
	if l.img != nil {
		return l.img.Close()
	}
	return nil
}
