package dockerfile

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/shipshape-dev/shipshape/internal/inventory"
	"github.com/shipshape-dev/shipshape/internal/misconfig"
)

// resultsFor scans a fixture and returns the results of one check.
func resultsFor(t *testing.T, file, id string) []inventory.Misconfiguration {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var out []inventory.Misconfiguration
	for _, m := range Scan(file, data, false) {
		if m.Status == inventory.CheckError {
			t.Fatalf("%s: %s: %s", file, m.ID, m.Message)
		}
		if m.ID == id {
			out = append(out, m)
		}
	}
	return out
}

// TestChecks runs every check on its failing and its passing fixture.
func TestChecks(t *testing.T) {
	for _, c := range Checks() {
		m := c.Meta()
		t.Run(m.ID, func(t *testing.T) {
			if m.Title == "" || misconfig.SeverityRank(m.Severity) == 0 || m.Resolution == "" || len(m.References) == 0 {
				t.Errorf("incomplete metadata: %+v", m)
			}
			fail := resultsFor(t, filepath.Join("testdata", "fail", m.ID+".Dockerfile"), m.ID)
			if len(fail) == 0 || fail[0].Status != inventory.CheckFail {
				t.Fatalf("failing fixture: want a failure, got %+v", fail)
			}
			for _, f := range fail {
				if f.StartLine < 1 || f.EndLine < f.StartLine || f.Code == "" || f.Message == "" {
					t.Errorf("failure lacks location or message: %+v", f)
				}
			}
			pass := resultsFor(t, filepath.Join("testdata", "pass", m.ID+".Dockerfile"), m.ID)
			if len(pass) != 1 || pass[0].Status != inventory.CheckPass {
				t.Fatalf("passing fixture: want a pass, got %+v", pass)
			}
		})
	}
}

func TestIDsUniqueAndFixturesComplete(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range Checks() {
		if seen[c.Meta().ID] {
			t.Errorf("duplicate id %s", c.Meta().ID)
		}
		seen[c.Meta().ID] = true
	}
	if len(seen) < 30 {
		t.Errorf("%d checks, want at least 30", len(seen))
	}
	for _, dir := range []string{"fail", "pass"} {
		files, _ := filepath.Glob(filepath.Join("testdata", dir, "*.Dockerfile"))
		for _, f := range files {
			if id := strings.TrimSuffix(filepath.Base(f), ".Dockerfile"); !seen[id] {
				t.Errorf("fixture %s names no check", f)
			}
		}
	}
}

func TestSecretMasked(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "fail", "SS-DF-020.Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range Scan("Dockerfile", data, false) {
		if strings.Contains(m.Code, "s3cr3t-Hunter2") || strings.Contains(m.Message, "s3cr3t-Hunter2") {
			t.Errorf("%s shows the secret in clear: %q", m.ID, m.Code)
		}
	}
}

func TestLocation(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "fail", "SS-DF-009.Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	res := resultsForData(t, data, "SS-DF-009")
	if len(res) != 1 || res[0].StartLine != 2 || res[0].EndLine != 4 || !strings.HasPrefix(res[0].Code, "RUN apt-get update \\") {
		t.Fatalf("got %+v", res)
	}
}

func resultsForData(t *testing.T, data []byte, id string) []inventory.Misconfiguration {
	var out []inventory.Misconfiguration
	for _, m := range Scan("Dockerfile", data, false) {
		if m.ID == id {
			out = append(out, m)
		}
	}
	return out
}

func TestParseErrors(t *testing.T) {
	for _, in := range []string{"FROM alpine\nRUN <<EOF\n", "ENV\n"} {
		res := Scan("Dockerfile", []byte(in), false)
		if len(res) == 0 {
			t.Errorf("%q: no results", in)
		}
	}
	res := Scan("Dockerfile", make([]byte, maxSize+1), false)
	if len(res) != 1 || res[0].Status != inventory.CheckError {
		t.Errorf("oversized input: %+v", res)
	}
}

func TestSplitScript(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string
	}{
		{`apt-get update && apt-get install -y "a b" c`, `apt-get update|0;apt-get install -y a b c|1`},
		{`curl -s x | sudo bash -`, `curl -s x|0;sudo bash -|0`},
		{"echo 'a;b' ; ls # comment | sh\n echo $(curl x | sh) done", `echo a;b|0;ls|1;echo $(curl x | sh) done|2`},
		{`a || b & c`, `a|0;b|1;c|2`},
	} {
		var parts []string
		for _, c := range splitScript(tc.in) {
			parts = append(parts, strings.Join(c.Words, " ")+"|"+itoa(c.Pipeline))
		}
		if got := strings.Join(parts, ";"); got != tc.want {
			t.Errorf("%q: got %q, want %q", tc.in, got, tc.want)
		}
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

func TestWorldWritableMode(t *testing.T) {
	for m, want := range map[string]bool{"777": true, "0666": true, "1777": false, "755": false, "o+w": true, "a+rwx": true, "+w": true, "u+w": false, "go-w": false, "ugo=rwx": true} {
		if got := worldWritableMode(m); got != want {
			t.Errorf("%s: got %v", m, got)
		}
	}
}
