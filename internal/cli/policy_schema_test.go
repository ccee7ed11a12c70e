package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/shipshape-dev/shipshape/internal/imagetest"
)

// validateAgainst validates a JSON document against one of the schemas in docs/schema
// (which may refer to each other).
func validateAgainst(t *testing.T, schemaFile string, data []byte) {
	t.Helper()
	if err := schemaError(t, schemaFile, data); err != nil {
		t.Errorf("output does not match %s: %v\n%s", schemaFile, err, firstLines(string(data), 40))
	}
}

func schemaError(t *testing.T, schemaFile string, data []byte) error {
	t.Helper()
	dir := filepath.Join(imagetest.RepoRoot(), "docs", "schema")
	files, err := filepath.Glob(filepath.Join(dir, "*.schema.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no schemas in %s: %v", dir, err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	id := ""
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		fid := "https://shipshape.dev/schema/" + filepath.Base(f)
		if err := c.AddResource(fid, doc); err != nil {
			t.Fatal(err)
		}
		if filepath.Base(f) == schemaFile {
			id = fid
		}
	}
	if id == "" {
		t.Fatalf("no schema %s", schemaFile)
	}
	s, err := c.Compile(id)
	if err != nil {
		t.Fatal(err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	return s.Validate(inst)
}

// TestPolicySchemasReject makes sure the compare and fix-plan schemas can fail.
func TestPolicySchemasReject(t *testing.T) {
	for _, tc := range []struct{ schema, doc string }{
		{"shipshape-fixplan-v1.schema.json", `{"schemaVersion": 1, "target": {"name": "x", "kind": "image"}, "unfixable": 0}`},
		{"shipshape-fixplan-v1.schema.json", `{"schemaVersion": 1, "target": {"name": "x", "kind": "image"}, "unfixable": 0, "upgrades": [{"pkgName": "a", "pkgType": "npm", "pkgPURL": "pkg:npm/a@1", "installedVersion": "1", "fixedVersion": "2", "fixes": [], "severity": "HIGH", "risk": 1}]}`},
		{"shipshape-compare-v1.schema.json", `{"schemaVersion": 1, "old": {"name": "a", "kind": "image"}, "new": {"name": "b", "kind": "image"}, "sharedLayers": -1, "packages": {"added": [], "removed": [], "upgraded": [], "downgraded": [], "unchanged": 0}, "vulnerabilities": {"added": [], "fixed": [], "unchanged": 0}}`},
	} {
		if err := schemaError(t, tc.schema, []byte(tc.doc)); err == nil {
			t.Errorf("%s accepted %s", tc.schema, tc.doc)
		}
	}
}

func firstLines(s string, n int) string {
	lines := strings.SplitN(s, "\n", n+1)
	if len(lines) > n {
		lines = lines[:n]
	}
	return strings.Join(lines, "\n")
}
