package source

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/klauspost/compress/gzip"

	"github.com/shipshape-dev/shipshape/internal/imagetest"
)

// testImage builds a two-layer image from the real Alpine 3.19 minirootfs plus a small
// layer, for platform.
func testImage(t *testing.T, rootfs, platform string) v1.Image {
	t.Helper()
	base, err := imagetest.LayerFromFile(rootfs)
	if err != nil {
		t.Fatal(err)
	}
	top, err := imagetest.LayerFromFiles([]imagetest.File{{Name: "etc/motd", Body: "hello\n"}})
	if err != nil {
		t.Fatal(err)
	}
	img, err := imagetest.Image(platform,
		imagetest.Step{Layer: base, CreatedBy: "ADD alpine-minirootfs.tar.gz /"},
		imagetest.Step{Layer: top, CreatedBy: "COPY motd /etc/motd"})
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func alpine319(t *testing.T) v1.Image {
	return testImage(t, imagetest.AlpineRootfs("3.19.4", "x86_64"), "linux/amd64")
}

// diffIDsOf reads every layer through the source and hashes its uncompressed content.
func diffIDsOf(t *testing.T, img *Image) []string {
	t.Helper()
	var out []string
	for _, l := range img.Layers {
		rc, err := l.Open(context.Background())
		if err != nil {
			t.Fatalf("opening layer %s: %v", l.DiffID, err)
		}
		var r io.Reader = rc
		head := make([]byte, 2)
		data, err := io.ReadAll(r)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		copy(head, data)
		if head[0] == 0x1f && head[1] == 0x8b {
			zr, err := gzip.NewReader(bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			data, err = io.ReadAll(zr)
			if err != nil {
				t.Fatal(err)
			}
		}
		sum := sha256.Sum256(data)
		out = append(out, "sha256:"+hex.EncodeToString(sum[:]))
	}
	return out
}

func wantDiffIDs(t *testing.T, img v1.Image) []string {
	t.Helper()
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, d := range cf.RootFS.DiffIDs {
		out = append(out, d.String())
	}
	return out
}

func checkImage(t *testing.T, got *Image, want v1.Image) {
	t.Helper()
	if g, w := strings.Join(diffIDsOf(t, got), ","), strings.Join(wantDiffIDs(t, want), ","); g != w {
		t.Fatalf("layer contents hash to %s, want %s", g, w)
	}
	for i, l := range got.Layers {
		if l.DiffID != wantDiffIDs(t, want)[i] {
			t.Errorf("layer %d diffID %s", i, l.DiffID)
		}
	}
	if got.Layers[0].CreatedBy != "ADD alpine-minirootfs.tar.gz /" || got.Layers[1].CreatedBy != "COPY motd /etc/motd" {
		t.Errorf("created_by not mapped to layers: %q, %q", got.Layers[0].CreatedBy, got.Layers[1].CreatedBy)
	}
	cfgName, err := want.ConfigName()
	if err != nil {
		t.Fatal(err)
	}
	if got.ImageID != cfgName.String() {
		t.Errorf("ImageID %s, want %s", got.ImageID, cfgName)
	}
}

type tarEntryT struct {
	name, link string
	typ        byte
	body       []byte
}

func writeTar(t *testing.T, path string, entries []tarEntryT) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tw := tar.NewWriter(f)
	for _, e := range entries {
		typ := e.typ
		if typ == 0 {
			typ = tar.TypeReg
		}
		hdr := &tar.Header{Name: e.name, Typeflag: typ, Mode: 0o644, Size: int64(len(e.body)), Linkname: e.link}
		if typ != tar.TypeReg {
			hdr.Size = 0
		}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		tw.Write(e.body)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
}

func uncompressed(t *testing.T, l v1.Layer) []byte {
	t.Helper()
	rc, err := l.Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func rawConfig(t *testing.T, img v1.Image) []byte {
	b, err := img.RawConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// legacyArchive writes the layout `docker save` used before Docker 25: <id>/layer.tar
// (uncompressed), <config>.json, manifest.json, repositories; the second layer.tar is a
// symlink to the first's folder as Docker writes for repeated layers.
func legacyArchive(t *testing.T, img v1.Image, path string, dedupe bool) {
	layers, _ := img.Layers()
	cfg := rawConfig(t, img)
	cfgSum := sha256.Sum256(cfg)
	cfgName := hex.EncodeToString(cfgSum[:]) + ".json"
	var entries []tarEntryT
	var names []string
	for i, l := range layers {
		id := strings.Repeat(string(rune('a'+i)), 64)
		names = append(names, id+"/layer.tar")
		entries = append(entries, tarEntryT{name: id + "/", typ: tar.TypeDir},
			tarEntryT{name: id + "/VERSION", body: []byte("1.0")},
			tarEntryT{name: id + "/layer.tar", body: uncompressed(t, l)})
	}
	if dedupe {
		// an extra folder whose layer.tar links to the first one
		id := strings.Repeat("z", 64)
		entries = append(entries, tarEntryT{name: id + "/", typ: tar.TypeDir},
			tarEntryT{name: id + "/layer.tar", typ: tar.TypeSymlink, link: "../" + names[0]})
		names[0] = id + "/layer.tar"
	}
	m, _ := json.Marshal([]map[string]any{{"Config": cfgName, "RepoTags": []string{"test/alpine:3.19"}, "Layers": names}})
	entries = append(entries, tarEntryT{name: cfgName, body: cfg}, tarEntryT{name: "manifest.json", body: m},
		tarEntryT{name: "repositories", body: []byte(`{"test/alpine":{"3.19":"x"}}`)})
	writeTar(t, path, entries)
}

// docker25Archive writes what `docker save` writes since Docker 25: an OCI layout with
// uncompressed layer blobs plus a manifest.json that points into blobs/.
func docker25Archive(t *testing.T, img v1.Image, path string) {
	docker25ArchiveWith(t, img, path, "application/vnd.oci.image.layer.v1.tar")
}

func docker25ArchiveWith(t *testing.T, img v1.Image, path string, layerMediaType types.MediaType) {
	layers, _ := img.Layers()
	cfg := rawConfig(t, img)
	blob := func(b []byte) (string, v1.Hash) {
		s := sha256.Sum256(b)
		h := v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(s[:])}
		return "blobs/sha256/" + h.Hex, h
	}
	var entries []tarEntryT
	cfgPath, cfgHash := blob(cfg)
	entries = append(entries, tarEntryT{name: cfgPath, body: cfg})
	m := v1.Manifest{SchemaVersion: 2, MediaType: "application/vnd.oci.image.manifest.v1+json",
		Config: v1.Descriptor{MediaType: "application/vnd.oci.image.config.v1+json", Digest: cfgHash, Size: int64(len(cfg))}}
	var names []string
	for _, l := range layers {
		data := uncompressed(t, l)
		p, h := blob(data)
		names = append(names, p)
		entries = append(entries, tarEntryT{name: p, body: data})
		m.Layers = append(m.Layers, v1.Descriptor{MediaType: layerMediaType, Digest: h, Size: int64(len(data))})
	}
	mb, _ := json.Marshal(m)
	mPath, mHash := blob(mb)
	entries = append(entries, tarEntryT{name: mPath, body: mb})
	idx, _ := json.Marshal(v1.IndexManifest{SchemaVersion: 2, MediaType: "application/vnd.oci.image.index.v1+json",
		Manifests: []v1.Descriptor{{MediaType: "application/vnd.oci.image.manifest.v1+json", Digest: mHash, Size: int64(len(mb)),
			Annotations: map[string]string{"io.containerd.image.name": "docker.io/test/alpine:3.19", "org.opencontainers.image.ref.name": "3.19"}}}})
	dm, _ := json.Marshal([]map[string]any{{"Config": cfgPath, "RepoTags": []string{"test/alpine:3.19"}, "Layers": names}})
	entries = append(entries, tarEntryT{name: "index.json", body: idx}, tarEntryT{name: "manifest.json", body: dm},
		tarEntryT{name: "oci-layout", body: []byte(`{"imageLayoutVersion":"1.0.0"}`)})
	writeTar(t, path, entries)
}

func gzipFile(t *testing.T, src, dst string) {
	in, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(in)
	zw.Close()
	if err := os.WriteFile(dst, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestOpenArchiveFlavours(t *testing.T) {
	img := alpine319(t)
	dir := t.TempDir()
	tests := []struct {
		name     string
		make     func(path string)
		wantKind string
		ref      func(path string) string
	}{
		{"go-containerregistry tarball (gzip layers)", func(p string) {
			if err := imagetest.WriteDockerArchive(p, "test/alpine:3.19", img); err != nil {
				t.Fatal(err)
			}
		}, "docker-archive", nil},
		{"legacy docker save", func(p string) { legacyArchive(t, img, p, false) }, "docker-archive", nil},
		{"legacy docker save with a symlinked layer", func(p string) { legacyArchive(t, img, p, true) }, "docker-archive", nil},
		{"docker 25 save (OCI layout + manifest.json)", func(p string) { docker25Archive(t, img, p) }, "docker-archive", nil},
		{"docker 25 save selected by tag", func(p string) { docker25Archive(t, img, p) }, "oci-archive", func(p string) string { return "oci:" + p + ":3.19" }},
		{"gzip-compressed docker save", func(p string) {
			legacyArchive(t, img, p+".plain", false)
			gzipFile(t, p+".plain", p)
		}, "docker-archive", nil},
		{"explicit archive: prefix", func(p string) { legacyArchive(t, img, p, false) }, "docker-archive", func(p string) string { return "archive:" + p }},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(dir, strings.Repeat("x", i+1)+".tar")
			tc.make(p)
			ref := p
			if tc.ref != nil {
				ref = tc.ref(p)
			}
			got, err := Open(context.Background(), ref, Options{TempDir: t.TempDir()})
			if err != nil {
				t.Fatal(err)
			}
			defer got.Close()
			if got.Kind != tc.wantKind {
				t.Errorf("kind %s, want %s", got.Kind, tc.wantKind)
			}
			if got.Platform != "linux/amd64" {
				t.Errorf("platform %q", got.Platform)
			}
			checkImage(t, got, img)
		})
	}
}

func TestOpenOCILayout(t *testing.T) {
	amd := alpine319(t)
	arm := testImage(t, imagetest.AlpineRootfs("3.20.3", "aarch64"), "linux/arm64")
	flat := t.TempDir()
	if err := imagetest.WriteOCILayout(flat, []v1.Image{amd, arm}, []string{"3.19", "arm"}); err != nil {
		t.Fatal(err)
	}
	nested := t.TempDir()
	if err := imagetest.WriteOCILayoutIndex(nested, []v1.Image{amd, arm}, "multi"); err != nil {
		t.Fatal(err)
	}
	armDigest, _ := arm.Digest()
	tests := []struct {
		name     string
		ref      string
		platform string
		want     v1.Image
		wantErr  string
	}{
		{"by tag", "oci:" + flat + ":3.19", "", amd, ""},
		{"by other tag", "oci:" + flat + ":arm", "", arm, ""},
		{"by digest", "oci:" + flat + "@" + armDigest.String(), "", arm, ""},
		{"nested index, platform arm64", "oci:" + nested, "linux/arm64", arm, ""},
		{"nested index, platform amd64 by tag", "oci:" + nested + ":multi", "linux/amd64", amd, ""},
		{"bare folder path", nested, "linux/arm64", arm, ""},
		{"unknown platform", "oci:" + nested, "linux/s390x", nil, "available: linux/amd64, linux/arm64"},
		{"unknown tag", "oci:" + flat + ":nope", "", nil, `nothing named "nope"`},
		{"bad platform", "oci:" + nested, "linux", nil, "invalid --platform"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Open(context.Background(), tc.ref, Options{Platform: tc.platform})
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer got.Close()
			checkImage(t, got, tc.want)
			wantCfg, _ := tc.want.ConfigFile()
			if got.Config.Architecture != wantCfg.Architecture {
				t.Errorf("architecture %s, want %s", got.Config.Architecture, wantCfg.Architecture)
			}
		})
	}
}

func TestOpenOCITarball(t *testing.T) {
	img := alpine319(t)
	layoutDir := t.TempDir()
	if err := imagetest.WriteOCILayout(layoutDir, []v1.Image{img}, []string{"v1"}); err != nil {
		t.Fatal(err)
	}
	var entries []tarEntryT
	filepath.WalkDir(layoutDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(layoutDir, p)
		b, _ := os.ReadFile(p)
		entries = append(entries, tarEntryT{name: filepath.ToSlash(rel), body: b})
		return nil
	})
	p := filepath.Join(t.TempDir(), "oci.tar")
	writeTar(t, p, entries)
	got, err := Open(context.Background(), p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer got.Close()
	if got.Kind != "oci-archive" {
		t.Errorf("kind %s", got.Kind)
	}
	checkImage(t, got, img)
}

func TestOpenBadInput(t *testing.T) {
	img := alpine319(t)
	dir := t.TempDir()
	good := filepath.Join(dir, "good.tar")
	legacyArchive(t, img, good, false)
	goodBytes, _ := os.ReadFile(good)
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	var gzBuf bytes.Buffer
	zw := gzip.NewWriter(&gzBuf)
	zw.Write(goodBytes)
	zw.Close()
	noManifest := filepath.Join(dir, "nomanifest.tar")
	writeTar(t, noManifest, []tarEntryT{{name: "etc/os-release", body: []byte("ID=alpine\n")}})
	badManifest := filepath.Join(dir, "badmanifest.tar")
	writeTar(t, badManifest, []tarEntryT{{name: "manifest.json", body: []byte("{not json")}})
	missingLayout := t.TempDir()
	if err := imagetest.WriteOCILayout(missingLayout, []v1.Image{img}, nil); err != nil {
		t.Fatal(err)
	}
	layers, _ := img.Layers()
	d0, _ := layers[0].Digest()
	os.Remove(filepath.Join(missingLayout, "blobs", d0.Algorithm, d0.Hex))

	tests := []struct {
		name    string
		ref     string
		openErr string // error from Open
		layErr  string // error from opening a layer
	}{
		{"truncated archive", write("trunc.tar", goodBytes[:len(goodBytes)/2]), "truncated", ""},
		{"truncated gzip archive", write("trunc.tar.gz", gzBuf.Bytes()[:gzBuf.Len()/2]), "truncated or corrupt", ""},
		{"not a tar", write("junk.tar", bytes.Repeat([]byte("junk"), 1000)), "not an image archive", ""},
		{"empty file", write("empty.tar", nil), "not an image archive", ""},
		{"tar without manifest", noManifest, "neither manifest.json", ""},
		{"corrupt manifest.json", badManifest, "manifest.json is not valid", ""},
		{"missing file", filepath.Join(dir, "nope.tar"), "no such file", ""},
		{"layout with a missing layer blob", "oci:" + missingLayout, "", d0.String()},
		{"folder that is no layout", "oci:" + t.TempDir(), "no index.json", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Open(context.Background(), tc.ref, Options{TempDir: t.TempDir()})
			if tc.openErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.openErr) {
					t.Fatalf("error %v, want one containing %q", err, tc.openErr)
				}
				if !strings.Contains(err.Error(), filepath.Base(strings.TrimPrefix(tc.ref, "oci:"))) {
					t.Errorf("error %q does not name the input", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer got.Close()
			_, err = got.Layers[0].Open(context.Background())
			if err == nil || !strings.Contains(err.Error(), tc.layErr) {
				t.Fatalf("layer open error %v, want one naming %s", err, tc.layErr)
			}
			if !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("error does not wrap fs.ErrNotExist: %v", err)
			}
		})
	}
}

func TestMultiImageArchive(t *testing.T) {
	img := alpine319(t)
	p := filepath.Join(t.TempDir(), "two.tar")
	cfg := rawConfig(t, img)
	layers, _ := img.Layers()
	l0 := uncompressed(t, layers[0])
	l1 := uncompressed(t, layers[1])
	m, _ := json.Marshal([]map[string]any{
		{"Config": "c.json", "RepoTags": []string{"a:1"}, "Layers": []string{"l0.tar", "l1.tar"}},
		{"Config": "c.json", "RepoTags": []string{"b:2"}, "Layers": []string{"l0.tar", "l1.tar"}},
	})
	writeTar(t, p, []tarEntryT{{name: "c.json", body: cfg}, {name: "l0.tar", body: l0}, {name: "l1.tar", body: l1}, {name: "manifest.json", body: m}})
	_, err := Open(context.Background(), p, Options{})
	if err == nil || !strings.Contains(err.Error(), "a:1, b:2") {
		t.Fatalf("want an error listing the tags, got %v", err)
	}
}

// TestUnknownLayerMediaType: a manifest naming a layer type shipshape does not know (here
// a Helm chart blob) opens, but reading that layer says which type it was.
func TestUnknownLayerMediaType(t *testing.T) {
	p := filepath.Join(t.TempDir(), "odd.tar")
	docker25ArchiveWith(t, alpine319(t), p, "application/vnd.cncf.helm.chart.content.v1.tar+gzip")
	got, err := Open(context.Background(), "oci:"+p+":3.19", Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer got.Close()
	_, err = got.Layers[0].Open(context.Background())
	if err == nil || !strings.Contains(err.Error(), "helm.chart") || !strings.Contains(err.Error(), "not a known layer type") {
		t.Fatalf("error %v, want one naming the media type", err)
	}
}
