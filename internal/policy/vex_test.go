package policy

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/shipshape-dev/shipshape/internal/inventory"
)

// vexOutcome lists "ID suppressed-status" and "ID vex-status" for the findings a VEX
// document speaks about.
func vexOutcome(inv *inventory.Inventory) []string {
	var out []string
	for _, f := range inv.Vulnerabilities {
		if f.Suppressed != nil {
			out = append(out, f.ID+" suppressed "+f.Suppressed.Statement)
		}
		if f.VEX != nil {
			out = append(out, f.ID+" annotated "+f.VEX.Statement)
		}
	}
	slices.Sort(out)
	return out
}

func TestVEXDocuments(t *testing.T) {
	for _, tc := range []struct {
		file, format string
		want         []string
		warnings     int
		reasons      map[string]string
	}{
		{"app.openvex.json", FormatOpenVEX, []string{
			"GHSA-29mw-wpgm-hmr9 annotated under_investigation", // by its alias, on pkg:npm/lodash of any version
			"GHSA-p6mc-m468-83gw suppressed not_affected",       // the later of two statements wins
			"GHSA-xvch-5gv4-984h suppressed not_affected",       // CVE id matches the GHSA finding's alias
			// CVE-2021-23337 is not_affected only in lodash 4.17.21: not this one.
		}, 0, map[string]string{"GHSA-xvch-5gv4-984h": "vulnerable_code_not_in_execute_path: minimist only parses the fixed argv of our own build script"}},
		{"app.cdx-vex.json", FormatCycloneDX, []string{
			"GHSA-4w2v-q235-vp99 suppressed not_affected", // BOM-Link ref, CVE alias
			"GHSA-vh95-rmgr-6w4m suppressed fixed",        // resolved, purl ref
			"GHSA-wf5p-g6vw-rhxx annotated affected",      // exploitable, bom-ref
		}, 2, map[string]string{"GHSA-4w2v-q235-vp99": "code_not_reachable: axios is only used against our own API host; redirects are not followed"}},
		{"legacy.openvex-v0.0.1.json", FormatOpenVEX, []string{
			"GHSA-4w2v-q235-vp99 suppressed not_affected",
			// The minimist statement is about the image pkg:oci/npmvuln; the scan is of a folder.
		}, 0, map[string]string{"GHSA-4w2v-q235-vp99": "vulnerable_code_not_in_execute_path"}},
		{"app.csaf-vex.json", FormatCSAF, []string{
			"GHSA-29mw-wpgm-hmr9 suppressed not_affected", // relationship product: lodash in npmvuln
			"GHSA-35jh-r3h4-6jhm suppressed fixed",
			"GHSA-vh95-rmgr-6w4m annotated under_investigation",
		}, 1, map[string]string{"GHSA-29mw-wpgm-hmr9": "vulnerable_code_not_in_execute_path: npmvuln never passes user input to trim functions"}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			path := filepath.Join("testdata", "vex", tc.file)
			doc, err := LoadVEX(path)
			if err != nil {
				t.Fatal(err)
			}
			if doc.Format != tc.format || doc.Source != path {
				t.Errorf("format %q source %q", doc.Format, doc.Source)
			}
			if len(doc.Warnings) != tc.warnings {
				t.Errorf("warnings %q, want %d", doc.Warnings, tc.warnings)
			}
			inv := loadScan(t)
			Apply(inv, Options{VEX: []*VEXDocument{doc}, Now: fixedNow})
			if got := vexOutcome(inv); !slices.Equal(got, tc.want) {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
			for _, f := range inv.Vulnerabilities {
				if want, ok := tc.reasons[f.ID]; ok {
					if f.Suppressed == nil || f.Suppressed.Reason != want || f.Suppressed.Kind != "vex" || f.Suppressed.Source != path {
						t.Errorf("%s: %+v, want reason %q", f.ID, f.Suppressed, want)
					}
				}
			}
		})
	}
}

func TestIgnoreBeatsVEX(t *testing.T) {
	doc, err := LoadVEX(filepath.Join("testdata", "vex", "app.openvex.json"))
	if err != nil {
		t.Fatal(err)
	}
	ign, _ := ParseIgnoreYAML([]byte("vulnerabilities:\n  - package: minimist\n"), "i.yaml")
	inv := loadScan(t)
	Apply(inv, Options{Ignore: []*IgnoreFile{ign}, VEX: []*VEXDocument{doc}, Now: fixedNow})
	for _, f := range inv.Vulnerabilities {
		if f.ID == "GHSA-xvch-5gv4-984h" && (f.Suppressed == nil || f.Suppressed.Kind != "ignore") {
			t.Errorf("%+v: the ignore file should decide first", f.Suppressed)
		}
	}
}

func TestVEXTargetProduct(t *testing.T) {
	// A statement about the image as a whole (a pkg:oci product with the image's digest)
	// covers every package in it; one naming another image covers none.
	inv := loadScan(t)
	inv.Target = inventory.Target{Name: "app.tar", Kind: "image", RepoTags: []string{"registry.example.com/team/npmvuln:1.0"},
		ManifestDigest: "sha256:1111111111111111111111111111111111111111111111111111111111111111"}
	for _, tc := range []struct {
		product string
		want    bool
	}{
		{"pkg:oci/npmvuln@sha256%3A1111111111111111111111111111111111111111111111111111111111111111", true},
		{"pkg:oci/npmvuln@sha256%3A2222222222222222222222222222222222222222222222222222222222222222", false},
		{"pkg:oci/npmvuln?tag=1.0", true},
		{"pkg:oci/other", false},
		{"registry.example.com/team/npmvuln:1.0", true},
	} {
		st := VEXStatement{Vulnerability: "CVE-2020-8203", Status: VEXNotAffected, Products: []VEXProduct{{ID: tc.product}}}
		f := inv.Vulnerabilities[slices.IndexFunc(inv.Vulnerabilities, func(f inventory.Finding) bool { return f.ID == "GHSA-p6mc-m468-83gw" })]
		if got := st.matches(&f, &inv.Target, nil); got != tc.want {
			t.Errorf("%s: matches = %v, want %v", tc.product, got, tc.want)
		}
	}
}

func TestParseVEXErrors(t *testing.T) {
	for _, tc := range []struct{ name, doc, want string }{
		{"not JSON", "statements: []", "not a JSON object"},
		{"unknown format", `{"hello": "world"}`, "not OpenVEX"},
		{"openvex type error", "{\"@context\": \"https://openvex.dev/ns/v0.2.0\",\n\"statements\": {}}", "line 2"},
		{"cyclonedx type error", `{"bomFormat": "CycloneDX", "vulnerabilities": [{"analysis": "x"}]}`, "CycloneDX"},
		{"csaf type error", `{"document": {"csaf_version": "2.0"}, "vulnerabilities": 3}`, "CSAF"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseVEX([]byte(tc.doc), "v.json")
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "v.json") {
				t.Errorf("error %v, want one naming v.json and containing %q", err, tc.want)
			}
		})
	}
	doc, err := ParseVEX([]byte(`{"@context": "https://openvex.dev/ns/v0.2.0", "statements": [
		{"vulnerability": {"name": "CVE-1"}, "products": [{"@id": "pkg:npm/x"}], "status": "fine"},
		{"vulnerability": {"name": "CVE-2"}, "status": "not_affected"}]}`), "v.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(doc.Statements) != 0 || len(doc.Warnings) != 2 {
		t.Errorf("statements %+v warnings %q", doc.Statements, doc.Warnings)
	}
}

func TestVEXOutRoundTrip(t *testing.T) {
	ign, err := ParseIgnoreYAML([]byte(`vulnerabilities:
  - id: CVE-2021-44906
    reason: argv is ours
    justification: vulnerable_code_cannot_be_controlled_by_adversary
  - package: lodash
    reason: lodash is only used at build time
  - id: GHSA-4w2v-q235-vp99
    expires: 2026-01-01
`), "i.yaml")
	if err != nil {
		t.Fatal(err)
	}
	inv := loadScan(t)
	Apply(inv, Options{Ignore: []*IgnoreFile{ign}, Now: fixedNow})
	var buf bytes.Buffer
	if err := WriteOpenVEX(&buf, inv, []*IgnoreFile{ign}, VEXOutOptions{Now: fixedNow}); err != nil {
		t.Fatal(err)
	}
	var again bytes.Buffer
	if err := WriteOpenVEX(&again, inv, []*IgnoreFile{ign}, VEXOutOptions{Now: fixedNow}); err != nil || !bytes.Equal(buf.Bytes(), again.Bytes()) {
		t.Error("VEX out is not deterministic")
	}
	var raw map[string]any
	if err := json.Unmarshal(buf.Bytes(), &raw); err != nil {
		t.Fatal(err)
	}
	if raw["timestamp"] != "2026-11-27T12:00:00Z" || raw["author"] != "shipshape" {
		t.Errorf("metadata %v %v", raw["timestamp"], raw["author"])
	}
	// Read back, the document suppresses exactly what the ignore file did (the expired
	// entry excepted), now as VEX.
	doc, err := ParseVEX(buf.Bytes(), "out.json")
	if err != nil {
		t.Fatal(err)
	}
	fresh := loadScan(t)
	Apply(fresh, Options{VEX: []*VEXDocument{doc}, Now: fixedNow})
	var got, want []string
	for i, f := range inv.Vulnerabilities {
		if f.Suppressed != nil {
			want = append(want, f.ID)
		}
		if s := fresh.Vulnerabilities[i].Suppressed; s != nil {
			if s.Kind != "vex" || s.Statement != "not_affected" {
				t.Errorf("%s: %+v", f.ID, s)
			}
			got = append(got, f.ID)
		}
	}
	if len(want) != 5 || !slices.Equal(got, want) {
		t.Errorf("VEX out suppresses %q, the ignore file %q", got, want)
	}
	if !strings.Contains(buf.String(), `"justification": "vulnerable_code_cannot_be_controlled_by_adversary"`) ||
		!strings.Contains(buf.String(), `"impact_statement": "lodash is only used at build time"`) {
		t.Errorf("justification or impact statement missing:\n%s", buf.String())
	}
}

func TestVEXTestdataIsValidJSON(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("testdata", "vex", "*.json"))
	if len(files) != 4 {
		t.Fatalf("found %d VEX documents", len(files))
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil || !json.Valid(data) {
			t.Errorf("%s: not valid JSON (%v)", f, err)
		}
	}
}

func TestLegacyOpenVEXImageProduct(t *testing.T) {
	doc, err := LoadVEX(filepath.Join("testdata", "vex", "legacy.openvex-v0.0.1.json"))
	if err != nil {
		t.Fatal(err)
	}
	inv := loadScan(t)
	inv.Target = inventory.Target{Name: "app.tar", Kind: "image", RepoTags: []string{"registry.example.com/npmvuln:1.0"}}
	Apply(inv, Options{VEX: []*VEXDocument{doc}, Now: fixedNow})
	want := []string{"GHSA-4w2v-q235-vp99 suppressed not_affected", "GHSA-vh95-rmgr-6w4m suppressed fixed"}
	if got := vexOutcome(inv); !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestCSAFFullProductNamesAndPURLList(t *testing.T) {
	// CSAF 2.1 lists purls under product_identification_helper.purls; products may also sit
	// in full_product_names rather than branches.
	doc, err := ParseVEX([]byte(`{
  "document": {"category": "csaf_vex", "csaf_version": "2.1", "tracking": {"current_release_date": "2026-11-22T00:00:00Z"}},
  "product_tree": {"full_product_names": [
    {"name": "axios 0.21.0", "product_id": "P1", "product_identification_helper": {"purls": ["pkg:npm/axios@0.21.0"]}},
    {"name": "no purl", "product_id": "P2"}
  ]},
  "vulnerabilities": [
    {"ids": [{"system_name": "GHSA", "text": "GHSA-wf5p-g6vw-rhxx"}], "product_status": {"known_not_affected": ["P1", "P2"]},
     "flags": [{"label": "component_not_present", "product_ids": ["P1"]}]}
  ]
}`), "csaf21.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(doc.Statements) != 1 || len(doc.Warnings) != 1 || !strings.Contains(doc.Warnings[0], `"P2"`) {
		t.Fatalf("statements %+v warnings %q", doc.Statements, doc.Warnings)
	}
	inv := loadScan(t)
	Apply(inv, Options{VEX: []*VEXDocument{doc}, Now: fixedNow})
	if got, want := vexOutcome(inv), []string{"GHSA-wf5p-g6vw-rhxx suppressed not_affected"}; !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}
