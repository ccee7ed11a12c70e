package jsonreport

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/shipshape-dev/shipshape/internal/inventory"
	"github.com/shipshape-dev/shipshape/internal/report"
	"github.com/shipshape-dev/shipshape/internal/report/reporttest"
)

var update = flag.Bool("update", false, "rewrite golden files")

const (
	schemaFile = "../../../docs/schema/shipshape-report-v1.schema.json"
	docFile    = "../../../docs/json-format.md"
)

func write(t *testing.T, inv *inventory.Inventory, opts report.Options) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Write(&buf, inv, opts); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// strictSchema compiles the schema with additionalProperties false added to every object
// that lists its properties. The published schema stays open, so that reports with fields
// added later within version 1 still validate; the strict copy makes sure the schema
// describes every field the writer emits today.
func strictSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open(schemaFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	var closeObjects func(v any)
	closeObjects = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if _, ok := v["properties"]; ok {
				if _, set := v["additionalProperties"]; !set {
					v["additionalProperties"] = false
				}
			}
			for _, c := range v {
				closeObjects(c)
			}
		case []any:
			for _, c := range v {
				closeObjects(c)
			}
		}
	}
	closeObjects(doc)
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource(SchemaID, doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(SchemaID)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestWriteGoldenAndSchema(t *testing.T) {
	openSchema := reporttest.Schema(t, SchemaID, schemaFile)
	strict := strictSchema(t)
	for _, f := range reporttest.AllFixtures() {
		t.Run(f.Name, func(t *testing.T) {
			got := write(t, f.Inv, reporttest.Options(f.Name == "debian-image"))
			reporttest.Validate(t, openSchema, got)
			reporttest.Validate(t, strict, got)
			reporttest.Golden(t, filepath.Join("testdata", f.Name+".json"), got, *update)
		})
	}
}

func TestDeterministic(t *testing.T) {
	for _, f := range reporttest.AllFixtures() {
		t.Run(f.Name, func(t *testing.T) {
			opts := reporttest.Options(true)
			first := write(t, f.Inv, opts)
			if again := write(t, f.Inv, opts); !bytes.Equal(first, again) {
				t.Fatal("two writes of the same inventory differ")
			}
			for seed := range uint64(5) {
				if got := write(t, reporttest.Shuffled(f.Inv, seed), opts); !bytes.Equal(first, got) {
					t.Fatalf("shuffled input (seed %d) changes the output", seed)
				}
			}
		})
	}
}

// TestRoundTrip checks that the report carries the whole inventory: decoding it gives the
// sorted inventory back, field for field.
func TestRoundTrip(t *testing.T) {
	for _, f := range reporttest.AllFixtures() {
		t.Run(f.Name, func(t *testing.T) {
			var r Report
			if err := json.Unmarshal(write(t, f.Inv, reporttest.Options(true)), &r); err != nil {
				t.Fatal(err)
			}
			want, err := report.Sorted(f.Inv)
			if err != nil {
				t.Fatal(err)
			}
			got := inventory.Inventory{Target: r.Target, OS: r.OS, Layers: r.Layers, Packages: r.Packages,
				Vulnerabilities: r.Vulnerabilities, Misconfigurations: r.Misconfigurations, Secrets: r.Secrets,
				Licenses: r.Licenses, DB: r.DB, Warnings: r.Warnings}
			if (got.Vulnerabilities == nil) != (f.Inv.Vulnerabilities == nil) {
				t.Errorf("vulnerabilities nil = %v after the round trip, want %v", got.Vulnerabilities == nil, f.Inv.Vulnerabilities == nil)
			}
			for _, side := range []*inventory.Inventory{want, &got} {
				if len(side.Layers) == 0 {
					side.Layers = nil
				}
				if len(side.Warnings) == 0 {
					side.Warnings = nil
				}
				if len(side.Packages) == 0 {
					side.Packages = nil
				}
			}
			wj, _ := json.Marshal(want)
			gj, _ := json.Marshal(got)
			if !bytes.Equal(wj, gj) {
				t.Errorf("round trip differs:\n got %s\nwant %s", gj, wj)
			}
			if r.SchemaVersion != 1 || r.Tool.Name != "shipshape" || r.Tool.Version != "0.1.0-test" || r.CreatedAt != "2024-03-01T12:30:45Z" {
				t.Errorf("envelope = %d %+v %q", r.SchemaVersion, r.Tool, r.CreatedAt)
			}
		})
	}
}

func TestEmptyListsAreArrays(t *testing.T) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(write(t, reporttest.Empty(), report.Options{}), &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"layers", "packages", "warnings"} {
		if string(m[k]) != "[]" {
			t.Errorf("%s = %s, want []", k, m[k])
		}
	}
	for _, k := range []string{"os", "createdAt", "vulnerabilities", "db"} {
		if _, ok := m[k]; ok {
			t.Errorf("%s present in a report without one", k)
		}
	}
}

// TestNilAndEmptyVulnerabilities: nil (no scan) leaves the field out, empty (a scan that
// found nothing) writes [].
func TestNilAndEmptyVulnerabilities(t *testing.T) {
	for _, tt := range []struct {
		name string
		inv  *inventory.Inventory
		want string
	}{
		{"nil", reporttest.Debian(), ""},
		{"empty", reporttest.EmptyNoVulns(), "[]"},
		{"findings", reporttest.AlpineVulns(), "["},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var m map[string]json.RawMessage
			if err := json.Unmarshal(write(t, tt.inv, report.Options{}), &m); err != nil {
				t.Fatal(err)
			}
			got, ok := m["vulnerabilities"]
			if !strings.HasPrefix(string(got), tt.want) || ok != (tt.want != "") || (tt.want == "[]" && string(got) != "[]") {
				t.Errorf("vulnerabilities = %s (present %v), want %q", got, ok, tt.want)
			}
			if _, ok := m["db"]; ok != (tt.inv.DB != nil) {
				t.Errorf("db present = %v", ok)
			}
		})
	}
}

// TestSeverityAlwaysOnTheScale: a severity of another scale or case is written as one of
// the six ratings, so that the report stays valid against the schema's enum.
func TestSeverityAlwaysOnTheScale(t *testing.T) {
	inv := reporttest.AlpineVulns()
	inv.Vulnerabilities[0].Severity = "Important"
	inv.Vulnerabilities[1].Severity = "high"
	inv.Vulnerabilities[2].Severity = ""
	out := write(t, inv, report.Options{})
	reporttest.Validate(t, strictSchema(t), out)
	var r Report
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range r.Vulnerabilities {
		got = append(got, f.PkgName+"="+f.Severity)
	}
	want := []string{"busybox=UNKNOWN", "libcrypto3=UNKNOWN", "ssl_client=HIGH"}
	if !slices.Equal(got, want) {
		t.Errorf("severities = %v, want %v", got, want)
	}
}

func TestNilInventory(t *testing.T) {
	if err := Write(&bytes.Buffer{}, nil, report.Options{}); !errors.Is(err, report.ErrNilInventory) {
		t.Fatalf("Write(nil) = %v, want ErrNilInventory", err)
	}
}

// TestDocDescribesEveryField keeps docs/json-format.md in step with the schema: every
// property name the schema knows appears in the doc, in backquotes.
func TestDocDescribesEveryField(t *testing.T) {
	doc, err := os.ReadFile(docFile)
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(schemaFile)
	if err != nil {
		t.Fatal(err)
	}
	var schema any
	if err := json.Unmarshal(data, &schema); err != nil {
		t.Fatal(err)
	}
	var names []string
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if props, ok := v["properties"].(map[string]any); ok {
				for name := range props {
					names = append(names, name)
				}
			}
			for _, c := range v {
				walk(c)
			}
		case []any:
			for _, c := range v {
				walk(c)
			}
		}
	}
	walk(schema)
	slices.Sort(names)
	for _, name := range slices.Compact(names) {
		if !strings.Contains(string(doc), "`"+name+"`") {
			t.Errorf("%s does not describe `%s`", docFile, name)
		}
	}
}

// TestSchemaOpenAndStrict shows the two schemas' roles: a field added later within version 1
// passes the published schema, and only the strict test copy refuses it.
func TestSchemaOpenAndStrict(t *testing.T) {
	openSchema := reporttest.Schema(t, SchemaID, schemaFile)
	strict := strictSchema(t)
	good := write(t, reporttest.Alpine(), report.Options{})
	added := bytes.Replace(good, []byte(`"name": "musl",`), []byte(`"name": "musl", "futureField": true,`), 1)
	if bytes.Equal(added, good) {
		t.Fatal("test input unchanged")
	}
	if err := reporttest.Check(openSchema, added); err != nil {
		t.Errorf("published schema refuses an added field: %v", err)
	}
	if err := reporttest.Check(strict, added); err == nil {
		t.Error("strict schema accepts an undocumented field")
	}
	badKind := bytes.Replace(good, []byte(`"schemaVersion": 1`), []byte(`"schemaVersion": 2`), 1)
	if err := reporttest.Check(openSchema, badKind); err == nil {
		t.Error("schema accepts schemaVersion 2")
	}
}

// TestCheckSections: misconfigurations, secrets and licenses are absent when their scanner
// did not run, [] when it found nothing, and keep suppressed and passed entries.
func TestCheckSections(t *testing.T) {
	keys := func(inv *inventory.Inventory) map[string]json.RawMessage {
		var m map[string]json.RawMessage
		if err := json.Unmarshal(write(t, inv, report.Options{}), &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	m := keys(reporttest.DebianVulns())
	for _, k := range []string{"misconfigurations", "secrets", "licenses"} {
		if _, ok := m[k]; ok {
			t.Errorf("%s present although its scanner did not run", k)
		}
	}
	inv := reporttest.DebianVulns()
	inv.Misconfigurations, inv.Secrets, inv.Licenses = []inventory.Misconfiguration{}, []inventory.Secret{}, []inventory.LicenseFinding{}
	m = keys(inv)
	for _, k := range []string{"misconfigurations", "secrets", "licenses"} {
		if string(m[k]) != "[]" {
			t.Errorf("%s = %s, want []", k, m[k])
		}
	}
	var r Report
	if err := json.Unmarshal(write(t, reporttest.DebianChecks(), report.Options{}), &r); err != nil {
		t.Fatal(err)
	}
	pass, suppressed := 0, 0
	for _, c := range r.Misconfigurations {
		if c.Status == inventory.CheckPass {
			pass++
		}
		if c.Suppressed != nil {
			suppressed++
		}
	}
	if len(r.Misconfigurations) != 6 || pass != 1 || suppressed != 1 || len(r.Secrets) != 3 || r.Secrets[2].Suppressed == nil && r.Secrets[1].Suppressed == nil && r.Secrets[0].Suppressed == nil {
		t.Errorf("checks = %+v", r.Misconfigurations)
	}
}
