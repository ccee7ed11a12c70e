package compose

import (
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/shipshape-dev/shipshape/internal/misconfig"
)

const refCompose = "https://docs.docker.com/reference/compose-file/services/"

func cis(item string) string { return "CIS Docker Benchmark v1.6.0 " + item }

type check = misconfig.Check[*Compose]

// perService makes a check that runs fn on each service, sorted by name.
func perService(m misconfig.Meta, fn func(s types.ServiceConfig) []misconfig.Hit) check {
	return misconfig.Rule[*Compose]{M: m, Fn: func(c *Compose) []misconfig.Hit {
		var hits []misconfig.Hit
		for _, s := range c.Services() {
			for _, h := range fn(s) {
				h.Object = s.Name
				hits = append(hits, h)
			}
		}
		return hits
	}}
}

func hit(msg, path string) []misconfig.Hit { return []misconfig.Hit{{Message: msg, Path: path}} }

// Checks returns every built-in Compose check, in id order.
func Checks() []check {
	return []check{
		perService(misconfig.Meta{ID: "SS-CP-001", Title: "Service runs privileged", Severity: misconfig.Critical,
			Description: "A privileged container has every capability and access to all host devices: root in it is root on the host.",
			Resolution:  "Remove privileged: true; add only the capabilities or devices the service needs.",
			References:  []string{cis("5.5"), refCompose + "#privileged"}}, privileged),
		perService(misconfig.Meta{ID: "SS-CP-002", Title: "Dangerous capability added", Severity: misconfig.High,
			Description: "cap_add grants ALL, SYS_ADMIN, NET_ADMIN, SYS_PTRACE, SYS_MODULE, DAC_READ_SEARCH or a similar capability that lets a process escape or control the host.",
			Resolution:  "Remove the capability; grant only narrow ones such as NET_BIND_SERVICE.",
			References:  []string{cis("5.3"), refCompose + "#cap_add"}}, dangerousCaps),
		perService(misconfig.Meta{ID: "SS-CP-003", Title: "Capabilities not dropped", Severity: misconfig.Medium,
			Description: "Without cap_drop: [ALL] the container keeps Docker's default capability set (CHOWN, DAC_OVERRIDE, NET_RAW, SETUID, ...).",
			Resolution:  "Add cap_drop: [ALL] and cap_add only what the service needs.",
			References:  []string{cis("5.3"), refCompose + "#cap_drop"}}, noCapDrop),
		perService(misconfig.Meta{ID: "SS-CP-004", Title: "Root filesystem is writable", Severity: misconfig.Low,
			Description: "A writable root filesystem lets an attacker change binaries and configuration inside the container.",
			Resolution:  "Set read_only: true and mount tmpfs or volumes where the service writes.",
			References:  []string{cis("5.12"), refCompose + "#read_only"}}, notReadOnly),
		perService(misconfig.Meta{ID: "SS-CP-005", Title: "no-new-privileges not set", Severity: misconfig.Medium,
			Description: "Processes can gain privileges through setuid binaries.",
			Resolution:  `Add security_opt: ["no-new-privileges:true"].`,
			References:  []string{cis("5.25"), refCompose + "#security_opt"}}, noNewPrivileges),
		perService(misconfig.Meta{ID: "SS-CP-006", Title: "seccomp disabled", Severity: misconfig.High,
			Description: "seccomp=unconfined lets the container make every system call, including those used in kernel exploits.",
			Resolution:  "Remove seccomp:unconfined; use the default profile or a custom one.",
			References:  []string{cis("5.21"), refCompose + "#security_opt"}}, seccompUnconfined),
		perService(misconfig.Meta{ID: "SS-CP-007", Title: "AppArmor disabled", Severity: misconfig.High,
			Description: "apparmor=unconfined removes the mandatory access control profile.",
			Resolution:  "Remove apparmor:unconfined; use docker-default or a custom profile.",
			References:  []string{cis("5.1"), refCompose + "#security_opt"}}, apparmorUnconfined),
		perService(misconfig.Meta{ID: "SS-CP-008", Title: "Host network namespace shared", Severity: misconfig.High,
			Description: "network_mode: host gives the container the host's network stack: it can bind any port and reach local-only services.",
			Resolution:  "Use a bridge network and publish only the ports needed.",
			References:  []string{cis("5.10"), refCompose + "#network_mode"}}, hostMode("network_mode", func(s types.ServiceConfig) string { return s.NetworkMode })),
		perService(misconfig.Meta{ID: "SS-CP-009", Title: "Host PID namespace shared", Severity: misconfig.High,
			Description: "pid: host lets the container see and signal every process on the host.",
			Resolution:  "Remove pid: host.",
			References:  []string{cis("5.16"), refCompose + "#pid"}}, hostMode("pid", func(s types.ServiceConfig) string { return s.Pid })),
		perService(misconfig.Meta{ID: "SS-CP-010", Title: "Host IPC namespace shared", Severity: misconfig.High,
			Description: "ipc: host exposes the host's shared memory and IPC objects.",
			Resolution:  "Remove ipc: host.",
			References:  []string{cis("5.17"), refCompose + "#ipc"}}, hostMode("ipc", func(s types.ServiceConfig) string { return s.Ipc })),
		perService(misconfig.Meta{ID: "SS-CP-011", Title: "Host user namespace shared", Severity: misconfig.Medium,
			Description: "userns_mode: host turns off user-namespace remapping for the container.",
			Resolution:  "Remove userns_mode: host.",
			References:  []string{cis("5.31"), refCompose + "#userns_mode"}}, hostMode("userns_mode", func(s types.ServiceConfig) string { return s.UserNSMode })),
		perService(misconfig.Meta{ID: "SS-CP-012", Title: "Host UTS namespace shared", Severity: misconfig.Medium,
			Description: "uts: host lets the container change the host's hostname.",
			Resolution:  "Remove uts: host.",
			References:  []string{cis("5.11"), refCompose + "#uts"}}, hostMode("uts", func(s types.ServiceConfig) string { return s.Uts })),
		perService(misconfig.Meta{ID: "SS-CP-013", Title: "Docker socket mounted", Severity: misconfig.Critical,
			Description: "Access to the Docker socket is root on the host: the container can start a privileged container.",
			Resolution:  "Do not mount docker.sock; use a narrowly scoped API proxy if the service must talk to the engine.",
			References:  []string{cis("5.32"), refCompose + "#volumes"}}, dockerSocket),
		perService(misconfig.Meta{ID: "SS-CP-014", Title: "Sensitive host path mounted", Severity: misconfig.High,
			Description: "Mounting /, /etc, /proc, /sys, /boot, /dev, /root, /usr, /lib or /var/lib/docker from the host exposes or lets the container change the host.",
			Resolution:  "Mount only the application folders the service needs, read-only where possible.",
			References:  []string{cis("5.6"), refCompose + "#volumes"}}, sensitiveMounts),
		perService(misconfig.Meta{ID: "SS-CP-015", Title: "Port published on all interfaces", Severity: misconfig.Medium,
			Description: "A published port without a host IP listens on 0.0.0.0 (and ::), reachable from every network the host is on, and Docker's iptables rules bypass host firewalls such as ufw.",
			Resolution:  `Bind to one interface: "127.0.0.1:8080:80", or put the service behind a reverse proxy.`,
			References:  []string{cis("5.14"), refCompose + "#ports"}}, allInterfaces),
		perService(misconfig.Meta{ID: "SS-CP-016", Title: "No memory limit", Severity: misconfig.Medium,
			Description: "Without a memory limit one container can exhaust the host's memory.",
			Resolution:  "Set deploy.resources.limits.memory (or mem_limit).",
			References:  []string{cis("5.11"), refCompose + "#mem_limit"}}, noMemLimit),
		perService(misconfig.Meta{ID: "SS-CP-017", Title: "No CPU limit", Severity: misconfig.Low,
			Description: "Without a CPU limit one container can starve the others.",
			Resolution:  "Set deploy.resources.limits.cpus (or cpus).",
			References:  []string{cis("5.12"), refCompose + "#cpus"}}, noCPULimit),
		perService(misconfig.Meta{ID: "SS-CP-018", Title: "No PIDs limit", Severity: misconfig.Low,
			Description: "Without a PIDs limit a fork bomb in the container exhausts the host's process table.",
			Resolution:  "Set pids_limit (or deploy.resources.limits.pids).",
			References:  []string{cis("5.29"), refCompose + "#pids_limit"}}, noPidsLimit),
		perService(misconfig.Meta{ID: "SS-CP-019", Title: "Service runs as root", Severity: misconfig.Medium,
			Description: "user is root or 0; an escape from the application gives root inside the container.",
			Resolution:  `Set user: "10001:10001" (or a named unprivileged user of the image).`,
			References:  []string{cis("4.1"), refCompose + "#user"}}, rootUser),
		perService(misconfig.Meta{ID: "SS-CP-020", Title: "Restart policy without a retry limit", Severity: misconfig.Low,
			Description: "restart: always (or unless-stopped) restarts a crashing container forever, which can hide an attack or cause a denial of service.",
			Resolution:  "Use restart: on-failure:5 (or deploy.restart_policy with max_attempts).",
			References:  []string{cis("5.15"), refCompose + "#restart"}}, restartPolicy),
		perService(misconfig.Meta{ID: "SS-CP-021", Title: "tmpfs mounted without noexec", Severity: misconfig.Low,
			Description: "A writable tmpfs without noexec is a place to drop and run binaries even on a read-only container.",
			Resolution:  `Add noexec (and nosuid): tmpfs: ["/tmp:rw,noexec,nosuid,size=64m"].`,
			References:  []string{refCompose + "#tmpfs"}}, tmpfsExec),
		perService(misconfig.Meta{ID: "SS-CP-022", Title: "Host device mapped", Severity: misconfig.Medium,
			Description: "devices gives the container direct access to a host device.",
			Resolution:  "Remove the device mapping unless the service really needs it, and make it read-only (:r).",
			References:  []string{cis("5.18"), refCompose + "#devices"}}, devices),
		perService(misconfig.Meta{ID: "SS-CP-023", Title: "Image has no tag or uses latest", Severity: misconfig.Medium,
			Description: "The service runs whatever 'latest' points to at pull time.",
			Resolution:  "Pin a version tag, ideally with a digest.",
			References:  []string{cis("5.27"), refCompose + "#image"}}, imageLatest),
		perService(misconfig.Meta{ID: "SS-CP-024", Title: "Secret in environment", Severity: misconfig.High,
			Description: "A literal secret in environment is visible in the file, in docker inspect and to every process in the container.",
			Resolution:  "Use Compose secrets (secrets: and /run/secrets/...) or an env_file kept out of version control.",
			References:  []string{cis("4.10"), refCompose + "#environment", "https://docs.docker.com/compose/how-tos/use-secrets/"}}, secretEnv),
		perService(misconfig.Meta{ID: "SS-CP-025", Title: "Unsafe sysctl set", Severity: misconfig.Medium,
			Description: "A kernel.* or other non-namespaced sysctl changes the host kernel for every container.",
			Resolution:  "Remove the sysctl or limit it to namespaced net.* settings.",
			References:  []string{refCompose + "#sysctls", "https://docs.docker.com/reference/cli/docker/container/run/#sysctl"}}, unsafeSysctls),
	}
}

func privileged(s types.ServiceConfig) []misconfig.Hit {
	if s.Privileged {
		return hit("privileged: true", key(s.Name, "privileged"))
	}
	return nil
}

var dangerous = map[string]bool{"ALL": true, "SYS_ADMIN": true, "NET_ADMIN": true, "SYS_PTRACE": true, "SYS_MODULE": true,
	"SYS_RAWIO": true, "DAC_READ_SEARCH": true, "SYS_BOOT": true, "SYS_TIME": true, "BPF": true, "PERFMON": true, "MAC_ADMIN": true, "MAC_OVERRIDE": true}

func capName(c string) string {
	return strings.TrimPrefix(strings.ToUpper(strings.TrimSpace(c)), "CAP_")
}

func dangerousCaps(s types.ServiceConfig) []misconfig.Hit {
	var hits []misconfig.Hit
	for i, c := range s.CapAdd {
		if dangerous[capName(c)] {
			hits = append(hits, misconfig.Hit{Message: "cap_add: " + c, Path: key(s.Name, "cap_add", "["+strconv.Itoa(i)+"]")})
		}
	}
	return hits
}

func noCapDrop(s types.ServiceConfig) []misconfig.Hit {
	for _, c := range s.CapDrop {
		if capName(c) == "ALL" {
			return nil
		}
	}
	if s.Privileged {
		return hit("privileged service keeps every capability", key(s.Name, "privileged"))
	}
	return hit("cap_drop does not include ALL", key(s.Name, "cap_drop"))
}

func notReadOnly(s types.ServiceConfig) []misconfig.Hit {
	if !s.ReadOnly {
		return hit("read_only is not true", key(s.Name, "read_only"))
	}
	return nil
}

// securityOpt finds a security_opt entry; options may be written name=value or name:value.
func securityOpt(s types.ServiceConfig, name string) (value string, idx int) {
	for i, o := range s.SecurityOpt {
		k, v, ok := strings.Cut(o, "=")
		if !ok {
			k, v, ok = strings.Cut(o, ":")
		}
		if strings.TrimSpace(k) == name {
			if !ok {
				v = "true"
			}
			return strings.TrimSpace(v), i
		}
	}
	return "", -1
}

func noNewPrivileges(s types.ServiceConfig) []misconfig.Hit {
	v, i := securityOpt(s, "no-new-privileges")
	if i >= 0 && (v == "true" || v == "") {
		return nil
	}
	return hit("security_opt has no no-new-privileges:true", key(s.Name, "security_opt"))
}

func seccompUnconfined(s types.ServiceConfig) []misconfig.Hit {
	if v, i := securityOpt(s, "seccomp"); i >= 0 && v == "unconfined" {
		return hit("security_opt: seccomp:unconfined", key(s.Name, "security_opt", "["+strconv.Itoa(i)+"]"))
	}
	return nil
}

func apparmorUnconfined(s types.ServiceConfig) []misconfig.Hit {
	if v, i := securityOpt(s, "apparmor"); i >= 0 && v == "unconfined" {
		return hit("security_opt: apparmor:unconfined", key(s.Name, "security_opt", "["+strconv.Itoa(i)+"]"))
	}
	return nil
}

func hostMode(attr string, get func(types.ServiceConfig) string) func(types.ServiceConfig) []misconfig.Hit {
	return func(s types.ServiceConfig) []misconfig.Hit {
		if strings.EqualFold(get(s), "host") {
			return hit(attr+": host", key(s.Name, attr))
		}
		return nil
	}
}

func bindSources(s types.ServiceConfig) []struct {
	i   int
	src string
} {
	var out []struct {
		i   int
		src string
	}
	for i, v := range s.Volumes {
		if v.Type == types.VolumeTypeBind || v.Type == "" && (strings.HasPrefix(v.Source, "/") || strings.HasPrefix(v.Source, ".") || strings.HasPrefix(v.Source, "~")) {
			out = append(out, struct {
				i   int
				src string
			}{i, v.Source})
		}
	}
	return out
}

func dockerSocket(s types.ServiceConfig) []misconfig.Hit {
	var hits []misconfig.Hit
	for _, b := range bindSources(s) {
		base := path.Base(b.src)
		if base == "docker.sock" || base == "containerd.sock" || base == "podman.sock" || base == "crio.sock" {
			hits = append(hits, misconfig.Hit{Message: "mounts " + b.src, Path: key(s.Name, "volumes", "["+strconv.Itoa(b.i)+"]")})
		}
	}
	return hits
}

var sensitivePaths = []string{"/", "/etc", "/proc", "/sys", "/boot", "/dev", "/root", "/usr", "/lib", "/lib64", "/bin", "/sbin", "/var/lib/docker", "/var/lib/containerd", "/var/lib/kubelet", "/etc/kubernetes", "/var/run", "/run"}

func sensitiveMounts(s types.ServiceConfig) []misconfig.Hit {
	var hits []misconfig.Hit
	for _, b := range bindSources(s) {
		src := path.Clean(b.src)
		if !strings.HasPrefix(src, "/") {
			continue
		}
		for _, p := range sensitivePaths {
			if src == p || p != "/" && strings.HasPrefix(src, p+"/") && (p == "/etc" || p == "/proc" || p == "/sys" || p == "/var/lib/docker" || p == "/boot" || p == "/root") {
				if path.Base(src) == "docker.sock" {
					break // SS-CP-013
				}
				hits = append(hits, misconfig.Hit{Message: "mounts host path " + b.src, Path: key(s.Name, "volumes", "["+strconv.Itoa(b.i)+"]")})
				break
			}
		}
	}
	return hits
}

func allInterfaces(s types.ServiceConfig) []misconfig.Hit {
	var hits []misconfig.Hit
	for i, p := range s.Ports {
		if p.Published == "" {
			continue
		}
		if p.HostIP == "" || p.HostIP == "0.0.0.0" || p.HostIP == "::" || p.HostIP == "[::]" {
			hits = append(hits, misconfig.Hit{Message: fmt.Sprintf("port %s published on all interfaces", p.Published), Path: key(s.Name, "ports", "["+strconv.Itoa(i)+"]")})
		}
	}
	return hits
}

func limits(s types.ServiceConfig) *types.Resource {
	if s.Deploy != nil && s.Deploy.Resources.Limits != nil {
		return s.Deploy.Resources.Limits
	}
	return nil
}

func noMemLimit(s types.ServiceConfig) []misconfig.Hit {
	if s.MemLimit > 0 {
		return nil
	}
	if l := limits(s); l != nil && l.MemoryBytes > 0 {
		return nil
	}
	return hit("no mem_limit or deploy.resources.limits.memory", key(s.Name, "deploy", "resources", "limits"))
}

func noCPULimit(s types.ServiceConfig) []misconfig.Hit {
	if s.CPUS > 0 || s.CPUQuota > 0 {
		return nil
	}
	if l := limits(s); l != nil && l.NanoCPUs > 0 {
		return nil
	}
	return hit("no cpus or deploy.resources.limits.cpus", key(s.Name, "deploy", "resources", "limits"))
}

func noPidsLimit(s types.ServiceConfig) []misconfig.Hit {
	if s.PidsLimit > 0 {
		return nil
	}
	if l := limits(s); l != nil && l.Pids > 0 {
		return nil
	}
	return hit("no pids_limit", key(s.Name, "pids_limit"))
}

func rootUser(s types.ServiceConfig) []misconfig.Hit {
	u, _, _ := strings.Cut(strings.TrimSpace(s.User), ":")
	if u == "root" || u == "0" {
		return hit("user: "+s.User, key(s.Name, "user"))
	}
	return nil
}

func restartPolicy(s types.ServiceConfig) []misconfig.Hit {
	if s.Deploy != nil && s.Deploy.RestartPolicy != nil {
		rp := s.Deploy.RestartPolicy
		if (rp.Condition == "" || rp.Condition == "any" || rp.Condition == "on-failure") && rp.MaxAttempts == nil {
			return hit("deploy.restart_policy has no max_attempts", key(s.Name, "deploy", "restart_policy"))
		}
		return nil
	}
	switch s.Restart {
	case "always", "unless-stopped", "on-failure":
		return hit("restart: "+s.Restart+" retries forever", key(s.Name, "restart"))
	}
	return nil
}

func tmpfsExec(s types.ServiceConfig) []misconfig.Hit {
	var hits []misconfig.Hit
	for i, t := range s.Tmpfs {
		_, opts, _ := strings.Cut(t, ":")
		if !hasOpt(opts, "noexec") {
			hits = append(hits, misconfig.Hit{Message: "tmpfs " + t + " without noexec", Path: key(s.Name, "tmpfs", "["+strconv.Itoa(i)+"]")})
		}
	}
	for i, v := range s.Volumes {
		if v.Type == types.VolumeTypeTmpfs {
			// compose-go's long syntax has no mount-option list for tmpfs, so exec is allowed.
			hits = append(hits, misconfig.Hit{Message: "tmpfs volume " + v.Target + " cannot set noexec in the long syntax; use tmpfs: with options", Path: key(s.Name, "volumes", "["+strconv.Itoa(i)+"]")})
		}
	}
	return hits
}

func hasOpt(opts, name string) bool {
	for _, o := range strings.Split(opts, ",") {
		if strings.TrimSpace(o) == name {
			return true
		}
	}
	return false
}

func devices(s types.ServiceConfig) []misconfig.Hit {
	var hits []misconfig.Hit
	for i, d := range s.Devices {
		hits = append(hits, misconfig.Hit{Message: "device " + d.Source + " mapped to " + d.Target, Path: key(s.Name, "devices", "["+strconv.Itoa(i)+"]")})
	}
	return hits
}

func imageLatest(s types.ServiceConfig) []misconfig.Hit {
	img := s.Image
	if img == "" || strings.Contains(img, "@") || strings.Contains(img, "$") {
		return nil
	}
	slash := strings.LastIndex(img, "/")
	tag := ""
	if i := strings.LastIndex(img, ":"); i > slash {
		tag = img[i+1:]
	}
	if tag == "" || tag == "latest" {
		return hit("image "+img+" is not pinned to a version", key(s.Name, "image"))
	}
	return nil
}

func secretEnv(s types.ServiceConfig) []misconfig.Hit {
	var hits []misconfig.Hit
	names := make([]string, 0, len(s.Environment))
	for k := range s.Environment {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		v := s.Environment[k]
		if v == nil {
			continue
		}
		if kind := misconfig.SecretValue(*v); kind != "" {
			hits = append(hits, misconfig.Hit{Message: "environment " + k + " holds what looks like a " + kind, Path: key(s.Name, "environment", k), Secret: *v})
		} else if misconfig.SecretName(k) && !misconfig.Placeholder(*v) {
			hits = append(hits, misconfig.Hit{Message: "environment " + k + " is a literal secret", Path: key(s.Name, "environment", k), Secret: *v})
		}
	}
	return hits
}

func unsafeSysctls(s types.ServiceConfig) []misconfig.Hit {
	var hits []misconfig.Hit
	names := make([]string, 0, len(s.Sysctls))
	for k := range s.Sysctls {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		if !safeSysctl(k) {
			hits = append(hits, misconfig.Hit{Message: "sysctl " + k, Path: key(s.Name, "sysctls")})
		}
	}
	return hits
}

// safeSysctl reports whether a sysctl is namespaced per container (Docker accepts these).
func safeSysctl(k string) bool {
	switch {
	case strings.HasPrefix(k, "net.") && !strings.HasPrefix(k, "net.core."):
		return true
	case k == "kernel.shmmax", k == "kernel.shmall", k == "kernel.shmmni", k == "kernel.shm_rmid_forced",
		k == "kernel.msgmax", k == "kernel.msgmnb", k == "kernel.msgmni", k == "kernel.sem":
		return true
	case strings.HasPrefix(k, "fs.mqueue."):
		return true
	}
	return false
}
