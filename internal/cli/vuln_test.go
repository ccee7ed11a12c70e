package cli

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shipshape-dev/shipshape/internal/imagetest"
	"github.com/shipshape-dev/shipshape/internal/vulndb/snapshot"
)

type vulnReport struct {
	Packages []struct {
		Name string `json:"name"`
		PURL string `json:"purl"`
	} `json:"packages"`
	Vulnerabilities []struct {
		ID               string `json:"id"`
		PkgName          string `json:"pkgName"`
		PkgPURL          string `json:"pkgPURL"`
		InstalledVersion string `json:"installedVersion"`
		FixedVersion     string `json:"fixedVersion"`
		Status           string `json:"status"`
		Severity         string `json:"severity"`
		Namespace        string `json:"namespace"`
		Layer            *struct {
			Index int `json:"index"`
		} `json:"layer"`
	} `json:"vulnerabilities"`
	DB *struct {
		DataDate string `json:"dataDate"`
		Embedded bool   `json:"embedded"`
		Sources  []struct {
			Name string `json:"name"`
		} `json:"sources"`
	} `json:"db"`
	Warnings []struct {
		Message string `json:"message"`
	} `json:"warnings"`
}

// TestVulnScanImage scans real Alpine images against the DB built from the embedded
// snapshot. Which CVEs are expected is checked against the feeds independently in
// internal/detect's correctness test; here the wiring is checked: every finding points at
// a package in the report, carries the namespace and layer, and the DB is described.
func TestVulnScanImage(t *testing.T) {
	old := filepath.Join(t.TempDir(), "alpine-3.6.tar")
	base, err := imagetest.LayerFromFile(imagetest.AlpineRootfs("3.6.5", "x86_64"))
	if err != nil {
		t.Fatal(err)
	}
	img, err := imagetest.Image("linux/amd64", imagetest.Step{Layer: base, CreatedBy: "ADD rootfs /"})
	if err != nil {
		t.Fatal(err)
	}
	if err := imagetest.WriteDockerArchive(old, "test/alpine:3.6", img); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, ref, ns string
		// wantSome: the image has at least one finding. Alpine 3.6.5 was the last 3.6
		// release and carries every fix its secdb lists, so it may have none.
		wantSome bool
	}{
		{"sample alpine 3.12", sample, "alpine:3.12", true},
		{"alpine 3.6", old, "alpine:3.6", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, stderr := run(t, nil, "image", tc.ref, "-f", "json", "--cache-dir", t.TempDir(), "-q")
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			var r vulnReport
			if err := json.Unmarshal([]byte(out), &r); err != nil {
				t.Fatal(err)
			}
			if tc.wantSome && len(r.Vulnerabilities) == 0 {
				t.Fatal("no vulnerabilities in an old Alpine image")
			}
			if r.Vulnerabilities == nil && !strings.Contains(out, `"db"`) {
				t.Fatal("the report does not say a vulnerability scan ran")
			}
			purls := map[string]bool{}
			for _, p := range r.Packages {
				purls[p.PURL] = true
			}
			for _, v := range r.Vulnerabilities {
				if !purls[v.PkgPURL] || v.Namespace != tc.ns || v.Layer == nil || v.Status == "" || v.Severity == "" {
					t.Errorf("finding %+v does not point at a package of the report in %s", v, tc.ns)
				}
				if v.Status == "fixed" && v.FixedVersion == "" {
					t.Errorf("%s: fixed without a fixed version", v.ID)
				}
			}
			if r.DB == nil || r.DB.DataDate != snapshot.DataDate() || !r.DB.Embedded || len(r.DB.Sources) == 0 {
				t.Errorf("db = %+v", r.DB)
			}
			stale := false
			for _, w := range r.Warnings {
				stale = stale || strings.Contains(w.Message, "days old")
			}
			if !stale {
				t.Error("no warning that the embedded data is old")
			}
		})
	}
}

func TestVulnFlags(t *testing.T) {
	count := func(args ...string) (int, vulnReport, string) {
		code, out, stderr := run(t, nil, append([]string{"image", sample, "-f", "json", "--cache-dir", t.TempDir(), "-q"}, args...)...)
		var r vulnReport
		json.Unmarshal([]byte(out), &r)
		return code, r, stderr
	}
	_, all, _ := count()
	_, fixedOnly, _ := count("--ignore-unfixed")
	for _, v := range fixedOnly.Vulnerabilities {
		if v.FixedVersion == "" {
			t.Errorf("--ignore-unfixed kept %s", v.ID)
		}
	}
	if len(fixedOnly.Vulnerabilities) > len(all.Vulnerabilities) {
		t.Error("--ignore-unfixed added findings")
	}
	_, none, _ := count("--scanners", "none")
	if len(none.Vulnerabilities) != 0 || none.DB != nil {
		t.Errorf("--scanners none still matched vulnerabilities")
	}
	if code, _, stderr := count("--db-max-age", "24h"); code != ExitError || !strings.Contains(stderr, "--db-max-age") {
		t.Errorf("--db-max-age: exit %d, %s", code, stderr)
	}
	if code, _, stderr := count("--ignore-status", "bogus"); code != ExitError || !strings.Contains(stderr, "bogus") {
		t.Errorf("--ignore-status bogus: exit %d, %s", code, stderr)
	}
	if code, _, stderr := count("--scanners", "vuln,magic"); code != ExitError || !strings.Contains(stderr, "magic") {
		t.Errorf("--scanners magic: exit %d, %s", code, stderr)
	}
	// The gate: findings left after the filters trip --exit-code; UNKNOWN is only a
	// severity the gate sees when it is listed.
	sevs := map[string]bool{}
	for _, v := range all.Vulnerabilities {
		sevs[v.Severity] = true
	}
	if len(all.Vulnerabilities) == 0 {
		t.Fatal("the sample image has no findings to gate on")
	}
	var absent string
	for _, s := range []string{"CRITICAL", "HIGH", "MEDIUM", "LOW", "NEGLIGIBLE", "UNKNOWN"} {
		if !sevs[s] {
			absent = s
			break
		}
	}
	var present string
	for s := range sevs {
		present = s
	}
	for _, tc := range []struct {
		args []string
		want int
	}{
		{[]string{"--exit-code", "1"}, 1},
		{[]string{"--exit-code", "3", "--severity", present}, 3},
		{[]string{"--exit-code", "1", "--severity", absent}, 0},
		{[]string{"--exit-code", "2"}, ExitError},
		{[]string{"--severity", "SEVERE"}, ExitError},
	} {
		if code, _, stderr := count(tc.args...); code != tc.want {
			t.Errorf("%v: exit %d, want %d (%s)", tc.args, code, tc.want, stderr)
		}
	}
	junk := filepath.Join(t.TempDir(), "junk.db")
	os.WriteFile(junk, []byte("junk"), 0o644)
	if code, _, stderr := count("--db", junk); code != ExitError || !strings.Contains(stderr, "junk.db") {
		t.Errorf("--db junk: exit %d, %s", code, stderr)
	}
}

// TestFirstScanBuildsDB runs a scan with no DB anywhere: it must build one from the
// embedded snapshot into the cache folder, say so, and use it.
func TestFirstScanBuildsDB(t *testing.T) {
	cache := t.TempDir()
	t.Setenv("SHIPSHAPE_DB", "")
	os.Unsetenv("SHIPSHAPE_DB")
	code, out, stderr := run(t, nil, "image", sample, "-f", "json", "--cache-dir", cache)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, "building one from the snapshot") || !strings.Contains(stderr, snapshot.DataDate()) {
		t.Errorf("stderr does not explain the first-run build: %s", stderr)
	}
	if _, err := os.Stat(filepath.Join(cache, "db", "shipshape.db")); err != nil {
		t.Fatal(err)
	}
	var r vulnReport
	if err := json.Unmarshal([]byte(out), &r); err != nil || len(r.Vulnerabilities) == 0 {
		t.Fatalf("report: %v, %d findings", err, len(r.Vulnerabilities))
	}
	code, info, stderr := run(t, nil, "db", "info", "--cache-dir", cache)
	if code != 0 || !strings.Contains(info, "alpine-secdb") || !strings.Contains(info, "embedded") {
		t.Errorf("db info: %d %s %s", code, info, stderr)
	}
}

// TestPublishAndUpdateEndToEnd signs a DB with a fresh key, lays it out with
// scripts/publish-db, serves it on loopback, and updates a local DB from it.
func TestPublishAndUpdateEndToEnd(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "shipshape")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/shipshape-dev/shipshape/cmd/shipshape").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v: %s", err, out)
	}
	key := filepath.Join(dir, "release.key")
	if code, _, stderr := run(t, nil, "db", "keygen", key); code != 0 {
		t.Fatal(stderr)
	}
	root := filepath.Join(dir, "www")
	secdb := filepath.Join(imagetest.RepoRoot(), "internal", "feed", "alpine", "testdata")
	script := filepath.Join(imagetest.RepoRoot(), "scripts", "publish-db")
	cmd := exec.Command("bash", script, key, root, "--feed", "alpine-secdb="+secdb)
	cmd.Env = append(os.Environ(), "SHIPSHAPE_BIN="+bin, "PUBLISH_EMBEDDED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("publish-db: %v: %s", err, out)
	}
	srv := httptest.NewServer(http.FileServer(http.Dir(root)))
	defer srv.Close()
	dst := filepath.Join(dir, "client", "shipshape.db")
	if code, _, stderr := run(t, nil, "db", "update", "--mirror", srv.URL, "--public-key", key+".pub", "--db", dst); code != 0 {
		t.Fatalf("db update: %s", stderr)
	}
	code, info, stderr := run(t, nil, "db", "info", "--db", dst, "-f", "json")
	if code != 0 || !strings.Contains(info, `"alpine-secdb"`) {
		t.Fatalf("db info: %d %s %s", code, info, stderr)
	}
	// The compiled-in key did not sign this DB: an update with it must fail and keep the DB.
	before, _ := os.ReadFile(dst)
	if code, _, stderr := run(t, nil, "db", "update", "--mirror", srv.URL, "--db", dst, "--force"); code != ExitError || !strings.Contains(stderr, "signature") {
		t.Errorf("update with the wrong key: exit %d: %s", code, stderr)
	}
	after, _ := os.ReadFile(dst)
	if string(before) != string(after) {
		t.Error("a failed update changed the DB")
	}
	// Air-gapped: export, import elsewhere.
	bundle := filepath.Join(dir, "bundle.tar")
	if code, _, stderr := run(t, nil, "db", "export", bundle, "--db", dst, "--sign", key); code != 0 {
		t.Fatal(stderr)
	}
	other := filepath.Join(dir, "airgap", "shipshape.db")
	if code, _, stderr := run(t, nil, "db", "import", bundle, "--db", other, "--public-key", key+".pub"); code != 0 {
		t.Fatal(stderr)
	}
}

// TestSBOMIn writes the sample image's SBOM in both formats, then scans the SBOMs: the
// packages and the findings must be those of the image scan.
func TestSBOMIn(t *testing.T) {
	dir := t.TempDir()
	cache := t.TempDir()
	_, imgOut, _ := run(t, nil, "image", sample, "-f", "json", "-q", "--cache-dir", cache)
	var want vulnReport
	if err := json.Unmarshal([]byte(imgOut), &want); err != nil {
		t.Fatal(err)
	}
	key := func(r vulnReport) (string, string) {
		var ps, vs []string
		for _, p := range r.Packages {
			ps = append(ps, p.Name+" "+p.PURL)
		}
		for _, v := range r.Vulnerabilities {
			vs = append(vs, v.PkgName+" "+v.InstalledVersion+" "+v.ID+" "+v.FixedVersion)
		}
		return strings.Join(ps, "\n"), strings.Join(vs, "\n")
	}
	wantPkgs, wantVulns := key(want)
	for _, format := range []string{"cyclonedx", "spdx-json"} {
		t.Run(format, func(t *testing.T) {
			bom := filepath.Join(dir, format+".json")
			if code, _, stderr := run(t, nil, "sbom", sample, "-f", format, "-o", bom, "-q", "--cache-dir", cache); code != 0 {
				t.Fatal(stderr)
			}
			code, out, stderr := run(t, nil, "image", "sbom:"+bom, "-f", "json", "-q", "--cache-dir", cache)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			var got vulnReport
			if err := json.Unmarshal([]byte(out), &got); err != nil {
				t.Fatal(err)
			}
			gotPkgs, gotVulns := key(got)
			if gotPkgs != wantPkgs {
				t.Errorf("packages from the SBOM:\n%s\nwant\n%s", gotPkgs, wantPkgs)
			}
			if gotVulns != wantVulns || wantVulns == "" {
				t.Errorf("findings from the SBOM:\n%s\nwant\n%s", gotVulns, wantVulns)
			}
		})
	}
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(`{"hello": "world"}`), 0o644)
	if code, _, stderr := run(t, nil, "image", "sbom:"+bad, "--cache-dir", cache); code != ExitError || !strings.Contains(stderr, "bad.json") {
		t.Errorf("bad SBOM: exit %d: %s", code, stderr)
	}
}

// TestNpmProject scans the real npm project fixture as a source tree. The GHSA records in
// the embedded snapshot (internal/vulndb/snapshot/data/ghsa.tar.gz; their ranges are listed
// in its README) put lodash 4.17.15 below 4.17.20 and 4.17.21, minimist 1.2.0 in
// >=1.0.0 <1.2.3 and <1.2.6, and axios 0.21.0 below 0.21.1 and in >=0.8.1 <1.6.0.
func TestNpmProject(t *testing.T) {
	dir := t.TempDir()
	if out, err := exec.Command("tar", "-xzf", filepath.Join(imagetest.RepoRoot(), "testdata", "projects", "npm-project.tar.gz"), "-C", dir).CombinedOutput(); err != nil {
		t.Fatalf("tar: %v: %s", err, out)
	}
	code, out, stderr := run(t, nil, "fs", filepath.Join(dir, "npmvuln"), "-f", "json", "-q", "--cache-dir", t.TempDir())
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var r vulnReport
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, v := range r.Vulnerabilities {
		got[v.PkgName+" "+v.ID]++
	}
	for _, want := range []string{
		"lodash GHSA-p6mc-m468-83gw", "lodash GHSA-35jh-r3h4-6jhm", "lodash GHSA-29mw-wpgm-hmr9",
		"minimist GHSA-vh95-rmgr-6w4m", "minimist GHSA-xvch-5gv4-984h",
		"axios GHSA-4w2v-q235-vp99", "axios GHSA-wf5p-g6vw-rhxx",
	} {
		if got[want] != 1 {
			t.Errorf("%s reported %d times, want once", want, got[want])
		}
	}
	nswg := false
	for k := range got {
		nswg = nswg || strings.Contains(k, "NSWG-")
	}
	if !nswg {
		t.Error("no finding from the nodejs-security-wg data")
	}
}
