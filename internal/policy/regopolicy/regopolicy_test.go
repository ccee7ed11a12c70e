package regopolicy

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shipshape-dev/shipshape/internal/inventory"
)

const examples = "../../../examples/policies"

func load(t *testing.T, name string) *Policies {
	t.Helper()
	p, err := Load(context.Background(), []string{filepath.Join(examples, name)})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func messagesOf(t *testing.T, p *Policies, doc any) (deny, warn []string) {
	t.Helper()
	rs, err := p.Eval(context.Background(), doc)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rs {
		if r.Rule == Deny {
			deny = append(deny, r.Message)
		} else {
			warn = append(warn, r.Message)
		}
	}
	return deny, warn
}

func image(user string, tags ...string) map[string]any {
	t := map[string]any{"name": "app.tar", "kind": "image", "repoTags": tags}
	if user != "-" {
		t["config"] = map[string]any{"user": user}
	}
	return map[string]any{"target": t}
}

func TestDenyRootUser(t *testing.T) {
	p := load(t, "deny-root-user.rego")
	for _, tc := range []struct {
		user string
		deny bool
	}{{"", true}, {"-", true}, {"root", true}, {"0", true}, {"0:0", true}, {"app", false}, {"1000:1000", false}, {"nobody", false}} {
		deny, _ := messagesOf(t, p, image(tc.user, "registry.example.com/app:1"))
		if (len(deny) > 0) != tc.deny {
			t.Errorf("user %q: deny %q, want denied %v", tc.user, deny, tc.deny)
		}
	}
	// A folder scan has no user to check.
	if deny, _ := messagesOf(t, p, map[string]any{"target": map[string]any{"name": ".", "kind": "filesystem"}}); len(deny) > 0 {
		t.Errorf("filesystem denied: %q", deny)
	}
}

func TestApprovedRegistries(t *testing.T) {
	p := load(t, "approved-registries.rego")
	for _, tc := range []struct {
		tags []string
		deny int
	}{
		{[]string{"registry.example.com/team/app:1.2"}, 0},
		{[]string{"ghcr.io/example-org/app:1"}, 0},
		{[]string{"ghcr.io/other-org/app:1"}, 1},
		{[]string{"alpine:3.19"}, 1}, // docker.io
		{[]string{"localhost:5000/app:1"}, 1},
		{[]string{"registry.example.com/app:1", "docker.io/library/app:1"}, 1},
		{nil, 1}, // nothing to check
	} {
		deny, _ := messagesOf(t, p, image("app", tc.tags...))
		if len(deny) != tc.deny {
			t.Errorf("%q: deny %q, want %d", tc.tags, deny, tc.deny)
		}
	}
}

func TestDenyCritical(t *testing.T) {
	p := load(t, "deny-critical.rego")
	vuln := func(id, sev, fixed string, suppressed bool) map[string]any {
		v := map[string]any{"id": id, "pkgName": "minimist", "installedVersion": "1.2.0", "severity": sev}
		if fixed != "" {
			v["fixedVersion"] = fixed
		}
		if suppressed {
			v["suppressed"] = map[string]any{"kind": "vex"}
		}
		return v
	}
	doc := map[string]any{"target": map[string]any{"kind": "filesystem"}, "vulnerabilities": []any{
		vuln("CVE-2021-44906", "CRITICAL", "1.2.6", false),
		vuln("CVE-2020-7598", "MEDIUM", "1.2.3", false),
		vuln("CVE-9999-0001", "CRITICAL", "", false),
		vuln("CVE-9999-0002", "CRITICAL", "2.0", true),
	}}
	deny, warn := messagesOf(t, p, doc)
	if len(deny) != 1 || !strings.Contains(deny[0], "CVE-2021-44906") || len(warn) != 1 || !strings.Contains(warn[0], "CVE-9999-0001") {
		t.Errorf("deny %q, warn %q", deny, warn)
	}
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, src string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, tc := range []struct {
		name, src, want string
	}{
		{"syntax.rego", "package x\n\ndeny contains msg if {\n  msg := \n}\n", "syntax.rego:"},
		{"norules.rego", "package x\n\nallow := true\n", "no module defines a deny or warn rule"},
		{"v0.rego", "package x\n\ndeny[msg] { msg := \"a\" }\n", "v0.rego"},
	} {
		_, err := Load(context.Background(), []string{write(tc.name, tc.src)})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.want)
		}
	}
	if _, err := Load(context.Background(), []string{filepath.Join(dir, "missing.rego")}); err == nil || !strings.Contains(err.Error(), "missing.rego") {
		t.Errorf("missing file: %v", err)
	}
	// A rule whose value is not a set of messages is an evaluation error naming the file.
	p, err := Load(context.Background(), []string{write("num.rego", "package y\n\ndeny contains 42 if true\n")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Eval(context.Background(), map[string]any{}); err == nil || !strings.Contains(err.Error(), "num.rego") {
		t.Errorf("a number as message: %v", err)
	}
}

// TestAllExamplesLoad: a folder is searched for policies, and each example defines a deny.
func TestAllExamplesLoad(t *testing.T) {
	p, err := Load(context.Background(), []string{examples})
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]bool{}
	for _, q := range p.queries {
		if q.rule == Deny {
			files[filepath.Base(q.file)] = true
		}
	}
	if len(files) != 3 {
		t.Errorf("deny rules in %v, want the three examples", files)
	}
	if Denied([]inventory.PolicyResult{{Rule: Deny}, {Rule: Warn}, {Rule: Deny}}) != 2 {
		t.Error("Denied miscounts")
	}
}
