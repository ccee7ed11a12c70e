package cli

import (
	"path/filepath"
	"strings"
	"testing"
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
