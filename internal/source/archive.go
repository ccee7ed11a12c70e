package source

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// dockerManifestEntry is one image in a `docker save` manifest.json.
type dockerManifestEntry struct {
	Config   string
	RepoTags []string
	Layers   []string
}

type multiCloser []io.Closer

func (m multiCloser) Close() error {
	var errs []error
	for _, c := range m {
		errs = append(errs, c.Close())
	}
	return errors.Join(errs...)
}

// openArchive opens a tarball: `docker save` output (any Docker version; gzip or zstd
// compressed too) or an OCI image layout packed as a tar.
func openArchive(ctx context.Context, name, p, sel string, opts Options) (*Image, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	closers := multiCloser{f}
	fail := func(err error) (*Image, error) {
		closers.Close()
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	head, err := peekMagic(f)
	if err != nil {
		return fail(fmt.Errorf("reading: %w", err))
	}
	if bytes.HasPrefix(head, []byte{0x1f, 0x8b}) || bytes.HasPrefix(head, []byte{0x28, 0xb5, 0x2f, 0xfd}) {
		tmp, err := decompressToTemp(f, head, opts.TempDir)
		if err != nil {
			return fail(err)
		}
		closers = append(closers, tmp, removeOnClose(tmp.Name()))
		f = tmp
	}
	ts, err := newTarStore(f)
	if err != nil {
		if errors.Is(err, errNotTar) {
			return fail(fmt.Errorf("not an image archive (expected a tar from `docker save` or an OCI layout tar): %w", err))
		}
		return fail(err)
	}
	var img *Image
	switch {
	case ts.has("manifest.json") && sel == "":
		img, err = openDockerArchive(ts, name, "")
	case ts.has("index.json"):
		img, err = openOCI(ctx, ts, name, sel, opts)
		if img != nil {
			img.Kind = "oci-archive"
		}
	case ts.has("manifest.json"):
		img, err = openDockerArchive(ts, name, sel)
	default:
		err = errors.New("the tar has neither manifest.json (docker save) nor index.json (OCI layout); it is not an image archive (to scan a root filesystem, unpack it and use `shipshape rootfs DIR`)")
	}
	if err != nil {
		return fail(err)
	}
	img.closer = closers
	return img, nil
}

type removeOnClose string

func (r removeOnClose) Close() error { return os.Remove(string(r)) }

func decompressToTemp(f *os.File, head []byte, dir string) (*os.File, error) {
	var r io.Reader
	if head[0] == 0x1f {
		zr, err := gzip.NewReader(f)
		if err != nil {
			return nil, fmt.Errorf("opening gzip: %w", err)
		}
		defer zr.Close()
		r = zr
	} else {
		zr, err := zstd.NewReader(f)
		if err != nil {
			return nil, fmt.Errorf("opening zstd: %w", err)
		}
		defer zr.Close()
		r = zr
	}
	tmp, err := os.CreateTemp(dir, "shipshape-archive-*.tar")
	if err != nil {
		return nil, fmt.Errorf("decompressing the archive to a temporary file: %w", err)
	}
	if _, err := io.Copy(tmp, r); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return nil, fmt.Errorf("decompressing the archive (truncated or corrupt?): %w", err)
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return nil, err
	}
	return tmp, nil
}

func openDockerArchive(ts *tarStore, name, sel string) (*Image, error) {
	data, err := readAll(ts, "manifest.json")
	if err != nil {
		return nil, err
	}
	var entries []dockerManifestEntry
	if err := json.Unmarshal(data, &entries); err != nil {
		return nil, fmt.Errorf("manifest.json is not valid: %w", err)
	}
	if len(entries) == 0 {
		return nil, errors.New("manifest.json lists no image")
	}
	entry, err := pickDockerEntry(entries, sel)
	if err != nil {
		return nil, err
	}
	cfgData, err := readAll(ts, entry.Config)
	if err != nil {
		return nil, fmt.Errorf("image config: %w", err)
	}
	cfg, err := v1.ParseConfigFile(bytes.NewReader(cfgData))
	if err != nil {
		return nil, fmt.Errorf("image config %s is not valid: %w", entry.Config, err)
	}
	if len(cfg.RootFS.DiffIDs) != len(entry.Layers) {
		return nil, fmt.Errorf("manifest.json lists %d layers but the image config has %d diffIDs", len(entry.Layers), len(cfg.RootFS.DiffIDs))
	}
	sum := sha256.Sum256(cfgData)
	img := &Image{
		store:      ts,
		configName: entry.Config,
		Name:       name,
		Kind:       "docker-archive",
		ImageID:    "sha256:" + hex.EncodeToString(sum[:]),
		RepoTags:   entry.RepoTags,
		Config:     cfg,
		Platform:   platformOf(cfg),
	}
	createdBy := historyByLayer(cfg, len(entry.Layers))
	for i, lp := range entry.Layers {
		lp := lp
		var size int64
		if e, err := ts.resolve(lp); err == nil {
			size = e.size
		}
		digest := ""
		if strings.HasPrefix(lp, "blobs/") {
			parts := strings.Split(lp, "/")
			if len(parts) == 3 {
				digest = parts[1] + ":" + parts[2]
			}
		}
		img.Layers = append(img.Layers, Layer{
			DiffID:    cfg.RootFS.DiffIDs[i].String(),
			Digest:    digest,
			Size:      size,
			CreatedBy: createdBy[i],
			Open: func(context.Context) (io.ReadCloser, error) {
				rc, _, err := ts.open(lp)
				if err != nil {
					return nil, fmt.Errorf("layer file %s named in manifest.json: %w", lp, err)
				}
				return rc, nil
			},
		})
	}
	return img, nil
}

func pickDockerEntry(entries []dockerManifestEntry, sel string) (*dockerManifestEntry, error) {
	if sel == "" {
		if len(entries) == 1 {
			return &entries[0], nil
		}
		var tags []string
		for _, e := range entries {
			tags = append(tags, e.RepoTags...)
		}
		return nil, fmt.Errorf("the archive holds %d images (tags: %s); name one with oci:PATH:TAG, or save one image per archive", len(entries), strings.Join(tags, ", "))
	}
	for i, e := range entries {
		for _, t := range e.RepoTags {
			if t == sel || strings.HasSuffix(t, ":"+sel) {
				return &entries[i], nil
			}
		}
	}
	return nil, fmt.Errorf("no image tagged %q in the archive", sel)
}

func platformOf(cfg *v1.ConfigFile) string {
	if cfg == nil || cfg.OS == "" {
		return ""
	}
	p := cfg.OS + "/" + cfg.Architecture
	if cfg.Variant != "" {
		p += "/" + cfg.Variant
	}
	return p
}

// historyByLayer maps the config's non-empty history entries onto layers. When the counts
// disagree (some tools write no history), the entries are left blank.
func historyByLayer(cfg *v1.ConfigFile, n int) []string {
	out := make([]string, n)
	var nonEmpty []string
	for _, h := range cfg.History {
		if !h.EmptyLayer {
			nonEmpty = append(nonEmpty, h.CreatedBy)
		}
	}
	if len(nonEmpty) == n {
		copy(out, nonEmpty)
	}
	return out
}
