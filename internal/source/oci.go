package source

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"sort"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

const refNameAnnotation = "org.opencontainers.image.ref.name"

func blobPath(h v1.Hash) string { return "blobs/" + h.Algorithm + "/" + h.Hex }

// candidate is one image manifest reachable from index.json.
type candidate struct {
	desc v1.Descriptor
	// ref is the ref.name annotation of the top-level descriptor it was reached from.
	ref string
	// via is the digest of the top-level descriptor it was reached from.
	via v1.Hash
}

func isIndex(mt types.MediaType) bool {
	return mt == types.OCIImageIndex || mt == types.DockerManifestList
}

func isAttestation(d v1.Descriptor) bool {
	if d.Annotations["vnd.docker.reference.type"] == "attestation-manifest" {
		return true
	}
	return d.Platform != nil && d.Platform.OS == "unknown"
}

// collect walks an index (and nested indexes, to a bounded depth) for image manifests.
func collect(s store, idx *v1.IndexManifest, ref string, via *v1.Hash, depth int, out *[]candidate) error {
	if depth > 8 {
		return fmt.Errorf("image indexes nested more than 8 deep")
	}
	for _, d := range idx.Manifests {
		r, v := ref, d.Digest
		if depth == 0 {
			r = d.Annotations[refNameAnnotation]
		} else {
			v = *via
		}
		switch {
		case isIndex(d.MediaType):
			data, err := readAll(s, blobPath(d.Digest))
			if err != nil {
				return fmt.Errorf("nested index %s: %w", d.Digest, err)
			}
			child, err := v1.ParseIndexManifest(bytes.NewReader(data))
			if err != nil {
				return fmt.Errorf("nested index %s is not valid: %w", d.Digest, err)
			}
			if err := collect(s, child, r, &v, depth+1, out); err != nil {
				return err
			}
		case d.MediaType.IsImage() || d.MediaType == "":
			if !isAttestation(d) {
				*out = append(*out, candidate{desc: d, ref: r, via: v})
			}
		}
	}
	return nil
}

func platformString(p *v1.Platform) string {
	if p == nil {
		return "unknown"
	}
	s := p.OS + "/" + p.Architecture
	if p.Variant != "" {
		s += "/" + p.Variant
	}
	return s
}

// choose picks one candidate by selector (tag or digest) and platform.
func choose(cands []candidate, sel, platform string) (*candidate, error) {
	if sel != "" {
		var kept []candidate
		for _, c := range cands {
			if c.desc.Digest.String() == sel || c.via.String() == sel || c.ref == sel ||
				strings.HasSuffix(c.ref, ":"+sel) {
				kept = append(kept, c)
			}
		}
		if len(kept) == 0 {
			var refs []string
			for _, c := range cands {
				if c.ref != "" {
					refs = append(refs, c.ref)
				}
			}
			return nil, fmt.Errorf("nothing named %q in the layout (names: %s)", sel, strings.Join(dedupeSorted(refs), ", "))
		}
		cands = kept
	}
	if len(cands) == 0 {
		return nil, fmt.Errorf("the layout's index lists no image manifest")
	}
	if len(cands) == 1 && platform == "" {
		return &cands[0], nil
	}
	want, err := parsePlatform(platform)
	if err != nil {
		return nil, err
	}
	var avail []string
	for i, c := range cands {
		p := c.desc.Platform
		avail = append(avail, platformString(p))
		if p == nil {
			continue
		}
		if p.OS == want.OS && p.Architecture == want.Architecture && (want.Variant == "" || p.Variant == want.Variant) {
			return &cands[i], nil
		}
	}
	if len(cands) == 1 && cands[0].desc.Platform == nil {
		// One image without a declared platform: its config says, checked by the caller.
		return &cands[0], nil
	}
	return nil, fmt.Errorf("no image for platform %s (available: %s); choose one with --platform", platformString(want), strings.Join(dedupeSorted(avail), ", "))
}

func dedupeSorted(ss []string) []string {
	sort.Strings(ss)
	out := ss[:0]
	for i, s := range ss {
		if i == 0 || s != ss[i-1] {
			out = append(out, s)
		}
	}
	return out
}

// openOCI opens an image from an OCI image layout held in s (a folder or a tar).
func openOCI(_ context.Context, s store, name, sel string, opts Options) (*Image, error) {
	data, err := readAll(s, "index.json")
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	idx, err := v1.ParseIndexManifest(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%s: index.json is not valid: %w", name, err)
	}
	var cands []candidate
	if err := collect(s, idx, "", nil, 0, &cands); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	c, err := choose(cands, sel, opts.Platform)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	mdata, err := readAll(s, blobPath(c.desc.Digest))
	if err != nil {
		return nil, fmt.Errorf("%s: image manifest: %w", name, err)
	}
	m, err := v1.ParseManifest(bytes.NewReader(mdata))
	if err != nil {
		return nil, fmt.Errorf("%s: image manifest %s is not valid: %w", name, c.desc.Digest, err)
	}
	if m.Config.MediaType != "" && !isImageConfig(m.Config.MediaType) {
		return nil, fmt.Errorf("%s: manifest %s is not a container image (config media type %s)", name, c.desc.Digest, m.Config.MediaType)
	}
	cdata, err := readAll(s, blobPath(m.Config.Digest))
	if err != nil {
		return nil, fmt.Errorf("%s: image config: %w", name, err)
	}
	cfg, err := v1.ParseConfigFile(bytes.NewReader(cdata))
	if err != nil {
		return nil, fmt.Errorf("%s: image config %s is not valid: %w", name, m.Config.Digest, err)
	}
	img, err := imageFromManifest(name, m, cfg, func(d v1.Descriptor) func(context.Context) (io.ReadCloser, error) {
		return func(context.Context) (io.ReadCloser, error) {
			if !isLayer(d.MediaType) {
				return nil, fmt.Errorf("layer %s has media type %q, which is not a known layer type", d.Digest, d.MediaType)
			}
			rc, _, err := s.open(blobPath(d.Digest))
			if err != nil {
				return nil, fmt.Errorf("the manifest names layer blob %s, which is missing from %s: %w", d.Digest, name, err)
			}
			return rc, nil
		}
	})
	if err != nil {
		return nil, err
	}
	img.ImageID = m.Config.Digest.String()
	img.ManifestDigest = c.desc.Digest.String()
	if c.ref != "" {
		img.RepoTags = []string{c.ref}
	}
	return img, nil
}

func isImageConfig(mt types.MediaType) bool {
	return mt == types.OCIConfigJSON || mt == types.DockerConfigJSON
}

// isLayer accepts the layer media types of Docker and OCI, compressed or not.
func isLayer(mt types.MediaType) bool {
	switch mt {
	case types.DockerLayer, types.DockerUncompressedLayer, types.DockerForeignLayer,
		types.OCILayer, types.OCILayerZStd, types.OCIUncompressedLayer,
		types.OCIRestrictedLayer, types.OCIUncompressedRestrictedLayer, "":
		return true
	}
	return false
}

// imageFromManifest builds the image model shared by layouts and registries.
func imageFromManifest(name string, m *v1.Manifest, cfg *v1.ConfigFile, opener func(v1.Descriptor) func(context.Context) (io.ReadCloser, error)) (*Image, error) {
	if len(cfg.RootFS.DiffIDs) != len(m.Layers) {
		return nil, fmt.Errorf("%s: the manifest lists %d layers but the image config has %d diffIDs", name, len(m.Layers), len(cfg.RootFS.DiffIDs))
	}
	img := &Image{Name: name, Config: cfg, Platform: platformOf(cfg)}
	createdBy := historyByLayer(cfg, len(m.Layers))
	for i, d := range m.Layers {
		img.Layers = append(img.Layers, Layer{
			DiffID:    cfg.RootFS.DiffIDs[i].String(),
			Digest:    d.Digest.String(),
			Size:      d.Size,
			MediaType: string(d.MediaType),
			CreatedBy: createdBy[i],
			Open:      opener(d),
		})
	}
	return img, nil
}
