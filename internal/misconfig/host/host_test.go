package host_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/api/types/system"

	"github.com/shipshape-dev/shipshape/internal/docker"
	"github.com/shipshape-dev/shipshape/internal/docker/dockertest"
	"github.com/shipshape-dev/shipshape/internal/inventory"
	"github.com/shipshape-dev/shipshape/internal/misconfig/host"
)

func byID(ms []inventory.Misconfiguration) map[string]inventory.Misconfiguration {
	out := map[string]inventory.Misconfiguration{}
	for _, m := range ms {
		out[m.ID] = m
	}
	return out
}

func TestEveryCheckHasCISAndFix(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range host.Checks() {
		if c.ID == "" || c.CIS == "" || c.Title == "" || c.Severity == "" || c.Resolution == "" || c.Description == "" {
			t.Errorf("incomplete check %+v", c)
		}
		if seen[c.ID] {
			t.Errorf("duplicate id %s", c.ID)
		}
		seen[c.ID] = true
	}
}

// TestRealHost audits this machine's Engine and files; expectations come from the same
// facts read independently (docker info through the Engine, stat of the files).
func TestRealHost(t *testing.T) {
	e := dockertest.Engine(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	facts := docker.Host(ctx, e, e.Endpoint, nil)
	if facts.Info == nil {
		t.Fatalf("docker info: %v", facts.InfoErr)
	}
	res := byID(host.Run(host.Input{Target: "test", Info: facts.Info, BridgeICC: facts.BridgeICC, Local: facts.Local,
		Remote: facts.Remote, Socket: facts.Socket, DockerdArgs: facts.DockerdArgs}))
	if len(res) != len(host.Checks()) {
		t.Fatalf("%d results for %d checks", len(res), len(host.Checks()))
	}
	for id, m := range res {
		if m.Status != inventory.CheckPass && m.Status != inventory.CheckFail && m.Status != inventory.CheckError {
			t.Errorf("%s: status %q", id, m.Status)
		}
		if m.Message == "" {
			t.Errorf("%s: no message", id)
		}
	}
	want := func(id string, failed bool) {
		t.Helper()
		st := inventory.CheckPass
		if failed {
			st = inventory.CheckFail
		}
		if res[id].Status != st {
			t.Errorf("%s (%s): %s (%s), want %s", id, res[id].Title, res[id].Status, res[id].Message, st)
		}
	}
	want("SS-DH-011", !facts.Info.LiveRestoreEnabled)
	want("SS-DH-014", facts.Info.ExperimentalBuild)
	want("SS-DH-008", len(facts.Info.Plugins.Authorization) == 0)
	want("SS-DH-002", facts.BridgeICC != "false")
	if st, err := os.Stat(facts.Socket); err == nil {
		want("SS-DH-035", st.Mode().Perm()&^0o660 != 0)
	}
	if st, err := os.Stat("/etc/docker"); err == nil {
		want("SS-DH-025", st.Mode().Perm()&^0o755 != 0)
	}
}

// tree builds a host root with real files of the given modes.
func tree(t *testing.T, daemonJSON string, modes map[string]os.FileMode) string {
	t.Helper()
	root := t.TempDir()
	write := func(p, body string, mode os.FileMode) {
		full := filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(body), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(full, mode); err != nil {
			t.Fatal(err)
		}
	}
	if daemonJSON != "" {
		write("etc/docker/daemon.json", daemonJSON, 0o644)
	}
	for p, m := range modes {
		write(p, "x", m)
	}
	return root
}

func TestDaemonSettingsAndFiles(t *testing.T) {
	info := &system.Info{Name: "h", Driver: "overlay2", LoggingDriver: "journald", SecurityOptions: []string{"name=seccomp,profile=builtin", "name=userns"}, LiveRestoreEnabled: true}
	root := tree(t, `{"icc": false, "no-new-privileges": true, "userland-proxy": false, "log-level": "debug",
		"hosts": ["unix:///var/run/docker.sock", "tcp://0.0.0.0:2375"], "tlscacert": "/etc/docker/ca.pem", "tlskey": "/etc/docker/key.pem"}`,
		map[string]os.FileMode{"etc/docker/ca.pem": 0o644, "etc/docker/key.pem": 0o400, "var/run/docker.sock": 0o666,
			"etc/docker/certs.d/reg:5000/ca.crt": 0o444, "lib/systemd/system/docker.service": 0o644})
	if os.Getuid() == 0 {
		if err := os.Chown(filepath.Join(root, "etc/docker/key.pem"), 65534, 65534); err != nil {
			t.Fatal(err)
		}
	}
	res := byID(host.Run(host.Input{Target: "t", Info: info, Local: true, Root: root, Socket: "/var/run/docker.sock"}))
	want := map[string]string{
		"SS-DH-002": "pass", // icc false in daemon.json
		"SS-DH-003": "fail", // log-level debug
		"SS-DH-006": "fail", // tcp without tlsverify
		"SS-DH-007": "pass", // userns
		"SS-DH-009": "pass", // journald
		"SS-DH-010": "pass", // no-new-privileges
		"SS-DH-011": "pass", // live restore
		"SS-DH-012": "pass", // userland-proxy false
		"SS-DH-013": "pass", // seccomp
		"SS-DH-021": "pass", // docker.service 0644
		"SS-DH-022": "pass", // no docker.socket
		"SS-DH-027": "pass", // certs.d 0444
		"SS-DH-029": "fail", // CA 0644 > 0444
		"SS-DH-030": "pass", // no tlscert configured
		"SS-DH-033": "pass", // key 0400
		"SS-DH-035": "fail", // socket 0666
		"SS-DH-037": "pass", // daemon.json 0644
		"SS-DH-039": "pass", // no containerd socket in the tree
	}
	if os.Getuid() == 0 {
		want["SS-DH-032"] = "fail" // key owned by nobody
	}
	for id, st := range want {
		if res[id].Status != st {
			t.Errorf("%s (%s): %s: %s, want %s", id, res[id].Title, res[id].Status, res[id].Message, st)
		}
	}
	if m := res["SS-DH-035"].Message; !strings.Contains(m, "0666") {
		t.Errorf("socket message %q does not give the mode", m)
	}
}

func TestCannotEvaluate(t *testing.T) {
	root := tree(t, `{"icc": fals`, nil)
	res := byID(host.Run(host.Input{Target: "t", InfoErr: errors.New("engine down"), Local: true, Root: root}))
	for _, id := range []string{"SS-DH-005", "SS-DH-011"} {
		if res[id].Status != inventory.CheckError || !strings.Contains(res[id].Message, "engine down") {
			t.Errorf("%s without docker info: %s %q", id, res[id].Status, res[id].Message)
		}
	}
	for _, id := range []string{"SS-DH-010", "SS-DH-006", "SS-DH-029"} {
		if res[id].Status != inventory.CheckError || !strings.Contains(res[id].Message, "daemon.json is not valid JSON") {
			t.Errorf("%s with a broken daemon.json: %s %q", id, res[id].Status, res[id].Message)
		}
	}
	remote := byID(host.Run(host.Input{Target: "t", Info: &system.Info{}, Remote: "reached over tcp", PlainTCP: "tcp://10.0.0.1:2375"}))
	if m := remote["SS-DH-006"]; m.Status != inventory.CheckFail || !strings.Contains(m.Message, "tcp://10.0.0.1:2375") {
		t.Errorf("an Engine reached over plain TCP: %s %q", m.Status, m.Message)
	}
	if m := remote["SS-DH-035"]; m.Status != inventory.CheckError || !strings.Contains(m.Message, "reached over tcp") {
		t.Errorf("remote engine, file check: %s %q", m.Status, m.Message)
	}
}
