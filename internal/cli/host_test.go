package cli

import (
	"encoding/json"
	"io"
	"net"
	"strings"
	"testing"

	"github.com/shipshape-dev/shipshape/internal/docker/dockertest"
	"github.com/shipshape-dev/shipshape/internal/inventory"
	"github.com/shipshape-dev/shipshape/internal/misconfig/host"
)

// TestHostDocker audits this machine's Docker host: every check is in the JSON report with
// a status and a reason, the table lists each with its status, and --failed-only drops the
// passed ones.
func TestHostDocker(t *testing.T) {
	dockertest.Engine(t)
	code, out, stderr := run(t, nil, "host", "docker", "-f", "json", "-q")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var rep struct {
		Target            inventory.Target
		Misconfigurations []inventory.Misconfiguration
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Target.Kind != "host" || len(rep.Misconfigurations) != len(host.Checks()) {
		t.Fatalf("target %+v, %d checks reported of %d", rep.Target, len(rep.Misconfigurations), len(host.Checks()))
	}
	failed := 0
	for _, m := range rep.Misconfigurations {
		if m.Kind != inventory.CheckHost || m.Status == "" || m.Message == "" {
			t.Errorf("check %+v", m)
		}
		if m.Status == inventory.CheckFail {
			failed++
		}
	}
	code, out, _ = run(t, nil, "host", "docker", "-q")
	if code != 0 || strings.Count(out, "SS-DH-") != len(host.Checks()) || !strings.Contains(out, "PASS") {
		t.Errorf("table: exit %d, %d checks listed of %d:\n%s", code, strings.Count(out, "SS-DH-"), len(host.Checks()), out)
	}
	code, out, _ = run(t, nil, "host", "docker", "-q", "--failed-only", "--exit-code", "3")
	want := 0
	if failed > 0 {
		want = 3
	}
	if code != want || strings.Count(out, "SS-DH-") != failed || strings.Contains(out, "PASS ") {
		t.Errorf("--failed-only --exit-code 3: exit %d (want %d), %d checks listed (want %d)", code, want, strings.Count(out, "SS-DH-"), failed)
	}
}

// TestHostDockerOverPlainTCP reaches the real Engine through a plain TCP proxy, as a
// dockerd listening on tcp:// without TLS would serve it: the TLS check fails naming the
// address, and the file checks say they cannot be made from here.
func TestHostDockerOverPlainTCP(t *testing.T) {
	e := dockertest.Engine(t)
	sock := strings.TrimPrefix(e.Endpoint.Host, "unix://")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				u, err := net.Dial("unix", sock)
				if err != nil {
					return
				}
				defer u.Close()
				go io.Copy(u, c)
				io.Copy(c, u)
			}()
		}
	}()
	addr := "tcp://" + ln.Addr().String()
	code, out, stderr := run(t, map[string]string{"DOCKER_HOST": addr, "DOCKER_CONTEXT": "", "DOCKER_TLS_VERIFY": "", "DOCKER_TLS": ""}, "host", "docker", "-f", "json", "-q")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var rep struct{ Misconfigurations []inventory.Misconfiguration }
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	for _, m := range rep.Misconfigurations {
		switch {
		case m.ID == "SS-DH-006":
			if m.Status != inventory.CheckFail || !strings.Contains(m.Message, addr) {
				t.Errorf("SS-DH-006: %s %q", m.Status, m.Message)
			}
		case m.ID >= "SS-DH-020":
			if m.Status != inventory.CheckError || !strings.Contains(m.Message, "reached over the network") {
				t.Errorf("%s over TCP: %s %q", m.ID, m.Status, m.Message)
			}
		}
	}
}
