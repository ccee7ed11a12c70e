package source

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/mutate"

	"github.com/shipshape-dev/shipshape/internal/imagetest"
)

// testLabel marks every Docker object these tests create; cleanup touches only those.
const testLabel = "dev.shipshape.test"

// needDocker returns the docker CLI path. Without a reachable Engine the test is skipped
// on a workstation but fails in CI (CI=true), where the Engine must be there.
func needDocker(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("docker")
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		err = exec.CommandContext(ctx, bin, "version", "--format", "{{.Server.Version}}").Run()
	}
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("the Docker Engine is needed in CI and is not reachable: %v", err)
		}
		t.Skipf("no Docker Engine here: %v", err)
	}
	return bin
}

// TestRealDockerSave loads an image into the real Docker Engine and scans what the
// Engine's own `docker save` writes (the legacy layout on Docker < 25, the OCI-style
// layout on newer ones): diffIDs, layer contents and history must survive the round trip.
func TestRealDockerSave(t *testing.T) {
	docker := needDocker(t)
	img := alpine319(t)
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	if cf.Config.Labels == nil {
		cf.Config.Labels = map[string]string{}
	}
	cf.Config.Labels[testLabel] = "1"
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	tag := fmt.Sprintf("shipshape-test/alpine:%d", time.Now().UnixNano())
	in := filepath.Join(dir, "in.tar")
	if err := imagetest.WriteDockerArchive(in, tag, img); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		out, err := exec.CommandContext(ctx, docker, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("docker %s: %v: %s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	run("load", "-i", in)
	t.Cleanup(func() {
		// remove only our tag, and only if it still carries our label
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		out, err := exec.CommandContext(ctx, docker, "image", "inspect", "--format", "{{index .Config.Labels \""+testLabel+"\"}}", tag).Output()
		if err == nil && strings.TrimSpace(string(out)) == "1" {
			exec.CommandContext(ctx, docker, "image", "rm", "-f", tag).Run()
		}
	})
	saved := filepath.Join(dir, "saved.tar")
	run("save", "-o", saved, tag)
	got, err := Open(context.Background(), saved, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer got.Close()
	checkImage(t, got, img)
	if len(got.RepoTags) != 1 || !strings.HasSuffix(got.RepoTags[0], strings.TrimPrefix(tag, "shipshape-test/")) {
		t.Errorf("repo tags %v, want %s", got.RepoTags, tag)
	}
}
