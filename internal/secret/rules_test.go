package secret

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestRules checks the table: unique ids, valid expressions with at most one secret group,
// keywords present, known severities.
func TestRules(t *testing.T) {
	rules := Rules()
	if len(rules) < 80 {
		t.Errorf("%d rules, want at least 80", len(rules))
	}
	seen := map[string]bool{}
	for _, r := range rules {
		if seen[r.ID] {
			t.Errorf("duplicate rule id %s", r.ID)
		}
		seen[r.ID] = true
		re, err := regexp.Compile(r.Regex)
		if err != nil {
			t.Errorf("%s: %v", r.ID, err)
			continue
		}
		if strings.Count(r.Regex, "(?P<secret>") > 1 {
			t.Errorf("%s: more than one secret group", r.ID)
		}
		_ = re
		if len(r.Keywords) == 0 || r.Category == "" || r.Title == "" {
			t.Errorf("%s: keywords, category and title are required", r.ID)
		}
		switch r.Severity {
		case critical, high, medium, low:
		default:
			t.Errorf("%s: severity %q", r.ID, r.Severity)
		}
		if r.Paths != "" {
			if _, err := regexp.Compile(r.Paths); err != nil {
				t.Errorf("%s paths: %v", r.ID, err)
			}
		}
	}
}

// TestDocsListEveryRule keeps the rules table of docs/secrets.md complete.
func TestDocsListEveryRule(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "secrets.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range Rules() {
		if !strings.Contains(string(doc), "| `"+r.ID+"` |") {
			t.Errorf("docs/secrets.md does not list rule %s", r.ID)
		}
	}
}
