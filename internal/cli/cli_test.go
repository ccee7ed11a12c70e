package cli

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/shipshape-dev/shipshape/internal/imagetest"
)

var sample = filepath.Join(imagetest.RepoRoot(), "testdata", "images", "sample-alpine-3.12.tar")

// run calls the CLI as a user would and returns exit code, stdout and stderr.
func run(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	for k, v := range env {
		t.Setenv(k, v)
	}
	var out, errb bytes.Buffer
	code := Main(args, &out, &errb)
	return code, out.String(), errb.String()
}

// apkPackagesIn reads name=version pairs straight from lib/apk/db/installed inside a
// minirootfs tarball, independently of the apk analyzer.
func apkPackagesIn(t *testing.T, rootfs string) []string {
	t.Helper()
	f, err := os.Open(rootfs)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			t.Fatal("no apk database in the rootfs")
		}
		if err != nil {
			t.Fatal(err)
		}
		if strings.TrimPrefix(hdr.Name, "./") != "lib/apk/db/installed" {
			continue
		}
		var out []string
		var name string
		sc := bufio.NewScanner(tr)
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "P:"):
				name = line[2:]
			case strings.HasPrefix(line, "V:"):
				out = append(out, name+"="+line[2:])
			}
		}
		sort.Strings(out)
		return out
	}
}

type jsonReport struct {
	SchemaVersion int `json:"schemaVersion"`
	Target        struct {
		Kind    string `json:"kind"`
		ImageID string `json:"imageID"`
	} `json:"target"`
	OS *struct {
		Family  string `json:"family"`
		Version string `json:"version"`
	} `json:"os"`
	Layers []struct {
		DiffID string `json:"diffID"`
		Cached bool   `json:"cached"`
	} `json:"layers"`
	Packages []struct {
		Type     string `json:"type"`
		Name     string `json:"name"`
		Version  string `json:"version"`
		PURL     string `json:"purl"`
		Location string `json:"location"`
		Layer    *struct {
			Index     int    `json:"index"`
			CreatedBy string `json:"createdBy"`
		} `json:"layer"`
	} `json:"packages"`
	Warnings []struct {
		Message string `json:"message"`
	} `json:"warnings"`
}

func parseJSON(t *testing.T, s string) jsonReport {
	t.Helper()
	var r jsonReport
	if err := json.Unmarshal([]byte(s), &r); err != nil {
		t.Fatalf("report is not JSON: %v\n%s", err, s)
	}
	return r
}

func pkgList(r jsonReport) []string {
	var out []string
	for _, p := range r.Packages {
		out = append(out, p.Name+"="+p.Version)
	}
	sort.Strings(out)
	return out
}

func TestImageSample(t *testing.T) {
	want := apkPackagesIn(t, imagetest.AlpineRootfs("3.12.12", "x86_64"))
	cache := t.TempDir()
	code, out, stderr := run(t, nil, "image", sample, "--format", "json", "--cache-dir", cache, "--quiet")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	r := parseJSON(t, out)
	if got := pkgList(r); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("packages\n got %v\nwant %v", got, want)
	}
	if r.OS == nil || r.OS.Family != "alpine" || r.OS.Version != "3.12.12" {
		t.Errorf("os = %+v", r.OS)
	}
	for _, p := range r.Packages {
		if p.Layer == nil || p.Layer.Index != 0 || !strings.HasPrefix(p.Layer.CreatedBy, "ADD alpine-minirootfs") {
			t.Errorf("%s: layer %+v, want the base layer", p.Name, p.Layer)
		}
		if !strings.HasPrefix(p.PURL, "pkg:apk/alpine/"+p.Name+"@") || !strings.Contains(p.PURL, "distro=alpine-3.12.12") {
			t.Errorf("%s: purl %s", p.Name, p.PURL)
		}
		if p.Location != "/lib/apk/db/installed" {
			t.Errorf("%s: location %s", p.Name, p.Location)
		}
	}
	for _, l := range r.Layers {
		if l.Cached {
			t.Errorf("layer %s cached on a cold scan", l.DiffID)
		}
	}
	// Warm: the same cache dir serves every layer, and the packages are the same.
	code, out2, stderr := run(t, nil, "image", sample, "--format", "json", "--cache-dir", cache, "--quiet")
	if code != 0 {
		t.Fatalf("warm exit %d: %s", code, stderr)
	}
	r2 := parseJSON(t, out2)
	for _, l := range r2.Layers {
		if !l.Cached {
			t.Errorf("layer %s not served from the cache on the second scan", l.DiffID)
		}
	}
	if strings.Join(pkgList(r2), " ") != strings.Join(want, " ") {
		t.Errorf("warm scan packages differ: %v", pkgList(r2))
	}
}

func TestFormats(t *testing.T) {
	n := len(apkPackagesIn(t, imagetest.AlpineRootfs("3.12.12", "x86_64")))
	tests := []struct {
		name  string
		args  []string
		env   map[string]string
		check func(t *testing.T, out string)
	}{
		{"table of packages", []string{"image", sample, "--scanners", "none"}, nil, func(t *testing.T, out string) {
			if !strings.Contains(out, "Alpine Linux v3.12") || strings.Count(out, "\napk ") != n {
				t.Errorf("table lacks the OS or has not %d apk rows:\n%s", n, out)
			}
		}},
		{"cyclonedx via sbom", []string{"sbom", sample}, nil, func(t *testing.T, out string) {
			var bom struct {
				BOMFormat   string `json:"bomFormat"`
				SpecVersion string `json:"specVersion"`
				Components  []struct {
					Type string `json:"type"`
					PURL string `json:"purl"`
				} `json:"components"`
			}
			if err := json.Unmarshal([]byte(out), &bom); err != nil {
				t.Fatal(err)
			}
			libs := 0
			for _, c := range bom.Components {
				if c.Type == "library" && strings.HasPrefix(c.PURL, "pkg:apk/") {
					libs++
				}
			}
			if bom.BOMFormat != "CycloneDX" || bom.SpecVersion != "1.6" || libs != n {
				t.Errorf("bom %s %s with %d apk components, want %d", bom.BOMFormat, bom.SpecVersion, libs, n)
			}
		}},
		{"spdx-json", []string{"sbom", sample, "--format", "spdx-json"}, nil, func(t *testing.T, out string) {
			var doc struct {
				SPDXVersion string `json:"spdxVersion"`
				Packages    []struct {
					ExternalRefs []struct {
						Locator string `json:"referenceLocator"`
					} `json:"externalRefs"`
				} `json:"packages"`
			}
			if err := json.Unmarshal([]byte(out), &doc); err != nil {
				t.Fatal(err)
			}
			apk := 0
			for _, p := range doc.Packages {
				for _, r := range p.ExternalRefs {
					if strings.HasPrefix(r.Locator, "pkg:apk/") {
						apk++
					}
				}
			}
			if doc.SPDXVersion != "SPDX-2.3" || apk != n {
				t.Errorf("%s with %d apk packages, want %d", doc.SPDXVersion, apk, n)
			}
		}},
		{"format from the environment", []string{"image", sample}, map[string]string{"SHIPSHAPE_FORMAT": "json"}, func(t *testing.T, out string) {
			if r := parseJSON(t, out); len(r.Packages) != n {
				t.Errorf("%d packages", len(r.Packages))
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := append(tc.args, "--cache-dir", t.TempDir(), "-q")
			code, out, stderr := run(t, tc.env, args...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			tc.check(t, out)
		})
	}
}

func TestDeterministicOutput(t *testing.T) {
	for _, format := range []string{"json", "cyclonedx", "table"} {
		_, a, _ := run(t, nil, "image", sample, "-f", format, "--cache-dir", t.TempDir(), "-q")
		_, b, _ := run(t, nil, "image", sample, "-f", format, "--cache-dir", t.TempDir(), "-q", "--parallel", "1")
		if a != b || a == "" {
			t.Errorf("%s output differs between runs", format)
		}
	}
}

func TestOutputFileAndErrors(t *testing.T) {
	dir := t.TempDir()
	outFile := filepath.Join(dir, "report.json")
	code, _, stderr := run(t, nil, "image", sample, "-f", "json", "-o", outFile, "--cache-dir", t.TempDir(), "-q")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if data, err := os.ReadFile(outFile); err != nil || !json.Valid(data) {
		t.Fatalf("output file: %v", err)
	}
	junk := filepath.Join(dir, "junk.tar")
	os.WriteFile(junk, bytes.Repeat([]byte("x"), 4096), 0o644)
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"unknown format leaves no file", []string{"image", sample, "-f", "yaml", "-o", filepath.Join(dir, "no.yaml")}, "unknown --format"},
		{"missing file", []string{"image", filepath.Join(dir, "missing.tar")}, "missing.tar"},
		{"not an image", []string{"image", junk, "-o", filepath.Join(dir, "no.json")}, "junk.tar"},
		{"bad platform", []string{"image", sample, "--platform", "linux"}, ""},
		{"bad env value", []string{"image", sample}, "SHIPSHAPE_PARALLEL"},
		{"rootfs of a file", []string{"rootfs", sample}, "not a folder"},
		{"no argument", []string{"image"}, "accepts 1 arg"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := map[string]string{}
			if tc.name == "bad env value" {
				env["SHIPSHAPE_PARALLEL"] = "many"
			}
			code, _, stderr := run(t, env, append(tc.args, "--cache-dir", t.TempDir())...)
			if tc.name == "bad platform" {
				// one image in the archive: --platform is only consulted for indexes
				if code != 0 {
					t.Fatalf("exit %d: %s", code, stderr)
				}
				return
			}
			if code != ExitError {
				t.Fatalf("exit %d, want %d; stderr: %s", code, ExitError, stderr)
			}
			if !strings.Contains(stderr, tc.wantErr) {
				t.Errorf("stderr %q does not contain %q", stderr, tc.wantErr)
			}
		})
	}
	for _, f := range []string{"no.yaml", "no.json"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
			t.Errorf("%s was written although the command failed", f)
		}
	}
}

// TestPartialScan removes the top layer's blob from an OCI layout: the scan reports the
// base layer's packages, warns about the missing layer, and exits with the error code.
func TestPartialScan(t *testing.T) {
	base, err := imagetest.LayerFromFile(imagetest.AlpineRootfs("3.19.4", "x86_64"))
	if err != nil {
		t.Fatal(err)
	}
	top, err := imagetest.LayerFromFiles([]imagetest.File{{Name: "etc/motd", Body: "hi\n"}})
	if err != nil {
		t.Fatal(err)
	}
	img, err := imagetest.Image("linux/amd64", imagetest.Step{Layer: base}, imagetest.Step{Layer: top})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := imagetest.WriteOCILayout(dir, []v1.Image{img}, nil); err != nil {
		t.Fatal(err)
	}
	d, _ := top.Digest()
	os.Remove(filepath.Join(dir, "blobs", d.Algorithm, d.Hex))
	code, out, stderr := run(t, nil, "image", "oci:"+dir, "-f", "json", "--cache-dir", t.TempDir())
	if code != ExitError {
		t.Fatalf("exit %d, want %d", code, ExitError)
	}
	if !strings.Contains(stderr, d.Hex[:12]) {
		t.Errorf("stderr does not name the missing layer: %s", stderr)
	}
	want := apkPackagesIn(t, imagetest.AlpineRootfs("3.19.4", "x86_64"))
	if got := pkgList(parseJSON(t, out)); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("partial scan packages %v, want %v", got, want)
	}
}

func TestRootfs(t *testing.T) {
	if _, err := exec.LookPath("tar"); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	rootfs := imagetest.AlpineRootfs("3.19.4", "x86_64")
	if out, err := exec.Command("tar", "-xzf", rootfs, "-C", dir).CombinedOutput(); err != nil {
		t.Fatalf("tar: %v: %s", err, out)
	}
	code, out, stderr := run(t, nil, "rootfs", dir, "-f", "json", "-q")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	r := parseJSON(t, out)
	if got, want := pkgList(r), apkPackagesIn(t, rootfs); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("packages %v, want %v", got, want)
	}
	if r.Target.Kind != "rootfs" || r.OS == nil || r.OS.Version != "3.19.4" {
		t.Errorf("target %+v os %+v", r.Target, r.OS)
	}
	for _, p := range r.Packages {
		if p.Layer != nil {
			t.Errorf("%s has a layer in a rootfs scan", p.Name)
		}
	}
}

func TestVersion(t *testing.T) {
	code, out, _ := run(t, nil, "version")
	if code != 0 || !strings.HasPrefix(out, "shipshape ") {
		t.Errorf("version: %d %q", code, out)
	}
}

func TestDebugOutput(t *testing.T) {
	code, _, stderr := run(t, nil, "image", sample, "--debug", "-q", "--cache-dir", t.TempDir())
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"debug: opened", "debug: layer 0", "debug: layers scanned", "debug: matched"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("--debug output lacks %q:\n%s", want, stderr)
		}
	}
	_, _, quiet := run(t, nil, "image", sample, "-q", "--cache-dir", t.TempDir())
	if strings.Contains(quiet, "debug:") {
		t.Error("debug lines without --debug")
	}
}
