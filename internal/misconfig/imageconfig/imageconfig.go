// Package imageconfig checks a container image's configuration and history (CIS Docker
// Benchmark section 4, Dockle-like): the user it runs as, secrets in its environment, labels
// and build history, ADD steps, the health check and exposed ports. Layer-level checks
// (setuid files, package caches) come from the imagefiles analyzer with the ids listed here.
package imageconfig

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/shipshape-dev/shipshape/internal/inventory"
	"github.com/shipshape-dev/shipshape/internal/misconfig"
)

// Image is the input every image-config check, built-in or Rego, sees. Its JSON encoding is
// {"name": ..., "config": <the OCI image config: architecture, os, config{User, Env,
// ExposedPorts, Labels, Healthcheck, ...}, history[{created_by, empty_layer, ...}]>}.
type Image struct {
	Name   string         `json:"name"`
	Config *v1.ConfigFile `json:"config"`
}

func cis(item string) string { return "CIS Docker Benchmark v1.6.0 " + item }

type check = misconfig.Check[*Image]

func rule(m misconfig.Meta, fn func(*Image) []misconfig.Hit) check {
	return misconfig.Rule[*Image]{M: m, Fn: fn}
}

// Layer-level check ids, reported by the imagefiles analyzer.
const (
	IDSetuid       = "SS-IC-008"
	IDPackageCache = "SS-IC-009"
)

// LayerChecks returns the metadata of the checks the imagefiles analyzer runs on layers.
func LayerChecks() []misconfig.Meta {
	return []misconfig.Meta{
		{ID: IDSetuid, Title: "setuid or setgid file", Severity: misconfig.Low,
			Description: "A setuid/setgid executable runs with its owner's privileges; each one is a way to escalate privileges inside the container.",
			Resolution:  "Remove the bit where the program is not needed: RUN find / -xdev -perm /6000 -type f -exec chmod a-s {} + (keep only what the application requires).",
			References:  []string{cis("4.8")}},
		{ID: IDPackageCache, Title: "Package manager cache left in a layer", Severity: misconfig.Low,
			Description: "Package indexes and downloaded packages stay in the layer, adding size (and, for indexes, stale data) to every pull.",
			Resolution:  "Clean up in the same RUN that installs: rm -rf /var/lib/apt/lists/* (apt), apk add --no-cache, yum/dnf clean all, pip install --no-cache-dir; or use a cache mount.",
			References:  []string{"https://docs.docker.com/build/building/best-practices/#apt-get", cis("4.3")}},
	}
}

// Checks returns every built-in check run on the image config, in id order.
func Checks() []check {
	return []check{
		rule(misconfig.Meta{ID: "SS-IC-001", Title: "Image runs as root", Severity: misconfig.High,
			Description: "The image config sets no user (or root), so containers run as root unless told otherwise.",
			Resolution:  "Add USER <unprivileged user> to the final stage of the Dockerfile.",
			References:  []string{cis("4.1")}}, rootUser),
		rule(misconfig.Meta{ID: "SS-IC-002", Title: "Secret in environment variable", Severity: misconfig.High,
			Description: "Environment variables in the image config are readable by anyone who can pull the image.",
			Resolution:  "Pass secrets at run time (orchestrator secrets, mounted files), never in ENV.",
			References:  []string{cis("4.10")}}, secretEnv),
		rule(misconfig.Meta{ID: "SS-IC-003", Title: "Secret in label", Severity: misconfig.High,
			Description: "Labels are public metadata of the image.",
			Resolution:  "Remove the secret from the label.",
			References:  []string{cis("4.10")}}, secretLabels),
		rule(misconfig.Meta{ID: "SS-IC-004", Title: "Secret in build history", Severity: misconfig.High,
			Description: "A build step recorded in the image history contains a secret (a build argument value, an ENV value or a credential in a command).",
			Resolution:  "Use build secrets (RUN --mount=type=secret) instead of build arguments or inline credentials, and rebuild.",
			References:  []string{cis("4.10"), "https://docs.docker.com/build/building/secrets/"}}, secretHistory),
		rule(misconfig.Meta{ID: "SS-IC-005", Title: "ADD instruction in history", Severity: misconfig.Low,
			Description: "ADD can fetch URLs and unpack archives implicitly; COPY is more predictable.",
			Resolution:  "Use COPY, and curl/wget with checksum verification for downloads.",
			References:  []string{cis("4.9")}}, addInHistory),
		rule(misconfig.Meta{ID: "SS-IC-006", Title: "No HEALTHCHECK", Severity: misconfig.Low,
			Description: "The image config has no health check, so the engine cannot tell a hung container from a healthy one.",
			Resolution:  "Add a HEALTHCHECK instruction to the Dockerfile.",
			References:  []string{cis("4.6")}}, noHealthcheck),
		rule(misconfig.Meta{ID: "SS-IC-007", Title: "Sensitive port exposed", Severity: misconfig.Medium,
			Description: "The image exposes a port of a remote-administration or legacy cleartext service (SSH, Telnet, FTP, RDP, VNC, the Docker API, ...).",
			Resolution:  "Remove the EXPOSE and the service; administer containers with docker exec.",
			References:  []string{cis("5.8")}}, sensitivePorts),
	}
}

// Scan runs the config checks on an image config. A nil config gives one error result.
func Scan(name string, cfg *v1.ConfigFile) []inventory.Misconfiguration {
	if cfg == nil {
		return []inventory.Misconfiguration{misconfig.ParseError(inventory.CheckImageConfig, name, fmt.Errorf("%s: the image has no config to check", name))}
	}
	return misconfig.Run(inventory.CheckImageConfig, name, &Image{Name: name, Config: cfg}, Checks(), nil)
}

func rootUser(img *Image) []misconfig.Hit {
	u := strings.TrimSpace(img.Config.Config.User)
	name, _, _ := strings.Cut(u, ":")
	if u == "" {
		return []misconfig.Hit{{Message: "no user is set (Config.User is empty), so the container runs as root"}}
	}
	if name == "root" || name == "0" {
		return []misconfig.Hit{{Message: "Config.User is " + u}}
	}
	return nil
}

func secretEnv(img *Image) []misconfig.Hit {
	var hits []misconfig.Hit
	for _, e := range img.Config.Config.Env {
		k, v, _ := strings.Cut(e, "=")
		if kind := misconfig.SecretValue(v); kind != "" {
			hits = append(hits, misconfig.Hit{Message: "ENV " + k + " holds what looks like a " + kind, Code: k + "=" + v, Secret: v})
		} else if misconfig.SecretName(k) && !misconfig.Placeholder(v) {
			hits = append(hits, misconfig.Hit{Message: "ENV " + k + " is set to a literal value", Code: k + "=" + v, Secret: v})
		}
	}
	return hits
}

func secretLabels(img *Image) []misconfig.Hit {
	var hits []misconfig.Hit
	keys := make([]string, 0, len(img.Config.Config.Labels))
	for k := range img.Config.Config.Labels {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		v := img.Config.Config.Labels[k]
		if kind := misconfig.SecretValue(v); kind != "" {
			hits = append(hits, misconfig.Hit{Message: "label " + k + " holds what looks like a " + kind, Code: k + "=" + v, Secret: v})
		} else if misconfig.SecretName(k) && !misconfig.Placeholder(v) {
			hits = append(hits, misconfig.Hit{Message: "label " + k + " is set to a literal value", Code: k + "=" + v, Secret: v})
		}
	}
	return hits
}

// buildArgs matches the "|N NAME=value ..." prefix BuildKit and the classic builder record
// for RUN steps that saw build arguments.
var buildArgs = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^\|(\d+) `)
})

// historyAssignments returns the NAME=value pairs recorded in a history entry: build
// arguments of a RUN, and ENV/ARG/LABEL steps.
func historyAssignments(createdBy string) []string {
	s := strings.TrimPrefix(strings.TrimSpace(createdBy), "RUN ")
	if m := buildArgs().FindStringSubmatch(s); m != nil {
		n, _ := strconv.Atoi(m[1])
		words := strings.Fields(s[len(m[0]):])
		return words[:min(n, len(words))]
	}
	s = strings.TrimPrefix(s, "/bin/sh -c #(nop) ")
	s = strings.TrimSpace(s)
	for _, kw := range []string{"ENV ", "ARG ", "LABEL "} {
		if rest, ok := strings.CutPrefix(s, kw); ok {
			rest = strings.TrimSuffix(rest, " # buildkit")
			return strings.Fields(rest)
		}
	}
	return nil
}

func secretHistory(img *Image) []misconfig.Hit {
	var hits []misconfig.Hit
	for i, h := range img.Config.History {
		cb := h.CreatedBy
		if len(cb) > 1<<16 {
			cb = cb[:1<<16]
		}
		var found string
		var secret string
		for _, a := range historyAssignments(cb) {
			k, v, ok := strings.Cut(a, "=")
			if !ok {
				continue
			}
			v = strings.Trim(v, `"'`)
			if misconfig.SecretName(k) && !misconfig.Placeholder(v) {
				found, secret = k+" is recorded with its value", v
				break
			}
		}
		if found == "" {
			if kind := misconfig.SecretValue(cb); kind != "" {
				found = "a " + kind + " appears in the command"
				if loc := valueMatch(cb); loc != "" {
					secret = loc
				}
			}
		}
		if found != "" {
			hits = append(hits, misconfig.Hit{Message: fmt.Sprintf("history entry %d: %s", i, found), Code: cb, Secret: secret, Object: "history[" + strconv.Itoa(i) + "]"})
		}
	}
	return hits
}

// valueMatch returns the first secret-looking token in s, for masking.
func valueMatch(s string) string {
	for _, w := range strings.Fields(s) {
		w = strings.Trim(w, `"';`)
		if misconfig.SecretValue(w) != "" {
			if _, v, ok := strings.Cut(w, "="); ok && misconfig.SecretValue(v) != "" {
				return v
			}
			return w
		}
	}
	return ""
}

// baseRootfs matches the history entry of a base image's root filesystem
// ("/bin/sh -c #(nop) ADD file:<hex> in / " or "ADD alpine-minirootfs-….tar.gz / # buildkit").
func baseRootfs(i int, createdBy string) bool {
	if i != 0 {
		return false
	}
	return strings.Contains(createdBy, "ADD file:") && strings.Contains(createdBy, " in / ") ||
		strings.Contains(createdBy, "ADD ") && strings.Contains(createdBy, ".tar") && strings.Contains(createdBy, " / ")
}

func addInHistory(img *Image) []misconfig.Hit {
	var hits []misconfig.Hit
	for i, h := range img.Config.History {
		cb := strings.TrimSpace(strings.TrimPrefix(h.CreatedBy, "/bin/sh -c #(nop) "))
		if !strings.HasPrefix(cb, "ADD ") || baseRootfs(i, h.CreatedBy) {
			continue
		}
		hits = append(hits, misconfig.Hit{Message: fmt.Sprintf("history entry %d is an ADD step", i), Code: h.CreatedBy, Object: "history[" + strconv.Itoa(i) + "]"})
	}
	return hits
}

func noHealthcheck(img *Image) []misconfig.Hit {
	hc := img.Config.Config.Healthcheck
	if hc == nil || len(hc.Test) == 0 {
		return []misconfig.Hit{{Message: "the image config has no Healthcheck"}}
	}
	if hc.Test[0] == "NONE" {
		return []misconfig.Hit{{Message: "the image's health check is disabled (NONE)"}}
	}
	return nil
}

var sensitive = map[int]string{21: "FTP", 22: "SSH", 23: "Telnet", 69: "TFTP", 111: "rpcbind", 135: "MS RPC", 139: "NetBIOS", 445: "SMB",
	512: "rexec", 513: "rlogin", 514: "rsh", 2375: "Docker API (plain)", 2376: "Docker API", 3389: "RDP", 5900: "VNC", 5985: "WinRM", 6000: "X11"}

func sensitivePorts(img *Image) []misconfig.Hit {
	var hits []misconfig.Hit
	ports := make([]string, 0, len(img.Config.Config.ExposedPorts))
	for p := range img.Config.Config.ExposedPorts {
		ports = append(ports, p)
	}
	slices.Sort(ports)
	for _, p := range ports {
		num, proto, _ := strings.Cut(p, "/")
		n, err := strconv.Atoi(num)
		if err != nil {
			continue
		}
		if svc, ok := sensitive[n]; ok && (proto == "" || proto == "tcp") {
			hits = append(hits, misconfig.Hit{Message: fmt.Sprintf("port %s (%s) is exposed", p, svc), Code: "EXPOSE " + p})
		}
	}
	return hits
}

// Summarize folds the per-file package-cache results of one layer and cache folder into one
// result naming how many files were found, so a layer full of .deb files is one finding.
func Summarize(ms []inventory.Misconfiguration) []inventory.Misconfiguration {
	type key struct {
		layer int
		obj   string
	}
	var out []inventory.Misconfiguration
	idx := map[key]int{}
	counts := map[key]int{}
	for _, m := range ms {
		if m.ID != IDPackageCache || m.Status != inventory.CheckFail {
			out = append(out, m)
			continue
		}
		k := key{-1, m.Object}
		if m.Layer != nil {
			k.layer = m.Layer.Index
		}
		counts[k]++
		if i, ok := idx[k]; ok {
			if m.Target < out[i].Target {
				out[i].Target = m.Target
			}
			continue
		}
		idx[k] = len(out)
		out = append(out, m)
	}
	for k, i := range idx {
		if n := counts[k]; n > 1 {
			out[i].Message = fmt.Sprintf("%s (%d files in %s, e.g. %s)", strings.SplitN(out[i].Message, " (", 2)[0], n, k.obj, out[i].Target)
			out[i].Target = "/" + k.obj
		}
	}
	return out
}
