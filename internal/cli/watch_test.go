package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shipshape-dev/shipshape/internal/docker/dockertest"
	"github.com/shipshape-dev/shipshape/internal/docker/watch"
)

// syncBuffer is a bytes.Buffer safe for the watcher goroutine and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestWatchVulnerableImage: `shipshape watch --format json` with a user rule on image
// vulnerabilities alerts when a container of a vulnerable image starts, with the count the
// image scan gives, and stops cleanly when its context is cancelled.
func TestWatchVulnerableImage(t *testing.T) {
	e := dockertest.Engine(t)
	tag := dockertest.Load(t, e, dockertest.AlpineImage(t, "3.12.12"), dockertest.Unique("shipshape-test/vulnerable")+":1")
	code, out, stderr := run(t, nil, "image", "docker://"+tag, "-f", "json", "-q")
	if code != 0 {
		t.Fatalf("image scan: exit %d: %s", code, stderr)
	}
	var rep struct{ Vulnerabilities []json.RawMessage }
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Vulnerabilities) == 0 {
		t.Fatal("the Alpine 3.12.12 image has no vulnerability in the test DB; the test needs one")
	}
	rules := filepath.Join(t.TempDir(), "rules.yaml")
	if err := os.WriteFile(rules, []byte(`rules:
  - id: MY-VULN
    title: Container started from a vulnerable image
    severity: HIGH
    when:
      events: [start]
      labels: {dev.shipshape.test: "1"}
      vulnerabilities: {severity: UNKNOWN, min: 1}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, errb syncBuffer
	g := &globals{stdout: &stdout, stderr: &errb, now: time.Now}
	root := newRoot(g)
	root.SetArgs([]string{"watch", "--no-builtin", "--rules", rules, "-f", "json", "--cache-dir", t.TempDir()})
	root.SetOut(&stdout)
	root.SetErr(&errb)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- root.ExecuteContext(ctx) }()
	defer cancel()
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(errb.String(), "watching the Docker Engine") {
		if time.Now().After(deadline) {
			t.Fatalf("watch did not start: %s", errb.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	name := dockertest.Unique("shipshape-test-vuln")
	dockertest.Run(t, e, name, tag, nil, nil)
	var alert watch.Alert
	deadline = time.Now().Add(60 * time.Second)
	for alert.Rule == "" {
		for _, line := range strings.Split(stdout.String(), "\n") {
			var a watch.Alert
			if json.Unmarshal([]byte(line), &a) == nil && a.Container == name {
				alert = a
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no alert for %s; stdout %q stderr %q", name, stdout.String(), errb.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	want := fmt.Sprintf("%d vulnerabilities of severity UNKNOWN or worse", len(rep.Vulnerabilities))
	if alert.Rule != "MY-VULN" || alert.Event != "start" || !strings.Contains(alert.Details, want) || alert.Image != tag {
		t.Errorf("alert %+v, want MY-VULN on start of %s with %q", alert, tag, want)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("watch returned %v after cancel, want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("watch did not stop within 10 s of the cancel")
	}
}
