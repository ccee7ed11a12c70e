package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/shipshape-dev/shipshape/internal/imagetest"
	"github.com/shipshape-dev/shipshape/internal/policy"
)

// TestCIDocYAML parses every YAML block of docs/ci.md: the CI snippets must be valid YAML,
// the ignore-file example a valid ignore file, and every shipshape command in them must name
// a command and flags that exist.
func TestCIDocYAML(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(imagetest.RepoRoot(), "docs", "ci.md"))
	if err != nil {
		t.Fatal(err)
	}
	var blocks []string
	for _, part := range strings.Split(string(data), "```yaml\n")[1:] {
		body, _, ok := strings.Cut(part, "```")
		if !ok {
			t.Fatal("unterminated yaml block in docs/ci.md")
		}
		blocks = append(blocks, body)
	}
	if len(blocks) < 4 {
		t.Fatalf("docs/ci.md has %d yaml blocks, want the ignore file and three CI examples", len(blocks))
	}
	commands := 0
	ignoreFiles := 0
	for i, b := range blocks {
		var doc any
		if err := yaml.Unmarshal([]byte(b), &doc); err != nil {
			t.Errorf("block %d: %v\n%s", i, err, b)
			continue
		}
		if strings.HasPrefix(b, "vulnerabilities:") {
			ignoreFiles++
			if _, err := policy.ParseIgnoreYAML([]byte(b), "docs/ci.md"); err != nil {
				t.Errorf("the ignore file example: %v", err)
			}
		}
		walkStrings(doc, func(s string) {
			for _, line := range strings.Split(s, "\n") {
				line = strings.TrimSpace(line)
				if !strings.HasPrefix(line, "shipshape ") {
					continue
				}
				commands++
				checkCommandLine(t, line)
			}
		})
	}
	// The Jenkinsfile: its sh steps that run shipshape.
	for _, part := range strings.Split(string(data), "```groovy\n")[1:] {
		body, _, _ := strings.Cut(part, "```")
		for _, line := range strings.Split(body, "\n") {
			line = strings.TrimSpace(line)
			if cmd, ok := strings.CutPrefix(line, "sh 'shipshape "); ok {
				commands++
				checkCommandLine(t, "shipshape "+strings.TrimSuffix(cmd, "'"))
			}
		}
	}
	if ignoreFiles != 1 || commands < 7 {
		t.Errorf("%d ignore file examples and %d shipshape commands found in docs/ci.md", ignoreFiles, commands)
	}
}

func walkStrings(v any, f func(string)) {
	switch x := v.(type) {
	case string:
		f(x)
	case []any:
		for _, e := range x {
			walkStrings(e, f)
		}
	case map[string]any:
		for _, e := range x {
			walkStrings(e, f)
		}
	}
}

// checkCommandLine resolves a documented command line against the real command tree and
// parses its flags.
func checkCommandLine(t *testing.T, line string) {
	t.Helper()
	args := strings.Fields(line)[1:]
	g := &globals{stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}, now: time.Now}
	root := newRoot(g)
	cmd, rest, err := root.Find(args)
	if err != nil || cmd == root {
		t.Errorf("%q: no such command (%v)", line, err)
		return
	}
	if err := cmd.ParseFlags(rest); err != nil {
		t.Errorf("%q: %v", line, err)
	}
}
