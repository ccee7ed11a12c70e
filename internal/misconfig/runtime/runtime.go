// Package runtime checks how a container runs — the settings the Docker Engine reports
// for it (docker inspect) — against the CIS Docker Benchmark's container runtime section
// (5) and the image section's "run as a non-root user" (4.1). Each check yields an
// inventory.Misconfiguration of kind "container" with its CIS id, severity and fix.
package runtime

import (
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"

	"github.com/shipshape-dev/shipshape/internal/inventory"
)

// Severities.
const (
	Critical = "CRITICAL"
	High     = "HIGH"
	Medium   = "MEDIUM"
	Low      = "LOW"
)

// Check is one runtime check.
type Check struct {
	ID       string
	CIS      string // CIS Docker Benchmark v1.6.0 item, e.g. "5.5"
	Title    string
	Severity string
	// Description says why it matters; Resolution how to fix it.
	Description string
	Resolution  string
	// eval returns the findings (empty when the container passes).
	eval func(c *container.InspectResponse) []string
}

// Checks returns the runtime checks in id order.
func Checks() []Check {
	return []Check{
		{ID: "SS-CT-001", CIS: "5.5", Title: "Container runs privileged", Severity: Critical,
			Description: "A privileged container has every capability, all host devices and no seccomp or AppArmor confinement: root in it is root on the host.",
			Resolution:  "Remove --privileged (privileged: true); add only the capabilities or devices the workload needs.",
			eval:        privileged},
		{ID: "SS-CT-002", CIS: "5.4", Title: "Container adds Linux capabilities", Severity: High,
			Description: "Added capabilities widen what root in the container may do to the kernel and host (SYS_ADMIN, NET_ADMIN, SYS_PTRACE, ALL ...).",
			Resolution:  "Remove --cap-add entries the workload does not need; prefer --cap-drop=ALL with a minimal --cap-add list.",
			eval:        capAdd},
		{ID: "SS-CT-003", CIS: "5.4", Title: "Container does not drop capabilities", Severity: Low,
			Description: "Without --cap-drop=ALL the container keeps Docker's default capability set (CHOWN, DAC_OVERRIDE, NET_RAW, SETUID ...).",
			Resolution:  "Run with --cap-drop=ALL and add back only what is needed.",
			eval:        capDrop},
		{ID: "SS-CT-004", CIS: "5.6", Title: "Sensitive host directory mounted", Severity: High,
			Description: "Mounting /, /etc, /proc, /sys, /boot, /dev, /usr, /lib or Docker's data root lets the container read or change the host.",
			Resolution:  "Do not bind-mount host system directories; mount only application data, read-only where possible.",
			eval:        sensitiveMounts},
		{ID: "SS-CT-005", CIS: "5.32", Title: "Docker socket mounted into the container", Severity: Critical,
			Description: "Whoever can talk to the Docker (or containerd) socket controls the Engine and so the host.",
			Resolution:  "Remove the docker.sock mount; if a tool needs the API, give it a socket proxy that allows only the calls it needs.",
			eval:        socketMounts},
		{ID: "SS-CT-006", CIS: "5.10", Title: "Container shares the host network namespace", Severity: High,
			Description: "With --network=host the container sees every host interface and can bind host ports and reach services on localhost.",
			Resolution:  "Use a bridge or user-defined network and publish only the ports needed.",
			eval: func(c *container.InspectResponse) []string {
				return hostMode("network", string(c.HostConfig.NetworkMode))
			}},
		{ID: "SS-CT-007", CIS: "5.16", Title: "Container shares the host PID namespace", Severity: High,
			Description: "With --pid=host the container sees, and as root can signal or trace, every host process.",
			Resolution:  "Remove --pid=host.",
			eval:        func(c *container.InspectResponse) []string { return hostMode("pid", string(c.HostConfig.PidMode)) }},
		{ID: "SS-CT-008", CIS: "5.17", Title: "Container shares the host IPC namespace", Severity: High,
			Description: "With --ipc=host the container can read and write the host's shared memory segments.",
			Resolution:  "Remove --ipc=host.",
			eval:        func(c *container.InspectResponse) []string { return hostMode("ipc", string(c.HostConfig.IpcMode)) }},
		{ID: "SS-CT-009", CIS: "5.21", Title: "Container shares the host UTS namespace", Severity: Medium,
			Description: "With --uts=host the container can change the host's hostname.",
			Resolution:  "Remove --uts=host.",
			eval:        func(c *container.InspectResponse) []string { return hostMode("uts", string(c.HostConfig.UTSMode)) }},
		{ID: "SS-CT-010", CIS: "5.31", Title: "Container shares the host user namespace", Severity: Medium,
			Description: "--userns=host turns off the daemon's user-namespace remapping for this container: its root is host root.",
			Resolution:  "Remove --userns=host.",
			eval: func(c *container.InspectResponse) []string {
				return hostMode("userns", string(c.HostConfig.UsernsMode))
			}},
		{ID: "SS-CT-011", CIS: "5.22", Title: "Seccomp profile disabled", Severity: High,
			Description: "seccomp=unconfined lets the container make every system call, including those Docker's default profile blocks.",
			Resolution:  "Remove --security-opt seccomp=unconfined; use the default profile or a custom one.",
			eval:        seccomp},
		{ID: "SS-CT-012", CIS: "5.2", Title: "AppArmor profile disabled", Severity: Medium,
			Description: "apparmor=unconfined removes the mandatory access control Docker applies by default on AppArmor hosts.",
			Resolution:  "Remove --security-opt apparmor=unconfined; use docker-default or a custom profile.",
			eval:        apparmor},
		{ID: "SS-CT-013", CIS: "5.26", Title: "Container may gain new privileges", Severity: Medium,
			Description: "Without no-new-privileges a process can gain privileges through setuid and setgid binaries.",
			Resolution:  "Run with --security-opt no-new-privileges (or set \"no-new-privileges\": true in daemon.json).",
			eval:        noNewPrivileges},
		{ID: "SS-CT-014", CIS: "5.13", Title: "Root filesystem is writable", Severity: Medium,
			Description: "A writable root filesystem lets an intruder change binaries and configuration inside the container.",
			Resolution:  "Run with --read-only and mount writable volumes or tmpfs only where the application writes.",
			eval: func(c *container.InspectResponse) []string {
				if c.HostConfig.ReadonlyRootfs {
					return nil
				}
				return []string{"the root filesystem is mounted read-write"}
			}},
		{ID: "SS-CT-015", CIS: "4.1", Title: "Container runs as root", Severity: Medium,
			Description: "A process running as root in the container is one kernel bug or misconfiguration away from root on the host.",
			Resolution:  "Set USER in the image or run with --user UID:GID (a non-zero UID).",
			eval:        root},
		{ID: "SS-CT-016", CIS: "5.11", Title: "No memory limit", Severity: Low,
			Description: "Without a memory limit one container can exhaust the host's memory.",
			Resolution:  "Run with --memory (e.g. --memory 512m).",
			eval: func(c *container.InspectResponse) []string {
				if c.HostConfig.Memory > 0 {
					return nil
				}
				return []string{"no memory limit is set"}
			}},
		{ID: "SS-CT-017", CIS: "5.12", Title: "No CPU limit or priority", Severity: Low,
			Description: "Without a CPU limit or share one container can starve the others.",
			Resolution:  "Run with --cpus, --cpu-quota or --cpu-shares.",
			eval: func(c *container.InspectResponse) []string {
				r := c.HostConfig.Resources
				if r.NanoCPUs > 0 || r.CPUQuota > 0 || r.CPUShares > 0 || r.CpusetCpus != "" {
					return nil
				}
				return []string{"no CPU limit, quota, shares or cpuset is set"}
			}},
		{ID: "SS-CT-018", CIS: "5.29", Title: "No PIDs limit", Severity: Low,
			Description: "Without a PIDs limit a fork bomb in the container can exhaust the host's process table.",
			Resolution:  "Run with --pids-limit (e.g. --pids-limit 200).",
			eval: func(c *container.InspectResponse) []string {
				if p := c.HostConfig.PidsLimit; p != nil && *p > 0 {
					return nil
				}
				return []string{"no PIDs limit is set"}
			}},
		{ID: "SS-CT-019", CIS: "5.14", Title: "Port published on all host interfaces", Severity: Medium,
			Description: "A port published without a host address listens on every interface (0.0.0.0 / ::), reachable from every network the host is on.",
			Resolution:  "Publish on a specific address, e.g. -p 127.0.0.1:8080:80.",
			eval:        allInterfaces},
		{ID: "SS-CT-020", CIS: "5.8", Title: "Privileged host port mapped", Severity: Low,
			Description: "Host ports below 1024 are privileged; mapping a container to one is rarely needed.",
			Resolution:  "Map to a host port of 1024 or above, or put a reverse proxy in front.",
			eval:        privilegedPorts},
		{ID: "SS-CT-021", CIS: "5.15", Title: "Restart policy restarts without bound", Severity: Low,
			Description: "always, unless-stopped or on-failure without a small retry limit keeps restarting a crashing (or compromised) container forever.",
			Resolution:  "Use --restart on-failure:5.",
			eval:        restartPolicy},
		{ID: "SS-CT-022", CIS: "5.27", Title: "No health check", Severity: Low,
			Description: "Without a HEALTHCHECK the Engine cannot tell a hung container from a working one.",
			Resolution:  "Add a HEALTHCHECK to the image or run with --health-cmd.",
			eval: func(c *container.InspectResponse) []string {
				if hc := c.Config.Healthcheck; hc != nil && len(hc.Test) > 0 && hc.Test[0] != "NONE" {
					return nil
				}
				return []string{"no health check is configured"}
			}},
		{ID: "SS-CT-023", CIS: "5.18", Title: "Host devices exposed to the container", Severity: Medium,
			Description: "A host device passed in with --device can be read and written directly by the container.",
			Resolution:  "Remove --device entries the workload does not need; give read-only (r) access where possible.",
			eval:        devices},
		{ID: "SS-CT-024", CIS: "5.20", Title: "Mount propagation set to shared", Severity: Medium,
			Description: "A shared (rshared) mount lets mounts made in the container appear on the host and the other way round.",
			Resolution:  "Use private or rprivate propagation (the default).",
			eval:        sharedPropagation},
	}
}

// Evaluate runs every check on c. Target names the container for reports (its name, or
// its ID). With passed, passing checks are returned too (status pass).
func Evaluate(c *container.InspectResponse, passed bool) []inventory.Misconfiguration {
	if c == nil {
		return nil
	}
	if c.HostConfig == nil {
		c.HostConfig = &container.HostConfig{}
	}
	if c.Config == nil {
		c.Config = &container.Config{}
	}
	target := Name(c)
	var out []inventory.Misconfiguration
	for _, ch := range Checks() {
		msgs := ch.eval(c)
		m := inventory.Misconfiguration{
			Kind: inventory.CheckContainer, ID: ch.ID, Title: ch.Title, Severity: ch.Severity,
			Description: ch.Description, Resolution: ch.Resolution,
			References: []string{"CIS Docker Benchmark v1.6.0 " + ch.CIS},
			Target:     target, Object: shortID(c.ID),
		}
		if len(msgs) == 0 {
			if passed {
				m.Status = inventory.CheckPass
				out = append(out, m)
			}
			continue
		}
		m.Status = inventory.CheckFail
		m.Message = strings.Join(msgs, "; ")
		out = append(out, m)
	}
	return out
}

// Name returns the container's name without the leading slash, or its short ID.
func Name(c *container.InspectResponse) string {
	if n := strings.TrimPrefix(c.Name, "/"); n != "" {
		return n
	}
	return shortID(c.ID)
}

func shortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

func privileged(c *container.InspectResponse) []string {
	if c.HostConfig.Privileged {
		return []string{"the container runs with --privileged"}
	}
	return nil
}

func normCap(s string) string {
	return strings.TrimPrefix(strings.ToUpper(strings.TrimSpace(s)), "CAP_")
}

func capAdd(c *container.InspectResponse) []string {
	var caps []string
	for _, s := range c.HostConfig.CapAdd {
		caps = append(caps, normCap(s))
	}
	if len(caps) == 0 {
		return nil
	}
	slices.Sort(caps)
	return []string{"added capabilities: " + strings.Join(slices.Compact(caps), ", ")}
}

func capDrop(c *container.InspectResponse) []string {
	for _, s := range c.HostConfig.CapDrop {
		if normCap(s) == "ALL" {
			return nil
		}
	}
	if c.HostConfig.Privileged {
		return nil // reported as privileged
	}
	return []string{"capabilities are not dropped (no --cap-drop=ALL)"}
}

// sensitiveDirs are host paths that must not be mounted (CIS 5.6).
var sensitiveDirs = []string{"/", "/boot", "/dev", "/etc", "/lib", "/lib64", "/proc", "/sys", "/usr", "/var/lib/docker", "/var/lib/containerd", "/root"}

// mountsOf lists host-path mounts: source, destination, read-write.
type hostMount struct {
	src, dst    string
	rw          bool
	propagation string
}

func mountsOf(c *container.InspectResponse) []hostMount {
	var out []hostMount
	seen := map[string]bool{}
	for _, m := range c.Mounts {
		if m.Type != "" && m.Type != mount.TypeBind {
			continue
		}
		out = append(out, hostMount{src: path.Clean(m.Source), dst: m.Destination, rw: m.RW, propagation: string(m.Propagation)})
		seen[m.Destination] = true
	}
	// Created but never started containers have no Mounts yet: read the settings.
	for _, b := range c.HostConfig.Binds {
		parts := strings.Split(b, ":")
		if len(parts) < 2 || !strings.HasPrefix(parts[0], "/") || seen[parts[1]] {
			continue
		}
		rw := true
		prop := ""
		if len(parts) > 2 {
			for _, o := range strings.Split(parts[2], ",") {
				switch o {
				case "ro":
					rw = false
				case "shared", "rshared", "slave", "rslave", "private", "rprivate":
					prop = o
				}
			}
		}
		out = append(out, hostMount{src: path.Clean(parts[0]), dst: parts[1], rw: rw, propagation: prop})
		seen[parts[1]] = true
	}
	for _, m := range c.HostConfig.Mounts {
		if m.Type != mount.TypeBind || seen[m.Target] {
			continue
		}
		prop := ""
		if m.BindOptions != nil {
			prop = string(m.BindOptions.Propagation)
		}
		out = append(out, hostMount{src: path.Clean(m.Source), dst: m.Target, rw: !m.ReadOnly, propagation: prop})
		seen[m.Target] = true
	}
	slices.SortFunc(out, func(a, b hostMount) int { return strings.Compare(a.dst, b.dst) })
	return out
}

func mode(rw bool) string {
	if rw {
		return "read-write"
	}
	return "read-only"
}

func isSocket(src string) bool {
	base := path.Base(src)
	return base == "docker.sock" || base == "containerd.sock" || base == "podman.sock" || base == "dockershim.sock"
}

func sensitiveMounts(c *container.InspectResponse) []string {
	var out []string
	for _, m := range mountsOf(c) {
		if isSocket(m.src) {
			continue
		}
		for _, d := range sensitiveDirs {
			// The directory itself always counts; a file or folder below it only when it is
			// mounted read-write (read-only CA bundles and the like are common and harmless).
			below := d != "/" && d != "/dev" && strings.HasPrefix(m.src, d+"/") && m.rw
			if m.src == d || below {
				out = append(out, fmt.Sprintf("host %s mounted at %s (%s)", m.src, m.dst, mode(m.rw)))
				break
			}
		}
	}
	return out
}

func socketMounts(c *container.InspectResponse) []string {
	var out []string
	for _, m := range mountsOf(c) {
		if isSocket(m.src) || m.src == "/var/run" || m.src == "/run" {
			out = append(out, fmt.Sprintf("host %s mounted at %s", m.src, m.dst))
		}
	}
	return out
}

func hostMode(what, v string) []string {
	if v == "host" {
		return []string{fmt.Sprintf("--%s=host", what)}
	}
	return nil
}

// secOpt returns the value of a security option key (seccomp, apparmor, no-new-privileges),
// accepting both "key=value" and the old "key:value".
func secOpt(c *container.InspectResponse, key string) (string, bool) {
	for _, o := range c.HostConfig.SecurityOpt {
		k, v, ok := strings.Cut(o, "=")
		if !ok {
			k, v, ok = strings.Cut(o, ":")
		}
		if !ok {
			k, v = o, ""
		}
		if k == key {
			return v, true
		}
	}
	return "", false
}

func seccomp(c *container.InspectResponse) []string {
	if v, ok := secOpt(c, "seccomp"); ok && v == "unconfined" {
		return []string{"--security-opt seccomp=unconfined"}
	}
	return nil
}

func apparmor(c *container.InspectResponse) []string {
	if v, ok := secOpt(c, "apparmor"); ok && v == "unconfined" {
		return []string{"--security-opt apparmor=unconfined"}
	}
	if c.AppArmorProfile == "unconfined" && !c.HostConfig.Privileged {
		return []string{"the container runs with the unconfined AppArmor profile"}
	}
	return nil
}

func noNewPrivileges(c *container.InspectResponse) []string {
	v, ok := secOpt(c, "no-new-privileges")
	if ok && (v == "" || v == "true") {
		return nil
	}
	return []string{"no-new-privileges is not set"}
}

func root(c *container.InspectResponse) []string {
	u := c.Config.User
	user, _, _ := strings.Cut(u, ":")
	if user == "" || user == "root" || user == "0" {
		if u == "" {
			return []string{"no user is set, so the container runs as root"}
		}
		return []string{"the container runs as " + u}
	}
	return nil
}

// bindings lists the published ports in a stable order.
func bindings(c *container.InspectResponse) []string {
	var keys []string
	for p := range c.HostConfig.PortBindings {
		keys = append(keys, p.String())
	}
	slices.Sort(keys)
	return keys
}

func allInterfaces(c *container.InspectResponse) []string {
	var out []string
	for _, k := range bindings(c) {
		for p, bs := range c.HostConfig.PortBindings {
			if p.String() != k {
				continue
			}
			for _, b := range bs {
				if !b.HostIP.IsValid() || b.HostIP.IsUnspecified() {
					hp := b.HostPort
					if hp == "" {
						hp = "(random)"
					}
					out = append(out, fmt.Sprintf("%s published on all interfaces, host port %s", k, hp))
				}
			}
		}
	}
	return out
}

func privilegedPorts(c *container.InspectResponse) []string {
	var out []string
	for _, k := range bindings(c) {
		for p, bs := range c.HostConfig.PortBindings {
			if p.String() != k {
				continue
			}
			for _, b := range bs {
				if n, err := strconv.Atoi(b.HostPort); err == nil && n > 0 && n < 1024 {
					out = append(out, fmt.Sprintf("%s mapped to host port %d", k, n))
				}
			}
		}
	}
	return out
}

func restartPolicy(c *container.InspectResponse) []string {
	rp := c.HostConfig.RestartPolicy
	switch rp.Name {
	case container.RestartPolicyAlways, container.RestartPolicyUnlessStopped:
		return []string{"restart policy " + string(rp.Name)}
	case container.RestartPolicyOnFailure:
		if rp.MaximumRetryCount == 0 || rp.MaximumRetryCount > 5 {
			return []string{fmt.Sprintf("restart policy on-failure with up to %d retries (0 means unbounded)", rp.MaximumRetryCount)}
		}
	}
	return nil
}

func devices(c *container.InspectResponse) []string {
	var out []string
	for _, d := range c.HostConfig.Devices {
		out = append(out, fmt.Sprintf("host device %s as %s (%s)", d.PathOnHost, d.PathInContainer, d.CgroupPermissions))
	}
	slices.Sort(out)
	return out
}

func sharedPropagation(c *container.InspectResponse) []string {
	var out []string
	for _, m := range mountsOf(c) {
		if m.propagation == "shared" || m.propagation == "rshared" {
			out = append(out, fmt.Sprintf("%s mounted with %s propagation", m.dst, m.propagation))
		}
	}
	return out
}
