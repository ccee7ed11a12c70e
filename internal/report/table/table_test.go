package table

import (
	"bytes"
	"errors"
	"flag"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/shipshape-dev/shipshape/internal/inventory"
	"github.com/shipshape-dev/shipshape/internal/report"
	"github.com/shipshape-dev/shipshape/internal/report/reporttest"
)

var update = flag.Bool("update", false, "rewrite golden files")

func render(t *testing.T, inv *inventory.Inventory) []byte {
	t.Helper()
	return renderWith(t, inv, false)
}

func renderWith(t *testing.T, inv *inventory.Inventory, color bool) []byte {
	t.Helper()
	opts := reporttest.Options(true)
	opts.Color = color
	var buf bytes.Buffer
	if err := Write(&buf, inv, opts); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func noTrailingSpaces(t *testing.T, out []byte) {
	t.Helper()
	for i, line := range strings.Split(string(out), "\n") {
		if strings.TrimRight(line, " ") != line {
			t.Errorf("line %d has trailing spaces: %q", i+1, line)
		}
	}
}

func TestWriteGolden(t *testing.T) {
	for _, f := range reporttest.AllFixtures() {
		t.Run(f.Name, func(t *testing.T) {
			got := render(t, f.Inv)
			noTrailingSpaces(t, got)
			reporttest.Golden(t, filepath.Join("testdata", f.Name+".txt"), got, *update)
		})
	}
}

// TestWriteGoldenColor: colour changes only the severity column of findings; package
// tables (no vulnerability scan) ignore it.
func TestWriteGoldenColor(t *testing.T) {
	for _, f := range reporttest.AllFixtures() {
		t.Run(f.Name, func(t *testing.T) {
			plain := render(t, f.Inv)
			got := renderWith(t, f.Inv, true)
			noTrailingSpaces(t, got)
			if f.Inv.Vulnerabilities == nil {
				if !bytes.Equal(got, plain) {
					t.Fatal("colour changes a package table")
				}
				return
			}
			if stripped := ansi.ReplaceAll(got, nil); !bytes.Equal(stripped, plain) {
				t.Errorf("colour output without its escape codes differs from the plain output:\n%s", stripped)
			}
			reporttest.Golden(t, filepath.Join("testdata", f.Name+".color.txt"), got, *update)
		})
	}
}

var ansi = regexp.MustCompile(`\x1b\[[0-9;]*m`)

func TestDeterministic(t *testing.T) {
	for _, f := range reporttest.AllFixtures() {
		t.Run(f.Name, func(t *testing.T) {
			for _, color := range []bool{false, true} {
				first := renderWith(t, f.Inv, color)
				if again := renderWith(t, f.Inv, color); !bytes.Equal(first, again) {
					t.Fatal("two writes of the same inventory differ")
				}
				for seed := range uint64(5) {
					if got := renderWith(t, reporttest.Shuffled(f.Inv, seed), color); !bytes.Equal(first, got) {
						t.Fatalf("shuffled input (seed %d, colour %v) changes the output", seed, color)
					}
				}
			}
		})
	}
}

func TestLayerColumn(t *testing.T) {
	tests := []struct {
		name string
		in   *inventory.LayerRef
		want string
	}{
		{"none", nil, ""},
		{"no created_by", &inventory.LayerRef{Index: 0}, "0"},
		{"short", &inventory.LayerRef{Index: 2, CreatedBy: "COPY app /app"}, "2 COPY app /app"},
		{"long, cut at 40", &inventory.LayerRef{Index: 1, CreatedBy: "RUN /bin/sh -c apt-get update && apt-get install -y curl"},
			"1 RUN /bin/sh -c apt-get update && apt-get"},
		{"newlines and tabs collapsed", &inventory.LayerRef{Index: 3, CreatedBy: "RUN set -eux; \\\n\tapk add --no-cache curl"},
			"3 RUN set -eux; \\ apk add --no-cache curl"},
		{"runes, not bytes", &inventory.LayerRef{Index: 4, CreatedBy: strings.Repeat("é", 50)}, "4 " + strings.Repeat("é", 40)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := layer(tt.in); got != tt.want {
				t.Errorf("layer() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestCellsCannotBreakTheTable(t *testing.T) {
	inv := reporttest.Alpine()
	inv.Packages[0].Name = "evil\tname\nwith\x1b[31mescapes"
	inv.Packages[0].Version = ""
	out := string(render(t, inv))
	if strings.ContainsAny(out, "\t\x1b") {
		t.Errorf("control characters reach the output:\n%s", out)
	}
	if !strings.Contains(out, "evil name with [31mescapes") {
		t.Errorf("sanitised name missing:\n%s", out)
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestErrors(t *testing.T) {
	if err := Write(&bytes.Buffer{}, nil, report.Options{}); !errors.Is(err, report.ErrNilInventory) {
		t.Errorf("Write(nil) = %v, want ErrNilInventory", err)
	}
	if err := Write(failingWriter{}, reporttest.Debian(), report.Options{}); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("Write to a failing writer = %v, want the write error", err)
	}
}

// TestNilAndEmptyVulnerabilities: nil means no vulnerability scan ran (the package table),
// empty means one ran and found nothing.
func TestNilAndEmptyVulnerabilities(t *testing.T) {
	inv := reporttest.Debian()
	pkgTable := string(render(t, inv))
	if !strings.Contains(pkgTable, "TYPE  NAME") || strings.Contains(pkgTable, "Vuln DB") || strings.Contains(pkgTable, "Total:") {
		t.Errorf("nil Vulnerabilities: want the package table, got\n%s", pkgTable)
	}
	inv.Vulnerabilities = []inventory.Finding{}
	out := string(render(t, inv))
	for _, want := range []string{"Vuln DB:  unknown\n", "\nNo vulnerabilities found.\n\nTotal: 0 (CRITICAL: 0, HIGH: 0, MEDIUM: 0, LOW: 0, NEGLIGIBLE: 0, UNKNOWN: 0)\n", "\nWarnings:\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("empty Vulnerabilities: %q missing from\n%s", want, out)
		}
	}
	if strings.Contains(out, "TYPE  NAME") {
		t.Errorf("empty Vulnerabilities: the package table is shown\n%s", out)
	}
}

func TestFindingRows(t *testing.T) {
	out := string(render(t, reporttest.DebianVulns()))
	// Groups in layer order, rows by severity then package then id.
	order := []string{
		"Layer 0 (", "zlib1g ", "libc6 ",
		"Layer 1 (", "CVE-2024-0727", "CVE-2023-5678", "curl ", "libcurl4 ",
		"Layer 2 (", "libwebp7 ",
		"Total: 7 (CRITICAL: 1, HIGH: 1, MEDIUM: 1, LOW: 1, NEGLIGIBLE: 1, UNKNOWN: 2)",
	}
	at := 0
	for _, s := range order {
		i := strings.Index(out[at:], s)
		if i < 0 {
			t.Fatalf("%q missing or out of order in\n%s", s, out)
		}
		at += i + len(s)
	}
	if !strings.Contains(out, "Vuln DB:  data as of 2024-04-01\n") {
		t.Errorf("DB line missing:\n%s", out)
	}
	if empty := string(render(t, reporttest.EmptyNoVulns())); !strings.Contains(empty, "Vuln DB:  data as of 2023-07-14 (embedded snapshot)\n") {
		t.Errorf("DB line of the embedded snapshot:\n%s", empty)
	}
	alpine := string(render(t, reporttest.AlpineVulns()))
	if strings.Contains(alpine, "\nLayer ") {
		t.Errorf("a root filesystem's findings are grouped by layer:\n%s", alpine)
	}
	if !strings.Contains(alpine, "Vuln DB:  data as of 2024-04-01\n") {
		t.Errorf("DB line of a downloaded DB:\n%s", alpine)
	}
}

func TestTitleColumn(t *testing.T) {
	long := strings.Repeat("word ", 20)
	tests := []struct {
		name string
		f    inventory.Finding
		want string
	}{
		{"title", inventory.Finding{Title: "PKCS12 Decoding crashes", Description: "Issue summary: …"}, "PKCS12 Decoding crashes"},
		{"description when no title", inventory.Finding{Title: " \n", Description: "A heap-buffer-overflow\nwas discovered"}, "A heap-buffer-overflow was discovered"},
		{"cut at 60 runes", inventory.Finding{Title: long}, strings.TrimSpace(long[:59]) + "…"},
		{"runes, not bytes", inventory.Finding{Title: strings.Repeat("é", 70)}, strings.Repeat("é", 59) + "…"},
		{"exactly 60", inventory.Finding{Title: strings.Repeat("x", 60)}, strings.Repeat("x", 60)},
		{"none", inventory.Finding{}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := title(&tt.f); got != tt.want {
				t.Errorf("title() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestSeverityNormalisedAndCounted(t *testing.T) {
	inv := reporttest.AlpineVulns()
	inv.Vulnerabilities[0].Severity = "high"
	inv.Vulnerabilities[1].Severity = "Important" // not a rating of this scale
	inv.Vulnerabilities[2].Severity = ""
	out := string(render(t, inv))
	if !strings.Contains(out, "Total: 3 (CRITICAL: 0, HIGH: 1, MEDIUM: 0, LOW: 0, NEGLIGIBLE: 0, UNKNOWN: 2)") {
		t.Errorf("summary wrong:\n%s", out)
	}
	if strings.Contains(out, "Important") || strings.Contains(out, " high ") {
		t.Errorf("severities not normalised:\n%s", out)
	}
}

func TestFindingCellsCannotBreakTheTable(t *testing.T) {
	inv := reporttest.DebianVulns()
	inv.Vulnerabilities[0].Title = "evil\ttitle\nwith\x1b[31mescapes"
	inv.Vulnerabilities[1].FixedVersion = "1\r\n2"
	inv.Layers[0].CreatedBy = "x\x1b]0;pwned\x07"
	plain := render(t, inv)
	if bytes.ContainsAny(plain, "\t\r\x1b\x07") {
		t.Errorf("control characters reach the output:\n%s", plain)
	}
	colored := renderWith(t, inv, true)
	if rest := ansi.ReplaceAll(colored, nil); bytes.ContainsAny(rest, "\t\r\x1b\x07") {
		t.Errorf("control characters other than the severity colours reach the output:\n%q", rest)
	}
	// One alignment for all groups: every column header line is the same.
	var headers []string
	for _, line := range strings.Split(string(plain), "\n") {
		if strings.HasPrefix(line, "PACKAGE ") {
			headers = append(headers, line)
		}
	}
	if len(headers) != 3 || headers[0] != headers[1] || headers[1] != headers[2] {
		t.Errorf("column headers differ between groups: %q", headers)
	}
}

func TestLayerHeading(t *testing.T) {
	layers := []inventory.Layer{{Index: 1, DiffID: "sha256:2dc335caf5c2aaaaaaaaaaaaaaaa", CreatedBy: "COPY app /app"}}
	tests := []struct {
		name string
		in   *inventory.LayerRef
		want string
	}{
		{"no layer", nil, "Layer unknown"},
		{"created_by from the ref", &inventory.LayerRef{Index: 0, DiffID: "sha256:0123456789abcdef", CreatedBy: "ADD \t rootfs.tar /"}, "Layer 0 (sha256:0123456789ab): ADD rootfs.tar /"},
		{"created_by from the layer list", &inventory.LayerRef{Index: 1, DiffID: layers[0].DiffID}, "Layer 1 (sha256:2dc335caf5c2): COPY app /app"},
		{"bare index", &inventory.LayerRef{Index: 3}, "Layer 3"},
		{"long created_by cut", &inventory.LayerRef{Index: 4, CreatedBy: strings.Repeat("a", 150)}, "Layer 4: " + strings.Repeat("a", 99) + "…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := layerHeading(tt.in, layers); got != tt.want {
				t.Errorf("layerHeading() = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestFindingsWithoutLayerComeLast: in an image, findings whose package has no layer form a
// last group under "Layer unknown".
func TestFindingsWithoutLayerComeLast(t *testing.T) {
	inv := reporttest.DebianVulns()
	for i := range inv.Vulnerabilities {
		if inv.Vulnerabilities[i].PkgName == "zlib1g" {
			inv.Vulnerabilities[i].Layer = nil
		}
	}
	out := string(render(t, inv))
	unknown := strings.Index(out, "\nLayer unknown\n")
	if unknown < 0 || unknown < strings.Index(out, "\nLayer 2 (") || !strings.Contains(out[unknown:], "zlib1g") {
		t.Errorf("findings without a layer not grouped last:\n%s", out)
	}
}

// TestCheckSections: every scan that ran gets a section with its own totals; suppressed
// findings are listed apart and not counted; passed checks are left out.
func TestCheckSections(t *testing.T) {
	inv := reporttest.DebianChecks()
	out := string(render(t, inv))
	order := []string{
		"\nVulnerabilities\n", "\nSuppressed (not counted)\n", "CVE-2023-45853", "suppressed by vex: not_affected",
		"Total: 5 (CRITICAL: 0, HIGH: 1, MEDIUM: 1, LOW: 1, NEGLIGIBLE: 0, UNKNOWN: 2), 2 suppressed",
		"\nMisconfigurations\n", "Dockerfile (dockerfile)\n", "DS002  HIGH", "could not be evaluated",
		", layer 3 (sha256:", "IC010", "Suppressed (not counted)", "DS005",
		"Misconfigurations: 3 (CRITICAL: 1, HIGH: 1, MEDIUM: 1, LOW: 0, NEGLIGIBLE: 0, UNKNOWN: 0), 1 suppressed, 1 could not be evaluated",
		"\nSecrets\n", "aws-access-key-id", "Suppressed (not counted)", "github-pat",
		"Secrets: 2 (CRITICAL: 1, HIGH: 1", "1 suppressed",
		"\nLicenses\n", "LGPL-2.1", "Licenses: 3 (", "\nWarnings:\n",
	}
	at := 0
	for _, s := range order {
		i := strings.Index(out[at:], s)
		if i < 0 {
			t.Fatalf("%q missing or out of order in\n%s", s, out)
		}
		at += i + len(s)
	}
	if strings.Contains(out, "DS001") {
		t.Error("a passed check is listed")
	}
	// Empty scans say so.
	inv.Misconfigurations, inv.Secrets, inv.Licenses = []inventory.Misconfiguration{}, []inventory.Secret{}, []inventory.LicenseFinding{}
	out = string(render(t, inv))
	for _, s := range []string{"No misconfigurations found.", "No secrets found.", "No licences found."} {
		if !strings.Contains(out, s) {
			t.Errorf("%q missing", s)
		}
	}
	// Without a vulnerability scan the packages get a title too.
	inv.Vulnerabilities = nil
	if out = string(render(t, inv)); !strings.Contains(out, "\nPackages\nTYPE  NAME") {
		t.Errorf("packages section:\n%s", out)
	}
}
