// Package watch turns the Docker Engine's event stream into runtime alerts: each container
// event (create, start, exec ...) is completed with what the Engine knows about the
// container and the exec, and checked against a small set of rules written in YAML
// (built-in ones, and the user's).
package watch

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"os"
	"path"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

//go:embed builtin.yaml
var builtinYAML []byte

// Severities a rule may have.
var severities = []string{"CRITICAL", "HIGH", "MEDIUM", "LOW", "INFO"}

// vulnSeverities are the vulnerability ratings, highest first (as in the vulnerability DB);
// UNKNOWN, the lowest, makes a threshold count every vulnerability.
var vulnSeverities = []string{"CRITICAL", "HIGH", "MEDIUM", "LOW", "NEGLIGIBLE", "UNKNOWN"}

// Events a rule may name: container event actions, with exec_start called "exec".
var knownEvents = []string{"create", "start", "restart", "exec", "die", "kill", "stop", "pause", "unpause", "attach", "destroy", "oom", "update", "rename", "commit", "copy", "export", "archive-path", "extract-to-dir"}

// Rules is a rule file.
type Rules struct {
	Rules []Rule `yaml:"rules"`
}

// Rule is one alert rule: it fires when every condition of When holds.
type Rule struct {
	ID          string `yaml:"id" json:"id"`
	Title       string `yaml:"title" json:"title"`
	Severity    string `yaml:"severity" json:"severity"`
	Description string `yaml:"description,omitempty" json:"description,omitempty"`
	When        Match  `yaml:"when" json:"when"`
	// Source is the file the rule came from ("builtin" for the built-in ones).
	Source string `yaml:"-" json:"-"`
}

// Match lists the conditions of a rule. Unset conditions are not checked.
type Match struct {
	// Events are the container event actions the rule applies to (required).
	Events []string `yaml:"events"`
	// TTY: the exec (or, for other events, the container) has a terminal.
	TTY *bool `yaml:"tty,omitempty"`
	// Privileged: the container runs privileged, or the exec was started with --privileged.
	Privileged *bool `yaml:"privileged,omitempty"`
	// Root: the process (the exec's, else the container's) runs as root.
	Root *bool `yaml:"root,omitempty"`
	// Commands: the program (exec'd, or the container's entry point) has one of these base
	// names (shell patterns allowed).
	Commands []string `yaml:"commands,omitempty"`
	// Mounts: a host path mounted into the container matches one of these (shell patterns).
	Mounts []string `yaml:"mounts,omitempty"`
	// Images: the container's image name matches one of these (shell patterns).
	Images []string `yaml:"images,omitempty"`
	// Labels: the container carries every one of these labels with the given value ("*"
	// for any value).
	Labels map[string]string `yaml:"labels,omitempty"`
	// CapAdd: the container adds one of these capabilities (ALL matches any).
	CapAdd []string `yaml:"cap_add,omitempty"`
	// HostNamespaces: the container shares one of these host namespaces (network, pid,
	// ipc, uts, userns).
	HostNamespaces []string `yaml:"host_namespaces,omitempty"`
	// Vulnerabilities: the container's image has at least Min known vulnerabilities of
	// Severity or worse.
	Vulnerabilities *VulnMatch `yaml:"vulnerabilities,omitempty"`
}

// VulnMatch is a vulnerability threshold.
type VulnMatch struct {
	Severity string `yaml:"severity"`
	Min      int    `yaml:"min"`
}

// Builtin returns the built-in rules (an error only if the embedded file were broken,
// which the tests rule out).
func Builtin() ([]Rule, error) {
	return Parse(builtinYAML, "builtin")
}

// BuiltinYAML returns the built-in rule file, as documentation and a starting point.
func BuiltinYAML() []byte { return bytes.Clone(builtinYAML) }

// Load reads rule files.
func Load(files ...string) ([]Rule, error) {
	var out []Rule
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("rule file: %w", err)
		}
		rules, err := Parse(data, f)
		if err != nil {
			return nil, err
		}
		out = append(out, rules...)
	}
	return out, nil
}

// Parse reads a rule file. Unknown keys, missing ids or events, unknown events and
// severities are errors that name the file and the rule.
func Parse(data []byte, name string) ([]Rule, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var rs Rules
	if err := dec.Decode(&rs); err != nil {
		return nil, fmt.Errorf("rule file %s: %w (see docs/docker.md for the format)", name, err)
	}
	seen := map[string]bool{}
	var errs []error
	for i := range rs.Rules {
		r := &rs.Rules[i]
		r.Source = name
		where := fmt.Sprintf("rule file %s, rule %d", name, i+1)
		if r.ID != "" {
			where += " (" + r.ID + ")"
		}
		r.Severity = strings.ToUpper(r.Severity)
		switch {
		case r.ID == "":
			errs = append(errs, fmt.Errorf("%s: id is missing", where))
		case seen[r.ID]:
			errs = append(errs, fmt.Errorf("%s: id is used twice", where))
		}
		seen[r.ID] = true
		if r.Title == "" {
			errs = append(errs, fmt.Errorf("%s: title is missing", where))
		}
		if !slices.Contains(severities, r.Severity) {
			errs = append(errs, fmt.Errorf("%s: severity %q is not one of %s", where, r.Severity, strings.Join(severities, ", ")))
		}
		if len(r.When.Events) == 0 {
			errs = append(errs, fmt.Errorf("%s: when.events is missing (e.g. [start] or [exec])", where))
		}
		for _, ev := range r.When.Events {
			if !slices.Contains(knownEvents, ev) {
				errs = append(errs, fmt.Errorf("%s: unknown event %q (known: %s)", where, ev, strings.Join(knownEvents, ", ")))
			}
		}
		for _, p := range slices.Concat(r.When.Commands, r.When.Mounts, r.When.Images) {
			if _, err := path.Match(p, ""); err != nil {
				errs = append(errs, fmt.Errorf("%s: bad pattern %q: %w", where, p, err))
			}
		}
		for _, ns := range r.When.HostNamespaces {
			if !slices.Contains([]string{"network", "pid", "ipc", "uts", "userns"}, ns) {
				errs = append(errs, fmt.Errorf("%s: unknown namespace %q (network, pid, ipc, uts, userns)", where, ns))
			}
		}
		if v := r.When.Vulnerabilities; v != nil {
			v.Severity = strings.ToUpper(v.Severity)
			if !slices.Contains(vulnSeverities, v.Severity) {
				errs = append(errs, fmt.Errorf("%s: vulnerabilities.severity %q is not one of %s", where, v.Severity, strings.Join(vulnSeverities, ", ")))
			}
			if v.Min < 1 {
				v.Min = 1
			}
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return rs.Rules, nil
}

// Merge adds extra rules to base; an extra rule with the id of a base rule replaces it.
func Merge(base, extra []Rule) []Rule {
	out := slices.Clone(base)
	for _, r := range extra {
		if i := slices.IndexFunc(out, func(b Rule) bool { return b.ID == r.ID }); i >= 0 {
			out[i] = r
		} else {
			out = append(out, r)
		}
	}
	return out
}
