package ruby

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/shipshape-dev/shipshape/internal/analyzer"
	"github.com/shipshape-dev/shipshape/internal/inventory"
)

func analyze(t *testing.T, claimPath, file string) analyzer.Facts {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", file))
	if err != nil {
		t.Fatal(err)
	}
	a := New()
	if !a.Claims(claimPath, nil) {
		t.Fatalf("Claims(%q) = false", claimPath)
	}
	f, err := a.Analyze(context.Background(), analyzer.Input{Path: claimPath, Content: bytes.NewReader(data)})
	if err != nil {
		t.Fatalf("Analyze(%s): %v", claimPath, err)
	}
	if f.PackageType != inventory.TypeGem {
		t.Errorf("PackageType %q", f.PackageType)
	}
	return f
}

func TestGemspecs(t *testing.T) {
	for _, tc := range []struct {
		claim, file, name, version, purl string
		licenses                         []string
	}{
		// A regular gem, as RubyGems 3.3 installs it.
		{"usr/local/bundle/specifications/rack-2.2.22.gemspec", "rack-2.2.22.gemspec", "rack", "2.2.22", "pkg:gem/rack@2.2.22", []string{"MIT"}},
		// A gem with a native extension (compiled on install: platform ruby).
		{"var/lib/gems/3.1.0/specifications/nokogiri-1.13.10.gemspec", "nokogiri-1.13.10.gemspec", "nokogiri", "1.13.10", "pkg:gem/nokogiri@1.13.10", []string{"MIT"}},
		// A default gem shipped with Ruby.
		{"usr/lib/ruby/gems/3.1.0/specifications/default/openssl-3.0.1.gemspec", "openssl-3.0.1.gemspec", "openssl", "3.0.1", "pkg:gem/openssl@3.0.1", []string{"Ruby"}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			f := analyze(t, tc.claim, tc.file)
			if len(f.Packages) != 1 {
				t.Fatalf("%d packages", len(f.Packages))
			}
			p := f.Packages[0]
			if p.Name != tc.name || p.Version != tc.version || p.PURL != tc.purl || !reflect.DeepEqual(p.Licenses, tc.licenses) {
				t.Errorf("got %s %s %s %q, want %s %s %s %q", p.Name, p.Version, p.PURL, p.Licenses, tc.name, tc.version, tc.purl, tc.licenses)
			}
		})
	}
}

func TestGemspecForms(t *testing.T) {
	for _, tc := range []struct {
		name, in                        string
		wantName, wantVersion, wantPURL string
		wantLicenses                    []string
	}{
		{"native platform from the stub line", "# stub: nokogiri 1.13.10 x86_64-linux lib\nGem::Specification.new do |s|\nend\n",
			"nokogiri", "1.13.10", "pkg:gem/nokogiri@1.13.10?platform=x86_64-linux", nil},
		{"assignments win over the stub", "# stub: a 1 ruby lib\nGem::Specification.new do |spec|\n  spec.name = %q<b>.freeze\n  spec.version = '2.0.0.rc1'\n  spec.platform = \"java\".freeze\n  spec.license = \"Apache-2.0\"\n  spec.add_dependency(%q<x>.freeze, [\"= 1\"])\nend\n",
			"b", "2.0.0.rc1", "pkg:gem/b@2.0.0.rc1?platform=java", []string{"Apache-2.0"}},
		{"licenses array", "s.name = \"c\"\ns.version = \"1.0\" # comment \"x\"\ns.licenses = [\"MIT\".freeze, \"GPL-2.0\".freeze]\n",
			"c", "1.0", "pkg:gem/c@1.0", []string{"MIT", "GPL-2.0"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := ParseGemspec([]byte(tc.in))
			if err != nil {
				t.Fatal(err)
			}
			if p.Name != tc.wantName || p.Version != tc.wantVersion || p.PURL != tc.wantPURL || !reflect.DeepEqual(p.Licenses, tc.wantLicenses) {
				t.Errorf("got %s %s %s %q", p.Name, p.Version, p.PURL, p.Licenses)
			}
		})
	}
	for _, bad := range []string{"", "puts 'hello'", "s.name = \"../x\"\ns.version = \"1\"", "s.name = \"x\"\ns.version = \"v1\"", "s.name = \"x"} {
		if _, err := ParseGemspec([]byte(bad)); err == nil {
			t.Errorf("ParseGemspec(%q): no error", bad)
		}
	}
}

func TestGemfileLock(t *testing.T) {
	f := analyze(t, "srv/app/Gemfile.lock", "Gemfile.lock")
	var got []string
	for _, p := range f.Packages {
		got = append(got, p.Name+"@"+p.Version+" "+p.Dependency)
		if p.PURL != "pkg:gem/"+p.Name+"@"+p.Version {
			t.Errorf("purl %s", p.PURL)
		}
	}
	d, tr := " direct", " transitive"
	want := []string{
		"crass@1.0.6" + tr, "json@2.2.0" + d, "loofah@2.19.0" + tr, "mustermann@1.1.1" + tr,
		"myapp@0.1.0" + d, "mygem@0.1.0" + d, "nio4r@2.5.8" + tr, "nokogiri@1.13.10" + d,
		"puma@5.6.4" + d, "racc@1.6.1" + tr, "rack@2.2.3" + tr, "rack-protection@2.1.0" + tr,
		"rails-html-sanitizer@1.4.3" + d, "rake@13.0.6" + d, "rexml@3.2.5" + d, "ruby2_keywords@0.0.5" + tr,
		"sinatra@2.1.0" + d, "tilt@2.0.10" + tr,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("packages\n got %q\nwant %q", got, want)
	}
	if len(f.Warnings) != 0 {
		t.Errorf("warnings %q", f.Warnings)
	}
}

// TestGemfileLockBundler reads a lock file Bundler itself wrote (bundle lock --local
// against Debian bookworm's packaged gems; see testdata/README.md).
func TestGemfileLockBundler(t *testing.T) {
	f := analyze(t, "app/Gemfile.lock", "bundler-local/Gemfile.lock")
	var got []string
	for _, p := range f.Packages {
		got = append(got, p.Name+"@"+p.Version+" "+p.Dependency)
	}
	d, tr := " direct", " transitive"
	want := []string{
		"json@2.6.3" + d, "mini_portile2@2.8.1" + tr, "mustermann@3.0.0" + tr, "nokogiri@1.13.10" + d,
		"racc@1.6.2" + tr, "rack@2.2.22" + tr, "rack-protection@3.0.5" + tr, "rake@13.0.6" + d,
		"ruby2_keywords@0.0.5" + tr, "sinatra@3.0.5" + d, "tilt@2.0.11" + tr,
	}
	if !reflect.DeepEqual(got, want) || len(f.Warnings) != 0 {
		t.Errorf("packages\n got %q\nwant %q\nwarnings %q", got, want, f.Warnings)
	}
}

func TestGemfileLockBad(t *testing.T) {
	a := New()
	for _, in := range []string{"", "hello world", "{\"json\": true}"} {
		_, err := a.Analyze(context.Background(), analyzer.Input{Path: "x/Gemfile.lock", Content: strings.NewReader(in)})
		if err == nil || !strings.Contains(err.Error(), "x/Gemfile.lock") {
			t.Errorf("%q: error %v", in, err)
		}
	}
	pkgs, warnings, err := ParseGemfileLock([]byte("GEM\n  specs:\n    ok (1.0)\n    bad (x\n    worse (!)\n\nBUNDLED WITH\n   2.4.0\n"))
	if err != nil || len(pkgs) != 1 || len(warnings) != 2 {
		t.Errorf("partly broken lock: %v %v %v", pkgs, warnings, err)
	}
}

func TestClaims(t *testing.T) {
	a := New()
	for p, want := range map[string]bool{
		"usr/lib/ruby/gems/3.1.0/specifications/rack-2.2.22.gemspec":            true,
		"usr/lib/ruby/gems/3.1.0/specifications/default/openssl-3.0.1.gemspec":  true,
		"usr/share/rubygems-integration/all/specifications/rake-13.0.6.gemspec": true,
		"app/vendor/bundle/ruby/3.1.0/specifications/puma-5.6.4.gemspec":        true,
		"usr/lib/ruby/gems/3.1.0/gems/rack-2.2.22/rack.gemspec":                 false,
		"src/mygem/mygem.gemspec": false,
		"app/Gemfile.lock":        true,
		"app/Gemfile":             false,
		"usr/lib/ruby/gems/3.1.0/gems/rbs-2.1.0/steep/Gemfile.lock": false,
		"app/vendor/bundle/ruby/3.1.0/gems/puma-5.6.4/Gemfile.lock": false,
		"usr/share/doc/ruby-foo/examples/Gemfile.lock":              false,
		"gems/Gemfile.lock":         true,
		"srv/gems/app/Gemfile.lock": true,
		"usr/lib/ruby/gems/3.1.0/specifications/default/openssl-3.0.1.gemspec.orig": false,
	} {
		if got := a.Claims(p, nil); got != want {
			t.Errorf("Claims(%q) = %v, want %v", p, got, want)
		}
	}
}
