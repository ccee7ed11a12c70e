package compose

import (
	"context"
	"os"
	"path/filepath"
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
	res := Scan(context.Background(), file, data)
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

// TestChecks runs every check on its failing and its passing fixture.
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
			fail := byID(scanFile(t, filepath.Join("testdata", "fail", m.ID+".yaml")), m.ID)
			if len(fail) == 0 || fail[0].Status != inventory.CheckFail {
				t.Fatalf("failing fixture: want a failure, got %+v", fail)
			}
			for _, f := range fail {
				if f.StartLine < 1 || f.Object != "web" || f.Code == "" {
					t.Errorf("failure lacks location or object: %+v", f)
				}
			}
			pass := byID(scanFile(t, filepath.Join("testdata", "pass", m.ID+".yaml")), m.ID)
			if len(pass) != 1 || pass[0].Status != inventory.CheckPass {
				t.Fatalf("passing fixture: want a pass, got %+v", pass)
			}
		})
	}
}

// TestRealistic checks a multi-service file with variables, the obsolete version key and
// both port syntaxes, with exact lines.
func TestRealistic(t *testing.T) {
	res := scanFile(t, filepath.Join("testdata", "docker-compose.yml"))
	got := map[string][]string{}
	for _, m := range res {
		if m.Status == inventory.CheckFail {
			got[m.ID] = append(got[m.ID], m.Object+":"+itoa(m.StartLine))
		}
	}
	want := map[string]string{
		"SS-CP-013": "proxy:10",
		"SS-CP-015": "proxy:7 proxy:8",
		"SS-CP-020": "proxy:11",
		"SS-CP-024": "db:29",
	}
	for id, w := range want {
		if g := strings.Join(got[id], " "); g != w {
			t.Errorf("%s: got %q, want %q", id, g, w)
		}
	}
	for _, id := range []string{"SS-CP-003", "SS-CP-004", "SS-CP-005", "SS-CP-016", "SS-CP-018", "SS-CP-021"} {
		for _, o := range got[id] {
			if strings.HasPrefix(o, "app:") {
				t.Errorf("%s: hardened service app fails: %v", id, got[id])
			}
		}
	}
	for _, m := range res {
		if strings.Contains(m.Code, "example-Passw0rd") || strings.Contains(m.Message, "example-Passw0rd") {
			t.Errorf("%s shows a secret in clear: %q", m.ID, m.Code)
		}
	}
}

func itoa(i int) string {
	var b []byte
	if i == 0 {
		return "0"
	}
	for ; i > 0; i /= 10 {
		b = append([]byte{byte('0' + i%10)}, b...)
	}
	return string(b)
}

func TestLooks(t *testing.T) {
	for in, want := range map[string]bool{
		"services:\n  web:\n    image: x\n":                            true,
		"apiVersion: v1\nkind: Pod\nservices:\n  web:\n    image: x\n": false,
		"services: []\n": false,
		"foo: bar\n":     false,
		"\x00\x01":       false,
	} {
		if got := Looks([]byte(in)); got != want {
			t.Errorf("%q: got %v", in, got)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, in := range []string{"services: [\n", "- a\n- b\n", "", "services:\n  web:\n    ports: {a: b}\n"} {
		res := Scan(context.Background(), "compose.yaml", []byte(in))
		if len(res) == 0 {
			t.Errorf("%q: no result", in)
		}
	}
}

// FuzzScan feeds arbitrary bytes to the loader and every check.
func FuzzScan(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*", "*.yaml"))
	files = append(files, filepath.Join("testdata", "docker-compose.yml"))
	for _, p := range files {
		if data, err := os.ReadFile(p); err == nil {
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 64<<10 {
			return
		}
		for _, m := range Scan(context.Background(), "compose.yaml", data) {
			if m.ID == "" || m.Status == "" {
				t.Fatalf("result without id or status: %+v", m)
			}
		}
	})
}
