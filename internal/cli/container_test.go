package cli

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"

	"github.com/shipshape-dev/shipshape/internal/docker"
	"github.com/shipshape-dev/shipshape/internal/docker/dockertest"
	"github.com/shipshape-dev/shipshape/internal/inventory"
	"github.com/shipshape-dev/shipshape/internal/layer"
	"github.com/shipshape-dev/shipshape/internal/source"
)

func testGlobals(t *testing.T) *globals {
	var out, errb bytes.Buffer
	return &globals{stdout: &out, stderr: &errb, now: time.Now, parallel: 2, noCache: true, quiet: true, format: "json"}
}

func testImageFlags() *imageFlags {
	return &imageFlags{maxFileSize: layer.DefaultLimits.MaxFileSize, imageSrc: source.DefaultImageSources}
}

// copyInto puts one file into a container through the Engine's archive API.
func copyInto(t *testing.T, e *docker.Engine, id, dir, name string, body []byte) {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg}); err != nil {
		t.Fatal(err)
	}
	tw.Write(body)
	tw.Close()
	if _, err := e.Client.CopyToContainer(context.Background(), id, client.CopyToContainerOptions{DestinationPath: dir, Content: &buf}); err != nil {
		t.Fatalf("copy %s into %s: %v", name, id, err)
	}
}

// TestContainerDrift scans a running container whose filesystem changed after it
// started: a lock file added (its packages appear, attributed to the changes) and the apk
// database deleted (its packages disappear).
func TestContainerDrift(t *testing.T) {
	e := dockertest.Engine(t)
	img := dockertest.Load(t, e, dockertest.AlpineImage(t, "3.12.12"), dockertest.Unique("shipshape-test/drift")+":1")
	name := dockertest.Unique("shipshape-test-drift")
	id := dockertest.Run(t, e, name, img, nil, nil)
	lock, err := os.ReadFile(filepath.Join("testdata", "docker", "package-lock.json"))
	if err != nil {
		t.Fatal(err)
	}
	dockertest.Exec(t, e, id, client.ExecCreateOptions{Cmd: []string{"mkdir", "-p", "/srv/app"}})
	copyInto(t, e, id, "/srv/app", "package-lock.json", lock)
	// A made-up GitHub token, built at run time so the source holds no secret-shaped text.
	copyInto(t, e, id, "/root", "creds", []byte("token: ghp_"+"R7xk2Lq9Wm4Zt8Vb3Np6Hs1Jd5Fg0Ya2Ce4u\n"))
	g := testGlobals(t)
	ctx := context.Background()

	flags := testImageFlags()
	flags.scanners = []string{"vuln", "secret", "misconfig"}
	inv, err := g.scanContainer(ctx, e, name, flags, containerOpts{drift: true, image: true})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(inv.Misconfigurations, func(m inventory.Misconfiguration) bool { return m.Kind == inventory.CheckImageConfig }) {
		t.Errorf("--scanners misconfig: no image-config check in %v", failedIDs(inv))
	}
	if len(inv.Secrets) != 1 || inv.Secrets[0].Path != "/root/creds" || inv.Secrets[0].RuleID != "github-pat" ||
		inv.Secrets[0].Layer == nil || !strings.Contains(inv.Secrets[0].Layer.CreatedBy, "changes in container") {
		t.Errorf("secrets %+v, want the token written into the running container, in its changes", inv.Secrets)
	}
	var npm, apk []string
	for _, p := range inv.Packages {
		switch p.Type {
		case inventory.TypeNpm:
			npm = append(npm, p.Name+"@"+p.Version)
			if p.Layer == nil || !strings.Contains(p.Layer.CreatedBy, "changes in container "+name) || p.Location != "/srv/app/package-lock.json" {
				t.Errorf("npm package %s: layer %+v location %s, want the container's changes", p.Name, p.Layer, p.Location)
			}
		case inventory.TypeApk:
			apk = append(apk, p.Name)
		}
	}
	slices.Sort(npm)
	if want := []string{"axios@0.21.0", "follow-redirects@1.16.3", "lodash@4.17.15", "minimist@1.2.0"}; !slices.Equal(npm, want) {
		t.Errorf("npm packages from the drift: %v, want %v", npm, want)
	}
	if len(apk) != 14 {
		t.Errorf("%d apk packages before the database was deleted, want the 14 of the image", len(apk))
	}
	if inv.Target.Kind != "container" || inv.Target.Name != name || !slices.Equal(inv.Target.RepoTags, []string{img}) || !slices.Contains(failedIDs(inv), "SS-CT-015") {
		t.Errorf("target %+v, failed checks %v", inv.Target, failedIDs(inv))
	}

	dockertest.Exec(t, e, id, client.ExecCreateOptions{Cmd: []string{"rm", "/lib/apk/db/installed"}})
	inv, err = g.scanContainer(ctx, e, name, testImageFlags(), containerOpts{drift: true, image: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range inv.Packages {
		if p.Type == inventory.TypeApk {
			t.Errorf("apk package %s still reported after the container deleted the apk database", p.Name)
		}
	}
}

func failedIDs(inv *inventory.Inventory) []string {
	var out []string
	for _, m := range inv.Misconfigurations {
		if m.Status == inventory.CheckFail {
			out = append(out, m.ID)
		}
	}
	return out
}

// TestContainerGoneAndExiting: one container is removed before its turn, another exits
// while it is scanned; the first is a warning naming it, the others are reported.
func TestContainerGoneAndExiting(t *testing.T) {
	e := dockertest.Engine(t)
	img := dockertest.Load(t, e, dockertest.AlpineImage(t, "3.12.12"), dockertest.Unique("shipshape-test/gone")+":1")
	exiting := dockertest.Unique("shipshape-test-exiting")
	dockertest.Run(t, e, exiting, img, &container.Config{Cmd: []string{"sh", "-c", "echo hi > /tmp/new.txt; sleep 1"}}, nil)
	stays := dockertest.Unique("shipshape-test-stays")
	dockertest.Run(t, e, stays, img, nil, nil)
	gone := dockertest.Unique("shipshape-test-gone")
	goneID := dockertest.Create(t, e, gone, img, nil, nil)
	dockertest.RemoveContainer(t, e, goneID)

	out := filepath.Join(t.TempDir(), "report.json")
	code, _, stderr := run(t, nil, "container", exiting, gone, stays, "--scanners", "none", "-f", "json", "-o", out)
	if code != ExitError {
		t.Errorf("exit %d, want %d (one container could not be scanned)", code, ExitError)
	}
	if !strings.Contains(stderr, gone) || !strings.Contains(stderr, "not found") {
		t.Errorf("stderr does not name the missing container %s:\n%s", gone, stderr)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	var names []string
	for dec.More() {
		var r struct {
			Target   inventory.Target
			Packages []inventory.Package
		}
		if err := dec.Decode(&r); err != nil {
			t.Fatal(err)
		}
		names = append(names, r.Target.Name)
		if len(r.Packages) != 14 {
			t.Errorf("%s: %d packages, want the 14 of the image", r.Target.Name, len(r.Packages))
		}
	}
	if !slices.Equal(names, []string{exiting, stays}) {
		t.Errorf("reports for %v, want %v", names, []string{exiting, stays})
	}
}

func TestContainerEngineUnreachable(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "none.sock")
	code, _, stderr := run(t, map[string]string{"DOCKER_HOST": "unix://" + sock, "DOCKER_CONTEXT": ""}, "container", "web-1")
	if code != ExitError || !strings.Contains(stderr, sock) || !strings.Contains(stderr, "does not exist") {
		t.Errorf("exit %d, stderr %q; want exit 2 naming the socket", code, stderr)
	}
	code, out, stderr := run(t, map[string]string{"DOCKER_HOST": "unix://" + sock, "DOCKER_CONTEXT": ""}, "host", "docker", "-f", "json")
	if code != ExitError || !strings.Contains(stderr, sock) || !strings.Contains(out, `"kind": "host"`) {
		t.Errorf("host docker with no Engine: exit %d, stderr %q, out %q", code, stderr, out)
	}
}

// TestContainerAll scans every running container with the test label: only those, one
// report each, sorted by name; a stopped one joins with --stopped.
func TestContainerAll(t *testing.T) {
	e := dockertest.Engine(t)
	img := dockertest.Load(t, e, dockertest.AlpineImage(t, "3.12.12"), dockertest.Unique("shipshape-test/all")+":1")
	run1 := dockertest.Unique("shipshape-test-all-a")
	run2 := dockertest.Unique("shipshape-test-all-b")
	stopped := dockertest.Unique("shipshape-test-all-c")
	// A second, per-test label keeps other tests' containers out.
	mark := dockertest.Unique("mark")
	cfg := func() *container.Config {
		return &container.Config{Labels: map[string]string{"dev.shipshape.mark": mark}}
	}
	dockertest.Run(t, e, run2, img, cfg(), nil)
	dockertest.Run(t, e, run1, img, cfg(), nil)
	dockertest.Create(t, e, stopped, img, cfg(), nil)
	names := func(args ...string) []string {
		t.Helper()
		code, out, stderr := run(t, nil, append([]string{"container", "--all", "--label", dockertest.Label + "=1", "--label", "dev.shipshape.mark=" + mark,
			"--scanners", "none", "--no-drift", "-f", "json", "-q"}, args...)...)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		var got []string
		dec := json.NewDecoder(strings.NewReader(out))
		for dec.More() {
			var r struct{ Target inventory.Target }
			if err := dec.Decode(&r); err != nil {
				t.Fatal(err)
			}
			got = append(got, r.Target.Name)
		}
		return got
	}
	if got, want := names(), []string{run1, run2}; !slices.Equal(got, want) {
		t.Errorf("--all: %v, want %v", got, want)
	}
	want := []string{run1, run2, stopped}
	slices.Sort(want)
	if got := names("--stopped"); !slices.Equal(got, want) {
		t.Errorf("--all --stopped: %v, want %v", got, want)
	}
}

// TestContainerDriftExport: with more changed paths than docker.MaxCopies, the changes are
// read from one export of the container's filesystem instead; the result is the same.
func TestContainerDriftExport(t *testing.T) {
	e := dockertest.Engine(t)
	img := dockertest.Load(t, e, dockertest.AlpineImage(t, "3.12.12"), dockertest.Unique("shipshape-test/export")+":1")
	name := dockertest.Unique("shipshape-test-export")
	id := dockertest.Run(t, e, name, img, nil, nil)
	dockertest.Exec(t, e, id, client.ExecCreateOptions{Cmd: []string{"sh", "-c", fmt.Sprintf("for i in $(seq %d); do echo $i > /tmp/f$i; done; rm /etc/os-release", docker.MaxCopies+20)}})
	lock, err := os.ReadFile(filepath.Join("testdata", "docker", "package-lock.json"))
	if err != nil {
		t.Fatal(err)
	}
	copyInto(t, e, id, "/tmp", "package-lock.json", lock)
	changes, err := e.Changes(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if len(changes) <= docker.MaxCopies {
		t.Fatalf("only %d changes; the test needs more than %d", len(changes), docker.MaxCopies)
	}
	inv, err := testGlobals(t).scanContainer(context.Background(), e, name, testImageFlags(), containerOpts{drift: true, image: true})
	if err != nil {
		t.Fatal(err)
	}
	var npm []string
	for _, p := range inv.Packages {
		if p.Type == inventory.TypeNpm && p.Location == "/tmp/package-lock.json" {
			npm = append(npm, p.Name)
		}
	}
	if len(npm) != 4 {
		t.Errorf("npm packages from the exported changes: %v, want the 4 of the lock file", npm)
	}
	if inv.OS == nil || inv.OS.Source == "/etc/os-release" {
		t.Errorf("OS %+v: the deleted /etc/os-release is still used", inv.OS)
	}
}

// TestContainerPolicy: the ignore file and the gate apply to containers as to images. The
// runtime checks that fail for a plain `docker run` fail the --exit-code gate; with each of
// them in an ignore file, they stay in the report as suppressed and the gate passes.
func TestContainerPolicy(t *testing.T) {
	e := dockertest.Engine(t)
	img := dockertest.Load(t, e, dockertest.AlpineImage(t, "3.12.12"), dockertest.Unique("shipshape-test/policy")+":1")
	name := dockertest.Unique("shipshape-test-policy")
	dockertest.Run(t, e, name, img, nil, nil)
	scan := func(args ...string) (int, *inventory.Inventory, string) {
		t.Helper()
		code, out, stderr := run(t, nil, append([]string{"container", name, "--scanners", "none", "--no-drift", "-f", "json", "-q", "--exit-code", "5"}, args...)...)
		var inv inventory.Inventory
		if err := json.Unmarshal([]byte(out), &inv); err != nil {
			t.Fatalf("exit %d: %v: %s %s", code, err, out, stderr)
		}
		return code, &inv, stderr
	}
	code, inv, stderr := scan()
	failed := failedIDs(inv)
	if code != 5 || len(failed) == 0 {
		t.Fatalf("exit %d with failed checks %v, want 5 and some: %s", code, failed, stderr)
	}
	var ignore strings.Builder
	ignore.WriteString("misconfigurations:\n")
	for _, id := range failed {
		fmt.Fprintf(&ignore, "  - id: %s\n    reason: accepted for this test container\n", id)
	}
	file := filepath.Join(t.TempDir(), "ignore.yaml")
	if err := os.WriteFile(file, []byte(ignore.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	code, inv, stderr = scan("--ignorefile", file)
	if code != 0 {
		t.Errorf("exit %d with every failed check ignored: %s", code, stderr)
	}
	for _, m := range inv.Misconfigurations {
		if m.Status == inventory.CheckFail && (m.Suppressed == nil || m.Suppressed.Kind != "ignore") {
			t.Errorf("%s failed and is not suppressed by the ignore file: %+v", m.ID, m.Suppressed)
		}
	}
}
