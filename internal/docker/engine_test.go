package docker_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/client"

	"github.com/shipshape-dev/shipshape/internal/analyzer/all"
	"github.com/shipshape-dev/shipshape/internal/docker"
	"github.com/shipshape-dev/shipshape/internal/docker/dockertest"
	"github.com/shipshape-dev/shipshape/internal/imagetest"
	"github.com/shipshape-dev/shipshape/internal/inventory"
	"github.com/shipshape-dev/shipshape/internal/layer"
	"github.com/shipshape-dev/shipshape/internal/source"
)

func TestConnectUnreachable(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		host string
		want []string
	}{
		{"unix://" + filepath.Join(dir, "missing.sock"), []string{"missing.sock", "does not exist"}},
		{"tcp://127.0.0.1:1", []string{"tcp://127.0.0.1:1"}},
	}
	for _, tc := range tests {
		t.Run(tc.host, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			_, err := docker.Connect(ctx, docker.Options{Endpoint: docker.Endpoint{Host: tc.host}, PingTimeout: 5 * time.Second})
			if !errors.Is(err, docker.ErrUnreachable) {
				t.Fatalf("err = %v, want ErrUnreachable", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

// TestPermissionDenied runs a copy of the test binary as nobody (uid 65534, dropped with
// setpriv, not by changing the socket) and checks it reports the socket and the fix.
func TestPermissionDenied(t *testing.T) {
	if os.Getenv("SHIPSHAPE_PERM_CHILD") == "1" {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		_, err := docker.Connect(ctx, docker.Options{})
		fmt.Printf("permission-error-is=%v\n%v\n", errors.Is(err, docker.ErrPermission), err)
		return
	}
	dockertest.Engine(t)
	if os.Getuid() != 0 {
		t.Skip("dropping privileges needs root (CI runs as root)")
	}
	setpriv, err := exec.LookPath("setpriv")
	if err != nil {
		t.Fatalf("setpriv (util-linux) is needed to drop privileges: %v", err)
	}
	dir, err := os.MkdirTemp("", "shipshape-perm-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "docker.test")
	data, err := os.ReadFile(self)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, data, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", bin, "-test.run=^TestPermissionDenied$", "-test.v")
	cmd.Env = []string{"SHIPSHAPE_PERM_CHILD=1", "HOME=" + dir, "PATH=/usr/bin:/bin"}
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	s := string(out)
	if !strings.Contains(s, "permission-error-is=true") || !strings.Contains(s, "/var/run/docker.sock") || !strings.Contains(s, "uid 65534") {
		t.Errorf("the unprivileged child did not report a permission error naming the socket:\n%s", s)
	}
}

// engineOpts gives source options reading from the real Engine.
func engineOpts(srcs ...string) source.Options {
	return source.Options{Engine: docker.ImageSource{Engine: &docker.Lazy{}}, ImageSources: srcs}
}

func TestOpenImageFromEngine(t *testing.T) {
	e := dockertest.Engine(t)
	img := dockertest.AlpineImage(t, "3.12.12", []imagetest.File{{Name: "app/hello.txt", Body: "hello\n"}})
	tag := dockertest.Load(t, e, img, dockertest.Unique("shipshape-test/alpine")+":1")
	wantID, err := img.ConfigName()
	if err != nil {
		t.Fatal(err)
	}
	cf, _ := img.ConfigFile()
	for _, ref := range []string{"docker://" + tag, tag} {
		t.Run(ref, func(t *testing.T) {
			got, err := source.Open(context.Background(), ref, engineOpts())
			if err != nil {
				t.Fatal(err)
			}
			defer got.Close()
			if got.Kind != "docker" || got.ImageID != wantID.String() {
				t.Errorf("kind %s id %s, want docker %s", got.Kind, got.ImageID, wantID)
			}
			if len(got.Layers) != 2 {
				t.Fatalf("%d layers, want 2", len(got.Layers))
			}
			for i, l := range got.Layers {
				if l.DiffID != cf.RootFS.DiffIDs[i].String() {
					t.Errorf("layer %d diffID %s, want %s", i, l.DiffID, cf.RootFS.DiffIDs[i])
				}
			}
			if !slices.Contains(got.RepoTags, tag) {
				t.Errorf("repo tags %v, want %s", got.RepoTags, tag)
			}
			// The packages are those of the committed minirootfs.
			inv := scan(t, got)
			if inv.OS == nil || inv.OS.Version != "3.12.12" || len(inv.Packages) != 14 {
				t.Errorf("scan: OS %+v, %d packages; want alpine 3.12.12 and the 14 apk packages of the minirootfs", inv.OS, len(inv.Packages))
			}
		})
	}
}

func TestOpenImportedImage(t *testing.T) {
	e := dockertest.Engine(t)
	tag := dockertest.Import(t, e, imagetest.AlpineRootfs("3.19.4", "x86_64"), dockertest.Unique("shipshape-test/imported")+":1")
	got, err := source.Open(context.Background(), "docker://"+tag, engineOpts())
	if err != nil {
		t.Fatal(err)
	}
	defer got.Close()
	inv := scan(t, got)
	if inv.OS == nil || inv.OS.Version != "3.19.4" || len(inv.Packages) == 0 {
		t.Errorf("imported image: OS %+v, %d packages", inv.OS, len(inv.Packages))
	}
}

func scan(t *testing.T, img *source.Image) *inventory.Inventory {
	t.Helper()
	specs := make([]layer.Spec, len(img.Layers))
	for i, l := range img.Layers {
		specs[i] = layer.Spec{DiffID: l.DiffID, Digest: l.Digest, Size: l.Size, CreatedBy: l.CreatedBy, Open: l.Open}
	}
	s := &layer.Scanner{Walker: &layer.Walker{Analyzers: all.Default()}, Parallel: 2}
	inv, err := s.ScanImage(context.Background(), specs)
	if err != nil {
		t.Fatal(err)
	}
	return inv
}

func TestResolutionOrder(t *testing.T) {
	e := dockertest.Engine(t)
	missing := dockertest.Unique("shipshape-test/absent") + ":1"
	// Only the Engine: a clear not-found naming the Engine.
	_, err := source.Open(context.Background(), missing, engineOpts(source.SrcDocker))
	if !errors.Is(err, source.ErrNotFound) || !strings.Contains(err.Error(), "Docker Engine") {
		t.Errorf("missing image, --image-src docker: %v", err)
	}
	_, err = source.Open(context.Background(), "docker://"+missing, engineOpts())
	if !errors.Is(err, source.ErrNotFound) || !strings.Contains(err.Error(), missing) {
		t.Errorf("missing image via docker://: %v", err)
	}
	// An existing file wins over an Engine image of the same name.
	img := dockertest.AlpineImage(t, "3.12.12")
	dir := t.TempDir()
	t.Chdir(dir)
	name := "shipshape-test-samename"
	tag := dockertest.Load(t, e, dockertest.AlpineImage(t, "3.19.4"), name+":latest")
	if err := imagetest.WriteDockerArchive(filepath.Join(dir, name), "x/y:1", img); err != nil {
		t.Fatal(err)
	}
	got, err := source.Open(context.Background(), name, engineOpts())
	if err != nil {
		t.Fatal(err)
	}
	if got.Kind != "docker-archive" {
		t.Errorf("with the default order a file named %s was not preferred (got %s)", name, got.Kind)
	}
	got.Close()
	got, err = source.Open(context.Background(), tag, engineOpts(source.SrcDocker, source.SrcPath))
	if err != nil {
		t.Fatal(err)
	}
	if got.Kind != "docker" {
		t.Errorf("--image-src docker,path did not prefer the Engine (got %s)", got.Kind)
	}
	got.Close()
}

func TestEngineUnreachableFallsThrough(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "nope.sock")
	opts := source.Options{Engine: docker.ImageSource{Engine: &docker.Lazy{Options: docker.Options{Endpoint: docker.Endpoint{Host: "unix://" + sock}}}},
		ImageSources: []string{source.SrcDocker}}
	_, err := source.Open(context.Background(), "alpine:3.19", opts)
	if !errors.Is(err, docker.ErrUnreachable) || !strings.Contains(err.Error(), sock) {
		t.Errorf("unreachable Engine: %v, want ErrUnreachable naming %s", err, sock)
	}
}

// removingEngine removes the image between the lookup and the save, as if another
// process deleted it mid-scan.
type removingEngine struct {
	docker.ImageSource
	e *docker.Engine
}

func (r removingEngine) SaveImage(ctx context.Context, ref string) (io.ReadCloser, error) {
	if _, err := r.e.Client.ImageRemove(ctx, ref, client.ImageRemoveOptions{Force: true}); err != nil {
		return nil, err
	}
	return r.ImageSource.SaveImage(ctx, ref)
}

func TestImageRemovedMidScan(t *testing.T) {
	e := dockertest.Engine(t)
	tag := dockertest.Load(t, e, dockertest.AlpineImage(t, "3.12.12"), dockertest.Unique("shipshape-test/vanishing")+":1")
	opts := source.Options{Engine: removingEngine{ImageSource: docker.ImageSource{Engine: &docker.Lazy{}}, e: e}}
	_, err := source.Open(context.Background(), "docker://"+tag, opts)
	if err == nil || !strings.Contains(err.Error(), tag) {
		t.Fatalf("image removed mid-scan: %v, want an error naming %s", err, tag)
	}
}

// countingEngine counts the save streams the scan asks for.
type countingEngine struct {
	docker.ImageSource
	saves *int
}

func (c countingEngine) SaveImage(ctx context.Context, ref string) (io.ReadCloser, error) {
	*c.saves++
	return c.ImageSource.SaveImage(ctx, ref)
}

// TestEngineCacheSkipsTheRead: with the config kept from a first read and every layer in
// the layer cache, a second scan of the image reads nothing from the Engine and gives the
// same inventory; with the layer cache emptied, the layers are read again (once).
func TestEngineCacheSkipsTheRead(t *testing.T) {
	e := dockertest.Engine(t)
	img := dockertest.AlpineImage(t, "3.12.12", []imagetest.File{{Name: "app/hello.txt", Body: "hello\n"}})
	tag := dockertest.Load(t, e, img, dockertest.Unique("shipshape-test/cached")+":1")
	cacheDir := t.TempDir()
	saves := 0
	opts := source.Options{Engine: countingEngine{ImageSource: docker.ImageSource{Engine: &docker.Lazy{}}, saves: &saves},
		EngineCache: filepath.Join(cacheDir, "engine")}
	scanWith := func(layerCache string) *inventory.Inventory {
		t.Helper()
		got, err := source.Open(context.Background(), "docker://"+tag, opts)
		if err != nil {
			t.Fatal(err)
		}
		defer got.Close()
		specs := make([]layer.Spec, len(got.Layers))
		for i, l := range got.Layers {
			specs[i] = layer.Spec{DiffID: l.DiffID, CreatedBy: l.CreatedBy, Open: l.Open}
		}
		s := &layer.Scanner{Walker: &layer.Walker{Analyzers: all.Default()}, Parallel: 2, Cache: &layer.Cache{Dir: layerCache}}
		inv, err := s.ScanImage(context.Background(), specs)
		if err != nil {
			t.Fatal(err)
		}
		for i := range inv.Layers {
			inv.Layers[i].Cached, inv.Layers[i].Size, inv.Layers[i].Digest = false, 0, ""
		}
		return inv
	}
	layers := filepath.Join(cacheDir, "layers")
	first := scanWith(layers)
	if saves != 1 {
		t.Fatalf("first scan: %d save streams, want 1", saves)
	}
	second := scanWith(layers)
	if saves != 1 {
		t.Errorf("second scan with every layer cached: %d save streams in all, want still 1", saves)
	}
	third := scanWith(filepath.Join(cacheDir, "other-layers"))
	if saves != 2 {
		t.Errorf("scan with an empty layer cache: %d save streams in all, want 2", saves)
	}
	for i, inv := range []*inventory.Inventory{second, third} {
		if len(inv.Packages) != len(first.Packages) || len(inv.Packages) != 14 || inv.OS == nil || inv.OS.Version != first.OS.Version {
			t.Errorf("scan %d: %d packages, OS %+v; first scan %d packages", i+2, len(inv.Packages), inv.OS, len(first.Packages))
		}
		for j := range inv.Layers {
			if inv.Layers[j] != first.Layers[j] {
				t.Errorf("scan %d layer %d: %+v, want %+v", i+2, j, inv.Layers[j], first.Layers[j])
			}
		}
	}
	// A damaged cached config is not trusted: the image is read again.
	id, _ := img.ConfigName()
	if err := os.WriteFile(filepath.Join(cacheDir, "engine", id.Hex+".json"), []byte(`{"rootfs":{}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	scanWith(layers)
	if saves != 3 {
		t.Errorf("damaged cached config: %d save streams in all, want 3", saves)
	}
}
