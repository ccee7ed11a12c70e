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

// npmProject unpacks the real npm project fixture and returns its folder.
func npmProject(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if out, err := exec.Command("tar", "-xzf", filepath.Join(imagetest.RepoRoot(), "testdata", "projects", "npm-project.tar.gz"), "-C", dir).CombinedOutput(); err != nil {
		t.Fatalf("tar: %v: %s", err, out)
	}
	return filepath.Join(dir, "npmvuln")
}

func policyVEX(name string) string {
	return filepath.Join(imagetest.RepoRoot(), "internal", "policy", "testdata", "vex", name)
}

func scanInv(t *testing.T, out string) inventory.Inventory {
	t.Helper()
	var inv inventory.Inventory
	if err := json.Unmarshal([]byte(out), &inv); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	return inv
}

func TestPolicyGate(t *testing.T) {
	proj := npmProject(t)
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	all := write("all.yaml", "vulnerabilities:\n  - package: lodash\n  - package: minimist\n  - purl: pkg:npm/axios\n    reason: internal only\n")
	minimist := write("minimist.yaml", "vulnerabilities:\n  - package: minimist\n")
	expired := write("expired.yaml", "vulnerabilities:\n  - package: minimist\n    expires: 2020-01-01\n")
	plain := write(".trivyignore", "GHSA-xvch-5gv4-984h\n")
	cache := t.TempDir()
	scan := func(args ...string) (int, inventory.Inventory, string) {
		t.Helper()
		code, out, stderr := run(t, nil, append([]string{"fs", proj, "-f", "json", "--cache-dir", cache}, args...)...)
		var inv inventory.Inventory
		if code != ExitError {
			inv = scanInv(t, out)
		}
		return code, inv, stderr
	}
	code, base, _ := scan("--exit-code", "5")
	if code != 5 || len(base.Vulnerabilities) == 0 {
		t.Fatalf("no policy: exit %d with %d findings", code, len(base.Vulnerabilities))
	}
	for _, tc := range []struct {
		name      string
		args      []string
		want      int
		suppress  int
		inWarning string
	}{
		{"everything ignored", []string{"--ignorefile", all}, 0, len(base.Vulnerabilities), ""},
		{"critical gate, critical ignored", []string{"--ignorefile", minimist, "--severity", "CRITICAL"}, 0, 1, ""},
		{"critical gate, ignore expired", []string{"--ignorefile", expired, "--severity", "CRITICAL"}, 5, 0, "expired on 2020-01-01"},
		{"plain id list", []string{"--ignorefile", plain, "--severity", "CRITICAL"}, 0, 1, ""},
		{"VEX suppresses the critical one", []string{"--vex", policyVEX("app.openvex.json"), "--severity", "CRITICAL"}, 0, 1, ""},
		// The latest statement about a finding wins: CSAF (2026-11-21) says lodash is
		// not affected by GHSA-29mw where OpenVEX (2026-11-20) said under investigation,
		// and that minimist is under investigation where CycloneDX (2026-11-20) said fixed.
		{"three VEX formats", []string{"--vex", policyVEX("app.openvex.json"), "--vex", policyVEX("app.cdx-vex.json"), "--vex", policyVEX("app.csaf-vex.json")}, 5, 5, "names no component"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, inv, stderr := scan(append([]string{"--exit-code", "5"}, tc.args...)...)
			if code != tc.want {
				t.Errorf("exit %d, want %d: %s", code, tc.want, stderr)
			}
			want := len(base.Vulnerabilities)
			if strings.Contains(strings.Join(tc.args, " "), "--severity CRITICAL") {
				want = 0
				for _, f := range base.Vulnerabilities {
					if f.Severity == "CRITICAL" {
						want++
					}
				}
			}
			if len(inv.Vulnerabilities) != want {
				t.Errorf("%d findings, want %d (suppressed ones stay)", len(inv.Vulnerabilities), want)
			}
			n := 0
			for _, f := range inv.Vulnerabilities {
				if f.Suppressed != nil {
					n++
				}
				if f.Risk <= 0 {
					t.Errorf("%s has no risk score", f.ID)
				}
			}
			if n != tc.suppress {
				t.Errorf("%d suppressed, want %d", n, tc.suppress)
			}
			if tc.inWarning != "" && !strings.Contains(stderr, tc.inWarning) {
				t.Errorf("stderr lacks %q: %s", tc.inWarning, stderr)
			}
		})
	}
	t.Run("default ignore file in the working folder", func(t *testing.T) {
		wd := t.TempDir()
		if err := os.WriteFile(filepath.Join(wd, ".shipshapeignore.yaml"), []byte("vulnerabilities:\n  - package: minimist\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Chdir(wd)
		if code, _, stderr := scan("--exit-code", "5", "--severity", "CRITICAL"); code != 0 {
			t.Errorf("exit %d: %s", code, stderr)
		}
	})
}

func TestPolicyBadInput(t *testing.T) {
	proj := npmProject(t)
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("vulnerabilities:\n  - id: CVE-1\n    expires: someday\n"), 0o644)
	badVEX := filepath.Join(dir, "bad.json")
	os.WriteFile(badVEX, []byte(`{"@context": "https://openvex.dev/ns/v0.2.0", "statements": 7}`), 0o644)
	out := filepath.Join(dir, "report.json")
	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{"bad ignore file", []string{"--ignorefile", bad}, []string{"bad.yaml line 2", "someday"}},
		{"missing ignore file", []string{"--ignorefile", filepath.Join(dir, "none.yaml")}, []string{"none.yaml"}},
		{"bad VEX", []string{"--vex", badVEX}, []string{"bad.json", "OpenVEX"}},
		{"bad sort key", []string{"--sort-by", "age"}, []string{"--sort-by", "age"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := run(t, nil, append([]string{"fs", proj, "-f", "json", "-o", out, "--cache-dir", t.TempDir()}, tc.args...)...)
			if code != ExitError {
				t.Errorf("exit %d, want %d", code, ExitError)
			}
			for _, w := range tc.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr lacks %q: %s", w, stderr)
				}
			}
			if _, err := os.Stat(out); err == nil {
				t.Error("a report was written despite the bad input")
			}
		})
	}
}

func TestPolicySortAndVEXOut(t *testing.T) {
	proj := npmProject(t)
	dir := t.TempDir()
	ign := filepath.Join(dir, "i.yaml")
	os.WriteFile(ign, []byte("vulnerabilities:\n  - id: CVE-2021-44906\n    reason: argv is ours\n    justification: vulnerable_code_cannot_be_controlled_by_adversary\n"), 0o644)
	vexOut := filepath.Join(dir, "out.openvex.json")
	code, out, stderr := run(t, nil, "fs", proj, "-f", "json", "-q", "--cache-dir", t.TempDir(), "--sort-by", "risk", "--ignorefile", ign, "--vex-out", vexOut)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	inv := scanInv(t, out)
	for i := 1; i < len(inv.Vulnerabilities); i++ {
		if inv.Vulnerabilities[i-1].Risk < inv.Vulnerabilities[i].Risk {
			t.Errorf("--sort-by risk: %v before %v", inv.Vulnerabilities[i-1].Risk, inv.Vulnerabilities[i].Risk)
		}
	}
	code, out, _ = run(t, nil, "fs", proj, "-q", "--cache-dir", t.TempDir(), "--sort-by", "package")
	if code != 0 || strings.Index(out, "axios") > strings.Index(out, "minimist") {
		t.Errorf("--sort-by package table:\n%s", out)
	}
	data, err := os.ReadFile(vexOut)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Context    string `json:"@context"`
		Statements []struct {
			Vulnerability struct {
				Name    string   `json:"name"`
				Aliases []string `json:"aliases"`
			} `json:"vulnerability"`
			Products []struct {
				ID string `json:"@id"`
			} `json:"products"`
			Status          string `json:"status"`
			Justification   string `json:"justification"`
			ImpactStatement string `json:"impact_statement"`
		} `json:"statements"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(doc.Context, "https://openvex.dev/ns") || len(doc.Statements) != 1 {
		t.Fatalf("document: %s", data)
	}
	s := doc.Statements[0]
	if s.Vulnerability.Name != "GHSA-xvch-5gv4-984h" || len(s.Products) != 1 || s.Products[0].ID != "pkg:npm/minimist@1.2.0" ||
		s.Status != "not_affected" || s.Justification != "vulnerable_code_cannot_be_controlled_by_adversary" || s.ImpactStatement != "argv is ours" {
		t.Errorf("statement %+v", s)
	}
	// The document feeds back in as --vex and suppresses the same finding.
	code, out, stderr = run(t, nil, "fs", proj, "-f", "json", "-q", "--cache-dir", t.TempDir(), "--vex", vexOut, "--severity", "CRITICAL", "--exit-code", "4")
	if code != 0 {
		t.Errorf("the VEX out document did not suppress the critical finding: exit %d: %s", code, stderr)
	}
	for _, f := range scanInv(t, out).Vulnerabilities {
		if f.ID == "GHSA-xvch-5gv4-984h" && (f.Suppressed == nil || f.Suppressed.Kind != "vex" || f.Suppressed.Source != vexOut) {
			t.Errorf("%s: %+v", f.ID, f.Suppressed)
		}
	}
}

func TestFixPlanFlag(t *testing.T) {
	proj := npmProject(t)
	cache := t.TempDir()
	code, out, stderr := run(t, nil, "fs", proj, "-f", "json", "-q", "--cache-dir", cache)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	inv := scanInv(t, out)
	perPkg := map[string]int{}
	for _, f := range inv.Vulnerabilities {
		if f.FixedVersion != "" {
			perPkg[f.PkgName]++
		}
	}
	code, out, stderr = run(t, nil, "fs", proj, "-f", "json", "-q", "--cache-dir", cache, "--fix-plan")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var plan fixPlanReport
	if err := json.Unmarshal([]byte(out), &plan); err != nil {
		t.Fatal(err)
	}
	validateAgainst(t, "shipshape-fixplan-v1.schema.json", []byte(out))
	if len(plan.Upgrades) != len(perPkg) || plan.SchemaVersion != 1 {
		t.Fatalf("plan %+v, want one upgrade for each of %v", plan, perPkg)
	}
	for i, u := range plan.Upgrades {
		if len(u.Fixes) != perPkg[u.PkgName] || u.FixedVersion == "" {
			t.Errorf("%s: fixes %v, want %d", u.PkgName, u.Fixes, perPkg[u.PkgName])
		}
		if i > 0 && len(u.Fixes) > len(plan.Upgrades[i-1].Fixes) {
			t.Error("upgrades not sorted by findings fixed")
		}
	}
	code, out, _ = run(t, nil, "fs", proj, "-q", "--cache-dir", cache, "--fix-plan")
	if code != 0 || !strings.Contains(out, "UPGRADE TO") || !strings.Contains(out, "lodash") {
		t.Errorf("table: exit %d\n%s", code, out)
	}
	if code, _, stderr := run(t, nil, "fs", proj, "-f", "cyclonedx", "-q", "--cache-dir", cache, "--fix-plan"); code != ExitError || !strings.Contains(stderr, "--fix-plan") {
		t.Errorf("cyclonedx fix plan: exit %d %s", code, stderr)
	}
}
