package sarif

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/shipshape-dev/shipshape/internal/inventory"
	"github.com/shipshape-dev/shipshape/internal/report"
	"github.com/shipshape-dev/shipshape/internal/report/reporttest"
)

var update = flag.Bool("update", false, "rewrite golden files")

const schemaFile = "testdata/schema/sarif-schema-2.1.0.json"

func write(t *testing.T, inv *inventory.Inventory) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Write(&buf, inv, reporttest.Options(false)); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func decode(t *testing.T, data []byte) *Log {
	t.Helper()
	var l Log
	if err := json.Unmarshal(data, &l); err != nil {
		t.Fatal(err)
	}
	return &l
}

func TestWriteGoldenAndSchema(t *testing.T) {
	schema := reporttest.Schema(t, SchemaURI, schemaFile)
	for _, f := range reporttest.AllFixtures() {
		t.Run(f.Name, func(t *testing.T) {
			got := write(t, f.Inv)
			reporttest.Validate(t, schema, got)
			reporttest.Golden(t, filepath.Join("testdata", f.Name+".sarif"), got, *update)
		})
	}
}

// TestSchemaCatchesMistakes shows the schema is enforced: a wrong level and a result
// without a message are refused.
func TestSchemaCatchesMistakes(t *testing.T) {
	schema := reporttest.Schema(t, SchemaURI, schemaFile)
	good := write(t, reporttest.DebianVulns())
	for name, bad := range map[string][]byte{
		"level":   bytes.Replace(good, []byte(`"level": "error"`), []byte(`"level": "critical"`), 1),
		"version": bytes.Replace(good, []byte(`"version": "2.1.0"`), []byte(`"version": "2.2"`), 1),
		"region":  bytes.Replace(write(t, reporttest.DebianChecks()), []byte(`"startLine": 9`), []byte(`"startLine": 0`), 1),
	} {
		if bytes.Equal(bad, good) {
			t.Fatalf("%s: test input unchanged", name)
		}
		if err := reporttest.Check(schema, bad); err == nil {
			t.Errorf("%s: the schema accepts a broken log", name)
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

func TestRulesAndResults(t *testing.T) {
	inv := reporttest.DebianChecks()
	l := decode(t, write(t, inv))
	run := l.Runs[0]
	var ids []string
	for _, r := range run.Tool.Driver.Rules {
		ids = append(ids, r.ID)
	}
	want := []string{
		"CVE-2010-4756", "CVE-2023-4863", "CVE-2023-5678", "CVE-2023-45853", "CVE-2024-0727", "CVE-2024-2398",
		"DS002", "DS005", "IC004", "IC010",
		"aws-access-key-id", "github-pat", "private-key",
		"license-restricted", "license-unknown",
	}
	if !slices.Equal(ids, want) {
		t.Fatalf("rules = %v\nwant %v", ids, want)
	}
	// One result per finding: 7 vulnerabilities, 4 failed checks (not the passed one nor
	// the one in error), 3 secrets, 2 licences needing attention (not curl's notice).
	if got := len(run.Results); got != 7+4+3+2 {
		t.Errorf("%d results", got)
	}
	for _, r := range run.Results {
		if run.Tool.Driver.Rules[r.RuleIndex].ID != r.RuleID {
			t.Errorf("result %s points at rule %d", r.RuleID, r.RuleIndex)
		}
		if len(r.Locations) != 1 || r.Locations[0].PhysicalLocation == nil {
			t.Errorf("result %s: locations %+v", r.RuleID, r.Locations)
		}
	}
	byRule := func(id string) []Result {
		var out []Result
		for _, r := range run.Results {
			if r.RuleID == id {
				out = append(out, r)
			}
		}
		return out
	}
	rule := func(id string) Rule { return run.Tool.Driver.Rules[slices.Index(ids, id)] }

	webp := byRule("CVE-2023-4863")[0]
	if webp.Level != "error" || webp.Locations[0].PhysicalLocation.ArtifactLocation.URI != "var/lib/dpkg/status" ||
		!strings.Contains(webp.Message.Text, "Fixed version: 1.2.4-0.2+deb12u1.") || !strings.Contains(webp.Message.Text, "layer 2 (") {
		t.Errorf("libwebp7 result = %+v", webp)
	}
	if r := rule("CVE-2023-4863"); r.Properties["security-severity"] != "8.8" || r.HelpURI != "https://nvd.nist.gov/vuln/detail/CVE-2023-4863" ||
		!strings.Contains(r.Help.Text, "libwebp7 1.2.4-0.2: upgrade to 1.2.4-0.2+deb12u1") {
		t.Errorf("CVE-2023-4863 rule = %+v", r)
	}
	// Debian rates CVE-2023-5678 LOW (a note) while its CVSS says 5.3, the security-severity.
	if r := rule("CVE-2023-5678"); r.DefaultConfiguration.Level != "note" || r.Properties["security-severity"] != "5.3" {
		t.Errorf("CVE-2023-5678 rule = %+v", r)
	}
	// Nobody rated CVE-2024-2398 and it has no CVSS: no security-severity, two results.
	if r := rule("CVE-2024-2398"); r.Properties["security-severity"] != nil || len(byRule("CVE-2024-2398")) != 2 {
		t.Errorf("CVE-2024-2398 rule = %+v", r)
	}
	// Suppressed by VEX: kept, with a suppression.
	z := byRule("CVE-2023-45853")[0]
	if len(z.Suppressions) != 1 || z.Suppressions[0].Kind != "external" || z.Suppressions[0].Status != "accepted" ||
		z.Suppressions[0].Justification != "not_affected: vulnerable_code_not_in_execute_path" {
		t.Errorf("suppressed result = %+v", z.Suppressions)
	}
	ds2 := byRule("DS002")[0]
	if reg := ds2.Locations[0].PhysicalLocation.Region; ds2.Locations[0].PhysicalLocation.ArtifactLocation.URI != "Dockerfile" ||
		reg == nil || reg.StartLine != 9 || reg.EndLine != 9 || reg.Snippet.Text != "USER root" {
		t.Errorf("DS002 location = %+v", ds2.Locations[0].PhysicalLocation)
	}
	if r := rule("DS002"); !strings.Contains(r.Help.Text, "Resolution: Add a USER instruction") || r.Properties["security-severity"] != "8.0" ||
		r.HelpURI != "https://docs.docker.com/develop/develop-images/instructions/#user" {
		t.Errorf("DS002 rule = %+v", r)
	}
	// An image check about a file in the image points at the file.
	if u := byRule("IC010")[0].Locations[0].PhysicalLocation.ArtifactLocation.URI; u != "app/bin/helper" {
		t.Errorf("IC010 uri = %q", u)
	}
	aws := byRule("aws-access-key-id")[0]
	if reg := aws.Locations[0].PhysicalLocation.Region; aws.Locations[0].PhysicalLocation.ArtifactLocation.URI != "app/.env" ||
		reg.StartLine != 3 || !strings.Contains(reg.Snippet.Text, "****") {
		t.Errorf("secret location = %+v", aws.Locations[0].PhysicalLocation)
	}
	// The check in error and the warning are notifications.
	if len(run.Invocations) != 1 || len(run.Invocations[0].ToolExecutionNotifications) != 2 ||
		run.Invocations[0].ToolExecutionNotifications[0].Descriptor.ID != "DS026" {
		t.Errorf("invocations = %+v", run.Invocations)
	}
	// Fingerprints tell apart the two packages hit by one CVE.
	curl := byRule("CVE-2024-2398")
	if curl[0].PartialFingerprints[FingerprintKey] == curl[1].PartialFingerprints[FingerprintKey] {
		t.Error("two findings share a fingerprint")
	}
}

// TestRuleIDsOfKindsDoNotCollide: a check and a secret rule with the same id become two rules.
func TestRuleIDsOfKindsDoNotCollide(t *testing.T) {
	inv := reporttest.DebianChecks()
	inv.Secrets[0].RuleID = "DS002"
	l := decode(t, write(t, inv))
	var ids []string
	for _, r := range l.Runs[0].Tool.Driver.Rules {
		ids = append(ids, r.ID)
	}
	if !slices.Contains(ids, "misconfiguration/DS002") || !slices.Contains(ids, "secret/DS002") || slices.Contains(ids, "DS002") {
		t.Errorf("rules = %v", ids)
	}
}

func TestNoFindings(t *testing.T) {
	schema := reporttest.Schema(t, SchemaURI, schemaFile)
	for _, inv := range []*inventory.Inventory{reporttest.Empty(), reporttest.Debian()} {
		out := write(t, inv)
		reporttest.Validate(t, schema, out)
		l := decode(t, out)
		if len(l.Runs) != 1 || len(l.Runs[0].Results) != 0 || !bytes.Contains(out, []byte(`"results": []`)) {
			t.Errorf("%s: %s", inv.Target.Name, out)
		}
	}
}

// TestHostileValues: control characters, markdown and odd paths neither break the JSON
// nor the schema.
func TestHostileValues(t *testing.T) {
	schema := reporttest.Schema(t, SchemaURI, schemaFile)
	inv := reporttest.DebianChecks()
	inv.Vulnerabilities[0].PkgName = "evil|name\n**bold**"
	inv.Vulnerabilities[0].Location = "/var/lib/with space/%/status"
	inv.Secrets[0].Path = "C:\\weird\\path"
	inv.Misconfigurations[0].Target = ""
	out := write(t, inv)
	reporttest.Validate(t, schema, out)
	if bytes.Contains(out, []byte("evil|name")) && !bytes.Contains(out, []byte(`evil\\|name`)) {
		t.Errorf("markdown not escaped")
	}
}

func TestNilInventory(t *testing.T) {
	if err := Write(&bytes.Buffer{}, nil, report.Options{}); !errors.Is(err, report.ErrNilInventory) {
		t.Fatalf("Write(nil) = %v", err)
	}
}

// TestFindingOrder: --sort-by (Options.FindingOrder) orders the vulnerability results.
func TestFindingOrder(t *testing.T) {
	opts := reporttest.Options(false)
	opts.FindingOrder = func(a, b inventory.Finding) int {
		switch {
		case a.Risk > b.Risk:
			return -1
		case a.Risk < b.Risk:
			return 1
		}
		return 0
	}
	var buf bytes.Buffer
	if err := Write(&buf, reporttest.DebianChecks(), opts); err != nil {
		t.Fatal(err)
	}
	l := decode(t, buf.Bytes())
	var ids []string
	for _, r := range l.Runs[0].Results[:3] {
		ids = append(ids, r.RuleID)
	}
	if want := []string{"CVE-2023-4863", "CVE-2023-45853", "CVE-2023-5678"}; !slices.Equal(ids, want) {
		t.Errorf("first results %v, want %v (by risk)", ids, want)
	}
}
