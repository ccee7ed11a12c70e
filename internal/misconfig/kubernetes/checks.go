package kubernetes

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/shipshape-dev/shipshape/internal/misconfig"
)

const refPSS = "https://kubernetes.io/docs/concepts/security/pod-security-standards/"

func pss(level, control string) []string {
	return []string{"Kubernetes Pod Security Standards (" + level + "): " + control, refPSS + "#" + level}
}

type check = misconfig.Check[*Manifest]

// perObject makes a check that runs fn on each workload.
func perObject(m misconfig.Meta, fn func(o Object) []misconfig.Hit) check {
	return misconfig.Rule[*Manifest]{M: m, Fn: func(man *Manifest) []misconfig.Hit {
		var hits []misconfig.Hit
		for _, o := range man.Objects {
			for _, h := range fn(o) {
				h.Object = o.ObjectName()
				h.Path = "#" + strconv.Itoa(o.Document) + "/" + h.Path
				hits = append(hits, h)
			}
		}
		return hits
	}}
}

// ctr is one container with its path in the document.
type ctr struct {
	Container
	path string
}

func containers(o Object) []ctr {
	var out []ctr
	for _, l := range []struct {
		name string
		cs   []Container
	}{{"initContainers", o.Spec.InitContainers}, {"containers", o.Spec.Containers}, {"ephemeralContainers", o.Spec.EphemeralContainers}} {
		for i, c := range l.cs {
			out = append(out, ctr{c, o.specPath(l.name + "[" + strconv.Itoa(i) + "]")})
		}
	}
	return out
}

func sc(c ctr) *SecurityContext {
	if c.SecurityContext == nil {
		return &SecurityContext{}
	}
	return c.SecurityContext
}

func psc(o Object) *PodSecurityContext {
	if o.Spec.SecurityContext == nil {
		return &PodSecurityContext{}
	}
	return o.Spec.SecurityContext
}

func isTrue(b *bool) bool  { return b != nil && *b }
func isFalse(b *bool) bool { return b != nil && !*b }

func perContainer(fn func(o Object, c ctr) []misconfig.Hit) func(o Object) []misconfig.Hit {
	return func(o Object) []misconfig.Hit {
		var hits []misconfig.Hit
		for _, c := range containers(o) {
			hits = append(hits, fn(o, c)...)
		}
		return hits
	}
}

func h(msg, path string) []misconfig.Hit { return []misconfig.Hit{{Message: msg, Path: path}} }

// Checks returns every built-in Kubernetes check, in id order.
func Checks() []check {
	return []check{
		perObject(misconfig.Meta{ID: "SS-K8S-001", Title: "Privileged container", Severity: misconfig.High,
			Description: "A privileged container has all capabilities and host devices; it is root on the node.",
			Resolution:  "Remove securityContext.privileged or set it to false.",
			References:  pss("baseline", "Privileged Containers")}, perContainer(privileged)),
		perObject(misconfig.Meta{ID: "SS-K8S-002", Title: "Host network namespace shared", Severity: misconfig.High,
			Description: "hostNetwork: true gives the pod the node's network stack.",
			Resolution:  "Remove hostNetwork or set it to false.",
			References:  pss("baseline", "Host Namespaces")}, hostNS("hostNetwork", func(p PodSpec) bool { return p.HostNetwork })),
		perObject(misconfig.Meta{ID: "SS-K8S-003", Title: "Host PID namespace shared", Severity: misconfig.High,
			Description: "hostPID: true lets the pod see and signal every process on the node.",
			Resolution:  "Remove hostPID or set it to false.",
			References:  pss("baseline", "Host Namespaces")}, hostNS("hostPID", func(p PodSpec) bool { return p.HostPID })),
		perObject(misconfig.Meta{ID: "SS-K8S-004", Title: "Host IPC namespace shared", Severity: misconfig.High,
			Description: "hostIPC: true exposes the node's shared memory.",
			Resolution:  "Remove hostIPC or set it to false.",
			References:  pss("baseline", "Host Namespaces")}, hostNS("hostIPC", func(p PodSpec) bool { return p.HostIPC })),
		perObject(misconfig.Meta{ID: "SS-K8S-005", Title: "hostPath volume", Severity: misconfig.Medium,
			Description: "A hostPath volume exposes the node's filesystem to the pod.",
			Resolution:  "Use a persistentVolumeClaim, configMap, secret or emptyDir instead.",
			References:  pss("baseline", "HostPath Volumes")}, hostPath),
		perObject(misconfig.Meta{ID: "SS-K8S-006", Title: "hostPort used", Severity: misconfig.Medium,
			Description: "A hostPort binds the node's port, bypassing network policy and limiting scheduling.",
			Resolution:  "Remove hostPort; expose the pod with a Service.",
			References:  pss("baseline", "Host Ports")}, perContainer(hostPort)),
		perObject(misconfig.Meta{ID: "SS-K8S-007", Title: "Capability added beyond the baseline set", Severity: misconfig.Medium,
			Description: "Only AUDIT_WRITE, CHOWN, DAC_OVERRIDE, FOWNER, FSETID, KILL, MKNOD, NET_BIND_SERVICE, SETFCAP, SETGID, SETPCAP, SETUID and SYS_CHROOT may be added under the baseline policy.",
			Resolution:  "Remove the capability from securityContext.capabilities.add.",
			References:  pss("baseline", "Capabilities")}, perContainer(baselineCaps)),
		perObject(misconfig.Meta{ID: "SS-K8S-008", Title: "AppArmor profile unconfined", Severity: misconfig.Medium,
			Description: "Overriding or disabling the default AppArmor profile is not allowed under the baseline policy.",
			Resolution:  "Use the RuntimeDefault or a Localhost AppArmor profile.",
			References:  pss("baseline", "AppArmor")}, apparmor),
		perObject(misconfig.Meta{ID: "SS-K8S-009", Title: "Custom SELinux user, role or type", Severity: misconfig.Medium,
			Description: "Setting the SELinux user or role, or a type other than container_t, container_init_t, container_kvm_t or container_engine_t, is not allowed under the baseline policy.",
			Resolution:  "Remove seLinuxOptions.user/role and use an allowed type.",
			References:  pss("baseline", "SELinux")}, selinux),
		perObject(misconfig.Meta{ID: "SS-K8S-010", Title: "Unmasked /proc mount", Severity: misconfig.Medium,
			Description: "procMount: Unmasked exposes kernel interfaces that are normally masked.",
			Resolution:  "Remove procMount or set it to Default.",
			References:  pss("baseline", "/proc Mount Type")}, perContainer(procMount)),
		perObject(misconfig.Meta{ID: "SS-K8S-011", Title: "Seccomp profile Unconfined", Severity: misconfig.Medium,
			Description: "An Unconfined seccomp profile allows every system call.",
			Resolution:  "Use seccompProfile.type: RuntimeDefault (or Localhost).",
			References:  pss("baseline", "Seccomp")}, seccompUnconfined),
		perObject(misconfig.Meta{ID: "SS-K8S-012", Title: "Unsafe sysctl", Severity: misconfig.Medium,
			Description: "Only the namespaced, safe sysctls are allowed under the baseline policy.",
			Resolution:  "Remove the sysctl from securityContext.sysctls.",
			References:  pss("baseline", "Sysctls")}, unsafeSysctls),
		perObject(misconfig.Meta{ID: "SS-K8S-013", Title: "Windows HostProcess pod", Severity: misconfig.High,
			Description: "A Windows HostProcess container has privileged access to the Windows node.",
			Resolution:  "Remove windowsOptions.hostProcess or set it to false.",
			References:  pss("baseline", "HostProcess")}, hostProcess),
		perObject(misconfig.Meta{ID: "SS-K8S-014", Title: "Volume type not allowed by the restricted policy", Severity: misconfig.Low,
			Description: "The restricted policy allows only configMap, csi, downwardAPI, emptyDir, ephemeral, persistentVolumeClaim, projected and secret volumes.",
			Resolution:  "Use one of the allowed volume types (e.g. a persistentVolumeClaim).",
			References:  pss("restricted", "Volume Types")}, volumeTypes),
		perObject(misconfig.Meta{ID: "SS-K8S-015", Title: "Privilege escalation allowed", Severity: misconfig.Medium,
			Description: "allowPrivilegeEscalation is not false, so setuid binaries can raise the process's privileges.",
			Resolution:  "Set securityContext.allowPrivilegeEscalation: false on every container.",
			References:  pss("restricted", "Privilege Escalation")}, perContainer(privEsc)),
		perObject(misconfig.Meta{ID: "SS-K8S-016", Title: "Container may run as root (runAsNonRoot not true)", Severity: misconfig.Medium,
			Description: "Neither the pod nor the container sets runAsNonRoot: true.",
			Resolution:  "Set securityContext.runAsNonRoot: true on the pod (and not false on any container).",
			References:  pss("restricted", "Running as Non-root")}, perContainer(runAsNonRoot)),
		perObject(misconfig.Meta{ID: "SS-K8S-017", Title: "runAsUser is 0 (root)", Severity: misconfig.Medium,
			Description: "The pod or a container explicitly runs as UID 0.",
			Resolution:  "Set runAsUser to a non-zero UID (e.g. 10001).",
			References:  pss("restricted", "Running as Non-root user")}, runAsRoot),
		perObject(misconfig.Meta{ID: "SS-K8S-018", Title: "Seccomp profile not set to RuntimeDefault or Localhost", Severity: misconfig.Low,
			Description: "The restricted policy requires an explicit RuntimeDefault or Localhost seccomp profile.",
			Resolution:  "Set spec.securityContext.seccompProfile.type: RuntimeDefault.",
			References:  pss("restricted", "Seccomp")}, perContainer(seccompRestricted)),
		perObject(misconfig.Meta{ID: "SS-K8S-019", Title: "Capabilities not dropped (drop: [ALL])", Severity: misconfig.Low,
			Description: "The restricted policy requires every container to drop ALL capabilities.",
			Resolution:  "Set securityContext.capabilities.drop: [ALL].",
			References:  pss("restricted", "Capabilities")}, perContainer(dropAll)),
		perObject(misconfig.Meta{ID: "SS-K8S-020", Title: "Capability added other than NET_BIND_SERVICE", Severity: misconfig.Low,
			Description: "The restricted policy allows adding only NET_BIND_SERVICE.",
			Resolution:  "Remove the capability from securityContext.capabilities.add.",
			References:  pss("restricted", "Capabilities")}, perContainer(restrictedCaps)),
		perObject(misconfig.Meta{ID: "SS-K8S-021", Title: "Root filesystem is writable", Severity: misconfig.Low,
			Description: "readOnlyRootFilesystem is not true, so an attacker can change the container's files.",
			Resolution:  "Set securityContext.readOnlyRootFilesystem: true and mount emptyDir where the app writes.",
			References:  []string{"CIS Kubernetes Benchmark 5.7.3", "https://kubernetes.io/docs/tasks/configure-pod-container/security-context/"}}, perContainer(readOnlyRoot)),
		perObject(misconfig.Meta{ID: "SS-K8S-022", Title: "No memory limit", Severity: misconfig.Low,
			Description: "A container without a memory limit can exhaust the node's memory.",
			Resolution:  "Set resources.limits.memory.",
			References:  []string{"https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/"}}, perContainer(limit("memory"))),
		perObject(misconfig.Meta{ID: "SS-K8S-023", Title: "No CPU limit", Severity: misconfig.Low,
			Description: "A container without a CPU limit can starve others on the node.",
			Resolution:  "Set resources.limits.cpu.",
			References:  []string{"https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/"}}, perContainer(limit("cpu"))),
		perObject(misconfig.Meta{ID: "SS-K8S-024", Title: "Image has no tag or uses latest", Severity: misconfig.Medium,
			Description: "The container runs whatever 'latest' points to when the node pulls it.",
			Resolution:  "Pin a version tag, ideally with a digest.",
			References:  []string{"https://kubernetes.io/docs/concepts/containers/images/#image-names"}}, perContainer(imageLatest)),
		perObject(misconfig.Meta{ID: "SS-K8S-025", Title: "Secret in environment variable", Severity: misconfig.High,
			Description: "A literal secret in env is visible to anyone who can read the manifest or the pod.",
			Resolution:  "Use valueFrom.secretKeyRef (a Secret) instead of a literal value.",
			References:  []string{"https://kubernetes.io/docs/concepts/configuration/secret/#using-secrets-as-environment-variables"}}, perContainer(secretEnv)),
	}
}

func privileged(o Object, c ctr) []misconfig.Hit {
	if isTrue(sc(c).Privileged) {
		return h("container "+c.Name+" is privileged", c.path+".securityContext.privileged")
	}
	return nil
}

func hostNS(field string, get func(PodSpec) bool) func(o Object) []misconfig.Hit {
	return func(o Object) []misconfig.Hit {
		if get(o.Spec) {
			return h(field+": true", o.specPath(field))
		}
		return nil
	}
}

func volumeName(v map[string]any) string {
	n, _ := v["name"].(string)
	return n
}

func hostPath(o Object) []misconfig.Hit {
	var hits []misconfig.Hit
	for i, v := range o.Spec.Volumes {
		if hp, ok := v["hostPath"]; ok && hp != nil {
			p := ""
			if m, ok := hp.(map[string]any); ok {
				p, _ = m["path"].(string)
			}
			hits = append(hits, misconfig.Hit{Message: fmt.Sprintf("volume %s mounts host path %s", volumeName(v), p), Path: o.specPath("volumes[" + strconv.Itoa(i) + "].hostPath")})
		}
	}
	return hits
}

func hostPort(o Object, c ctr) []misconfig.Hit {
	var hits []misconfig.Hit
	for i, p := range c.Ports {
		if p.HostPort != 0 {
			hits = append(hits, misconfig.Hit{Message: fmt.Sprintf("container %s binds host port %d", c.Name, p.HostPort), Path: c.path + ".ports[" + strconv.Itoa(i) + "].hostPort"})
		}
	}
	return hits
}

var baselineAllowed = []string{"AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD", "NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT"}

func capName(c string) string {
	return strings.TrimPrefix(strings.ToUpper(strings.TrimSpace(c)), "CAP_")
}

func addedCaps(c ctr, allowed []string, msg string) []misconfig.Hit {
	s := sc(c)
	if s.Capabilities == nil {
		return nil
	}
	var hits []misconfig.Hit
	for i, a := range s.Capabilities.Add {
		if !slices.Contains(allowed, capName(a)) {
			hits = append(hits, misconfig.Hit{Message: fmt.Sprintf("container %s adds %s%s", c.Name, a, msg), Path: c.path + ".securityContext.capabilities.add[" + strconv.Itoa(i) + "]"})
		}
	}
	return hits
}

func baselineCaps(o Object, c ctr) []misconfig.Hit { return addedCaps(c, baselineAllowed, "") }

func restrictedCaps(o Object, c ctr) []misconfig.Hit {
	return addedCaps(c, []string{"NET_BIND_SERVICE"}, "; only NET_BIND_SERVICE may be added")
}

func apparmor(o Object) []misconfig.Hit {
	var hits []misconfig.Hit
	keys := make([]string, 0, len(o.Annotations))
	for k := range o.Annotations {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		v := o.Annotations[k]
		if strings.HasPrefix(k, "container.apparmor.security.beta.kubernetes.io/") && v != "runtime/default" && !strings.HasPrefix(v, "localhost/") {
			hits = append(hits, misconfig.Hit{Message: k + ": " + v, Path: o.metaPath(`annotations["` + k + `"]`)})
		}
	}
	bad := func(p *Profile) bool {
		return p != nil && p.Type != "" && p.Type != "RuntimeDefault" && p.Type != "Localhost"
	}
	if bad(psc(o).AppArmorProfile) {
		hits = append(hits, misconfig.Hit{Message: "pod appArmorProfile.type: " + psc(o).AppArmorProfile.Type, Path: o.specPath("securityContext.appArmorProfile")})
	}
	for _, c := range containers(o) {
		if bad(sc(c).AppArmorProfile) {
			hits = append(hits, misconfig.Hit{Message: "container " + c.Name + " appArmorProfile.type: " + sc(c).AppArmorProfile.Type, Path: c.path + ".securityContext.appArmorProfile"})
		}
	}
	return hits
}

var selinuxTypes = []string{"", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"}

func selinux(o Object) []misconfig.Hit {
	var hits []misconfig.Hit
	check := func(s *SELinuxOptions, who, path string) {
		if s == nil {
			return
		}
		if !slices.Contains(selinuxTypes, s.Type) {
			hits = append(hits, misconfig.Hit{Message: who + " seLinuxOptions.type " + s.Type, Path: path + ".type"})
		}
		if s.User != "" {
			hits = append(hits, misconfig.Hit{Message: who + " seLinuxOptions.user " + s.User, Path: path + ".user"})
		}
		if s.Role != "" {
			hits = append(hits, misconfig.Hit{Message: who + " seLinuxOptions.role " + s.Role, Path: path + ".role"})
		}
	}
	check(psc(o).SELinuxOptions, "pod", o.specPath("securityContext.seLinuxOptions"))
	for _, c := range containers(o) {
		check(sc(c).SELinuxOptions, "container "+c.Name, c.path+".securityContext.seLinuxOptions")
	}
	return hits
}

func procMount(o Object, c ctr) []misconfig.Hit {
	if pm := sc(c).ProcMount; pm != "" && pm != "Default" {
		return h("container "+c.Name+" procMount: "+pm, c.path+".securityContext.procMount")
	}
	return nil
}

func seccompUnconfined(o Object) []misconfig.Hit {
	var hits []misconfig.Hit
	if p := psc(o).SeccompProfile; p != nil && p.Type == "Unconfined" {
		hits = append(hits, misconfig.Hit{Message: "pod seccompProfile.type: Unconfined", Path: o.specPath("securityContext.seccompProfile")})
	}
	for _, c := range containers(o) {
		if p := sc(c).SeccompProfile; p != nil && p.Type == "Unconfined" {
			hits = append(hits, misconfig.Hit{Message: "container " + c.Name + " seccompProfile.type: Unconfined", Path: c.path + ".securityContext.seccompProfile"})
		}
	}
	return hits
}

var safeSysctls = []string{"kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.ip_unprivileged_port_start",
	"net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range", "net.ipv4.ip_local_reserved_ports", "net.ipv4.tcp_keepalive_time",
	"net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_intvl", "net.ipv4.tcp_keepalive_probes"}

func unsafeSysctls(o Object) []misconfig.Hit {
	var hits []misconfig.Hit
	for i, s := range psc(o).Sysctls {
		if !slices.Contains(safeSysctls, s.Name) {
			hits = append(hits, misconfig.Hit{Message: "sysctl " + s.Name, Path: o.specPath("securityContext.sysctls[" + strconv.Itoa(i) + "]")})
		}
	}
	return hits
}

func hostProcess(o Object) []misconfig.Hit {
	var hits []misconfig.Hit
	if w := psc(o).WindowsOptions; w != nil && isTrue(w.HostProcess) {
		hits = append(hits, misconfig.Hit{Message: "pod windowsOptions.hostProcess: true", Path: o.specPath("securityContext.windowsOptions.hostProcess")})
	}
	for _, c := range containers(o) {
		if w := sc(c).WindowsOptions; w != nil && isTrue(w.HostProcess) {
			hits = append(hits, misconfig.Hit{Message: "container " + c.Name + " windowsOptions.hostProcess: true", Path: c.path + ".securityContext.windowsOptions.hostProcess"})
		}
	}
	return hits
}

var allowedVolumes = []string{"configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim", "projected", "secret"}

func volumeTypes(o Object) []misconfig.Hit {
	var hits []misconfig.Hit
	for i, v := range o.Spec.Volumes {
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			if k == "name" || slices.Contains(allowedVolumes, k) {
				continue
			}
			hits = append(hits, misconfig.Hit{Message: fmt.Sprintf("volume %s has type %s", volumeName(v), k), Path: o.specPath("volumes[" + strconv.Itoa(i) + "]")})
		}
	}
	return hits
}

func privEsc(o Object, c ctr) []misconfig.Hit {
	if !isFalse(sc(c).AllowPrivilegeEscalation) {
		return h("container "+c.Name+" does not set allowPrivilegeEscalation: false", c.path+".securityContext")
	}
	return nil
}

func runAsNonRoot(o Object, c ctr) []misconfig.Hit {
	s := sc(c)
	if isFalse(s.RunAsNonRoot) {
		return h("container "+c.Name+" sets runAsNonRoot: false", c.path+".securityContext.runAsNonRoot")
	}
	if isTrue(s.RunAsNonRoot) || isTrue(psc(o).RunAsNonRoot) {
		return nil
	}
	return h("container "+c.Name+": neither it nor the pod sets runAsNonRoot: true", c.path+".securityContext")
}

func runAsRoot(o Object) []misconfig.Hit {
	var hits []misconfig.Hit
	if u := psc(o).RunAsUser; u != nil && *u == 0 {
		hits = append(hits, misconfig.Hit{Message: "pod runAsUser: 0", Path: o.specPath("securityContext.runAsUser")})
	}
	for _, c := range containers(o) {
		if u := sc(c).RunAsUser; u != nil && *u == 0 {
			hits = append(hits, misconfig.Hit{Message: "container " + c.Name + " runAsUser: 0", Path: c.path + ".securityContext.runAsUser"})
		}
	}
	return hits
}

func seccompRestricted(o Object, c ctr) []misconfig.Hit {
	ok := func(p *Profile) bool { return p != nil && (p.Type == "RuntimeDefault" || p.Type == "Localhost") }
	cp := sc(c).SeccompProfile
	if cp != nil && cp.Type != "" {
		if ok(cp) {
			return nil
		}
		return h("container "+c.Name+" seccompProfile.type: "+cp.Type, c.path+".securityContext.seccompProfile")
	}
	if ok(psc(o).SeccompProfile) {
		return nil
	}
	return h("container "+c.Name+": no RuntimeDefault or Localhost seccomp profile on it or the pod", c.path+".securityContext")
}

func dropAll(o Object, c ctr) []misconfig.Hit {
	s := sc(c)
	if s.Capabilities != nil {
		for _, d := range s.Capabilities.Drop {
			if capName(d) == "ALL" {
				return nil
			}
		}
	}
	return h("container "+c.Name+" does not drop ALL capabilities", c.path+".securityContext")
}

func readOnlyRoot(o Object, c ctr) []misconfig.Hit {
	if !isTrue(sc(c).ReadOnlyRootFilesystem) {
		return h("container "+c.Name+" does not set readOnlyRootFilesystem: true", c.path+".securityContext")
	}
	return nil
}

func limit(res string) func(o Object, c ctr) []misconfig.Hit {
	return func(o Object, c ctr) []misconfig.Hit {
		if c.Resources.Limits[res] == "" {
			return h("container "+c.Name+" has no "+res+" limit", c.path+".resources")
		}
		return nil
	}
}

func imageLatest(o Object, c ctr) []misconfig.Hit {
	img := c.Image
	if img == "" || strings.Contains(img, "@") {
		return nil
	}
	slash := strings.LastIndex(img, "/")
	tag := ""
	if i := strings.LastIndex(img, ":"); i > slash {
		tag = img[i+1:]
	}
	if tag == "" || tag == "latest" {
		return h("container "+c.Name+" image "+img+" is not pinned to a version", c.path+".image")
	}
	return nil
}

func secretEnv(o Object, c ctr) []misconfig.Hit {
	var hits []misconfig.Hit
	for i, e := range c.Env {
		if e.ValueFrom != nil {
			continue
		}
		p := c.path + ".env[" + strconv.Itoa(i) + "]"
		if kind := misconfig.SecretValue(e.Value); kind != "" {
			hits = append(hits, misconfig.Hit{Message: "container " + c.Name + " env " + e.Name + " holds what looks like a " + kind, Path: p, Secret: e.Value})
		} else if misconfig.SecretName(e.Name) && !misconfig.Placeholder(e.Value) {
			hits = append(hits, misconfig.Hit{Message: "container " + c.Name + " env " + e.Name + " is a literal secret", Path: p, Secret: e.Value})
		}
	}
	return hits
}
