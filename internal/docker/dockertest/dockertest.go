// Package dockertest gives tests a real Docker Engine: it connects (failing in CI, where
// the Engine must be there, and skipping elsewhere), loads and imports images built from
// the committed Alpine root filesystems, and creates containers. Everything it creates
// carries the label dev.shipshape.test=1 and is removed by t.Cleanup, even when the test
// fails; it never touches objects without that label. Only tests import it.
package dockertest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"

	"github.com/shipshape-dev/shipshape/internal/docker"
	"github.com/shipshape-dev/shipshape/internal/imagetest"
)

// Label marks every object the tests create.
const Label = "dev.shipshape.test"

// Engine connects to the Engine of this machine. Unreachable: t.Fatal when CI=true,
// t.Skip otherwise.
func Engine(t testing.TB) *docker.Engine {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	e, err := docker.Connect(ctx, docker.Options{UserAgent: "shipshape-test"})
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("the Docker Engine is needed in CI and is not reachable: %v", err)
		}
		t.Skipf("no Docker Engine here: %v", err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

// Unique returns a fresh name with prefix, for tags and container names.
func Unique(prefix string) string {
	var b [6]byte
	rand.Read(b[:])
	return prefix + "-" + hex.EncodeToString(b[:])
}

func ctx(t testing.TB) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	return c
}

// AlpineImage builds an image from the committed Alpine minirootfs (e.g. "3.12.12"),
// labelled, with extra layers of files on top.
func AlpineImage(t testing.TB, version string, extra ...[]imagetest.File) v1.Image {
	t.Helper()
	base, err := imagetest.LayerFromFile(imagetest.AlpineRootfs(version, "x86_64"))
	if err != nil {
		t.Fatal(err)
	}
	steps := []imagetest.Step{{Layer: base, CreatedBy: "ADD alpine-minirootfs-" + version + "-x86_64.tar.gz /"}}
	for i, files := range extra {
		l, err := imagetest.LayerFromFiles(files)
		if err != nil {
			t.Fatal(err)
		}
		steps = append(steps, imagetest.Step{Layer: l, CreatedBy: "COPY extra" + string(rune('0'+i)) + " /"})
	}
	img, err := imagetest.Image("linux/amd64", steps...)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	if cf.Config.Labels == nil {
		cf.Config.Labels = map[string]string{}
	}
	cf.Config.Labels[Label] = "1"
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// Load writes img as a docker-archive tagged tag and `docker load`s it; the image is
// removed at cleanup. It returns the tag.
func Load(t testing.TB, e *docker.Engine, img v1.Image, tag string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "image.tar")
	if err := imagetest.WriteDockerArchive(path, tag, img); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	t.Cleanup(func() { RemoveImage(t, e, tag) })
	res, err := e.Client.ImageLoad(ctx(t), f, client.ImageLoadWithQuiet(true))
	if err != nil {
		t.Fatalf("docker load %s: %v", tag, err)
	}
	out, _ := io.ReadAll(res)
	res.Close()
	if bytes.Contains(out, []byte(`"error"`)) {
		t.Fatalf("docker load %s: %s", tag, out)
	}
	return tag
}

// Import `docker import`s a root filesystem tarball (gzip allowed) as tag, labelled.
func Import(t testing.TB, e *docker.Engine, rootfs, tag string) string {
	t.Helper()
	f, err := os.Open(rootfs)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	t.Cleanup(func() { RemoveImage(t, e, tag) })
	res, err := e.Client.ImageImport(ctx(t), client.ImageImportSource{Source: f, SourceName: "-"}, tag,
		client.ImageImportOptions{Changes: []string{"LABEL " + Label + "=1", `CMD ["/bin/sh"]`}})
	if err != nil {
		t.Fatalf("docker import %s: %v", tag, err)
	}
	out, _ := io.ReadAll(res)
	res.Close()
	if bytes.Contains(out, []byte(`"error"`)) {
		t.Fatalf("docker import %s: %s", tag, out)
	}
	return tag
}

// RemoveImage removes ref if, and only if, it carries the test label.
func RemoveImage(t testing.TB, e *docker.Engine, ref string) {
	c, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := e.Client.ImageInspect(c, ref)
	if err != nil || res.Config == nil || res.Config.Labels[Label] != "1" {
		return
	}
	if _, err := e.Client.ImageRemove(c, ref, client.ImageRemoveOptions{Force: true}); err != nil && !strings.Contains(err.Error(), "No such image") {
		t.Logf("removing test image %s: %v", ref, err)
	}
}

// Create creates a labelled container from image (running `sleep 3600` unless cfg says
// otherwise) and removes it at cleanup. It returns the container ID.
func Create(t testing.TB, e *docker.Engine, name, image string, cfg *container.Config, hc *container.HostConfig) string {
	t.Helper()
	if cfg == nil {
		cfg = &container.Config{}
	}
	if hc == nil {
		hc = &container.HostConfig{}
	}
	cfg.Image = image
	if len(cfg.Cmd) == 0 {
		cfg.Cmd = []string{"sleep", "3600"}
	}
	if cfg.Labels == nil {
		cfg.Labels = map[string]string{}
	}
	cfg.Labels[Label] = "1"
	res, err := e.Client.ContainerCreate(ctx(t), client.ContainerCreateOptions{Name: name, Config: cfg, HostConfig: hc})
	if err != nil {
		t.Fatalf("docker create %s: %v", name, err)
	}
	t.Cleanup(func() { RemoveContainer(t, e, res.ID) })
	return res.ID
}

// Start starts a container.
func Start(t testing.TB, e *docker.Engine, id string) {
	t.Helper()
	if _, err := e.Client.ContainerStart(ctx(t), id, client.ContainerStartOptions{}); err != nil {
		t.Fatalf("docker start %s: %v", id, err)
	}
}

// Run creates and starts a container.
func Run(t testing.TB, e *docker.Engine, name, image string, cfg *container.Config, hc *container.HostConfig) string {
	t.Helper()
	id := Create(t, e, name, image, cfg, hc)
	Start(t, e, id)
	return id
}

// RemoveContainer force-removes id if, and only if, it carries the test label.
func RemoveContainer(t testing.TB, e *docker.Engine, id string) {
	c, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := e.Client.ContainerInspect(c, id, client.ContainerInspectOptions{})
	if err != nil || res.Container.Config == nil || res.Container.Config.Labels[Label] != "1" {
		return
	}
	if _, err := e.Client.ContainerRemove(c, id, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true}); err != nil {
		t.Logf("removing test container %s: %v", id, err)
	}
}

// Exec runs cmd in a container (detached) and waits for it to finish.
func Exec(t testing.TB, e *docker.Engine, id string, opts client.ExecCreateOptions) {
	t.Helper()
	res, err := e.Client.ExecCreate(ctx(t), id, opts)
	if err != nil {
		t.Fatalf("docker exec create in %s: %v", id, err)
	}
	if _, err := e.Client.ExecStart(ctx(t), res.ID, client.ExecStartOptions{Detach: true, TTY: opts.TTY}); err != nil {
		t.Fatalf("docker exec start in %s: %v", id, err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		ins, err := e.Client.ExecInspect(ctx(t), res.ID, client.ExecInspectOptions{})
		if err != nil {
			t.Fatalf("docker exec inspect: %v", err)
		}
		if !ins.Running {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("exec %v in %s did not finish in 30 s", opts.Cmd, id)
}
