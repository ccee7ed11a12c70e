package watch_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"

	"github.com/shipshape-dev/shipshape/internal/docker/dockertest"
	"github.com/shipshape-dev/shipshape/internal/docker/watch"
)

// collector keeps alerts for the test's containers only (others may run on the machine).
type collector struct {
	mu     sync.Mutex
	alerts []watch.Alert
	warns  []string
	mine   map[string]bool
}

func (c *collector) emit(a watch.Alert) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.mine[a.Container] {
		c.alerts = append(c.alerts, a)
	}
	return nil
}

// waitFor polls until the rules fired for container, or fails after 20 s.
func (c *collector) waitFor(t *testing.T, name string, rules ...string) []watch.Alert {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		c.mu.Lock()
		var got []watch.Alert
		var ids []string
		for _, a := range c.alerts {
			if a.Container == name {
				got = append(got, a)
				ids = append(ids, a.Rule)
			}
		}
		c.mu.Unlock()
		ok := true
		for _, r := range rules {
			if !slices.Contains(ids, r) {
				ok = false
			}
		}
		if ok {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("container %s: alerts %v, want %v (warnings: %v)", name, ids, rules, c.warns)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestWatchRealEngine(t *testing.T) {
	e := dockertest.Engine(t)
	img := dockertest.Load(t, e, dockertest.AlpineImage(t, "3.19.4"), dockertest.Unique("shipshape-test/watch")+":1")
	builtin, err := watch.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	// A user rule: privileged containers are reported as soon as they are created.
	extra, err := watch.Parse([]byte(`rules:
  - id: MY-001
    title: Privileged container created
    severity: HIGH
    when:
      events: [create]
      privileged: true
      labels: {dev.shipshape.test: "1"}
`), "test-rules.yaml")
	if err != nil {
		t.Fatal(err)
	}
	sockName := dockertest.Unique("shipshape-test-sock")
	plainName := dockertest.Unique("shipshape-test-plain")
	privName := dockertest.Unique("shipshape-test-priv")
	col := &collector{mine: map[string]bool{sockName: true, plainName: true, privName: true}}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan struct{})
	done := make(chan error, 1)
	w := &watch.Watcher{Engine: e, Rules: watch.Merge(builtin, extra),
		Warn:  func(s string) { col.mu.Lock(); col.warns = append(col.warns, s); col.mu.Unlock() },
		Ready: func() { close(ready) }}
	go func() { done <- w.Run(ctx, col.emit) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("watch ended with %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("watch did not stop within 10 s of the cancel")
		}
	})
	<-ready

	// docker.sock mounted: SS-W-003 on start; the image scan rule has no DB here and is
	// skipped with a warning rather than guessed.
	sock := dockertest.Run(t, e, sockName, img, nil, &container.HostConfig{Binds: []string{"/var/run/docker.sock:/var/run/docker.sock"}})
	got := col.waitFor(t, sockName, "SS-W-003")
	if !strings.Contains(got[0].Details, "/var/run/docker.sock") {
		t.Errorf("SS-W-003 details %q", got[0].Details)
	}
	// A shell with a TTY, as root: SS-W-001 and SS-W-005.
	dockertest.Exec(t, e, sock, client.ExecCreateOptions{Cmd: []string{"sh", "-c", "true"}, TTY: true})
	got = col.waitFor(t, sockName, "SS-W-003", "SS-W-001", "SS-W-005")
	for _, a := range got {
		if a.Rule == "SS-W-001" && (!a.TTY || a.User != "root" || a.Command != "sh -c true" || a.Event != "exec") {
			t.Errorf("SS-W-001 alert %+v", a)
		}
	}

	// Not a shell, not root, no TTY: nothing.
	plain := dockertest.Run(t, e, plainName, img, &container.Config{User: "1000:1000"}, nil)
	dockertest.Exec(t, e, plain, client.ExecCreateOptions{Cmd: []string{"id"}})
	// A privileged container created (this machine cannot start one): the user's rule.
	dockertest.Create(t, e, privName, img, nil, &container.HostConfig{Privileged: true})
	col.waitFor(t, privName, "MY-001")
	col.mu.Lock()
	for _, a := range col.alerts {
		if a.Container == plainName {
			t.Errorf("unexpected alert for the plain container: %+v", a)
		}
	}
	counts := map[string]int{}
	for _, a := range col.alerts {
		counts[a.Container+" "+a.Rule]++
	}
	col.mu.Unlock()
	for k, n := range counts {
		if n != 1 {
			t.Errorf("%s fired %d times, want once", k, n)
		}
	}
	if !slices.ContainsFunc(col.warns, func(s string) bool {
		return strings.Contains(s, "SS-W-004") && strings.Contains(s, "no vulnerability lookup")
	}) {
		t.Errorf("no warning that SS-W-004 could not be evaluated: %v", col.warns)
	}
}
