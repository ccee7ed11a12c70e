package watch

import (
	"strings"
	"testing"
)

func TestBuiltinRules(t *testing.T) {
	rules, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range rules {
		ids = append(ids, r.ID)
	}
	if got := strings.Join(ids, ","); got != "SS-W-001,SS-W-002,SS-W-003,SS-W-004,SS-W-005" {
		t.Errorf("built-in rules %s", got)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, yaml, want string
	}{
		{"unknown key", "rules:\n  - id: X\n    title: t\n    severity: HIGH\n    when: {events: [start], privileged: true, privilegd: true}\n", "privilegd"},
		{"no events", "rules:\n  - id: X\n    title: t\n    severity: HIGH\n    when: {privileged: true}\n", "when.events is missing"},
		{"unknown event", "rules:\n  - id: X\n    title: t\n    severity: HIGH\n    when: {events: [boot]}\n", `unknown event "boot"`},
		{"bad severity", "rules:\n  - id: X\n    title: t\n    severity: urgent\n    when: {events: [start]}\n", `severity "URGENT"`},
		{"duplicate id", "rules:\n  - {id: X, title: t, severity: LOW, when: {events: [start]}}\n  - {id: X, title: t, severity: LOW, when: {events: [start]}}\n", "id is used twice"},
		{"bad pattern", "rules:\n  - {id: X, title: t, severity: LOW, when: {events: [start], images: ['[']}}\n", "bad pattern"},
		{"bad namespace", "rules:\n  - {id: X, title: t, severity: LOW, when: {events: [start], host_namespaces: [mnt]}}\n", `unknown namespace "mnt"`},
		{"bad vuln severity", "rules:\n  - {id: X, title: t, severity: LOW, when: {events: [start], vulnerabilities: {severity: bad}}}\n", "vulnerabilities.severity"},
		{"not yaml", "rules: [", "rule file f.yaml"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.yaml), "f.yaml")
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "f.yaml") {
				t.Errorf("err = %v, want one naming f.yaml and holding %q", err, tc.want)
			}
		})
	}
}

func TestMergeReplacesByID(t *testing.T) {
	b, _ := Builtin()
	extra, err := Parse([]byte("rules:\n  - {id: SS-W-002, title: mine, severity: LOW, when: {events: [create], privileged: true}}\n  - {id: MY-1, title: new, severity: INFO, when: {events: [die]}}\n"), "x")
	if err != nil {
		t.Fatal(err)
	}
	m := Merge(b, extra)
	if len(m) != 6 || m[1].Title != "mine" || m[5].ID != "MY-1" {
		t.Errorf("merged: %+v", m)
	}
}

func FuzzParse(f *testing.F) {
	f.Add(BuiltinYAML())
	f.Add([]byte("rules:\n  - {id: X, title: t, severity: LOW, when: {events: [start], labels: {a: '*'}, cap_add: [ALL]}}\n"))
	f.Add([]byte("rules: [{}]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		rules, err := Parse(data, "fuzz")
		if err != nil {
			return
		}
		for _, r := range rules {
			if r.ID == "" || len(r.When.Events) == 0 {
				t.Fatalf("accepted an incomplete rule %+v", r)
			}
		}
	})
}

func TestAlertString(t *testing.T) {
	a := Alert{Time: "2026-11-27T03:30:12Z", Rule: "SS-W-001", Title: "Interactive shell opened in a container", Severity: "HIGH",
		Event: "exec", Container: "web-1", Image: "alpine:3.19", Command: "sh", User: "root", TTY: true, Details: "with a terminal; program sh"}
	want := `2026-11-27T03:30:12Z HIGH     SS-W-001: Interactive shell opened in a container (container web-1, image alpine:3.19, command "sh", user root, tty): with a terminal; program sh`
	if got := a.String(); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}
