package watch

import (
	"context"
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/events"

	"github.com/shipshape-dev/shipshape/internal/docker"
)

// Event is one container event with what the Engine knew about it when it was read.
type Event struct {
	Time        time.Time
	Action      string // create, start, exec, ...
	ContainerID string
	Name        string
	Image       string
	// Container is the container's inspect (nil when it was gone already).
	Container *container.InspectResponse
	// Exec is set for exec events (nil when the exec could not be inspected).
	Exec *container.ExecProcessConfig
	// Command is the exec'd command line, from the event itself.
	Command string
}

// Alert is one rule that fired.
type Alert struct {
	Time        string `json:"time"`
	Rule        string `json:"rule"`
	Title       string `json:"title"`
	Severity    string `json:"severity"`
	Event       string `json:"event"`
	Container   string `json:"container"`
	ContainerID string `json:"containerID"`
	Image       string `json:"image,omitempty"`
	Command     string `json:"command,omitempty"`
	User        string `json:"user,omitempty"`
	TTY         bool   `json:"tty,omitempty"`
	// Details says what matched.
	Details string `json:"details,omitempty"`
}

// String is the readable form of an alert, one line.
func (a Alert) String() string {
	s := fmt.Sprintf("%s %-8s %s: %s (container %s", a.Time, a.Severity, a.Rule, a.Title, a.Container)
	if a.Image != "" {
		s += ", image " + a.Image
	}
	if a.Command != "" {
		s += fmt.Sprintf(", command %q", a.Command)
	}
	if a.User != "" {
		s += ", user " + a.User
	}
	if a.TTY {
		s += ", tty"
	}
	s += ")"
	if a.Details != "" {
		s += ": " + a.Details
	}
	return s
}

// VulnCounts returns how many known vulnerabilities an image has per severity
// (CRITICAL, HIGH, ...). The watcher calls it only for rules that need it.
type VulnCounts func(ctx context.Context, imageID string) (map[string]int, error)

// Evaluate checks ev against rules and returns the alerts, in rule order. A rule whose
// condition cannot be evaluated (e.g. the exec was gone) is skipped, and why is
// returned in skipped.
func Evaluate(ctx context.Context, rules []Rule, ev *Event, vulns VulnCounts) (alerts []Alert, skipped []string) {
	for _, r := range rules {
		ok, details, why := match(ctx, &r.When, ev, vulns)
		if why != "" {
			skipped = append(skipped, fmt.Sprintf("rule %s on %s of %s: %s", r.ID, ev.Action, ev.Name, why))
			continue
		}
		if !ok {
			continue
		}
		a := Alert{Time: ev.Time.UTC().Format(time.RFC3339), Rule: r.ID, Title: r.Title, Severity: r.Severity,
			Event: ev.Action, Container: ev.Name, ContainerID: ev.ContainerID, Image: ev.Image, Command: ev.Command,
			Details: strings.Join(details, "; ")}
		if ev.Exec != nil {
			a.User = userOf(ev)
			a.TTY = ev.Exec.Tty
		}
		alerts = append(alerts, a)
	}
	return alerts, skipped
}

// userOf is the user the event's process runs as ("root" when none is set).
func userOf(ev *Event) string {
	u := ""
	if ev.Exec != nil {
		u = ev.Exec.User
	}
	if u == "" && ev.Container != nil && ev.Container.Config != nil {
		u = ev.Container.Config.User
	}
	if u == "" {
		return "root"
	}
	return u
}

func isRoot(u string) bool {
	name, _, _ := strings.Cut(u, ":")
	return name == "" || name == "root" || name == "0"
}

func anyMatch(patterns []string, s string) bool {
	for _, p := range patterns {
		if ok, _ := path.Match(p, s); ok {
			return true
		}
	}
	return false
}

// match evaluates m; why is set when it cannot be evaluated.
func match(ctx context.Context, m *Match, ev *Event, vulns VulnCounts) (ok bool, details []string, why string) {
	if !slices.Contains(m.Events, ev.Action) {
		return false, nil, ""
	}
	c := ev.Container
	needContainer := m.Privileged != nil || m.Mounts != nil || m.Labels != nil || m.CapAdd != nil || m.HostNamespaces != nil ||
		(m.Root != nil && ev.Action != "exec") || (m.TTY != nil && ev.Action != "exec") || (m.Commands != nil && ev.Action != "exec")
	if needContainer && (c == nil || c.HostConfig == nil || c.Config == nil) {
		return false, nil, "the container could not be inspected (removed already?)"
	}
	if ev.Action == "exec" && ev.Exec == nil && (m.TTY != nil || m.Root != nil || m.Commands != nil || m.Privileged != nil) {
		return false, nil, "the exec could not be inspected (finished and removed already?)"
	}
	if m.TTY != nil {
		tty := false
		if ev.Action == "exec" {
			tty = ev.Exec.Tty
		} else {
			tty = c.Config.Tty
		}
		if tty != *m.TTY {
			return false, nil, ""
		}
		if tty {
			details = append(details, "with a terminal")
		}
	}
	if m.Privileged != nil {
		priv := c.HostConfig.Privileged
		if ev.Action == "exec" && ev.Exec.Privileged != nil && *ev.Exec.Privileged {
			priv = true
		}
		if priv != *m.Privileged {
			return false, nil, ""
		}
		if priv {
			details = append(details, "privileged")
		}
	}
	if m.Root != nil {
		u := userOf(ev)
		if isRoot(u) != *m.Root {
			return false, nil, ""
		}
		details = append(details, "as user "+u)
	}
	if m.Commands != nil {
		prog := ""
		if ev.Action == "exec" {
			prog = ev.Exec.Entrypoint
		} else {
			prog = c.Path
		}
		if !anyMatch(m.Commands, path.Base(prog)) {
			return false, nil, ""
		}
		details = append(details, "program "+prog)
	}
	if m.Mounts != nil {
		var hits []string
		for _, mp := range c.Mounts {
			if mp.Source != "" && anyMatch(m.Mounts, path.Clean(mp.Source)) {
				hits = append(hits, mp.Source+" at "+mp.Destination)
			}
		}
		if len(hits) == 0 {
			return false, nil, ""
		}
		slices.Sort(hits)
		details = append(details, "mounts "+strings.Join(hits, ", "))
	}
	if m.Images != nil && !anyMatch(m.Images, ev.Image) {
		return false, nil, ""
	}
	if m.Labels != nil {
		keys := make([]string, 0, len(m.Labels))
		for k := range m.Labels {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			v, has := c.Config.Labels[k]
			if !has || (m.Labels[k] != "*" && m.Labels[k] != v) {
				return false, nil, ""
			}
		}
	}
	if m.CapAdd != nil {
		var hits []string
		for _, cp := range c.HostConfig.CapAdd {
			cp = strings.TrimPrefix(strings.ToUpper(cp), "CAP_")
			for _, want := range m.CapAdd {
				want = strings.TrimPrefix(strings.ToUpper(want), "CAP_")
				if want == cp || want == "ALL" || cp == "ALL" {
					hits = append(hits, cp)
					break
				}
			}
		}
		if len(hits) == 0 {
			return false, nil, ""
		}
		details = append(details, "adds "+strings.Join(hits, ", "))
	}
	if m.HostNamespaces != nil {
		modes := map[string]string{"network": string(c.HostConfig.NetworkMode), "pid": string(c.HostConfig.PidMode),
			"ipc": string(c.HostConfig.IpcMode), "uts": string(c.HostConfig.UTSMode), "userns": string(c.HostConfig.UsernsMode)}
		var hits []string
		for _, ns := range m.HostNamespaces {
			if modes[ns] == "host" {
				hits = append(hits, ns)
			}
		}
		if len(hits) == 0 {
			return false, nil, ""
		}
		details = append(details, "host "+strings.Join(hits, ", ")+" namespace")
	}
	if v := m.Vulnerabilities; v != nil {
		if vulns == nil {
			return false, nil, "no vulnerability lookup is configured"
		}
		if c == nil || c.Image == "" {
			return false, nil, "the container's image is not known"
		}
		counts, err := vulns(ctx, c.Image)
		if err != nil {
			return false, nil, fmt.Sprintf("the image %s could not be scanned: %v", ev.Image, err)
		}
		n := 0
		for _, s := range vulnSeverities[:slices.Index(vulnSeverities, v.Severity)+1] {
			n += counts[s]
		}
		if n < v.Min {
			return false, nil, ""
		}
		details = append(details, fmt.Sprintf("%d vulnerabilities of severity %s or worse in the image", n, v.Severity))
	}
	return true, details, ""
}

// Watcher follows an Engine's events and emits alerts.
type Watcher struct {
	Engine *docker.Engine
	Rules  []Rule
	Vulns  VulnCounts
	// Warn hears about events a rule could not be evaluated for and about reconnects.
	Warn func(string)
	// Ready, when set, is called once the event stream is open.
	Ready func()
}

// Run follows the events until ctx is done (then it returns nil). A broken stream is
// reopened after a pause, with a warning; the events in between are read back with
// "since" so none are missed.
func (w *Watcher) Run(ctx context.Context, emit func(Alert) error) error {
	warn := w.Warn
	if warn == nil {
		warn = func(string) {}
	}
	since := ""
	backoff := time.Second
	first := true
	for {
		msgs, errs := w.Engine.ContainerEventsSince(ctx, since)
		if first && w.Ready != nil {
			w.Ready()
		}
		first = false
		err := w.follow(ctx, msgs, errs, emit, warn, &since)
		if ctx.Err() != nil {
			return nil
		}
		var emitErr emitError
		if errors.As(err, &emitErr) {
			return emitErr.err
		}
		warn(fmt.Sprintf("the event stream from the Docker Engine at %s ended (%v); reconnecting in %s", w.Engine.Endpoint, err, backoff))
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 30*time.Second)
	}
}

type emitError struct{ err error }

func (e emitError) Error() string { return e.err.Error() }

func (w *Watcher) follow(ctx context.Context, msgs <-chan events.Message, errs <-chan error, emit func(Alert) error, warn func(string), since *string) error {
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case err, ok := <-errs:
			if !ok {
				return errors.New("closed")
			}
			return err
		case m, ok := <-msgs:
			if !ok {
				return errors.New("closed")
			}
			if m.TimeNano > 0 {
				n := m.TimeNano + 1 // just after this event, so it is not read twice
				*since = fmt.Sprintf("%d.%09d", n/1e9, n%1e9)
			}
			ev := w.complete(ctx, m)
			if ev == nil {
				continue
			}
			alerts, skipped := Evaluate(ctx, w.Rules, ev, w.Vulns)
			for _, s := range skipped {
				warn(s)
			}
			for _, a := range alerts {
				if err := emit(a); err != nil {
					return emitError{err}
				}
			}
		}
	}
}

// complete turns an event message into an Event with the container (and exec) inspected.
func (w *Watcher) complete(ctx context.Context, m events.Message) *Event {
	if m.Type != events.ContainerEventType {
		return nil
	}
	action, cmd, _ := strings.Cut(string(m.Action), ": ")
	switch action {
	case "exec_start":
		action = "exec"
	case "exec_create", "exec_die", "exec_detach":
		return nil
	}
	t := time.Unix(0, m.TimeNano)
	if m.TimeNano == 0 {
		t = time.Unix(m.Time, 0)
	}
	ev := &Event{Time: t, Action: action, ContainerID: m.Actor.ID, Name: m.Actor.Attributes["name"],
		Image: m.Actor.Attributes["image"], Command: strings.TrimSpace(cmd)}
	if action == "destroy" {
		return ev
	}
	if c, err := w.Engine.InspectContainer(ctx, m.Actor.ID); err == nil {
		ev.Container = c
		if ev.Name == "" {
			ev.Name = strings.TrimPrefix(c.Name, "/")
		}
	}
	if action == "exec" {
		if id := m.Actor.Attributes["execID"]; id != "" {
			if x, err := w.Engine.ExecInspect(ctx, id); err == nil && x.ProcessConfig != nil {
				ev.Exec = x.ProcessConfig
			}
		}
	}
	return ev
}
