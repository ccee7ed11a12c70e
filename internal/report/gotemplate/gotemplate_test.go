package gotemplate

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shipshape-dev/shipshape/internal/inventory"
	"github.com/shipshape-dev/shipshape/internal/report"
	"github.com/shipshape-dev/shipshape/internal/report/reporttest"
)

var update = flag.Bool("update", false, "rewrite golden files")

func run(t *testing.T, tpl string, inv *inventory.Inventory) ([]byte, error) {
	t.Helper()
	opts := reporttest.Options(true)
	opts.Template, opts.TemplateName = tpl, "test.tpl"
	var buf bytes.Buffer
	err := Write(&buf, inv, opts)
	return buf.Bytes(), err
}

func TestExampleTemplatesGolden(t *testing.T) {
	for _, name := range []string{"csv.tpl", "summary.md.tpl"} {
		src, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range reporttest.AllFixtures() {
			t.Run(name+"/"+f.Name, func(t *testing.T) {
				got, err := run(t, string(src), f.Inv)
				if err != nil {
					t.Fatal(err)
				}
				reporttest.Golden(t, filepath.Join("testdata", strings.TrimSuffix(name, ".tpl")+"."+f.Name+".out"), got, *update)
				for seed := range uint64(3) {
					again, _ := run(t, string(src), reporttest.Shuffled(f.Inv, seed))
					if !bytes.Equal(again, got) {
						t.Fatalf("shuffled input (seed %d) changes the output", seed)
					}
				}
			})
		}
	}
}

// TestCSVFromFixture: the CSV example lists exactly the findings that are not suppressed.
func TestCSVFromFixture(t *testing.T) {
	src, _ := os.ReadFile("testdata/csv.tpl")
	inv := reporttest.DebianChecks()
	out, err := run(t, string(src), inv)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	want := 0
	for _, f := range inv.Vulnerabilities {
		if f.Suppressed == nil {
			want++
		}
	}
	if len(lines)-1 != want || lines[0] != "target,package,installed,vulnerability,severity,fixed,layer" {
		t.Errorf("%d rows, want %d:\n%s", len(lines)-1, want, out)
	}
	if !strings.Contains(string(out), "docker.io/library/debian:12,libwebp7,1.2.4-0.2,CVE-2023-4863,HIGH,1.2.4-0.2+deb12u1,2\n") {
		t.Errorf("libwebp7 row missing:\n%s", out)
	}
}

func TestFuncs(t *testing.T) {
	inv := reporttest.DebianChecks()
	tests := []struct{ tpl, want string }{
		{`{{escapeXML "a<b & \"c\""}}`, "a&lt;b &amp; &#34;c&#34;"},
		{`{{join (index .Vulnerabilities 5).Aliases "|"}}`, "CVE-2023-5129|GHSA-j7hp-h8jx-5ppr"},
		{`{{toJSON .Target.RepoTags}}`, `["debian:12"]`},
		{`{{$c := countBySeverity .Secrets}}{{index $c "CRITICAL"}}/{{index $c "HIGH"}}`, "1/1"},
		{`{{len (unsuppressed .Misconfigurations)}}`, "5"},
		{`{{severityRank "high"}} {{atLeast "MEDIUM" "LOW"}} {{atLeast "MEDIUM" "CRITICAL"}}`, "4 false true"},
		{`{{range severities}}{{.}} {{end}}`, "CRITICAL HIGH MEDIUM LOW NEGLIGIBLE UNKNOWN "},
		{`{{shortDigest .Target.ImageID}} {{upper .OS.Family}} {{.Tool}} {{.Version}} {{.CreatedAt}}`, "sha256:9b52a376dbe7 DEBIAN shipshape 0.1.0-test 2024-03-01T12:30:45Z"},
		{`{{(index .Licenses 2).License}}`, "LGPL-2.1"},
	}
	for _, tt := range tests {
		got, err := run(t, tt.tpl, inv)
		if err != nil {
			t.Errorf("%s: %v", tt.tpl, err)
			continue
		}
		if string(got) != tt.want {
			t.Errorf("%s = %q, want %q", tt.tpl, got, tt.want)
		}
	}
	// toPrettyJSON of a finding is its JSON report form.
	got, err := run(t, `{{toPrettyJSON (index .Vulnerabilities 0)}}`, inv)
	if err != nil {
		t.Fatal(err)
	}
	var f inventory.Finding
	if err := json.Unmarshal(got, &f); err != nil || f.ID == "" {
		t.Errorf("toPrettyJSON: %v %s", err, got)
	}
}

// TestErrors: bad templates fail with the template's name and line, and write nothing.
func TestErrors(t *testing.T) {
	inv := reporttest.DebianVulns()
	tests := []struct{ name, tpl, want string }{
		{"empty", "  \n", "no template given"},
		{"parse", "line one\n{{if .Target}}\n{{end", "test.tpl:3"},
		{"unknown function", "{{colour .Target}}", `function "colour" not defined`},
		{"unknown field", "ok\n{{.Target.Colour}}", "test.tpl:2"},
		{"bad helper argument", `{{countBySeverity .Target.Name}}`, "want a list of findings"},
		{"missing map key", `{{index (countBySeverity .Vulnerabilities) "SEVERE"}}`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := run(t, tt.tpl, inv)
			if tt.name == "missing map key" {
				// index on a map gives the zero value; missingkey=error covers .Key access.
				if err != nil || string(out) != "0" {
					t.Errorf("got %q, %v", out, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want %q", err, tt.want)
			}
			if len(out) != 0 {
				t.Errorf("wrote %q despite the error", out)
			}
		})
	}
	if _, err := run(t, "{{.}}", nil); !errors.Is(err, report.ErrNilInventory) {
		t.Errorf("nil inventory: %v", err)
	}
	opts := reporttest.Options(false)
	if err := Write(&bytes.Buffer{}, inv, opts); !errors.Is(err, ErrNoTemplate) {
		t.Errorf("no template: %v", err)
	}
}

// FuzzTemplate: any template text either fails with an error or runs; nothing panics.
func FuzzTemplate(f *testing.F) {
	for _, s := range []string{"{{.Target.Name}}", "{{range .Vulnerabilities}}{{.ID}}{{end}}", "{{toJSON .}}",
		"{{countBySeverity .Secrets}}", "{{join .Target.RepoTags \",\"}}", "{{if", "{{template \"x\"}}", "{{define \"a\"}}{{end}}"} {
		f.Add(s)
	}
	inv := reporttest.DebianChecks()
	f.Fuzz(func(t *testing.T, src string) {
		// Ranging over a huge integer is a user's choice, not a bug; keep inputs small.
		if len(src) > 256 || strings.Contains(src, "range") && strings.ContainsAny(src, "0123456789") {
			return
		}
		opts := reporttest.Options(false)
		opts.Template = src
		_ = Write(&bytes.Buffer{}, inv, opts)
	})
}
