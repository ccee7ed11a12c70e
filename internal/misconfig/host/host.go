// Package host audits a Docker host against the CIS Docker Benchmark's daemon
// configuration (section 2) and daemon configuration files (section 3): the Engine's own
// report (docker info), /etc/docker/daemon.json, dockerd's command line, and the owner and
// mode of the socket, daemon.json, /etc/docker, the TLS files and the systemd units. Every
// check says whether it passed, failed, or could not be evaluated and why, as an
// inventory.Misconfiguration of kind "host".
package host

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/moby/moby/api/types/system"

	"github.com/shipshape-dev/shipshape/internal/inventory"
)

// Severities.
const (
	High   = "HIGH"
	Medium = "MEDIUM"
	Low    = "LOW"
)

// Input is what the audit looks at. Anything missing makes the checks that need it
// "error" with the reason, never a silent pass.
type Input struct {
	// Target names the host in reports (the Engine endpoint).
	Target string
	// Info is the Engine's `docker info`; InfoErr why it is missing.
	Info    *system.Info
	InfoErr error
	// BridgeICC is the default bridge's enable_icc option ("true"/"false"; "" unknown).
	BridgeICC string
	// Local is true when the Engine runs on this machine, so its files can be checked.
	// Remote says why not, when false.
	Local  bool
	Remote string
	// Root prefixes every host path (default "/"); DaemonJSON is the daemon.json path
	// inside it (default /etc/docker/daemon.json); Socket the Engine's socket path.
	Root       string
	DaemonJSON string
	Socket     string
	// DockerdArgs is dockerd's command line (nil when dockerd was not found).
	DockerdArgs []string
	// PlainTCP is the tcp:// address the audit itself reached the Engine at without TLS
	// ("" otherwise): proof that the daemon serves its API unauthenticated.
	PlainTCP string
}

// Check is one host check.
type Check struct {
	ID, CIS, Title, Severity, Description, Resolution string
}

// result is one check's outcome.
type result struct {
	status, msg string
}

func pass(msg string) result           { return result{inventory.CheckPass, msg} }
func fail(msg string) result           { return result{inventory.CheckFail, msg} }
func errorf(f string, a ...any) result { return result{inventory.CheckError, fmt.Sprintf(f, a...)} }
func failf(f string, a ...any) result  { return result{inventory.CheckFail, fmt.Sprintf(f, a...)} }
func passf(f string, a ...any) result  { return result{inventory.CheckPass, fmt.Sprintf(f, a...)} }

// audit holds the parsed inputs while the checks run.
type audit struct {
	in        Input
	daemon    map[string]any
	daemonErr error
}

// Run evaluates every check.
func Run(in Input) []inventory.Misconfiguration {
	if in.Root == "" {
		in.Root = "/"
	}
	if in.DaemonJSON == "" {
		in.DaemonJSON = "/etc/docker/daemon.json"
	}
	a := &audit{in: in}
	a.readDaemonJSON()
	var out []inventory.Misconfiguration
	for _, c := range checks() {
		r := c.eval(a)
		out = append(out, inventory.Misconfiguration{
			Kind: inventory.CheckHost, ID: c.ID, Title: c.Title, Severity: c.Severity,
			Description: c.Description, Resolution: c.Resolution,
			References: []string{"CIS Docker Benchmark v1.6.0 " + c.CIS},
			Status:     r.status, Message: r.msg, Target: in.Target,
		})
	}
	return out
}

// Checks lists the host checks (for documentation and tests).
func Checks() []Check {
	var out []Check
	for _, c := range checks() {
		out = append(out, c.Check)
	}
	return out
}

func (a *audit) path(p string) string { return filepath.Join(a.in.Root, p) }

func (a *audit) readDaemonJSON() {
	if !a.in.Local {
		a.daemonErr = fmt.Errorf("cannot read daemon.json: %s", a.in.Remote)
		return
	}
	data, err := os.ReadFile(a.path(a.in.DaemonJSON))
	if errors.Is(err, fs.ErrNotExist) {
		a.daemon = map[string]any{}
		return
	}
	if err != nil {
		a.daemonErr = fmt.Errorf("reading %s: %w", a.in.DaemonJSON, err)
		return
	}
	m := map[string]any{}
	if err := json.Unmarshal(data, &m); err != nil {
		a.daemonErr = fmt.Errorf("%s is not valid JSON (dockerd would refuse to start): %w", a.in.DaemonJSON, err)
		return
	}
	a.daemon = m
}

// setting returns a daemon option from dockerd's flags (--name=value or --name value),
// else from daemon.json, and where it came from. Booleans come back as "true"/"false".
func (a *audit) setting(name string) (val, from string, ok bool) {
	args := a.in.DockerdArgs
	for i := 0; i < len(args); i++ {
		arg := args[i]
		if v, found := strings.CutPrefix(arg, "--"+name+"="); found {
			return v, "dockerd --" + name, true
		}
		if arg == "--"+name {
			if i+1 < len(args) && !strings.HasPrefix(args[i+1], "-") && (args[i+1] == "true" || args[i+1] == "false" || !isBoolFlag(name)) {
				return args[i+1], "dockerd --" + name, true
			}
			return "true", "dockerd --" + name, true
		}
	}
	if a.daemon != nil {
		if v, found := a.daemon[name]; found {
			switch x := v.(type) {
			case bool:
				return strconv.FormatBool(x), "daemon.json", true
			case string:
				return x, "daemon.json", true
			case float64:
				return strconv.FormatFloat(x, 'f', -1, 64), "daemon.json", true
			default:
				b, _ := json.Marshal(x)
				return string(b), "daemon.json", true
			}
		}
	}
	return "", "", false
}

func isBoolFlag(name string) bool {
	switch name {
	case "icc", "live-restore", "userland-proxy", "no-new-privileges", "tls", "tlsverify", "experimental", "iptables", "debug":
		return true
	}
	return false
}

// hosts lists every address dockerd listens on (-H/--host flags and daemon.json "hosts").
func (a *audit) hosts() []string {
	var out []string
	args := a.in.DockerdArgs
	for i := 0; i < len(args); i++ {
		switch {
		case (args[i] == "-H" || args[i] == "--host") && i+1 < len(args):
			out = append(out, args[i+1])
			i++
		case strings.HasPrefix(args[i], "-H="), strings.HasPrefix(args[i], "--host="):
			out = append(out, args[i][strings.Index(args[i], "=")+1:])
		case strings.HasPrefix(args[i], "-H") && len(args[i]) > 2:
			out = append(out, args[i][2:])
		}
	}
	if a.daemon != nil {
		if hs, ok := a.daemon["hosts"].([]any); ok {
			for _, h := range hs {
				if s, ok := h.(string); ok {
					out = append(out, s)
				}
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

type check struct {
	Check
	eval func(a *audit) result
}

// needInfo evaluates f with docker info, or errors saying why there is none.
func needInfo(f func(a *audit, i *system.Info) result) func(a *audit) result {
	return func(a *audit) result {
		if a.in.Info == nil {
			return errorf("docker info is not available: %v", a.in.InfoErr)
		}
		return f(a, a.in.Info)
	}
}

// needConfig evaluates f with the daemon settings (flags and daemon.json), or errors.
func needConfig(f func(a *audit) result) func(a *audit) result {
	return func(a *audit) result {
		if a.daemonErr != nil {
			return errorf("%v", a.daemonErr)
		}
		return f(a)
	}
}

func hasSecOpt(i *system.Info, name string) (string, bool) {
	for _, o := range i.SecurityOptions {
		for _, kv := range strings.Split(o, ",") {
			if kv == "name="+name {
				return o, true
			}
		}
	}
	return "", false
}

func checks() []check {
	return []check{
		{Check{"SS-DH-001", "2.1", "Docker daemon runs as root (not rootless)", Low,
			"A rootless daemon limits what a compromise of the Engine gives an attacker.",
			"Consider rootless mode (dockerd-rootless-setuptool.sh install) where the workloads allow it."},
			needInfo(func(a *audit, i *system.Info) result {
				if _, ok := hasSecOpt(i, "rootless"); ok {
					return pass("the daemon runs rootless")
				}
				return fail("the daemon runs as root")
			})},
		{Check{"SS-DH-002", "2.2", "Containers on the default bridge can talk to each other (icc)", Medium,
			"With inter-container communication on, every container on the default bridge can reach every other one.",
			`Set "icc": false in /etc/docker/daemon.json and link or network containers explicitly.`},
			func(a *audit) result {
				if a.in.BridgeICC != "" {
					if a.in.BridgeICC == "false" {
						return pass("the default bridge has enable_icc=false")
					}
					return fail("the default bridge has enable_icc=true")
				}
				if a.daemonErr != nil {
					return errorf("%v", a.daemonErr)
				}
				if v, from, ok := a.setting("icc"); ok && v == "false" {
					return passf("icc=false (%s)", from)
				}
				return fail("icc is not set to false (the default is true)")
			}},
		{Check{"SS-DH-003", "2.3", "Logging level is not info", Low,
			"debug logging can record sensitive data; warn or error loses security-relevant events.",
			`Remove "log-level" from daemon.json or set it to "info".`},
			func(a *audit) result {
				if a.in.Info != nil && a.in.Info.Debug {
					return fail("the daemon runs in debug mode")
				}
				if a.daemonErr != nil {
					return errorf("%v", a.daemonErr)
				}
				if v, from, ok := a.setting("log-level"); ok && v != "info" {
					return failf("log-level=%s (%s)", v, from)
				}
				return pass("log-level is info")
			}},
		{Check{"SS-DH-004", "2.5", "Insecure registries are allowed", High,
			"Images pulled from an insecure registry travel without TLS and can be swapped on the way.",
			`Remove entries from "insecure-registries" in daemon.json and give the registries TLS certificates.`},
			needInfo(func(a *audit, i *system.Info) result {
				var bad []string
				if rc := i.RegistryConfig; rc != nil {
					for _, p := range rc.InsecureRegistryCIDRs {
						if p == netip.MustParsePrefix("127.0.0.0/8") || p == netip.MustParsePrefix("::1/128") {
							continue // the default, loopback only
						}
						bad = append(bad, p.String())
					}
					for name, ic := range rc.IndexConfigs {
						if ic != nil && !ic.Secure {
							bad = append(bad, name)
						}
					}
				}
				if len(bad) == 0 {
					return pass("only loopback registries may be used without TLS (the default)")
				}
				slices.Sort(bad)
				return failf("insecure registries: %s", strings.Join(bad, ", "))
			})},
		{Check{"SS-DH-005", "2.6", "aufs storage driver in use", Medium,
			"aufs is deprecated, unmaintained and has known kernel problems.",
			"Switch to the overlay2 storage driver."},
			needInfo(func(a *audit, i *system.Info) result {
				if i.Driver == "aufs" {
					return fail("the storage driver is aufs")
				}
				return passf("the storage driver is %s", i.Driver)
			})},
		{Check{"SS-DH-006", "2.7", "Docker daemon listens on TCP without TLS verification", High,
			"Anyone who can reach an unauthenticated TCP socket controls the Engine, and so the host.",
			`Listen on TCP only with "tlsverify": true and tlscacert, tlscert and tlskey set; otherwise use the unix socket.`},
			func(a *audit) result {
				if a.in.PlainTCP != "" {
					return failf("the Engine answered this audit over plain TCP at %s, without TLS", a.in.PlainTCP)
				}
				return needDockerd(tcpTLS)(a)
			}},
		{Check{"SS-DH-007", "2.9", "User namespace remapping is off", Medium,
			"Without userns-remap, root in a container is root on the host.",
			`Set "userns-remap": "default" in daemon.json (check volume ownership first).`},
			needInfo(func(a *audit, i *system.Info) result {
				if _, ok := hasSecOpt(i, "userns"); ok {
					return pass("user namespace remapping is on")
				}
				return fail("user namespace remapping is off")
			})},
		{Check{"SS-DH-008", "2.12", "No authorization plugin", Low,
			"Without an authorization plugin every user of the socket may do everything.",
			`Configure an authorization plugin ("authorization-plugins" in daemon.json) if users need different rights.`},
			needInfo(func(a *audit, i *system.Info) result {
				if len(i.Plugins.Authorization) > 0 {
					return passf("authorization plugins: %s", strings.Join(i.Plugins.Authorization, ", "))
				}
				return fail("no authorization plugin is configured")
			})},
		{Check{"SS-DH-009", "2.13", "Container logs stay on this host", Low,
			"Logs kept only on the host are lost with it and can be altered by an intruder.",
			`Set "log-driver" to syslog, journald, gelf, fluentd or another remote driver, or ship the json-file logs off the host.`},
			needInfo(func(a *audit, i *system.Info) result {
				switch i.LoggingDriver {
				case "json-file", "local", "none", "":
					return failf("the logging driver is %q", i.LoggingDriver)
				}
				return passf("the logging driver is %s", i.LoggingDriver)
			})},
		{Check{"SS-DH-010", "2.14", "Containers may gain new privileges by default", Medium,
			"Without the daemon-wide no-new-privileges, setuid binaries in any container can raise privileges.",
			`Set "no-new-privileges": true in daemon.json.`},
			needConfig(func(a *audit) result {
				if v, from, ok := a.setting("no-new-privileges"); ok && v == "true" {
					return passf("no-new-privileges=true (%s)", from)
				}
				return fail("no-new-privileges is not set daemon-wide")
			})},
		{Check{"SS-DH-011", "2.15", "Live restore is off", Low,
			"Without live restore, restarting or upgrading dockerd stops every container.",
			`Set "live-restore": true in daemon.json.`},
			needInfo(func(a *audit, i *system.Info) result {
				if i.LiveRestoreEnabled {
					return pass("live restore is on")
				}
				return fail("live restore is off")
			})},
		{Check{"SS-DH-012", "2.16", "Userland proxy is on", Low,
			"The userland proxy (docker-proxy) adds an attack surface that hairpin NAT makes unnecessary.",
			`Set "userland-proxy": false in daemon.json.`},
			needConfig(func(a *audit) result {
				if v, from, ok := a.setting("userland-proxy"); ok && v == "false" {
					return passf("userland-proxy=false (%s)", from)
				}
				return fail("userland-proxy is on (the default)")
			})},
		{Check{"SS-DH-013", "2.17", "No seccomp profile daemon-wide", High,
			"Without seccomp, containers may make every system call.",
			"Run dockerd with seccomp support and the default (or a custom) profile."},
			needInfo(func(a *audit, i *system.Info) result {
				if o, ok := hasSecOpt(i, "seccomp"); ok {
					if strings.Contains(o, "profile=unconfined") {
						return fail("the daemon-wide seccomp profile is unconfined")
					}
					return passf("seccomp: %s", o)
				}
				return fail("seccomp is not enabled")
			})},
		{Check{"SS-DH-014", "2.18", "Experimental features are on", Low,
			"Experimental features are not meant for production.",
			`Remove "experimental": true from daemon.json.`},
			needInfo(func(a *audit, i *system.Info) result {
				if i.ExperimentalBuild {
					return fail("experimental features are on")
				}
				return pass("experimental features are off")
			})},
		// Section 3: files.
		fileCheck("SS-DH-020", "3.1", "docker.service owner", ownerRoot, 0, unitPaths("docker.service")),
		fileCheck("SS-DH-021", "3.2", "docker.service permissions", nil, 0o644, unitPaths("docker.service")),
		fileCheck("SS-DH-022", "3.3", "docker.socket owner", ownerRoot, 0, unitPaths("docker.socket")),
		fileCheck("SS-DH-023", "3.4", "docker.socket permissions", nil, 0o644, unitPaths("docker.socket")),
		fileCheck("SS-DH-024", "3.5", "/etc/docker owner", ownerRoot, 0, fixed("/etc/docker")),
		fileCheck("SS-DH-025", "3.6", "/etc/docker permissions", nil, 0o755, fixed("/etc/docker")),
		fileCheck("SS-DH-026", "3.7", "registry certificate owner", ownerRoot, 0, certsD),
		fileCheck("SS-DH-027", "3.8", "registry certificate permissions", nil, 0o444, certsD),
		fileCheck("SS-DH-028", "3.9", "TLS CA certificate owner", ownerRoot, 0, tlsFile("tlscacert")),
		fileCheck("SS-DH-029", "3.10", "TLS CA certificate permissions", nil, 0o444, tlsFile("tlscacert")),
		fileCheck("SS-DH-030", "3.11", "Docker server certificate owner", ownerRoot, 0, tlsFile("tlscert")),
		fileCheck("SS-DH-031", "3.12", "Docker server certificate permissions", nil, 0o444, tlsFile("tlscert")),
		fileCheck("SS-DH-032", "3.13", "Docker server key owner", ownerRoot, 0, tlsFile("tlskey")),
		fileCheck("SS-DH-033", "3.14", "Docker server key permissions", nil, 0o400, tlsFile("tlskey")),
		fileCheck("SS-DH-034", "3.15", "Docker socket owner", ownerRootDocker, 0, socketPath),
		fileCheck("SS-DH-035", "3.16", "Docker socket permissions", nil, 0o660, socketPath),
		fileCheck("SS-DH-036", "3.17", "daemon.json owner", ownerRoot, 0, daemonJSONPath),
		fileCheck("SS-DH-037", "3.18", "daemon.json permissions", nil, 0o644, daemonJSONPath),
		fileCheck("SS-DH-038", "3.23", "containerd socket owner", ownerRoot, 0, fixed("/run/containerd/containerd.sock")),
		fileCheck("SS-DH-039", "3.24", "containerd socket permissions", nil, 0o660, fixed("/run/containerd/containerd.sock")),
	}
}

// needDockerd evaluates f with dockerd's settings, or errors when neither the command
// line nor daemon.json could be read.
func needDockerd(f func(a *audit) result) func(a *audit) result {
	return func(a *audit) result {
		if a.daemonErr != nil {
			return errorf("%v", a.daemonErr)
		}
		r := f(a)
		if a.in.DockerdArgs == nil && r.status == inventory.CheckPass {
			r.msg += " (daemon.json only: dockerd's command line could not be read)"
		}
		return r
	}
}

// tcpTLS checks that every TCP socket dockerd listens on requires TLS client certificates.
func tcpTLS(a *audit) result {
	var tcp []string
	for _, h := range a.hosts() {
		if strings.HasPrefix(h, "tcp://") {
			tcp = append(tcp, h)
		}
	}
	if len(tcp) == 0 {
		return pass("the daemon listens on no TCP socket")
	}
	verify, _, _ := a.setting("tlsverify")
	_, _, ca := a.setting("tlscacert")
	_, _, cert := a.setting("tlscert")
	_, _, key := a.setting("tlskey")
	if verify == "true" && ca && cert && key {
		return passf("TCP sockets %s require TLS client certificates", strings.Join(tcp, ", "))
	}
	return failf("the daemon listens on %s without tlsverify and tlscacert/tlscert/tlskey", strings.Join(tcp, ", "))
}
