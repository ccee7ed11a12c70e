package secret

import (
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// corpusFiles returns the files under dir as slash paths relative to dir.
func corpusFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

// TestCorpus measures recall on the true positives (one folder per rule, named after it;
// 100% required, and every rule must have one) and false positives on the true negatives
// (none allowed). The corpus is written by testdata/corpus/generate.py.
func TestCorpus(t *testing.T) {
	s := New(Options{})
	root := filepath.Join("testdata", "corpus")
	rules := map[string]bool{}
	for _, r := range Rules() {
		rules[r.ID] = true
	}

	found, extra := 0, 0
	covered := map[string]bool{}
	for _, rel := range corpusFiles(t, filepath.Join(root, "positives")) {
		rule, inner, _ := strings.Cut(rel, "/")
		if !rules[rule] {
			t.Errorf("positive %s names no rule", rel)
			continue
		}
		covered[rule] = true
		data, err := os.ReadFile(filepath.Join(root, "positives", filepath.FromSlash(rel)))
		if err != nil {
			t.Fatal(err)
		}
		got := s.Scan(inner, data)
		hit := false
		for _, sec := range got {
			if sec.RuleID == rule {
				hit = true
			} else {
				extra++
				t.Logf("%s: also %s at line %d (%s)", rel, sec.RuleID, sec.StartLine, sec.Match)
			}
			if sec.Match == "" || !strings.Contains(sec.Match, "*") {
				t.Errorf("%s: match %q is not masked", rel, sec.Match)
			}
		}
		if hit {
			found++
		} else {
			t.Errorf("%s: rule %s found nothing (got %v)", rel, rule, got)
		}
	}
	for id := range rules {
		if !covered[id] {
			t.Errorf("rule %s has no true positive in the corpus", id)
		}
	}

	fp := 0
	negatives := corpusFiles(t, filepath.Join(root, "negatives"))
	for _, rel := range negatives {
		data, err := os.ReadFile(filepath.Join(root, "negatives", filepath.FromSlash(rel)))
		if err != nil {
			t.Fatal(err)
		}
		for _, sec := range s.Scan(rel, data) {
			fp++
			t.Errorf("negative %s: %s at line %d (%s)", rel, sec.RuleID, sec.StartLine, sec.Match)
		}
	}
	t.Logf("recall %d/%d rules (%.1f%%), %d other findings in positives, %d false positives in %d negative files",
		found, len(covered), 100*float64(found)/float64(max(1, len(covered))), extra, fp, len(negatives))
}
