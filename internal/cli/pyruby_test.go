package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/shipshape-dev/shipshape/internal/imagetest"
)

// TestPythonRubyProject scans a source tree holding the Python and Ruby analyzers' lock
// file fixtures against the embedded snapshot (PyPA and ruby-advisory-db data) and checks
// that vulnerable pinned versions are reported with the file they were found in. Which
// advisories apply is checked against the data in internal/detect (language_test.go) and
// against osv-scanner in scripts/osv-scanner-compare.
func TestPythonRubyProject(t *testing.T) {
	dir := t.TempDir()
	root := imagetest.RepoRoot()
	for from, to := range map[string]string{
		"internal/analyzer/python/testdata/lock/poetry.lock": "py/poetry.lock",
		"internal/analyzer/python/testdata/lock/uv.lock":     "uv/uv.lock",
		"internal/analyzer/ruby/testdata/Gemfile.lock":       "rb/Gemfile.lock",
	} {
		data, err := os.ReadFile(filepath.Join(root, from))
		if err != nil {
			t.Fatal(err)
		}
		os.MkdirAll(filepath.Join(dir, filepath.Dir(to)), 0o755)
		if err := os.WriteFile(filepath.Join(dir, to), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	code, out, stderr := run(t, nil, "fs", dir, "-f", "json", "-q", "--cache-dir", t.TempDir())
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var r struct {
		Vulnerabilities []struct {
			ID, PkgName, PkgPURL, InstalledVersion, FixedVersion, Namespace, Location string
			Aliases                                                                   []string
		} `json:"vulnerabilities"`
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	type hit struct{ purl, fixed, ns, location string }
	got := map[string]hit{}
	for _, v := range r.Vulnerabilities {
		for _, id := range append([]string{v.ID}, v.Aliases...) {
			got[v.PkgName+"@"+v.InstalledVersion+" "+id] = hit{v.PkgPURL, v.FixedVersion, v.Namespace, v.Location}
		}
	}
	for k, want := range map[string]hit{
		// PYSEC-2023-74: requests before 2.31.0.
		"requests@2.25.1 CVE-2023-32681": {"pkg:pypi/requests@2.25.1", "2.31.0", "pypi", "/py/poetry.lock"},
		// PYSEC-2021-108: urllib3 1.25.4 to 1.26.5 (its GIT range's commit is no fixed version).
		"urllib3@1.26.4 PYSEC-2021-108": {"pkg:pypi/urllib3@1.26.4", "1.26.5", "pypi", "/py/poetry.lock"},
		"aiohttp@3.8.1 CVE-2023-49081":  {"pkg:pypi/aiohttp@3.8.1", "3.9.0", "pypi", "/uv/uv.lock"},
		// ruby-advisory-db gems/rack/CVE-2022-30122.yml: patched ">= 2.2.3.1".
		"rack@2.2.3 CVE-2022-30122": {"pkg:gem/rack@2.2.3", "2.2.3.1", "rubygems", "/rb/Gemfile.lock"},
	} {
		if g, ok := got[k]; !ok || g != want {
			t.Errorf("%s: got %+v (found %v), want %+v", k, g, ok, want)
		}
	}
}
