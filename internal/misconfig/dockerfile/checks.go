package dockerfile

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/shipshape-dev/shipshape/internal/misconfig"
)

// References used by several checks.
const (
	refBestPractices = "https://docs.docker.com/build/building/best-practices/"
	refReference     = "https://docs.docker.com/reference/dockerfile/"
)

func cis(item string) string { return "CIS Docker Benchmark v1.6.0 " + item }

type check = misconfig.Check[*Dockerfile]

func rule(m misconfig.Meta, fn func(*Dockerfile) []misconfig.Hit) check {
	return misconfig.Rule[*Dockerfile]{M: m, Fn: fn}
}

// Checks returns every built-in Dockerfile check, in id order.
func Checks() []check {
	return []check{
		rule(misconfig.Meta{ID: "SS-DF-001", Title: "Image runs as root: no USER instruction", Severity: misconfig.High,
			Description: "Without a USER instruction the container's processes run as root, so an escape from the application gives root inside the container.",
			Resolution:  "Create an unprivileged user and add `USER <name>` to the final stage.",
			References:  []string{cis("4.1"), refBestPractices + "#user"}}, noUser),
		rule(misconfig.Meta{ID: "SS-DF-002", Title: "Last USER of the final stage is root", Severity: misconfig.High,
			Description: "The final stage switches to root (USER root or USER 0) and does not switch back.",
			Resolution:  "End the final stage with `USER <unprivileged user>`; switch to root only for the steps that need it.",
			References:  []string{cis("4.1")}}, rootUser),
		rule(misconfig.Meta{ID: "SS-DF-003", Title: "ADD used where COPY fits", Severity: misconfig.Low,
			Description: "ADD of a local file or folder that is not an archive does what COPY does, plus implicit extraction and remote fetching that may surprise.",
			Resolution:  "Use COPY for local files; keep ADD for local tar archives that must be extracted.",
			References:  []string{cis("4.9"), refBestPractices + "#add-or-copy"}}, addWhereCopy),
		rule(misconfig.Meta{ID: "SS-DF-004", Title: "ADD fetches a remote URL", Severity: misconfig.Medium,
			Description: "ADD <url> downloads at build time with no integrity check unless --checksum is given.",
			Resolution:  "Download with curl or wget and verify a checksum in the same RUN, or give ADD --checksum=sha256:<digest>.",
			References:  []string{cis("4.9"), refBestPractices + "#add-or-copy"}}, addURL),
		rule(misconfig.Meta{ID: "SS-DF-005", Title: "Base image uses the 'latest' tag", Severity: misconfig.Medium,
			Description: "'latest' moves: the same Dockerfile builds a different image tomorrow, and a rebuild may silently pick up breaking or vulnerable changes.",
			Resolution:  "Pin a specific version tag (e.g. debian:12.7-slim), ideally with its digest.",
			References:  []string{cis("4.2"), refBestPractices + "#from"}}, latestTag),
		rule(misconfig.Meta{ID: "SS-DF-006", Title: "Base image has no tag", Severity: misconfig.Medium,
			Description: "A FROM without tag or digest means 'latest'.",
			Resolution:  "Pin a specific version tag, ideally with its digest.",
			References:  []string{cis("4.2"), refBestPractices + "#from"}}, noTag),
		rule(misconfig.Meta{ID: "SS-DF-007", Title: "Base image not pinned by digest (informational)", Severity: misconfig.Low,
			Description: "A tag can be re-pointed by whoever controls the repository; only a digest names one exact image.",
			Resolution:  "Append @sha256:<digest> to the FROM reference and let a bot (Renovate, Dependabot) update it.",
			References:  []string{cis("4.2"), cis("4.5"), refBestPractices + "#pin-base-image-versions"}}, noDigest),
		rule(misconfig.Meta{ID: "SS-DF-008", Title: "apt-get install without -y", Severity: misconfig.Medium,
			Description: "Without -y (--yes) apt-get waits for a confirmation the build cannot give and fails, or the build depends on defaults.",
			Resolution:  "Use `apt-get install -y ...`.",
			References:  []string{refBestPractices + "#apt-get"}}, aptNoYes),
		rule(misconfig.Meta{ID: "SS-DF-009", Title: "apt-get install without --no-install-recommends", Severity: misconfig.Low,
			Description: "Recommended packages are installed too, adding size and attack surface the image does not need.",
			Resolution:  "Use `apt-get install -y --no-install-recommends ...`.",
			References:  []string{cis("4.3"), refBestPractices + "#apt-get"}}, aptRecommends),
		rule(misconfig.Meta{ID: "SS-DF-010", Title: "apt package lists not removed after install", Severity: misconfig.Low,
			Description: "/var/lib/apt/lists stays in the layer: tens of megabytes of stale index data.",
			Resolution:  "End the same RUN with `&& rm -rf /var/lib/apt/lists/*`, or use a cache mount (RUN --mount=type=cache,target=/var/lib/apt).",
			References:  []string{refBestPractices + "#apt-get"}}, aptNoCleanup),
		rule(misconfig.Meta{ID: "SS-DF-011", Title: "apt packages installed without pinned versions", Severity: misconfig.Low,
			Description: "Unpinned packages make builds unrepeatable.",
			Resolution:  "Pin versions: `apt-get install -y pkg=1.2.3-1`.",
			References:  []string{refBestPractices + "#apt-get"}}, aptUnpinned),
		rule(misconfig.Meta{ID: "SS-DF-012", Title: "apt used instead of apt-get", Severity: misconfig.Low,
			Description: "apt is meant for people; its command-line interface is not stable for scripts.",
			Resolution:  "Use apt-get (or apt-cache) in Dockerfiles.",
			References:  []string{refBestPractices + "#apt-get"}}, aptNotAptGet),
		rule(misconfig.Meta{ID: "SS-DF-013", Title: "Package index update alone in a RUN", Severity: misconfig.Medium,
			Description: "A RUN that only updates the package index is cached apart from the install that follows, so later builds install from a stale index.",
			Resolution:  "Update and install in the same RUN: `RUN apt-get update && apt-get install -y ...`.",
			References:  []string{cis("4.7"), refBestPractices + "#apt-get"}}, updateAlone),
		rule(misconfig.Meta{ID: "SS-DF-014", Title: "apk add without --no-cache", Severity: misconfig.Low,
			Description: "The apk index cache stays in the layer.",
			Resolution:  "Use `apk add --no-cache ...`.",
			References:  []string{refBestPractices}}, apkNoCache),
		rule(misconfig.Meta{ID: "SS-DF-015", Title: "apk packages installed without pinned versions", Severity: misconfig.Low,
			Description: "Unpinned packages make builds unrepeatable.",
			Resolution:  "Pin versions: `apk add --no-cache pkg=1.2.3-r0`.",
			References:  []string{refBestPractices}}, apkUnpinned),
		rule(misconfig.Meta{ID: "SS-DF-016", Title: "yum/dnf install without cleaning the cache", Severity: misconfig.Low,
			Description: "The package manager's cache stays in the layer.",
			Resolution:  "End the same RUN with `&& yum clean all` (dnf clean all, microdnf clean all) or remove /var/cache/yum (/var/cache/dnf).",
			References:  []string{refBestPractices}}, yumNoClean),
		rule(misconfig.Meta{ID: "SS-DF-017", Title: "zypper install without cleaning the cache", Severity: misconfig.Low,
			Description: "zypper's cache stays in the layer.",
			Resolution:  "End the same RUN with `&& zypper clean -a`.",
			References:  []string{refBestPractices}}, zypperNoClean),
		rule(misconfig.Meta{ID: "SS-DF-018", Title: "pip install without --no-cache-dir", Severity: misconfig.Low,
			Description: "pip keeps downloaded wheels in ~/.cache/pip inside the layer.",
			Resolution:  "Use `pip install --no-cache-dir ...` (or set ENV PIP_NO_CACHE_DIR=1, or a cache mount).",
			References:  []string{refBestPractices}}, pipCache),
		rule(misconfig.Meta{ID: "SS-DF-019", Title: "Remote script piped into a shell", Severity: misconfig.High,
			Description: "curl/wget output is run unverified: whoever controls the URL (or the network) controls the build.",
			Resolution:  "Download to a file, verify its checksum or signature, then run it.",
			References:  []string{cis("4.11"), refBestPractices}}, curlPipeShell),
		rule(misconfig.Meta{ID: "SS-DF-020", Title: "Secret in ENV", Severity: misconfig.High,
			Description: "ENV values are stored in the image config and visible to anyone who can pull the image.",
			Resolution:  "Pass secrets at run time (orchestrator secrets, mounted files) or at build time with RUN --mount=type=secret.",
			References:  []string{cis("4.10"), "https://docs.docker.com/build/building/secrets/"}}, secretEnv),
		rule(misconfig.Meta{ID: "SS-DF-021", Title: "Secret in ARG", Severity: misconfig.High,
			Description: "Build argument values are recorded in the image history.",
			Resolution:  "Use RUN --mount=type=secret,id=<name> and `docker build --secret`.",
			References:  []string{cis("4.10"), "https://docs.docker.com/build/building/secrets/"}}, secretArg),
		rule(misconfig.Meta{ID: "SS-DF-022", Title: "Secret in LABEL", Severity: misconfig.High,
			Description: "Labels are stored in the image config and visible to anyone who can pull the image.",
			Resolution:  "Remove the secret from the label; labels are public metadata.",
			References:  []string{cis("4.10")}}, secretLabel),
		rule(misconfig.Meta{ID: "SS-DF-023", Title: "No HEALTHCHECK in the final stage", Severity: misconfig.Low,
			Description: "Without a health check the engine cannot tell a hung container from a healthy one.",
			Resolution:  "Add `HEALTHCHECK CMD <command that fails when the service is unhealthy>`.",
			References:  []string{cis("4.6"), refReference + "#healthcheck"}}, noHealthcheck),
		rule(misconfig.Meta{ID: "SS-DF-024", Title: "More than one HEALTHCHECK in a stage", Severity: misconfig.Medium,
			Description: "Only the last HEALTHCHECK takes effect; the others are dead code that misleads readers.",
			Resolution:  "Keep one HEALTHCHECK per stage.",
			References:  []string{refReference + "#healthcheck"}}, multiHealthcheck),
		rule(misconfig.Meta{ID: "SS-DF-025", Title: "sudo used in RUN", Severity: misconfig.Medium,
			Description: "sudo in an image adds a setuid binary and unpredictable TTY and signal behaviour; builds run as root anyway.",
			Resolution:  "Switch with USER root for the steps that need it, or use gosu/su-exec at run time.",
			References:  []string{refBestPractices + "#user"}}, sudoUsed),
		rule(misconfig.Meta{ID: "SS-DF-026", Title: "SSH port 22 exposed", Severity: misconfig.Medium,
			Description: "Running an SSH server in a container widens the attack surface; use docker exec instead.",
			Resolution:  "Remove EXPOSE 22 and the SSH server.",
			References:  []string{cis("5.7")}}, exposeSSH),
		rule(misconfig.Meta{ID: "SS-DF-027", Title: "EXPOSE port out of range", Severity: misconfig.Medium,
			Description: "A port must be between 1 and 65535.",
			Resolution:  "Fix the port number.",
			References:  []string{refReference + "#expose"}}, exposeRange),
		rule(misconfig.Meta{ID: "SS-DF-028", Title: "World-writable permissions set", Severity: misconfig.Medium,
			Description: "chmod 777 (or --chmod with a world-writable mode) lets any user in the container change the files, including what later runs as root.",
			Resolution:  "Grant the least permissions needed (e.g. 755 or 750) and chown to the user that needs write access.",
			References:  []string{refBestPractices}}, worldWritable),
		rule(misconfig.Meta{ID: "SS-DF-029", Title: "WORKDIR is a relative path", Severity: misconfig.Medium,
			Description: "A relative WORKDIR depends on the previous one and breaks when instructions move.",
			Resolution:  "Use an absolute path: `WORKDIR /app`.",
			References:  []string{refBestPractices + "#workdir"}}, relativeWorkdir),
		rule(misconfig.Meta{ID: "SS-DF-030", Title: "More than one CMD in a stage", Severity: misconfig.Medium,
			Description: "Only the last CMD takes effect.",
			Resolution:  "Keep one CMD per stage.",
			References:  []string{refReference + "#cmd"}}, multi("cmd")),
		rule(misconfig.Meta{ID: "SS-DF-031", Title: "More than one ENTRYPOINT in a stage", Severity: misconfig.Medium,
			Description: "Only the last ENTRYPOINT takes effect.",
			Resolution:  "Keep one ENTRYPOINT per stage.",
			References:  []string{refReference + "#entrypoint"}}, multi("entrypoint")),
		rule(misconfig.Meta{ID: "SS-DF-032", Title: "CMD or ENTRYPOINT in shell form", Severity: misconfig.Low,
			Description: "The shell form runs the process under /bin/sh -c: it is not PID 1 and does not receive SIGTERM, so containers stop only when killed.",
			Resolution:  `Use the exec form: CMD ["app", "--flag"].`,
			References:  []string{refBestPractices + "#entrypoint", refReference + "#shell-and-exec-form"}}, shellForm),
		rule(misconfig.Meta{ID: "SS-DF-033", Title: "Whole build context copied with no .dockerignore", Severity: misconfig.Medium,
			Description: "COPY . copies everything in the context, including .git, .env files and credentials, when no .dockerignore excludes them.",
			Resolution:  "Add a .dockerignore (exclude .git, .env, secrets, build output) or copy only what the image needs.",
			References:  []string{cis("4.10"), "https://docs.docker.com/build/concepts/context/#dockerignore-files"}}, copyAll),
		rule(misconfig.Meta{ID: "SS-DF-034", Title: "RUN with --security=insecure", Severity: misconfig.High,
			Description: "The step runs with all capabilities and no seccomp/AppArmor confinement, like a privileged container.",
			Resolution:  "Remove --security=insecure; grant only what the step needs.",
			References:  []string{refReference + "#run---security", cis("5.5")}}, runInsecure),
		rule(misconfig.Meta{ID: "SS-DF-035", Title: "RUN with --network=host", Severity: misconfig.Medium,
			Description: "The step shares the build host's network stack and can reach its local services.",
			Resolution:  "Remove --network=host; use the default network, or --network=none for steps that need none.",
			References:  []string{refReference + "#run---network", cis("5.10")}}, runHostNetwork),
		rule(misconfig.Meta{ID: "SS-DF-036", Title: "MAINTAINER is deprecated", Severity: misconfig.Low,
			Description: "MAINTAINER has been deprecated in favour of a label.",
			Resolution:  `Use LABEL org.opencontainers.image.authors="name <email>".`,
			References:  []string{refReference + "#maintainer-deprecated"}}, maintainer),
		rule(misconfig.Meta{ID: "SS-DF-037", Title: "RUN starts with cd instead of using WORKDIR", Severity: misconfig.Low,
			Description: "cd in a RUN affects only that RUN, which is easy to misread.",
			Resolution:  "Use WORKDIR <absolute path> before the RUN.",
			References:  []string{refBestPractices + "#workdir"}}, runCd),
		rule(misconfig.Meta{ID: "SS-DF-038", Title: "COPY --from refers to its own stage", Severity: misconfig.Medium,
			Description: "A stage cannot copy from itself; the build fails or copies from an unintended image.",
			Resolution:  "Name an earlier stage or an image in --from.",
			References:  []string{refReference + "#copy---from"}}, copyFromSelf),
		rule(misconfig.Meta{ID: "SS-DF-039", Title: "Duplicate stage name", Severity: misconfig.Medium,
			Description: "Two stages have the same AS name; references to it become ambiguous.",
			Resolution:  "Give every stage a unique name.",
			References:  []string{refReference + "#from"}}, duplicateAlias),
		rule(misconfig.Meta{ID: "SS-DF-040", Title: "COPY/ADD of several sources to a destination that is not a folder", Severity: misconfig.Medium,
			Description: "With more than one source the destination must be a folder ending in '/'.",
			Resolution:  "End the destination with '/'.",
			References:  []string{refReference + "#copy"}}, multiSourceDest),
		rule(misconfig.Meta{ID: "SS-DF-041", Title: "Credential file copied into the image", Severity: misconfig.High,
			Description: "SSH keys, .env files, cloud and registry credentials copied into a layer stay there for anyone who can pull the image, even if deleted later.",
			Resolution:  "Use RUN --mount=type=secret (or type=ssh) for build-time credentials and mount them at run time.",
			References:  []string{cis("4.10"), "https://docs.docker.com/build/building/secrets/"}}, copyCredentials),
		rule(misconfig.Meta{ID: "SS-DF-042", Title: "Pipe in RUN without pipefail", Severity: misconfig.Low,
			Description: "A RUN with a pipe succeeds when the last command succeeds, hiding a failed download or build step before the pipe.",
			Resolution:  `Add SHELL ["/bin/bash", "-o", "pipefail", "-c"] before the RUN, or start it with set -o pipefail.`,
			References:  []string{refBestPractices + "#using-pipes"}}, pipefail),
	}
}

// --- helpers ---

func allInstructions(d *Dockerfile, cmd string) []Instruction {
	var out []Instruction
	for _, s := range d.Stages {
		out = append(out, s.All(cmd)...)
	}
	return out
}

// runCmds calls fn for each RUN of the Dockerfile with its commands.
func eachRun(d *Dockerfile, fn func(in Instruction, cmds []command)) {
	for _, in := range allInstructions(d, "run") {
		fn(in, splitScript(script(in)))
	}
}

func isUserRoot(u string) bool {
	u = strings.TrimSpace(u)
	user, _, _ := strings.Cut(u, ":")
	return user == "root" || user == "0"
}

func noUser(d *Dockerfile) []misconfig.Hit {
	st, ok := d.Final()
	if !ok || st.Base.Scratch && len(st.All("run")) == 0 && len(st.All("cmd")) == 0 && len(st.All("entrypoint")) == 0 {
		return nil
	}
	if _, ok := st.Last("user"); ok {
		return nil
	}
	// A final stage built on an earlier stage inherits that stage's USER.
	for base := st; base.Base.Stage; {
		found := false
		for _, s := range d.Stages[:base.Index] {
			if s.Name == strings.ToLower(base.Base.Name) {
				if u, ok := s.Last("user"); ok && !isUserRoot(strings.Join(u.Args, " ")) {
					return nil
				}
				base, found = s, true
				break
			}
		}
		if !found {
			break
		}
	}
	return []misconfig.Hit{d.hit(st.From, "the final stage has no USER instruction, so it runs as root unless the base image sets a user")}
}

func rootUser(d *Dockerfile) []misconfig.Hit {
	st, ok := d.Final()
	if !ok {
		return nil
	}
	if u, ok := st.Last("user"); ok && isUserRoot(strings.Join(u.Args, " ")) {
		return []misconfig.Hit{d.hit(u, "the final stage's last USER is "+strings.Join(u.Args, " "))}
	}
	return nil
}

var archiveExts = []string{".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tbz", ".tar.xz", ".txz", ".tar.zst", ".tzst", ".tar.lz", ".tar.lzma", ".gz", ".bz2", ".xz", ".zst"}

func isArchive(s string) bool {
	l := strings.ToLower(s)
	for _, e := range archiveExts {
		if strings.HasSuffix(l, e) {
			return true
		}
	}
	return false
}

func isURL(s string) bool {
	l := strings.ToLower(s)
	return strings.HasPrefix(l, "http://") || strings.HasPrefix(l, "https://") || strings.HasPrefix(l, "git@") || strings.HasPrefix(l, "git://")
}

// sources returns the source arguments of COPY/ADD (all but the destination).
func sources(in Instruction) []string {
	if len(in.Heredocs) > 0 || len(in.Args) < 2 {
		return nil
	}
	var out []string
	for _, a := range in.Args[:len(in.Args)-1] {
		if !strings.HasPrefix(a, "<<") {
			out = append(out, a)
		}
	}
	return out
}

func addWhereCopy(d *Dockerfile) []misconfig.Hit {
	var hits []misconfig.Hit
	for _, in := range allInstructions(d, "add") {
		for _, s := range sources(in) {
			if !isURL(s) && !isArchive(s) && !strings.Contains(s, "$") {
				hits = append(hits, d.hit(in, fmt.Sprintf("ADD %s copies a local file or folder; COPY does the same without side effects", s)))
				break
			}
		}
	}
	return hits
}

func addURL(d *Dockerfile) []misconfig.Hit {
	var hits []misconfig.Hit
	for _, in := range allInstructions(d, "add") {
		if _, ok := in.Flag("checksum"); ok {
			continue
		}
		for _, s := range sources(in) {
			if isURL(s) {
				hits = append(hits, d.hit(in, "ADD downloads "+s+" without --checksum"))
				break
			}
		}
	}
	return hits
}

// pinnable returns the stages whose base image is a real, literal image reference.
func pinnable(d *Dockerfile) []Stage {
	var out []Stage
	for _, s := range d.Stages {
		if !s.Base.Scratch && !s.Base.Stage && !s.Base.Variable && s.Base.Name != "" {
			out = append(out, s)
		}
	}
	return out
}

func latestTag(d *Dockerfile) []misconfig.Hit {
	var hits []misconfig.Hit
	for _, s := range pinnable(d) {
		if s.Base.Tag == "latest" && s.Base.Digest == "" {
			hits = append(hits, d.hit(s.From, s.Base.Raw+" uses the 'latest' tag"))
		}
	}
	return hits
}

func noTag(d *Dockerfile) []misconfig.Hit {
	var hits []misconfig.Hit
	for _, s := range pinnable(d) {
		if s.Base.Tag == "" && s.Base.Digest == "" {
			hits = append(hits, d.hit(s.From, s.Base.Raw+" has no tag, so it means "+s.Base.Raw+":latest"))
		}
	}
	return hits
}

func noDigest(d *Dockerfile) []misconfig.Hit {
	var hits []misconfig.Hit
	for _, s := range pinnable(d) {
		if s.Base.Digest == "" {
			hits = append(hits, d.hit(s.From, s.Base.Raw+" is not pinned by digest"))
		}
	}
	return hits
}

// subcommand returns the first non-option word of args.
func subcommand(args []string) string {
	for _, a := range args {
		if !strings.HasPrefix(a, "-") {
			return a
		}
	}
	return ""
}

// operands returns the non-option words after the subcommand, skipping the values of
// options listed in withValue.
func operands(args []string, withValue ...string) []string {
	var out []string
	seenSub := false
	for i := 0; i < len(args); i++ {
		a := args[i]
		if strings.HasPrefix(a, "-") {
			for _, w := range withValue {
				if a == w {
					i++
				}
			}
			continue
		}
		if !seenSub {
			seenSub = true
			continue
		}
		out = append(out, a)
	}
	return out
}

func hasFlag(args []string, long string, short byte) bool {
	for _, a := range args {
		if a == long {
			return true
		}
		if short != 0 && len(a) > 1 && a[0] == '-' && a[1] != '-' && strings.IndexByte(a[1:], short) >= 0 {
			return true
		}
	}
	return false
}

func aptInstalls(cmds []command) [][]string {
	var out [][]string
	for _, c := range cmds {
		if name, args := c.name(); (name == "apt-get" || name == "apt") && subcommand(args) == "install" {
			out = append(out, args)
		}
	}
	return out
}

func aptNoYes(d *Dockerfile) []misconfig.Hit {
	var hits []misconfig.Hit
	eachRun(d, func(in Instruction, cmds []command) {
		for _, args := range aptInstalls(cmds) {
			if !hasFlag(args, "--yes", 'y') && !hasFlag(args, "--assume-yes", 0) && !strings.Contains(strings.Join(args, " "), "Assume-Yes=true") {
				hits = append(hits, d.hit(in, "apt-get install without -y"))
				return
			}
		}
	})
	return hits
}

func aptRecommends(d *Dockerfile) []misconfig.Hit {
	var hits []misconfig.Hit
	eachRun(d, func(in Instruction, cmds []command) {
		for _, args := range aptInstalls(cmds) {
			j := strings.Join(args, " ")
			if !strings.Contains(j, "--no-install-recommends") && !strings.Contains(j, "Install-Recommends=false") && !strings.Contains(j, "Install-Recommends=0") {
				hits = append(hits, d.hit(in, "apt-get install without --no-install-recommends"))
				return
			}
		}
	})
	return hits
}

func cacheMount(in Instruction, target string) bool {
	for _, f := range in.Flags {
		if strings.HasPrefix(f, "--mount=") && strings.Contains(f, "type=cache") && strings.Contains(f, target) {
			return true
		}
	}
	return false
}

func removes(cmds []command, path string) bool {
	for _, c := range cmds {
		if name, args := c.name(); name == "rm" {
			for _, a := range args {
				if strings.HasPrefix(a, path) {
					return true
				}
			}
		}
	}
	return false
}

func aptNoCleanup(d *Dockerfile) []misconfig.Hit {
	var hits []misconfig.Hit
	eachRun(d, func(in Instruction, cmds []command) {
		if len(aptInstalls(cmds)) == 0 || cacheMount(in, "/var/lib/apt") {
			return
		}
		if !removes(cmds, "/var/lib/apt/lists") {
			hits = append(hits, d.hit(in, "apt-get install without removing /var/lib/apt/lists in the same RUN"))
		}
	})
	return hits
}

func unpinned(pkgs []string, pinned func(string) bool) []string {
	var out []string
	for _, p := range pkgs {
		if strings.Contains(p, "$") || strings.ContainsAny(p, "/") || strings.HasSuffix(p, ".deb") || strings.HasSuffix(p, ".rpm") || strings.HasSuffix(p, ".apk") {
			continue
		}
		if !pinned(p) {
			out = append(out, p)
		}
	}
	return out
}

func aptUnpinned(d *Dockerfile) []misconfig.Hit {
	var hits []misconfig.Hit
	eachRun(d, func(in Instruction, cmds []command) {
		for _, args := range aptInstalls(cmds) {
			if u := unpinned(operands(args, "-o", "-t", "--target-release", "-c"), func(p string) bool { return strings.Contains(p, "=") }); len(u) > 0 {
				hits = append(hits, d.hit(in, "unpinned: "+strings.Join(u, ", ")))
				return
			}
		}
	})
	return hits
}

func aptNotAptGet(d *Dockerfile) []misconfig.Hit {
	var hits []misconfig.Hit
	eachRun(d, func(in Instruction, cmds []command) {
		for _, c := range cmds {
			if name, args := c.name(); name == "apt" {
				switch subcommand(args) {
				case "install", "update", "upgrade", "remove", "purge", "autoremove", "full-upgrade", "dist-upgrade":
					hits = append(hits, d.hit(in, "apt "+subcommand(args)+" in a RUN"))
					return
				}
			}
		}
	})
	return hits
}

func updateAlone(d *Dockerfile) []misconfig.Hit {
	var hits []misconfig.Hit
	eachRun(d, func(in Instruction, cmds []command) {
		update, install := "", false
		for _, c := range cmds {
			name, args := c.name()
			sub := subcommand(args)
			switch {
			case (name == "apt-get" || name == "apt" || name == "apk") && sub == "update":
				update = name + " update"
			case (name == "yum" || name == "dnf") && (sub == "makecache" || sub == "check-update"):
				update = name + " " + sub
			case (name == "apt-get" || name == "apt" || name == "yum" || name == "dnf" || name == "zypper") && (sub == "install" || sub == "upgrade" || sub == "dist-upgrade" || sub == "full-upgrade" || sub == "build-dep" || sub == "in"),
				name == "apk" && (sub == "add" || sub == "upgrade"):
				install = true
			}
		}
		if update != "" && !install {
			hits = append(hits, d.hit(in, update+" without an install in the same RUN"))
		}
	})
	return hits
}

func apkAdds(cmds []command) [][]string {
	var out [][]string
	for _, c := range cmds {
		if name, args := c.name(); name == "apk" && subcommand(args) == "add" {
			out = append(out, args)
		}
	}
	return out
}

func apkNoCache(d *Dockerfile) []misconfig.Hit {
	var hits []misconfig.Hit
	eachRun(d, func(in Instruction, cmds []command) {
		if cacheMount(in, "/var/cache/apk") || removes(cmds, "/var/cache/apk") {
			return
		}
		for _, args := range apkAdds(cmds) {
			if !hasFlag(args, "--no-cache", 0) {
				hits = append(hits, d.hit(in, "apk add without --no-cache"))
				return
			}
		}
	})
	return hits
}

func apkUnpinned(d *Dockerfile) []misconfig.Hit {
	var hits []misconfig.Hit
	eachRun(d, func(in Instruction, cmds []command) {
		for _, args := range apkAdds(cmds) {
			if u := unpinned(operands(args, "-t", "--virtual", "-X", "--repository", "--root", "-p"), func(p string) bool { return strings.ContainsAny(p, "=<>~") }); len(u) > 0 {
				hits = append(hits, d.hit(in, "unpinned: "+strings.Join(u, ", ")))
				return
			}
		}
	})
	return hits
}

func yumNoClean(d *Dockerfile) []misconfig.Hit {
	var hits []misconfig.Hit
	eachRun(d, func(in Instruction, cmds []command) {
		installer, cleaned := "", false
		for _, c := range cmds {
			name, args := c.name()
			if name != "yum" && name != "dnf" && name != "microdnf" && name != "tdnf" {
				continue
			}
			switch subcommand(args) {
			case "install", "groupinstall", "localinstall", "update", "upgrade", "reinstall":
				installer = name
			case "clean":
				cleaned = true
			}
		}
		if installer == "" || cleaned || removes(cmds, "/var/cache/yum") || removes(cmds, "/var/cache/dnf") || cacheMount(in, "/var/cache") {
			return
		}
		hits = append(hits, d.hit(in, installer+" install without "+installer+" clean all in the same RUN"))
	})
	return hits
}

func zypperNoClean(d *Dockerfile) []misconfig.Hit {
	var hits []misconfig.Hit
	eachRun(d, func(in Instruction, cmds []command) {
		install, cleaned := false, false
		for _, c := range cmds {
			name, args := c.name()
			if name != "zypper" {
				continue
			}
			switch subcommand(args) {
			case "install", "in", "update", "up", "patch", "dist-upgrade", "dup":
				install = true
			case "clean", "cc":
				cleaned = true
			}
		}
		if install && !cleaned && !removes(cmds, "/var/cache/zypp") && !cacheMount(in, "/var/cache/zypp") {
			hits = append(hits, d.hit(in, "zypper install without zypper clean in the same RUN"))
		}
	})
	return hits
}

func pipCache(d *Dockerfile) []misconfig.Hit {
	var hits []misconfig.Hit
	for _, s := range d.Stages {
		envOff := false
		for _, in := range s.Instructions {
			if in.Cmd == "env" {
				for _, kv := range in.KeyValues {
					if strings.EqualFold(kv.Key, "PIP_NO_CACHE_DIR") && kv.Value != "" && kv.Value != "0" && !strings.EqualFold(kv.Value, "false") {
						envOff = true
					}
				}
			}
			if in.Cmd != "run" || envOff || cacheMount(in, ".cache/pip") {
				continue
			}
			for _, c := range splitScript(script(in)) {
				name, args := c.name()
				if name == "python" || name == "python3" {
					if len(args) >= 2 && args[0] == "-m" && strings.HasPrefix(args[1], "pip") {
						name, args = "pip", args[2:]
					}
				}
				if (name == "pip" || name == "pip3") && subcommand(args) == "install" && !hasFlag(args, "--no-cache-dir", 0) {
					hits = append(hits, d.hit(in, "pip install without --no-cache-dir"))
					break
				}
			}
		}
	}
	return hits
}

func isFetch(name string) bool { return name == "curl" || name == "wget" }

func isInterpreter(name string) bool {
	if isShell(name) {
		return true
	}
	switch name {
	case "python", "python3", "perl", "ruby", "node", "php":
		return true
	}
	return false
}

func curlPipeShell(d *Dockerfile) []misconfig.Hit {
	var hits []misconfig.Hit
	eachRun(d, func(in Instruction, cmds []command) {
		fetchIn := map[int]bool{}
		for _, c := range cmds {
			name, args := c.name()
			if isFetch(name) {
				fetchIn[c.Pipeline] = true
			}
			if isInterpreter(name) {
				if fetchIn[c.Pipeline] {
					hits = append(hits, d.hit(in, "output of curl/wget piped into "+name))
					return
				}
				// sh -c "$(curl ...)" and bash <(curl ...)
				for _, a := range args {
					if strings.Contains(a, "$(curl") || strings.Contains(a, "$(wget") || strings.Contains(a, "`curl") || strings.Contains(a, "`wget") || strings.Contains(a, "<(curl") || strings.Contains(a, "<(wget") {
						hits = append(hits, d.hit(in, "script downloaded with curl/wget run by "+name))
						return
					}
				}
			}
		}
		if s := script(in); strings.Contains(s, "<(curl") || strings.Contains(s, "<(wget") {
			hits = append(hits, d.hit(in, "script downloaded with curl/wget run by a shell"))
		}
	})
	return hits
}

// maskedHit is a hit whose code excerpt has the secret value masked.
func (d *Dockerfile) maskedHit(in Instruction, value, msg string) misconfig.Hit {
	h := d.hit(in, msg)
	if value != "" {
		h.Code = strings.ReplaceAll(h.Code, value, misconfig.Mask(value))
	}
	return h
}

func secretKV(d *Dockerfile, cmd string) []misconfig.Hit {
	var hits []misconfig.Hit
	for _, in := range allInstructions(d, cmd) {
		for _, kv := range in.KeyValues {
			if kind := misconfig.SecretValue(kv.Value); kind != "" {
				hits = append(hits, d.maskedHit(in, kv.Value, fmt.Sprintf("%s %s holds what looks like a %s", strings.ToUpper(cmd), kv.Key, kind)))
				continue
			}
			if misconfig.SecretName(kv.Key) && !misconfig.Placeholder(kv.Value) {
				hits = append(hits, d.maskedHit(in, kv.Value, fmt.Sprintf("%s %s sets a secret-looking name to a literal value", strings.ToUpper(cmd), kv.Key)))
			}
		}
	}
	return hits
}

func secretEnv(d *Dockerfile) []misconfig.Hit   { return secretKV(d, "env") }
func secretLabel(d *Dockerfile) []misconfig.Hit { return secretKV(d, "label") }

func secretArg(d *Dockerfile) []misconfig.Hit {
	var hits []misconfig.Hit
	args := append(append([]Instruction{}, d.GlobalArgs...), allInstructions(d, "arg")...)
	for _, in := range args {
		for _, a := range in.Args {
			name, value, _ := strings.Cut(a, "=")
			value = unquote(value)
			if kind := misconfig.SecretValue(value); kind != "" {
				hits = append(hits, d.maskedHit(in, value, fmt.Sprintf("ARG %s defaults to what looks like a %s", name, kind)))
				continue
			}
			if misconfig.SecretName(name) {
				msg := fmt.Sprintf("ARG %s looks like a secret; build argument values are kept in the image history", name)
				hits = append(hits, d.maskedHit(in, value, msg))
			}
		}
	}
	return hits
}

func noHealthcheck(d *Dockerfile) []misconfig.Hit {
	st, ok := d.Final()
	if !ok {
		return nil
	}
	hc, ok := st.Last("healthcheck")
	if !ok {
		return []misconfig.Hit{d.hit(st.From, "the final stage has no HEALTHCHECK")}
	}
	if len(hc.Args) > 0 && strings.EqualFold(hc.Args[0], "none") {
		return []misconfig.Hit{d.hit(hc, "HEALTHCHECK NONE disables the health check")}
	}
	return nil
}

func multiHealthcheck(d *Dockerfile) []misconfig.Hit { return multi("healthcheck")(d) }

func multi(cmd string) func(*Dockerfile) []misconfig.Hit {
	return func(d *Dockerfile) []misconfig.Hit {
		var hits []misconfig.Hit
		for _, s := range d.Stages {
			all := s.All(cmd)
			for _, in := range all[min(1, len(all)):] {
				hits = append(hits, d.hit(in, fmt.Sprintf("stage %d has %d %s instructions; only the last one counts", s.Index, len(all), strings.ToUpper(cmd))))
			}
		}
		return hits
	}
}

func sudoUsed(d *Dockerfile) []misconfig.Hit {
	var hits []misconfig.Hit
	eachRun(d, func(in Instruction, cmds []command) {
		for _, c := range cmds {
			if len(c.Words) > 0 && (c.Words[0] == "sudo" || strings.HasSuffix(c.Words[0], "/sudo")) {
				hits = append(hits, d.hit(in, "sudo in RUN"))
				return
			}
		}
	})
	return hits
}

// ports returns the port numbers of an EXPOSE (ranges give their ends), skipping variables.
func ports(in Instruction) []string {
	var out []string
	for _, a := range in.Args {
		p, _, _ := strings.Cut(a, "/")
		if strings.Contains(p, "$") {
			continue
		}
		lo, hi, ok := strings.Cut(p, "-")
		out = append(out, lo)
		if ok {
			out = append(out, hi)
		}
	}
	return out
}

func exposeSSH(d *Dockerfile) []misconfig.Hit {
	var hits []misconfig.Hit
	for _, in := range allInstructions(d, "expose") {
		for _, a := range in.Args {
			p, proto, _ := strings.Cut(a, "/")
			if p == "22" && (proto == "" || strings.EqualFold(proto, "tcp")) {
				hits = append(hits, d.hit(in, "port 22 exposed"))
			}
		}
	}
	return hits
}

func exposeRange(d *Dockerfile) []misconfig.Hit {
	var hits []misconfig.Hit
	for _, in := range allInstructions(d, "expose") {
		for _, p := range ports(in) {
			n, err := strconv.Atoi(p)
			if err != nil || n < 1 || n > 65535 {
				hits = append(hits, d.hit(in, "port "+p+" is not between 1 and 65535"))
			}
		}
	}
	return hits
}

// worldWritableMode reports whether a chmod mode (octal or symbolic) grants write to others.
func worldWritableMode(m string) bool {
	if m == "" {
		return false
	}
	if n, err := strconv.ParseUint(m, 8, 32); err == nil {
		// The sticky bit (as on /tmp, mode 1777) keeps others from removing files they do
		// not own; that is the normal mode of shared temporary folders.
		return n&0o002 != 0 && n&0o1000 == 0
	}
	for _, clause := range strings.Split(m, ",") {
		i := strings.IndexAny(clause, "+=")
		if i < 0 {
			continue
		}
		w, perms := clause[:i], clause[i+1:]
		if (w == "" || strings.ContainsAny(w, "oa")) && strings.Contains(perms, "w") && !strings.Contains(perms, "t") {
			return true
		}
	}
	return false
}

func worldWritable(d *Dockerfile) []misconfig.Hit {
	var hits []misconfig.Hit
	for _, s := range d.Stages {
		for _, in := range s.Instructions {
			switch in.Cmd {
			case "copy", "add":
				if m, ok := in.Flag("chmod"); ok && worldWritableMode(m) {
					hits = append(hits, d.hit(in, "--chmod="+m+" makes the files world-writable"))
				}
			case "run":
				for _, c := range splitScript(script(in)) {
					name, args := c.name()
					if name != "chmod" {
						continue
					}
					for _, a := range args {
						if !strings.HasPrefix(a, "-") && worldWritableMode(a) {
							hits = append(hits, d.hit(in, "chmod "+a+" makes files world-writable"))
							break
						}
					}
				}
			}
		}
	}
	return hits
}

func relativeWorkdir(d *Dockerfile) []misconfig.Hit {
	var hits []misconfig.Hit
	for _, in := range allInstructions(d, "workdir") {
		p := strings.Trim(strings.Join(in.Args, " "), `"'`)
		if p == "" || strings.HasPrefix(p, "/") || strings.HasPrefix(p, "$") || len(p) >= 2 && p[1] == ':' {
			continue
		}
		hits = append(hits, d.hit(in, "WORKDIR "+p+" is relative"))
	}
	return hits
}

func shellForm(d *Dockerfile) []misconfig.Hit {
	var hits []misconfig.Hit
	st, ok := d.Final()
	if !ok {
		return nil
	}
	for _, cmd := range []string{"entrypoint", "cmd"} {
		if in, ok := st.Last(cmd); ok && !in.JSON && len(in.Args) > 0 {
			hits = append(hits, d.hit(in, strings.ToUpper(cmd)+" in shell form"))
		}
	}
	return hits
}

func copyAll(d *Dockerfile) []misconfig.Hit {
	if d.HasDockerignore {
		return nil
	}
	var hits []misconfig.Hit
	for _, s := range d.Stages {
		for _, in := range s.Instructions {
			if in.Cmd != "copy" && in.Cmd != "add" {
				continue
			}
			if _, ok := in.Flag("from"); ok {
				continue
			}
			for _, src := range sources(in) {
				if src == "." || src == "./" || src == "*" || src == "./*" || src == "/" {
					hits = append(hits, d.hit(in, "copies the whole build context and no .dockerignore was found next to the Dockerfile"))
					break
				}
			}
		}
	}
	return hits
}

func runInsecure(d *Dockerfile) []misconfig.Hit { return runFlag(d, "security", "insecure") }

func runHostNetwork(d *Dockerfile) []misconfig.Hit { return runFlag(d, "network", "host") }

// runFlag finds RUN instructions with --flag=value.
func runFlag(d *Dockerfile, flag, value string) []misconfig.Hit {
	var hits []misconfig.Hit
	for _, in := range allInstructions(d, "run") {
		if v, ok := in.Flag(flag); ok && v == value {
			hits = append(hits, d.hit(in, "RUN --"+flag+"="+value))
		}
	}
	return hits
}

func maintainer(d *Dockerfile) []misconfig.Hit {
	var hits []misconfig.Hit
	for _, in := range allInstructions(d, "maintainer") {
		hits = append(hits, d.hit(in, "MAINTAINER instruction"))
	}
	return hits
}

func runCd(d *Dockerfile) []misconfig.Hit {
	var hits []misconfig.Hit
	eachRun(d, func(in Instruction, cmds []command) {
		if len(cmds) > 0 {
			if name, args := cmds[0].name(); name == "cd" && len(args) > 0 && strings.HasPrefix(args[0], "/") {
				hits = append(hits, d.hit(in, "RUN cd "+args[0]))
			}
		}
	})
	return hits
}

func copyFromSelf(d *Dockerfile) []misconfig.Hit {
	var hits []misconfig.Hit
	for _, s := range d.Stages {
		for _, in := range s.All("copy") {
			from, ok := in.Flag("from")
			if !ok {
				continue
			}
			if strings.EqualFold(from, s.Name) && s.Name != "" || from == strconv.Itoa(s.Index) {
				hits = append(hits, d.hit(in, "COPY --from="+from+" inside stage "+from))
			}
		}
	}
	return hits
}

func duplicateAlias(d *Dockerfile) []misconfig.Hit {
	var hits []misconfig.Hit
	seen := map[string]bool{}
	for _, s := range d.Stages {
		if s.Name == "" {
			continue
		}
		if seen[s.Name] {
			hits = append(hits, d.hit(s.From, "stage name "+s.Name+" is used more than once"))
		}
		seen[s.Name] = true
	}
	return hits
}

func multiSourceDest(d *Dockerfile) []misconfig.Hit {
	var hits []misconfig.Hit
	for _, s := range d.Stages {
		for _, in := range s.Instructions {
			if (in.Cmd != "copy" && in.Cmd != "add") || len(in.Heredocs) > 0 {
				continue
			}
			srcs := sources(in)
			multiple := len(srcs) > 1
			for _, src := range srcs {
				if strings.ContainsAny(src, "*?[") {
					multiple = true
				}
			}
			if !multiple || len(srcs) < 2 {
				continue
			}
			dest := in.Args[len(in.Args)-1]
			if !strings.HasSuffix(dest, "/") && !strings.Contains(dest, "$") {
				hits = append(hits, d.hit(in, fmt.Sprintf("%d sources copied to %s, which does not end with '/'", len(srcs), dest)))
			}
		}
	}
	return hits
}

// credentialFile reports whether a copied path names a credential file.
func credentialFile(p string) bool {
	p = strings.TrimSuffix(strings.ToLower(p), "/")
	base := p
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		base = p[i+1:]
	}
	switch base {
	case "id_rsa", "id_dsa", "id_ecdsa", "id_ed25519", ".ssh", ".env", ".npmrc", ".pypirc", ".netrc", ".git-credentials",
		".aws", "credentials", ".docker", "config.json.secret", ".htpasswd", ".pgpass", "secrets.yml", "secrets.yaml", "service-account.json":
		return true
	}
	if strings.HasPrefix(base, ".env.") && base != ".env.example" && base != ".env.sample" && base != ".env.template" {
		return true
	}
	return strings.HasSuffix(base, ".pem") && strings.Contains(base, "key") || strings.HasSuffix(base, ".key") || strings.HasSuffix(base, ".p12") || strings.HasSuffix(base, ".pfx")
}

func copyCredentials(d *Dockerfile) []misconfig.Hit {
	var hits []misconfig.Hit
	for _, s := range d.Stages {
		for _, in := range s.Instructions {
			if in.Cmd != "copy" && in.Cmd != "add" {
				continue
			}
			for _, src := range sources(in) {
				if credentialFile(src) {
					hits = append(hits, d.hit(in, src+" looks like a credential file"))
					break
				}
			}
		}
	}
	return hits
}

func pipefail(d *Dockerfile) []misconfig.Hit {
	var hits []misconfig.Hit
	for _, s := range d.Stages {
		shellHasPipefail := false
		nonPosix := false
		for _, in := range s.Instructions {
			if in.Cmd == "shell" {
				j := strings.Join(in.Args, " ")
				shellHasPipefail = strings.Contains(j, "pipefail")
				nonPosix = len(in.Args) > 0 && (strings.Contains(strings.ToLower(in.Args[0]), "pwsh") || strings.Contains(strings.ToLower(in.Args[0]), "powershell") || strings.Contains(strings.ToLower(in.Args[0]), "cmd"))
				continue
			}
			if in.Cmd != "run" || in.JSON || shellHasPipefail || nonPosix {
				continue
			}
			s := script(in)
			if strings.Contains(s, "pipefail") {
				continue
			}
			cmds := splitScript(s)
			for i := 1; i < len(cmds); i++ {
				if cmds[i].Pipeline == cmds[i-1].Pipeline {
					hits = append(hits, d.hit(in, "RUN with a pipe and no pipefail"))
					break
				}
			}
		}
	}
	return hits
}
