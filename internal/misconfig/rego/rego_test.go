package rego

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/shipshape-dev/shipshape/internal/inventory"
	"github.com/shipshape-dev/shipshape/internal/misconfig"
	"github.com/shipshape-dev/shipshape/internal/misconfig/configfile"
	"github.com/shipshape-dev/shipshape/internal/misconfig/imageconfig"
)

func loadChecks(t *testing.T) *Checks {
	t.Helper()
	c, err := Load(context.Background(), []string{filepath.Join("testdata", "checks")})
	if err != nil {
		t.Fatal(err)
	}
	if c.Len() != 4 {
		t.Fatalf("%d checks loaded, want 4", c.Len())
	}
	return c
}

// summary is what must be equal between a built-in check and its Rego twin.
func summary(ms []inventory.Misconfiguration, id string) string {
	var parts []string
	for _, m := range ms {
		if m.ID == id {
			parts = append(parts, m.Status+"|"+m.Object+"|"+strconv.Itoa(m.StartLine)+"-"+strconv.Itoa(m.EndLine)+"|"+m.Code)
		}
	}
	return strings.Join(parts, ";")
}

// TestReproducesBuiltins runs each custom check next to the built-in check it copies on
// every fixture of that built-in kind: the status, object and lines must be the same.
func TestReproducesBuiltins(t *testing.T) {
	checks := loadChecks(t)
	ctx := context.Background()
	for _, tc := range []struct {
		kind, glob, builtin, custom string
	}{
		{inventory.CheckDockerfile, "../dockerfile/testdata/*/*.Dockerfile", "SS-DF-001", "CUSTOM-DF-001"},
		{inventory.CheckCompose, "../compose/testdata/*/*.yaml", "SS-CP-001", "CUSTOM-CP-001"},
		{inventory.CheckKubernetes, "../kubernetes/testdata/*/*.yaml", "SS-K8S-002", "CUSTOM-K8S-002"},
	} {
		files, _ := filepath.Glob(tc.glob)
		if len(files) < 20 {
			t.Fatalf("%s: only %d fixtures", tc.glob, len(files))
		}
		fails := 0
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			res := configfile.ScanFile(ctx, f, tc.kind, data, false, configfile.Options{Custom: checks})
			b, c := summary(res, tc.builtin), summary(res, tc.custom)
			if b == "" || b != c {
				t.Errorf("%s:\n built-in %s\n custom   %s", f, b, c)
			}
			if strings.HasPrefix(b, "fail") {
				fails++
			}
			for _, m := range res {
				if m.ID == tc.custom && m.Kind != inventory.CheckRego {
					t.Errorf("custom result of kind %s", m.Kind)
				}
			}
		}
		if fails == 0 {
			t.Errorf("%s: no fixture fails, the comparison proves nothing", tc.builtin)
		}
	}
}

func TestImageConfig(t *testing.T) {
	checks := loadChecks(t)
	for _, name := range []string{"bad.config.json", "good.config.json", "buildkit.config.json"} {
		f, err := os.Open(filepath.Join("..", "imageconfig", "testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := v1.ParseConfigFile(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		builtin := imageconfig.Scan(name, cfg)
		res, err := checks.Eval(context.Background(), inventory.CheckImageConfig, name, &imageconfig.Image{Name: name, Config: cfg})
		if err != nil {
			t.Fatal(err)
		}
		custom := misconfig.FromCustom(name, res, nil)
		var b, c []string
		for _, m := range builtin {
			if m.ID == "SS-IC-001" {
				b = append(b, m.Status+" "+m.Message)
			}
		}
		for _, m := range custom {
			c = append(c, m.Status+" "+m.Message)
		}
		if strings.Join(b, ";") != strings.Join(c, ";") {
			t.Errorf("%s: built-in %v, custom %v", name, b, c)
		}
	}
}

func TestLoadErrors(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		paths []string
		want  string
	}{
		{[]string{filepath.Join("testdata", "bad", "no_metadata.rego")}, "no metadata"},
		{[]string{filepath.Join("testdata", "bad", "syntax.rego.txt")}, "not valid Rego"},
		{[]string{filepath.Join("testdata", "missing")}, "no such file"},
		{[]string{filepath.Join("testdata", "bad", "..", "..", "testdata", "bad", "syntax.rego.txt"), filepath.Join("testdata", "checks")}, "not valid Rego"},
	} {
		_, err := Load(ctx, tc.paths)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: got %v, want %q", tc.paths, err, tc.want)
		}
	}
}
