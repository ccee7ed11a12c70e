package runtime_test

import (
	"context"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"

	"github.com/shipshape-dev/shipshape/internal/docker"
	"github.com/shipshape-dev/shipshape/internal/docker/dockertest"
	"github.com/shipshape-dev/shipshape/internal/inventory"
	"github.com/shipshape-dev/shipshape/internal/misconfig/runtime"
)

func TestEveryCheckHasCISAndFix(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range runtime.Checks() {
		if c.ID == "" || c.CIS == "" || c.Title == "" || c.Severity == "" || c.Resolution == "" || c.Description == "" {
			t.Errorf("incomplete check %+v", c)
		}
		if seen[c.ID] {
			t.Errorf("duplicate id %s", c.ID)
		}
		seen[c.ID] = true
	}
}

func failed(ms []inventory.Misconfiguration) []string {
	var out []string
	for _, m := range ms {
		if m.Status == inventory.CheckFail {
			out = append(out, m.ID)
		}
	}
	slices.Sort(out)
	return out
}

func inspect(t *testing.T, e *docker.Engine, id string) *container.InspectResponse {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := e.InspectContainer(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestRealContainers creates containers with insecure and secure settings in the real
// Engine and checks exactly which checks fire for each.
func TestRealContainers(t *testing.T) {
	e := dockertest.Engine(t)
	img := dockertest.Load(t, e, dockertest.AlpineImage(t, "3.19.4"), dockertest.Unique("shipshape-test/runtime")+":1")
	pids := int64(100)
	tests := []struct {
		name string
		cfg  *container.Config
		hc   *container.HostConfig
		want []string
		msgs map[string]string // id -> text the message must hold
	}{
		{
			name: "secure",
			cfg: &container.Config{User: "1000:1000", Healthcheck: &container.HealthConfig{Test: []string{"CMD", "true"}},
				ExposedPorts: network.PortSet{network.MustParsePort("8080/tcp"): {}}},
			hc: &container.HostConfig{CapDrop: []string{"ALL"}, ReadonlyRootfs: true, SecurityOpt: []string{"no-new-privileges"},
				Resources:     container.Resources{Memory: 64 << 20, NanoCPUs: 500_000_000, PidsLimit: &pids},
				RestartPolicy: container.RestartPolicy{Name: container.RestartPolicyOnFailure, MaximumRetryCount: 3},
				PortBindings:  network.PortMap{network.MustParsePort("8080/tcp"): {{HostIP: netip.MustParseAddr("127.0.0.1"), HostPort: "18080"}}},
				Binds:         []string{"/etc/ssl/certs:/etc/ssl/certs:ro"}},
			want: nil,
		},
		{
			name: "privileged with host namespaces and docker.sock",
			hc: &container.HostConfig{Privileged: true, CapAdd: []string{"SYS_ADMIN", "NET_ADMIN"},
				NetworkMode: "host", PidMode: "host", IpcMode: "host", UTSMode: "host", UsernsMode: "host",
				SecurityOpt:   []string{"seccomp=unconfined", "apparmor=unconfined"},
				Binds:         []string{"/var/run/docker.sock:/var/run/docker.sock", "/etc:/host/etc:ro"},
				RestartPolicy: container.RestartPolicy{Name: container.RestartPolicyAlways}},
			want: []string{"SS-CT-001", "SS-CT-002", "SS-CT-004", "SS-CT-005", "SS-CT-006", "SS-CT-007", "SS-CT-008", "SS-CT-009",
				"SS-CT-010", "SS-CT-011", "SS-CT-012", "SS-CT-013", "SS-CT-014", "SS-CT-015", "SS-CT-016", "SS-CT-017", "SS-CT-018",
				"SS-CT-021", "SS-CT-022"},
			msgs: map[string]string{"SS-CT-002": "NET_ADMIN, SYS_ADMIN", "SS-CT-004": "host /etc mounted at /host/etc (read-only)",
				"SS-CT-005": "/var/run/docker.sock"},
		},
		{
			name: "defaults with a port on all interfaces and a device",
			cfg:  &container.Config{ExposedPorts: network.PortSet{network.MustParsePort("80/tcp"): {}}},
			hc: &container.HostConfig{
				PortBindings:  network.PortMap{network.MustParsePort("80/tcp"): {{HostPort: "80"}}},
				Resources:     container.Resources{Devices: []container.DeviceMapping{{PathOnHost: "/dev/null", PathInContainer: "/dev/xnull", CgroupPermissions: "rwm"}}},
				RestartPolicy: container.RestartPolicy{Name: container.RestartPolicyOnFailure, MaximumRetryCount: 10}},
			want: []string{"SS-CT-003", "SS-CT-013", "SS-CT-014", "SS-CT-015", "SS-CT-016", "SS-CT-017", "SS-CT-018",
				"SS-CT-019", "SS-CT-020", "SS-CT-021", "SS-CT-022", "SS-CT-023"},
			msgs: map[string]string{"SS-CT-019": "80/tcp published on all interfaces, host port 80", "SS-CT-023": "/dev/null"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			id := dockertest.Create(t, e, dockertest.Unique("shipshape-test-rt"), img, tc.cfg, tc.hc)
			c := inspect(t, e, id)
			res := runtime.Evaluate(c, false)
			if got := failed(res); !slices.Equal(got, tc.want) {
				t.Errorf("failed checks\n got %v\nwant %v", got, tc.want)
			}
			for _, m := range res {
				if m.Kind != inventory.CheckContainer || m.Target != strings.TrimPrefix(c.Name, "/") || len(m.References) != 1 || !strings.HasPrefix(m.References[0], "CIS Docker Benchmark") {
					t.Errorf("%s: kind %s target %s refs %v", m.ID, m.Kind, m.Target, m.References)
				}
				if w, ok := tc.msgs[m.ID]; ok && !strings.Contains(m.Message, w) {
					t.Errorf("%s message %q does not hold %q", m.ID, m.Message, w)
				}
			}
			all := runtime.Evaluate(c, true)
			if len(all) != len(runtime.Checks()) {
				t.Errorf("with passed: %d results for %d checks", len(all), len(runtime.Checks()))
			}
		})
	}
}
