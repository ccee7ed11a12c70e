package imageconfig

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/shipshape-dev/shipshape/internal/inventory"
	"github.com/shipshape-dev/shipshape/internal/misconfig"
)

func load(t *testing.T, name string) *v1.ConfigFile {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cfg, err := v1.ParseConfigFile(f)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func statuses(res []inventory.Misconfiguration) map[string][]inventory.Misconfiguration {
	out := map[string][]inventory.Misconfiguration{}
	for _, m := range res {
		out[m.ID] = append(out[m.ID], m)
	}
	return out
}

// TestChecks: the real "bad" config fails every check, the real "good" one passes every check.
func TestChecks(t *testing.T) {
	bad := statuses(Scan("bad", load(t, "bad.config.json")))
	good := statuses(Scan("good", load(t, "good.config.json")))
	for _, c := range Checks() {
		m := c.Meta()
		if m.Title == "" || misconfig.SeverityRank(m.Severity) == 0 || m.Resolution == "" || len(m.References) == 0 {
			t.Errorf("%s: incomplete metadata", m.ID)
		}
		if len(bad[m.ID]) == 0 || bad[m.ID][0].Status != inventory.CheckFail {
			t.Errorf("%s: bad config: want a failure, got %+v", m.ID, bad[m.ID])
		}
		if len(good[m.ID]) != 1 || good[m.ID][0].Status != inventory.CheckPass {
			t.Errorf("%s: good config: want a pass, got %+v", m.ID, good[m.ID])
		}
	}
	for _, ms := range bad {
		for _, m := range ms {
			for _, s := range []string{"Sup3r-s3cret-pw", "glpat-Xq3vR8sT2uW9yZ1aB4cD", "ghp_R7xK2mQ9vL4tW8yZ3bN6cD1fG5hJ0kP2sA4e"} {
				if strings.Contains(m.Code, s) || strings.Contains(m.Message, s) {
					t.Errorf("%s shows a secret in clear: %q", m.ID, m.Code)
				}
			}
		}
	}
	if h := bad["SS-IC-004"]; len(h) != 3 || h[0].Object != "history[2]" || h[1].Object != "history[3]" || h[2].Object != "history[5]" {
		t.Errorf("history secret: %+v", h)
	}
	if a := bad["SS-IC-005"]; len(a) != 1 || a[0].Object != "history[4]" {
		t.Errorf("ADD: %+v", a)
	}
}

// TestBuildKitHistory reads BuildKit-style history: build args, an ADD of a URL, credentials
// in a URL, the base image's rootfs ADD (not reported), HEALTHCHECK NONE and USER root.
func TestBuildKitHistory(t *testing.T) {
	res := statuses(Scan("app", load(t, "buildkit.config.json")))
	var got []string
	for _, id := range []string{"SS-IC-001", "SS-IC-004", "SS-IC-005", "SS-IC-006", "SS-IC-007"} {
		for _, m := range res[id] {
			if m.Status == inventory.CheckFail {
				got = append(got, id+":"+m.Object)
			}
		}
	}
	want := "SS-IC-001: SS-IC-004:history[4] SS-IC-004:history[5] SS-IC-005:history[3] SS-IC-006: SS-IC-007:"
	if strings.Join(got, " ") != want {
		t.Errorf("got  %s\nwant %s", strings.Join(got, " "), want)
	}
	for _, m := range res["SS-IC-004"] {
		if strings.Contains(m.Code, "npm_4f9Qa8Lk2Zx7Wc3Vb6Nm1Pr5Ts0Yu9Ei2Oa4") || strings.Contains(m.Code, "s3cr3t-pat-Vz81") {
			t.Errorf("secret in clear: %q", m.Code)
		}
	}
}

func TestNilConfig(t *testing.T) {
	res := Scan("x", nil)
	if len(res) != 1 || res[0].Status != inventory.CheckError {
		t.Fatalf("got %+v", res)
	}
}

func TestSummarize(t *testing.T) {
	l := &inventory.LayerRef{Index: 2}
	in := []inventory.Misconfiguration{
		{ID: IDPackageCache, Status: inventory.CheckFail, Object: "var/lib/apt/lists", Target: "/var/lib/apt/lists/b_InRelease", Layer: l, Message: "apt package lists left in /var/lib/apt/lists"},
		{ID: IDPackageCache, Status: inventory.CheckFail, Object: "var/lib/apt/lists", Target: "/var/lib/apt/lists/a_InRelease", Layer: l, Message: "apt package lists left in /var/lib/apt/lists"},
		{ID: IDSetuid, Status: inventory.CheckFail, Target: "/bin/su", Layer: l},
	}
	out := Summarize(in)
	if len(out) != 2 || out[0].Target != "/var/lib/apt/lists" || !strings.Contains(out[0].Message, "2 files") || !strings.Contains(out[0].Message, "a_InRelease") {
		t.Fatalf("got %+v", out)
	}
}

// FuzzScan parses arbitrary bytes as an image config and runs every check on what parses.
func FuzzScan(f *testing.F) {
	for _, n := range []string{"bad.config.json", "good.config.json", "buildkit.config.json"} {
		if data, err := os.ReadFile(filepath.Join("testdata", n)); err == nil {
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := v1.ParseConfigFile(bytes.NewReader(data))
		if err != nil {
			return
		}
		for _, m := range Scan("fuzz", cfg) {
			if m.ID == "" || m.Status == "" {
				t.Fatalf("result without id or status: %+v", m)
			}
		}
	})
}
