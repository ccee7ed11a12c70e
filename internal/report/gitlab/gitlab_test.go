package gitlab

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shipshape-dev/shipshape/internal/inventory"
	"github.com/shipshape-dev/shipshape/internal/report"
	"github.com/shipshape-dev/shipshape/internal/report/reporttest"
)

var update = flag.Bool("update", false, "rewrite golden files")

const (
	schemaID   = "https://shipshape.dev/testdata/gitlab-container-scanning-15-structural.schema.json"
	schemaFile = "testdata/schema/container-scanning-15-structural.schema.json"
)

func write(t *testing.T, inv *inventory.Inventory) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Write(&buf, inv, reporttest.Options(true)); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func decode(t *testing.T, data []byte) *Report {
	t.Helper()
	var r Report
	if err := json.Unmarshal(data, &r); err != nil {
		t.Fatal(err)
	}
	return &r
}

func TestWriteGoldenAndSchema(t *testing.T) {
	schema := reporttest.Schema(t, schemaID, schemaFile)
	for _, f := range reporttest.AllFixtures() {
		t.Run(f.Name, func(t *testing.T) {
			got := write(t, f.Inv)
			reporttest.Validate(t, schema, got)
			reporttest.Golden(t, filepath.Join("testdata", f.Name+".gitlab.json"), got, *update)
		})
	}
}

// TestSchemaCatchesMistakes: the structural checks do refuse broken reports.
func TestSchemaCatchesMistakes(t *testing.T) {
	schema := reporttest.Schema(t, schemaID, schemaFile)
	good := write(t, reporttest.DebianVulns())
	for name, bad := range map[string][]byte{
		"severity": bytes.Replace(good, []byte(`"severity": "High"`), []byte(`"severity": "HIGH"`), 1),
		"time":     bytes.Replace(good, []byte(`"start_time": "2024-03-01T12:30:45"`), []byte(`"start_time": "2024-03-01T12:30:45Z"`), 1),
		"type":     bytes.Replace(good, []byte(`"container_scanning"`), []byte(`"dependency_scanning"`), 1),
		"location": bytes.Replace(good, []byte(`"operating_system": "debian 12",`), nil, 1),
	} {
		if bytes.Equal(bad, good) {
			t.Fatalf("%s: test input unchanged", name)
		}
		if err := reporttest.Check(schema, bad); err == nil {
			t.Errorf("%s: a broken report passes", name)
		}
	}
}

func TestDeterministic(t *testing.T) {
	for _, f := range reporttest.AllFixtures() {
		t.Run(f.Name, func(t *testing.T) {
			first := write(t, f.Inv)
			for seed := range uint64(5) {
				if got := write(t, reporttest.Shuffled(f.Inv, seed)); !bytes.Equal(first, got) {
					t.Fatalf("shuffled input (seed %d) changes the output", seed)
				}
			}
		})
	}
}

func TestVulnerabilities(t *testing.T) {
	inv := reporttest.DebianChecks()
	r := decode(t, write(t, inv))
	if len(r.Vulnerabilities) != len(inv.Vulnerabilities) {
		t.Fatalf("%d vulnerabilities for %d findings", len(r.Vulnerabilities), len(inv.Vulnerabilities))
	}
	ids := map[string]bool{}
	by := map[string]Vulnerability{}
	for _, v := range r.Vulnerabilities {
		if ids[v.ID] {
			t.Errorf("id %s repeated", v.ID)
		}
		ids[v.ID] = true
		by[v.Identifiers[0].Value+" "+v.Location.Dependency.Package.Name] = v
	}
	webp := by["CVE-2023-4863 libwebp7"]
	if webp.Severity != "High" || webp.Solution != "Upgrade libwebp7 to 1.2.4-0.2+deb12u1." ||
		webp.Location.Dependency.Version != "1.2.4-0.2" || webp.Location.OperatingSystem != "debian 12" ||
		webp.Location.Image != "docker.io/library/debian:12" || len(webp.Identifiers) != 3 ||
		webp.Identifiers[0].URL != "https://nvd.nist.gov/vuln/detail/CVE-2023-4863" || webp.Identifiers[2].Type != "ghsa" ||
		!strings.Contains(webp.Description, "Known Exploited") || !strings.Contains(webp.Description, "Installed by layer 2") {
		t.Errorf("libwebp7 = %+v", webp)
	}
	if g := by["CVE-2010-4756 libc6"]; g.Severity != "Info" || len(g.Flags) != 1 ||
		g.Flags[0].Description != "suppressed by ignore (.shipshapeignore.yaml): id: CVE-2010-4756: glob() is never called with user input" {
		t.Errorf("libc6 = %+v", g)
	}
	if z := by["CVE-2023-45853 zlib1g"]; z.Solution != "The distribution will not fix it in this release." || len(z.Flags) != 1 {
		t.Errorf("zlib1g = %+v", z)
	}
	if c := by["CVE-2024-2398 curl"]; c.Severity != "Unknown" || c.Solution != "No fixed version yet." {
		t.Errorf("curl = %+v", c)
	}
	// Ids are stable across runs and differ between packages hit by one CVE.
	again := decode(t, write(t, reporttest.DebianChecks()))
	for i := range again.Vulnerabilities {
		if again.Vulnerabilities[i].ID != r.Vulnerabilities[i].ID {
			t.Fatal("ids change between runs")
		}
	}
}

func TestNoClockNoFindings(t *testing.T) {
	if err := Write(&bytes.Buffer{}, reporttest.DebianVulns(), report.Options{}); !errors.Is(err, ErrNoClock) {
		t.Errorf("without a clock: %v", err)
	}
	if err := Write(&bytes.Buffer{}, nil, reporttest.Options(true)); !errors.Is(err, report.ErrNilInventory) {
		t.Errorf("nil: %v", err)
	}
	out := write(t, reporttest.Empty())
	if !bytes.Contains(out, []byte(`"vulnerabilities": []`)) {
		t.Errorf("no findings: %s", out)
	}
}

// TestLimits: overlong values are cut to the schema's limits, and hostile text stays valid.
func TestLimits(t *testing.T) {
	schema := reporttest.Schema(t, schemaID, schemaFile)
	inv := reporttest.AlpineVulns()
	inv.Vulnerabilities[0].PkgName = strings.Repeat("n", 300)
	inv.Vulnerabilities[0].FixedVersion = strings.Repeat("9", 8000)
	inv.Vulnerabilities[1].ID = ""
	inv.Vulnerabilities[1].References = []string{"javascript:alert(1)", "https://ok.example/x"}
	inv.Target.Name = "\n"
	out := write(t, inv)
	reporttest.Validate(t, schema, out)
}
