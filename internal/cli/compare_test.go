package cli

import (
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/shipshape-dev/shipshape/internal/imagetest"
	"github.com/shipshape-dev/shipshape/internal/inventory"
	"github.com/shipshape-dev/shipshape/internal/policy"
)

// compareImages writes three real images as docker-archives: the Alpine 3.12.12 minirootfs
// alone (base), the same layer with the npm project on top (app), and the Alpine 3.19.4
// minirootfs (newer).
func compareImages(t *testing.T) (base, app, newer string) {
	t.Helper()
	dir := t.TempDir()
	l312, err := imagetest.LayerFromFile(imagetest.AlpineRootfs("3.12.12", "x86_64"))
	if err != nil {
		t.Fatal(err)
	}
	l319, err := imagetest.LayerFromFile(imagetest.AlpineRootfs("3.19.4", "x86_64"))
	if err != nil {
		t.Fatal(err)
	}
	npm, err := imagetest.LayerFromFile(filepath.Join(imagetest.RepoRoot(), "testdata", "projects", "npm-project.tar.gz"))
	if err != nil {
		t.Fatal(err)
	}
	write := func(name string, steps ...imagetest.Step) string {
		img, err := imagetest.Image("linux/amd64", steps...)
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, name+".tar")
		if err := imagetest.WriteDockerArchive(p, "test/"+name+":1", img); err != nil {
			t.Fatal(err)
		}
		return p
	}
	base = write("base", imagetest.Step{Layer: l312, CreatedBy: "ADD alpine-minirootfs-3.12.12 /"})
	app = write("app", imagetest.Step{Layer: l312, CreatedBy: "ADD alpine-minirootfs-3.12.12 /"},
		imagetest.Step{Layer: npm, CreatedBy: "COPY npmvuln /npmvuln"})
	newer = write("newer", imagetest.Step{Layer: l319, CreatedBy: "ADD alpine-minirootfs-3.19.4 /"})
	return base, app, newer
}

// findingKeys scans ref on its own and returns "id pkg" for each finding.
func findingKeys(t *testing.T, ref, cache string) []string {
	t.Helper()
	code, out, stderr := run(t, nil, "image", ref, "-f", "json", "-q", "--cache-dir", cache)
	if code != 0 {
		t.Fatalf("%s: exit %d: %s", ref, code, stderr)
	}
	var keys []string
	for _, f := range scanInv(t, out).Vulnerabilities {
		keys = append(keys, f.ID+" "+f.PkgName)
	}
	slices.Sort(keys)
	return keys
}

func keysOf(fs []inventory.Finding) []string {
	var keys []string
	for _, f := range fs {
		keys = append(keys, f.ID+" "+f.PkgName)
	}
	slices.Sort(keys)
	return keys
}

// minus returns the members of a (a multiset, sorted) not in b.
func minus(a, b []string) []string {
	b = slices.Clone(b)
	var out []string
	for _, x := range a {
		if i := slices.Index(b, x); i >= 0 {
			b = slices.Delete(b, i, i+1)
			continue
		}
		out = append(out, x)
	}
	return out
}

func TestCompare(t *testing.T) {
	base, app, newer := compareImages(t)
	cache := t.TempDir()
	compare := func(args ...string) (int, policy.Comparison, string) {
		t.Helper()
		code, out, stderr := run(t, nil, append([]string{"compare", "-f", "json", "-q", "--cache-dir", cache}, args...)...)
		var c policy.Comparison
		if code != ExitError {
			if err := json.Unmarshal([]byte(out), &c); err != nil {
				t.Fatalf("%v: %s", err, out)
			}
			validateAgainst(t, "shipshape-compare-v1.schema.json", []byte(out))
		}
		return code, c, stderr
	}
	// Expectations come from scanning each image on its own.
	kBase, kApp, kNewer := findingKeys(t, base, cache), findingKeys(t, app, cache), findingKeys(t, newer, cache)
	if len(kApp) <= len(kBase) {
		t.Fatalf("the app image adds no findings: %v vs %v", kApp, kBase)
	}

	t.Run("base to app", func(t *testing.T) {
		code, c, stderr := compare(base, app, "--exit-code", "3")
		if code != 3 {
			t.Errorf("exit %d, want 3 (new findings): %s", code, stderr)
		}
		if c.SharedLayers != 1 {
			t.Errorf("shared layers %d, want 1", c.SharedLayers)
		}
		if got, want := keysOf(c.Vulnerabilities.Added), minus(kApp, kBase); !slices.Equal(got, want) {
			t.Errorf("added %q, want %q", got, want)
		}
		if len(c.Vulnerabilities.Fixed) != 0 || c.Vulnerabilities.Unchanged != len(kBase) {
			t.Errorf("fixed %d unchanged %d, want 0 and %d", len(c.Vulnerabilities.Fixed), c.Vulnerabilities.Unchanged, len(kBase))
		}
		for _, p := range c.Packages.Added {
			if p.Type != inventory.TypeNpm || p.Layer == nil || p.Layer.Index != 1 {
				t.Errorf("added package %+v is not an npm package of layer 1", p)
			}
		}
		if len(c.Packages.Added) == 0 || len(c.Packages.Removed)+len(c.Packages.Upgraded)+len(c.Packages.Downgraded) != 0 {
			t.Errorf("packages %+v", c.Packages)
		}
	})
	t.Run("ignore base", func(t *testing.T) {
		_, c, _ := compare(base, app, "--ignore-base")
		if c.Vulnerabilities.Unchanged != 0 || c.Packages.Unchanged != 0 || !c.IgnoreBase {
			t.Errorf("--ignore-base kept the base: %d unchanged findings, %d unchanged packages", c.Vulnerabilities.Unchanged, c.Packages.Unchanged)
		}
		if got, want := keysOf(c.Vulnerabilities.Added), minus(kApp, kBase); !slices.Equal(got, want) {
			t.Errorf("added %q, want %q", got, want)
		}
	})
	t.Run("app to base: only fixed, gate passes", func(t *testing.T) {
		code, c, stderr := compare(app, base, "--exit-code", "3")
		if code != 0 {
			t.Errorf("exit %d: %s", code, stderr)
		}
		if got, want := keysOf(c.Vulnerabilities.Fixed), minus(kApp, kBase); !slices.Equal(got, want) || len(c.Vulnerabilities.Added) != 0 {
			t.Errorf("fixed %q, want %q; added %d", got, want, len(c.Vulnerabilities.Added))
		}
	})
	t.Run("alpine 3.12 to 3.19", func(t *testing.T) {
		_, c, _ := compare(base, newer)
		if c.SharedLayers != 0 {
			t.Errorf("shared %d", c.SharedLayers)
		}
		if got, want := keysOf(c.Vulnerabilities.Fixed), minus(kBase, kNewer); !slices.Equal(got, want) {
			t.Errorf("fixed %q, want %q", got, want)
		}
		if got, want := keysOf(c.Vulnerabilities.Added), minus(kNewer, kBase); !slices.Equal(got, want) {
			t.Errorf("added %q, want %q", got, want)
		}
		up := map[string]policy.PackageChange{}
		for _, u := range c.Packages.Upgraded {
			up[u.Name] = u
		}
		if u, ok := up["zlib"]; !ok || u.From != "1.2.12-r0" || u.Note != "" {
			t.Errorf("zlib upgrade %+v (upgraded: %v)", u, c.Packages.Upgraded)
		}
		if len(c.Packages.Downgraded) != 0 {
			t.Errorf("downgrades %+v", c.Packages.Downgraded)
		}
	})
	t.Run("ignore file applies to both sides", func(t *testing.T) {
		ign := filepath.Join(t.TempDir(), "i.yaml")
		if err := writeFileAtomic(ign, []byte("vulnerabilities:\n  - purl: pkg:npm/lodash\n  - purl: pkg:npm/minimist\n  - purl: pkg:npm/axios\n")); err != nil {
			t.Fatal(err)
		}
		code, c, stderr := compare(base, app, "--exit-code", "3", "--ignorefile", ign)
		if code != 0 {
			t.Errorf("exit %d with every new finding ignored: %s", code, stderr)
		}
		for _, f := range c.Vulnerabilities.Added {
			if f.Suppressed == nil {
				t.Errorf("%s %s not suppressed", f.ID, f.PkgName)
			}
		}
	})
	t.Run("table", func(t *testing.T) {
		code, out, stderr := run(t, nil, "compare", base, app, "-q", "--cache-dir", cache)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		for _, want := range []string{"Shared base: 1 layer(s)", "Packages: ", "Vulnerabilities: ", "new     GHSA-xvch-5gv4-984h"} {
			if !strings.Contains(out, want) {
				t.Errorf("table lacks %q:\n%s", want, out)
			}
		}
	})
	t.Run("bad input", func(t *testing.T) {
		if code, _, stderr := run(t, nil, "compare", base, filepath.Join(t.TempDir(), "none.tar"), "-q", "--cache-dir", cache); code != ExitError || !strings.Contains(stderr, "none.tar") {
			t.Errorf("missing image: exit %d: %s", code, stderr)
		}
		if code, _, stderr := run(t, nil, "compare", base, app, "-f", "spdx-json", "-q", "--cache-dir", cache); code != ExitError || !strings.Contains(stderr, "table or json") {
			t.Errorf("spdx: exit %d: %s", code, stderr)
		}
	})
}

func TestFixPlanBase(t *testing.T) {
	base, app, newer := compareImages(t)
	cache := t.TempDir()
	code, out, stderr := run(t, nil, "image", app, "--fix-plan", "--base", base, "-f", "json", "-q", "--cache-dir", cache)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	validateAgainst(t, "shipshape-fixplan-v1.schema.json", []byte(out))
	var plan fixPlanReport
	if err := json.Unmarshal([]byte(out), &plan); err != nil {
		t.Fatal(err)
	}
	inBase := 0
	for _, u := range plan.Upgrades {
		if u.Layer == nil {
			t.Fatalf("%s: no layer", u.PkgName)
		}
		if u.BaseImage != (u.Layer.Index == 0) {
			t.Errorf("%s in layer %d: baseImage %v", u.PkgName, u.Layer.Index, u.BaseImage)
		}
		if u.BaseImage {
			inBase++
		}
	}
	if inBase == 0 || inBase == len(plan.Upgrades) {
		t.Errorf("%d of %d upgrades in the base; the fixture has findings in both layers", inBase, len(plan.Upgrades))
	}
	code, out, _ = run(t, nil, "image", app, "--fix-plan", "--base", base, "-q", "--cache-dir", cache)
	if code != 0 || !strings.Contains(out, "base image: 0") || !strings.Contains(out, "in the base image "+base) {
		t.Errorf("table:\n%s", out)
	}
	// Not built on that base: nothing is marked, and a warning says so.
	code, out, stderr = run(t, nil, "image", app, "--fix-plan", "--base", newer, "-f", "json", "--cache-dir", cache)
	if code != 0 || !strings.Contains(stderr, "is not built on") || strings.Contains(out, `"baseImage"`) {
		t.Errorf("unrelated base: exit %d, %s", code, stderr)
	}
	if code, _, stderr := run(t, nil, "image", app, "--base", base, "-q", "--cache-dir", cache); code != ExitError || !strings.Contains(stderr, "--fix-plan") {
		t.Errorf("--base without --fix-plan: exit %d %s", code, stderr)
	}
}
