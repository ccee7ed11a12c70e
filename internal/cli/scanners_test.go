package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shipshape-dev/shipshape/internal/inventory"
)

// TestSecretAndLicenseScanners runs `fs DIR` with --scanners secret,license on a folder with
// a leaked token, a licence file and an allowed test fixture.
func TestSecretAndLicenseScanners(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte) {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	const token = "ghp_R8cV2mQx7LwN4pZt9KsJ3hYb6FgDe1Ua5Wio"
	write("app/.env", []byte("GITHUB_TOKEN="+token+"\n"))
	write("app/testdata/fixture.env", []byte("GITHUB_TOKEN="+token+"\n"))
	mit, err := os.ReadFile(filepath.Join("..", "license", "testdata", "texts", "go-spdx.LICENSE"))
	if err != nil {
		t.Fatal(err)
	}
	write("app/LICENSE", mit)

	scan := func(args ...string) (int, *inventory.Inventory, string) {
		t.Helper()
		code, out, stderr := run(t, nil, append([]string{"fs", dir, "-q", "--no-cache", "--format", "json"}, args...)...)
		if code == ExitError {
			t.Fatalf("%v: exit %d: %s", args, code, stderr)
		}
		var inv inventory.Inventory
		if err := json.Unmarshal([]byte(out), &inv); err != nil {
			t.Fatalf("%v: %v\n%s", args, err, out)
		}
		return code, &inv, out
	}

	_, inv, out := scan("--scanners", "secret,license")
	if strings.Contains(out, token) || strings.Contains(out, token[8:]) {
		t.Errorf("the report holds the secret in the clear")
	}
	if len(inv.Secrets) != 1 || inv.Secrets[0].RuleID != "github-pat" || inv.Secrets[0].Path != "/app/.env" ||
		inv.Secrets[0].Layer != nil || inv.Secrets[0].Match != "ghp_****************" {
		t.Errorf("secrets: %+v", inv.Secrets)
	}
	if len(inv.Licenses) != 1 || inv.Licenses[0].License != "MIT" || inv.Licenses[0].Path != "/app/LICENSE" ||
		inv.Licenses[0].Category != inventory.LicenseNotice || inv.Licenses[0].Severity != "LOW" {
		t.Errorf("licences: %+v", inv.Licenses)
	}

	// Not asked for: neither runs.
	if _, inv, _ := scan("--scanners", "none"); len(inv.Secrets) != 0 || len(inv.Licenses) != 0 {
		t.Errorf("--scanners none: %d secrets, %d licences", len(inv.Secrets), len(inv.Licenses))
	}
	// The gate counts secrets and licences by severity, like vulnerabilities.
	if code, _, _ := scan("--scanners", "secret", "--exit-code", "3", "--severity", "CRITICAL"); code != 3 {
		t.Errorf("a CRITICAL secret with --exit-code 3: exit %d", code)
	}
	if code, _, _ := scan("--scanners", "secret,license", "--exit-code", "3", "--severity", "MEDIUM"); code != 0 {
		t.Errorf("no MEDIUM finding with --exit-code 3: exit %d", code)
	}
	// A licence config makes MIT forbidden.
	cfg := filepath.Join(t.TempDir(), "licenses.yaml")
	if err := os.WriteFile(cfg, []byte("categories:\n  forbidden: [MIT]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, inv, _ := scan("--scanners", "license", "--license-config", cfg, "--exit-code", "4", "--severity", "CRITICAL"); code != 4 ||
		len(inv.Licenses) != 1 || inv.Licenses[0].Category != inventory.LicenseForbidden {
		t.Errorf("--license-config: exit %d, %+v", code, inv.Licenses)
	}
	// Too small a size limit skips the file.
	if _, inv, _ := scan("--scanners", "secret", "--secret-max-size", "10"); len(inv.Secrets) != 0 {
		t.Errorf("--secret-max-size 10: %+v", inv.Secrets)
	}
}
