package kubernetes

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/shipshape-dev/shipshape/internal/inventory"
	"github.com/shipshape-dev/shipshape/internal/misconfig"
)

func scanFile(t *testing.T, file string) []inventory.Misconfiguration {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	res := Scan(file, data)
	for _, m := range res {
		if m.Status == inventory.CheckError {
			t.Fatalf("%s: %s: %s", file, m.ID, m.Message)
		}
	}
	return res
}

func byID(res []inventory.Misconfiguration, id string) []inventory.Misconfiguration {
	var out []inventory.Misconfiguration
	for _, m := range res {
		if m.ID == id {
			out = append(out, m)
		}
	}
	return out
}

// TestChecks runs every check on its failing and its passing fixture. The failing
// fixtures are otherwise fully restricted-compliant, so each must fail only its own check.
func TestChecks(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range Checks() {
		m := c.Meta()
		if seen[m.ID] {
			t.Errorf("duplicate id %s", m.ID)
		}
		seen[m.ID] = true
		t.Run(m.ID, func(t *testing.T) {
			if m.Title == "" || misconfig.SeverityRank(m.Severity) == 0 || m.Resolution == "" || len(m.References) == 0 {
				t.Errorf("incomplete metadata: %+v", m)
			}
			all := scanFile(t, filepath.Join("testdata", "fail", m.ID+".yaml"))
			fail := byID(all, m.ID)
			if len(fail) == 0 || fail[0].Status != inventory.CheckFail {
				t.Fatalf("failing fixture: want a failure, got %+v", fail)
			}
			for _, f := range fail {
				if f.StartLine < 1 || !strings.Contains(f.Object, "/web") || f.Code == "" {
					t.Errorf("failure lacks location or object: %+v", f)
				}
			}
			pass := byID(scanFile(t, filepath.Join("testdata", "pass", m.ID+".yaml")), m.ID)
			if len(pass) != 1 || pass[0].Status != inventory.CheckPass {
				t.Fatalf("passing fixture: want a pass, got %+v", pass)
			}
			for _, p := range scanFile(t, filepath.Join("testdata", "pass", m.ID+".yaml")) {
				if p.Status == inventory.CheckFail {
					t.Errorf("passing fixture also fails %s: %s", p.ID, p.Message)
				}
			}
		})
	}
}

func TestMultiDocument(t *testing.T) {
	res := scanFile(t, filepath.Join("testdata", "multi.yaml"))
	got := map[string]string{}
	for _, m := range res {
		if m.Status == inventory.CheckFail && (m.ID == "SS-K8S-001" || m.ID == "SS-K8S-002" || m.ID == "SS-K8S-003") {
			got[m.ID] = m.Object + ":" + strconv.Itoa(m.StartLine)
		}
	}
	want := map[string]string{
		"SS-K8S-001": "Deployment/web:21",
		"SS-K8S-002": "Deployment/web:17",
		"SS-K8S-003": "Pod/ops/debug:30",
	}
	for id, w := range want {
		if got[id] != w {
			t.Errorf("%s: got %q, want %q", id, got[id], w)
		}
	}
}

func TestSecretMasked(t *testing.T) {
	for _, m := range scanFile(t, filepath.Join("testdata", "fail", "SS-K8S-025.yaml")) {
		if strings.Contains(m.Code, "tok-8f2b1c9d4e7a") || strings.Contains(m.Message, "tok-8f2b1c9d4e7a") {
			t.Errorf("%s shows the secret in clear: %q", m.ID, m.Code)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, in := range []string{"apiVersion: v1\nkind: Pod\nspec: [\n", "apiVersion: v1\nkind: Pod\nspec:\n  containers: 5\n"} {
		res := Scan("pod.yaml", []byte(in))
		if len(res) != 1 || res[0].Status != inventory.CheckError {
			t.Errorf("%q: got %+v", in, res)
		}
	}
}

// FuzzScan feeds arbitrary bytes to the parser and every check.
func FuzzScan(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*", "*.yaml"))
	files = append(files, filepath.Join("testdata", "multi.yaml"))
	for _, p := range files {
		if data, err := os.ReadFile(p); err == nil {
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, m := range Scan("k8s.yaml", data) {
			if m.ID == "" || m.Status == "" {
				t.Fatalf("result without id or status: %+v", m)
			}
		}
	})
}
