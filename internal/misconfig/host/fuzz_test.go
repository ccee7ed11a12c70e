package host_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/moby/moby/api/types/system"

	"github.com/shipshape-dev/shipshape/internal/misconfig/host"
)

// FuzzDaemonJSON feeds arbitrary daemon.json files and dockerd command lines to the
// audit: it must never panic, and every check must come back with a status.
func FuzzDaemonJSON(f *testing.F) {
	f.Add([]byte(`{"icc": false, "hosts": ["tcp://0.0.0.0:2376"], "tlsverify": true}`), "--tlscacert=/etc/docker/ca.pem\x00-H\x00tcp://1.2.3.4:2375")
	f.Add([]byte(`{"data-root": "/var/lib/docker", "storage-driver": "fuse-overlayfs", "mtu": 1400, "log-driver": "json-file", "log-opts": {"max-size": "10m", "max-file": "3"}}`), "")
	f.Add([]byte(`{"hosts": [1, null, {}], "tlscacert": 7, "log-level": ["debug"]}`), "--icc\x00--live-restore\x00false")
	f.Add([]byte(`not json`), "-H")
	f.Fuzz(func(t *testing.T, daemonJSON []byte, args string) {
		root := t.TempDir()
		if err := os.MkdirAll(filepath.Join(root, "etc", "docker"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, "etc", "docker", "daemon.json"), daemonJSON, 0o644); err != nil {
			t.Fatal(err)
		}
		var argv []string
		if args != "" {
			argv = strings.Split(args, "\x00")
		}
		res := host.Run(host.Input{Target: "fuzz", Info: &system.Info{}, Local: true, Root: root, DockerdArgs: argv})
		if len(res) != len(host.Checks()) {
			t.Fatalf("%d results for %d checks", len(res), len(host.Checks()))
		}
		for _, m := range res {
			if m.Status == "" || m.Message == "" {
				t.Fatalf("%s: status %q message %q", m.ID, m.Status, m.Message)
			}
		}
	})
}
