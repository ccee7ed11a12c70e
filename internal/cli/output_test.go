package cli

import (
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shipshape-dev/shipshape/internal/report/reporttest"
)

// TestReportFormatsToFiles scans the sample image once per format, as a user would with
// -o, and checks each file is the format it claims and reports the same findings as JSON.
func TestReportFormatsToFiles(t *testing.T) {
	dir := t.TempDir()
	cache := t.TempDir()
	out := func(format string) []byte {
		t.Helper()
		file := filepath.Join(dir, "report."+format)
		code, _, stderr := run(t, nil, "image", sample, "-f", format, "-o", file, "--cache-dir", cache, "-q")
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", format, code, stderr)
		}
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	var js struct {
		Vulnerabilities []struct {
			ID string `json:"id"`
		} `json:"vulnerabilities"`
	}
	if err := json.Unmarshal(out("json"), &js); err != nil {
		t.Fatal(err)
	}
	if len(js.Vulnerabilities) == 0 {
		t.Fatal("the sample image has no findings: the test shows nothing")
	}

	t.Run("sarif", func(t *testing.T) {
		var log struct {
			Version string `json:"version"`
			Runs    []struct {
				Tool struct {
					Driver struct {
						Name  string `json:"name"`
						Rules []struct {
							ID string `json:"id"`
						} `json:"rules"`
					} `json:"driver"`
				} `json:"tool"`
				Results []struct {
					RuleID string `json:"ruleId"`
				} `json:"results"`
			} `json:"runs"`
		}
		if err := json.Unmarshal(out("sarif"), &log); err != nil {
			t.Fatal(err)
		}
		if log.Version != "2.1.0" || len(log.Runs) != 1 || log.Runs[0].Tool.Driver.Name != "shipshape" {
			t.Fatalf("log = %+v", log)
		}
		if got := len(log.Runs[0].Results); got != len(js.Vulnerabilities) {
			t.Errorf("%d results, want one per finding (%d)", got, len(js.Vulnerabilities))
		}
		ids := map[string]bool{}
		for _, v := range js.Vulnerabilities {
			ids[v.ID] = true
		}
		if len(log.Runs[0].Tool.Driver.Rules) != len(ids) {
			t.Errorf("%d rules for %d vulnerability ids", len(log.Runs[0].Tool.Driver.Rules), len(ids))
		}
	})

	t.Run("gitlab", func(t *testing.T) {
		var r struct {
			Version string `json:"version"`
			Scan    struct {
				Type      string `json:"type"`
				StartTime string `json:"start_time"`
			} `json:"scan"`
			Vulnerabilities []struct {
				Identifiers []struct {
					Value string `json:"value"`
				} `json:"identifiers"`
				Location struct {
					OperatingSystem string `json:"operating_system"`
				} `json:"location"`
			} `json:"vulnerabilities"`
		}
		if err := json.Unmarshal(out("gitlab"), &r); err != nil {
			t.Fatal(err)
		}
		if r.Scan.Type != "container_scanning" || r.Scan.StartTime == "" || len(r.Vulnerabilities) != len(js.Vulnerabilities) {
			t.Fatalf("report %s %s with %d vulnerabilities, want %d", r.Version, r.Scan.Type, len(r.Vulnerabilities), len(js.Vulnerabilities))
		}
		if os := r.Vulnerabilities[0].Location.OperatingSystem; os != "alpine 3.12.12" {
			t.Errorf("operating_system %q", os)
		}
	})

	t.Run("junit", func(t *testing.T) {
		var doc struct {
			Failures int `xml:"failures,attr"`
			Suites   []struct {
				Name  string `xml:"name,attr"`
				Tests int    `xml:"tests,attr"`
			} `xml:"testsuite"`
		}
		if err := xml.Unmarshal(out("junit"), &doc); err != nil {
			t.Fatal(err)
		}
		if len(doc.Suites) != 1 || !strings.HasSuffix(doc.Suites[0].Name, " vulnerabilities") || doc.Failures == 0 || doc.Failures > len(js.Vulnerabilities) {
			t.Errorf("junit = %+v", doc)
		}
	})

	t.Run("html", func(t *testing.T) {
		page := string(out("html"))
		if !strings.HasPrefix(page, "<!DOCTYPE html>") || !strings.Contains(page, `id="findings-table"`) ||
			strings.Count(page, `data-kind="vulnerability"`) != len(js.Vulnerabilities) {
			t.Errorf("html page: %d vulnerability rows, want %d", strings.Count(page, `data-kind="vulnerability"`), len(js.Vulnerabilities))
		}
		if strings.Contains(page, "src=") || strings.Contains(page, "<link") {
			t.Error("the page loads something")
		}
	})

	t.Run("template", func(t *testing.T) {
		tpl := filepath.Join(dir, "ids.tpl")
		if err := os.WriteFile(tpl, []byte("{{range .Vulnerabilities}}{{.ID}} {{.PkgName}}\n{{end}}"), 0o644); err != nil {
			t.Fatal(err)
		}
		file := filepath.Join(dir, "ids.txt")
		code, _, stderr := run(t, nil, "image", sample, "-f", "template", "--template", "@"+tpl, "-o", file, "--cache-dir", cache, "-q")
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		data, _ := os.ReadFile(file)
		if lines := strings.Count(string(data), "\n"); lines != len(js.Vulnerabilities) {
			t.Errorf("%d lines, want %d", lines, len(js.Vulnerabilities))
		}
		// Inline template.
		code, stdout, stderr := run(t, nil, "image", sample, "-f", "template", "--template", "{{.Target.Kind}} {{len .Packages}}", "--cache-dir", cache, "-q")
		if code != 0 || !strings.HasPrefix(stdout, "image ") {
			t.Errorf("inline template: exit %d, %q, %s", code, stdout, stderr)
		}
	})
}

// TestTemplateErrors: a broken or missing template is refused before scanning, with the
// file and line, the error exit code and no output file.
func TestTemplateErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.tpl")
	os.WriteFile(bad, []byte("ok\n{{range .Vulnerabilities}}\n"), 0o644)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"parse error with line", []string{"-f", "template", "--template", "@" + bad}, "bad.tpl:3: unexpected EOF"},
		{"missing file", []string{"-f", "template", "--template", "@" + filepath.Join(dir, "none.tpl")}, "none.tpl"},
		{"no template", []string{"-f", "template"}, "no template given"},
		{"template without the format", []string{"-f", "json", "--template", "{{.}}"}, "--template needs --format template"},
		{"unknown field at run time", []string{"-f", "template", "--template", "{{.Target.Colour}}"}, "Colour"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			outFile := filepath.Join(dir, "out.txt")
			args := append([]string{"image", sample, "-o", outFile, "--cache-dir", t.TempDir(), "-q"}, tc.args...)
			code, _, stderr := run(t, nil, args...)
			if code != ExitError || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, stderr, ExitError, tc.want)
			}
			if _, err := os.Stat(outFile); err == nil {
				t.Error("an output file was left behind")
			}
		})
	}
}

// TestCheckFindingsInEveryFormat scans a folder with a Dockerfile with the misconfiguration
// scanner and checks that the SARIF, JUnit and HTML reports carry exactly the failed checks
// the JSON report has, and that the SARIF log validates against the SARIF 2.1.0 schema.
func TestCheckFindingsInEveryFormat(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM debian:12\nRUN apt-get update\nUSER root\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cache := t.TempDir()
	out := func(format string) []byte {
		t.Helper()
		code, stdout, stderr := run(t, nil, "fs", dir, "--scanners", "misconfig", "-f", format, "--cache-dir", cache, "-q")
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", format, code, stderr)
		}
		return []byte(stdout)
	}
	var js struct {
		Misconfigurations []struct {
			ID        string `json:"id"`
			Status    string `json:"status"`
			StartLine int    `json:"startLine"`
		} `json:"misconfigurations"`
	}
	if err := json.Unmarshal(out("json"), &js); err != nil {
		t.Fatal(err)
	}
	failed := map[string]int{}
	for _, m := range js.Misconfigurations {
		if m.Status == "fail" {
			failed[m.ID] = m.StartLine
		}
	}
	if len(failed) == 0 {
		t.Fatal("the misconfiguration scanner found nothing in the Dockerfile: the test shows nothing")
	}

	sarifLog := out("sarif")
	schema := reporttest.Schema(t, "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json",
		filepath.Join("..", "report", "sarif", "testdata", "schema", "sarif-schema-2.1.0.json"))
	reporttest.Validate(t, schema, sarifLog)
	var log struct {
		Runs []struct {
			Results []struct {
				RuleID    string `json:"ruleId"`
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct {
							URI string `json:"uri"`
						} `json:"artifactLocation"`
						Region *struct {
							StartLine int `json:"startLine"`
						} `json:"region"`
					} `json:"physicalLocation"`
				} `json:"locations"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(sarifLog, &log); err != nil {
		t.Fatal(err)
	}
	if got := len(log.Runs[0].Results); got != len(failed) {
		t.Errorf("%d SARIF results for %d failed checks", got, len(failed))
	}
	for _, r := range log.Runs[0].Results {
		pl := r.Locations[0].PhysicalLocation
		line, ok := failed[r.RuleID]
		if !ok || !strings.HasSuffix(pl.ArtifactLocation.URI, "Dockerfile") || (line > 0 && (pl.Region == nil || pl.Region.StartLine != line)) {
			t.Errorf("result %s at %+v, want the Dockerfile line %d", r.RuleID, pl, line)
		}
	}

	var doc struct {
		Suites []struct {
			Name     string `xml:"name,attr"`
			Failures int    `xml:"failures,attr"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(out("junit"), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Suites) != 1 || !strings.HasSuffix(doc.Suites[0].Name, " misconfigurations") || doc.Suites[0].Failures != len(failed) {
		t.Errorf("junit suites = %+v, want one with %d failures", doc.Suites, len(failed))
	}

	if page := string(out("html")); strings.Count(page, `data-kind="misconfiguration"`) != len(failed) {
		t.Errorf("html: %d misconfiguration rows, want %d", strings.Count(page, `data-kind="misconfiguration"`), len(failed))
	}
}
