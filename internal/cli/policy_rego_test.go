package cli

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shipshape-dev/shipshape/internal/imagetest"
	"github.com/shipshape-dev/shipshape/internal/inventory"
)

// TestRegoPolicy runs the example policies through the CLI on real scans: minimist 1.2.0
// of the npm project has CVE-2021-44906 (CRITICAL, fixed in 1.2.6), so deny-critical fails
// the gate; the sample image runs as root and carries a docker.io tag, so the other two deny
// it; ignoring the finding (by its CVE alias) clears the critical deny.
func TestRegoPolicy(t *testing.T) {
	policies := filepath.Join(imagetest.RepoRoot(), "examples", "policies")
	dir := t.TempDir()
	if out, err := exec.Command("tar", "-xzf", filepath.Join(imagetest.RepoRoot(), "testdata", "projects", "npm-project.tar.gz"), "-C", dir).CombinedOutput(); err != nil {
		t.Fatalf("tar: %v: %s", err, out)
	}
	project := filepath.Join(dir, "npmvuln")
	cache := t.TempDir()
	decode := func(t *testing.T, out string) []inventory.PolicyResult {
		t.Helper()
		var r struct {
			Policy []inventory.PolicyResult `json:"policy"`
		}
		if err := json.Unmarshal([]byte(out), &r); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
		return r.Policy
	}
	ignore := filepath.Join(dir, "ignore.yaml")
	if err := os.WriteFile(ignore, []byte("vulnerabilities:\n  - id: CVE-2021-44906\n    reason: tested by the policy test\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantDeny []string // substrings, one per deny message
	}{
		{"critical denied", []string{"fs", project, "--policy", filepath.Join(policies, "deny-critical.rego"), "--exit-code", "3"}, 3, []string{"minimist 1.2.0 has GHSA-xvch-5gv4-984h (CRITICAL), fixed in 1.2.6"}},
		{"critical ignored", []string{"fs", project, "--policy", filepath.Join(policies, "deny-critical.rego"), "--ignorefile", ignore, "--exit-code", "3", "--severity", "CRITICAL"}, 0, nil},
		{"root user", []string{"image", sample, "--policy", filepath.Join(policies, "deny-root-user.rego"), "--exit-code", "4", "--severity", "CRITICAL"}, 4, []string{"runs as root"}},
		{"registries", []string{"image", sample, "--policy", filepath.Join(policies, "approved-registries.rego")}, 0, []string{"shipshape/sample-alpine:3.12 comes from docker.io"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, stderr := run(t, nil, append(tc.args, "-f", "json", "--cache-dir", cache)...)
			if code != tc.wantCode {
				t.Fatalf("exit %d, want %d: %s", code, tc.wantCode, stderr)
			}
			var deny []string
			for _, r := range decode(t, out) {
				if r.Rule == "deny" {
					deny = append(deny, r.Message)
				}
			}
			if len(deny) != len(tc.wantDeny) {
				t.Fatalf("deny %q, want %d matching %q", deny, len(tc.wantDeny), tc.wantDeny)
			}
			for i, w := range tc.wantDeny {
				if !strings.Contains(deny[i], w) {
					t.Errorf("deny %q, want it to contain %q", deny[i], w)
				}
				if !strings.Contains(stderr, "policy deny: "+deny[i]) {
					t.Errorf("stderr does not show the deny message: %s", stderr)
				}
			}
		})
	}

	// A broken policy stops the command before scanning, with the file and line, and leaves
	// no report file.
	bad := filepath.Join(dir, "bad.rego")
	if err := os.WriteFile(bad, []byte("package bad\n\ndeny contains msg if {\n  msg :=\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	outFile := filepath.Join(dir, "report.json")
	code, _, stderr := run(t, nil, "image", sample, "--policy", bad, "-o", outFile, "--cache-dir", cache)
	if code != ExitError || !strings.Contains(stderr, "bad.rego:") {
		t.Errorf("bad policy: exit %d: %s", code, stderr)
	}
	if _, err := os.Stat(outFile); err == nil {
		t.Error("a report file was written despite the broken policy")
	}
}
