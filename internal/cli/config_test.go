package cli

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/shipshape-dev/shipshape/internal/imagetest"
	"github.com/shipshape-dev/shipshape/internal/inventory"
)

var configProject = filepath.Join("testdata", "config", "project")

func TestConfigFolder(t *testing.T) {
	code, out, errOut := run(t, nil, "config", "-q", configProject)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{
		"3 file(s) checked",
		"project/Dockerfile (dockerfile)",
		"project/docker-compose.yml (compose)",
		"project/k8s/deploy.yaml (kubernetes)",
		"CRITICAL SS-CP-001   Service runs privileged [web] line 7",
		"HIGH     SS-K8S-001  Privileged container [Deployment/web] line 12",
		"LOW      SS-DF-032   CMD or ENTRYPOINT in shell form line 6",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "node_modules") || strings.Contains(out, "PASS") {
		t.Errorf("node_modules not skipped or passed checks shown:\n%s", out)
	}
}

func TestConfigSeverityAndExitCode(t *testing.T) {
	code, out, _ := run(t, nil, "config", "-q", "--severity", "CRITICAL", "--exit-code", "3", configProject)
	if code != 3 {
		t.Fatalf("exit %d, want 3", code)
	}
	if !strings.Contains(out, "1 misconfiguration(s): CRITICAL 1") || strings.Contains(out, "HIGH ") {
		t.Errorf("severity filter:\n%s", out)
	}
	code, _, _ = run(t, nil, "config", "-q", "--severity", "CRITICAL", "--exit-code", "3", filepath.Join(configProject, "Dockerfile"))
	if code != 0 {
		t.Fatalf("no CRITICAL in the Dockerfile, exit %d, want 0", code)
	}
}

func TestConfigIncludePassedAndTable(t *testing.T) {
	code, out, errOut := run(t, nil, "config", "-q", "--include-passed", filepath.Join(configProject, "Dockerfile"))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"1 file(s) checked", "Dockerfile (dockerfile)", "SS-DF-001", "PASS", "fix: "} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
}

func TestConfigBadInput(t *testing.T) {
	code, _, errOut := run(t, nil, "config", filepath.Join("testdata", "config", "notconfig.txt"))
	if code != ExitError || !strings.Contains(errOut, "not a Dockerfile") {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	code, _, errOut = run(t, nil, "config", "--severity", "HUGE", configProject)
	if code != ExitError || !strings.Contains(errOut, "unknown severity") {
		t.Fatalf("exit %d: %s", code, errOut)
	}
}

// misconfigImage writes a docker-archive: the sample Alpine image plus a layer with a setuid
// program and apt lists, under a config that runs as root with a secret in its environment,
// SSH exposed and no health check.
func misconfigImage(t *testing.T) string {
	t.Helper()
	base, err := tarball.ImageFromPath(sample, nil)
	if err != nil {
		t.Fatal(err)
	}
	data, err := imagetest.TarBytes([]imagetest.File{
		{Name: "usr/", Type: tar.TypeDir, Mode: 0o755},
		{Name: "usr/local/", Type: tar.TypeDir, Mode: 0o755},
		{Name: "usr/local/bin/", Type: tar.TypeDir, Mode: 0o755},
		{Name: "usr/local/bin/helper", Body: "\x7fELF", Mode: 0o4755},
		{Name: "var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_InRelease", Body: "Origin: Debian\n", Mode: 0o644},
	})
	if err != nil {
		t.Fatal(err)
	}
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil })
	if err != nil {
		t.Fatal(err)
	}
	img, err := mutate.Append(base, mutate.Addendum{Layer: l, History: v1.History{CreatedBy: "RUN /bin/sh -c install-helper # buildkit"}})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cfg = cfg.DeepCopy()
	cfg.Config.User = ""
	cfg.Config.Env = append(cfg.Config.Env, "API_TOKEN=tok-8f2b1c9d4e7a")
	cfg.Config.ExposedPorts = map[string]struct{}{"22/tcp": {}}
	cfg.Config.Healthcheck = nil
	img, err = mutate.ConfigFile(img, cfg)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "misconfig.tar")
	tag, err := name.NewTag("shipshape.test/misconfig:1")
	if err != nil {
		t.Fatal(err)
	}
	if err := tarball.WriteToFile(out, tag, img); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestImageScannersMisconfig(t *testing.T) {
	img := misconfigImage(t)
	code, out, errOut := run(t, nil, "image", "--scanners", "misconfig", "-f", "json", "-q", "--no-cache", img)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var rep struct {
		Vulnerabilities   []any                        `json:"vulnerabilities"`
		Misconfigurations []inventory.Misconfiguration `json:"misconfigurations"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Vulnerabilities != nil {
		t.Error("--scanners misconfig also matched vulnerabilities")
	}
	var got []string
	for _, m := range rep.Misconfigurations {
		if m.Status != inventory.CheckFail {
			t.Errorf("non-failure reported: %+v", m)
		}
		l := -1
		if m.Layer != nil {
			l = m.Layer.Index
		}
		got = append(got, m.ID+"@"+m.Target+"#"+strconv.Itoa(l))
		if strings.Contains(m.Code+m.Message, "tok-8f2b1c9d4e7a") {
			t.Errorf("secret in clear: %+v", m)
		}
	}
	slices.Sort(got)
	want := []string{
		"SS-IC-001@" + img + "#-1",
		"SS-IC-002@" + img + "#-1",
		"SS-IC-006@" + img + "#-1",
		"SS-IC-007@" + img + "#-1",
		"SS-IC-008@/usr/local/bin/helper#2",
		"SS-IC-009@/var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_InRelease#2",
	}
	slices.Sort(want)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// The gate counts misconfigurations.
	code, _, _ = run(t, nil, "image", "--scanners", "misconfig", "--severity", "HIGH", "--exit-code", "4", "-q", "--no-cache", img)
	if code != 4 {
		t.Errorf("exit %d, want 4", code)
	}
}

func TestFSScannersMisconfig(t *testing.T) {
	code, out, errOut := run(t, nil, "fs", "--scanners", "misconfig", "-f", "json", "-q", "--no-cache", configProject)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var rep struct {
		Misconfigurations []inventory.Misconfiguration `json:"misconfigurations"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	found := map[string]string{}
	for _, m := range rep.Misconfigurations {
		found[m.ID] = m.Target + ":" + strconv.Itoa(m.StartLine)
	}
	for id, want := range map[string]string{"SS-DF-033": "Dockerfile:3", "SS-CP-001": "docker-compose.yml:7", "SS-K8S-001": "k8s/deploy.yaml:12"} {
		if found[id] != want {
			t.Errorf("%s: got %q, want %q", id, found[id], want)
		}
	}
}

func TestConfigCustomChecks(t *testing.T) {
	checks := filepath.Join("testdata", "config", "checks")
	code, out, errOut := run(t, nil, "config", "-q", "--checks", checks, filepath.Join(configProject, "Dockerfile"))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"Dockerfile (rego)", "HIGH     ORG-DF-001  Base image not from the approved registry line 1", "node:22 is not from registry.example.com"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	code, _, errOut = run(t, nil, "config", "-q", "--checks", filepath.Join("testdata", "config", "README.md"), configProject)
	if code != ExitError || !strings.Contains(errOut, "not valid Rego") {
		t.Errorf("exit %d: %s", code, errOut)
	}
}

func TestScanCustomChecks(t *testing.T) {
	checks := filepath.Join("testdata", "config", "checks")
	img := misconfigImage(t)
	code, out, errOut := run(t, nil, "image", "--scanners", "misconfig", "--checks", checks, "-f", "json", "-q", "--no-cache", img)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.Contains(out, `"id": "ORG-IC-001"`) || !strings.Contains(out, `"kind": "rego"`) || strings.Contains(out, "ORG-DF-001") {
		t.Errorf("image: custom image-config check missing (or a Dockerfile check ran):\n%s", out)
	}
	code, out, errOut = run(t, nil, "fs", "--scanners", "misconfig", "--checks", checks, "-f", "json", "-q", "--no-cache", configProject)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.Contains(out, `"id": "ORG-DF-001"`) {
		t.Errorf("fs: custom Dockerfile check missing:\n%s", out)
	}
	code, _, errOut = run(t, nil, "fs", "--checks", checks, configProject)
	if code != ExitError || !strings.Contains(errOut, "--checks needs --scanners misconfig") {
		t.Errorf("exit %d: %s", code, errOut)
	}
}

// TestConfigIgnoreFile: the one CRITICAL failure of the project, ignored by id, stays in the
// table and the JSON as suppressed and no longer trips the gate; an expired entry does not
// suppress.
func TestConfigIgnoreFile(t *testing.T) {
	code, out, _ := run(t, nil, "config", "-q", "--severity", "CRITICAL", "-f", "json", configProject)
	var r struct {
		Misconfigurations []inventory.Misconfiguration `json:"misconfigurations"`
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil || code != 0 || len(r.Misconfigurations) != 1 {
		t.Fatalf("exit %d, %v: %s", code, err, out)
	}
	critical := r.Misconfigurations[0].ID
	dir := t.TempDir()
	for _, tc := range []struct {
		name, expires string
		wantCode      int
	}{{"current", "2999-01-01", 0}, {"expired", "2020-01-01", 3}} {
		t.Run(tc.name, func(t *testing.T) {
			file := filepath.Join(dir, tc.name+".yaml")
			body := fmt.Sprintf("misconfigurations:\n  - id: %s\n    reason: accepted risk\n    expires: %s\n", critical, tc.expires)
			if err := os.WriteFile(file, []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
			code, out, stderr := run(t, nil, "config", "--severity", "CRITICAL", "--exit-code", "3", "--ignorefile", file, configProject)
			if code != tc.wantCode {
				t.Fatalf("exit %d, want %d: %s %s", code, tc.wantCode, out, stderr)
			}
			if tc.wantCode == 0 && (!strings.Contains(out, "IGNORED") || !strings.Contains(out, "accepted risk") || !strings.Contains(out, "1 more suppressed")) {
				t.Errorf("the ignored failure is not shown as such:\n%s", out)
			}
			if tc.wantCode != 0 && !strings.Contains(stderr, "expired") {
				t.Errorf("no warning about the expired entry: %s", stderr)
			}
		})
	}
}
