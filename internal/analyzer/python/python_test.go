package python

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

// want is what a test checks of one package.
type want struct {
	name, version, dep string
	dev                bool
}

func (w want) String() string {
	s := w.name + "@" + w.version
	if w.dep != "" {
		s += " " + w.dep
	}
	if w.dev {
		s += " dev"
	}
	return s
}

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
	if f.PackageType != inventory.TypePyPI {
		t.Errorf("PackageType %q", f.PackageType)
	}
	for _, p := range f.Packages {
		if p.Type != inventory.TypePyPI || p.PURL != "pkg:pypi/"+NormalizeName(p.Name)+"@"+p.Version {
			t.Errorf("%s: type %q purl %q", p.Name, p.Type, p.PURL)
		}
	}
	return f
}

func summary(pkgs []inventory.Package) []string {
	var out []string
	for _, p := range pkgs {
		out = append(out, want{p.Name, p.Version, p.Dependency, p.Dev}.String())
	}
	return out
}

func wants(ws ...want) []string {
	var out []string
	for _, w := range ws {
		out = append(out, w.String())
	}
	return out
}

func TestMetadata(t *testing.T) {
	for _, tc := range []struct {
		claim, file, name, version string
		licenses                   []string
	}{
		// Debian's python3-yaml: License plus a classifier; the field wins.
		{"usr/lib/python3/dist-packages/PyYAML-6.0.dist-info/METADATA", "PyYAML-6.0.dist-info.METADATA", "PyYAML", "6.0", []string{"MIT"}},
		// Debian's python3-requests (setuptools egg-info).
		{"usr/lib/python3/dist-packages/requests-2.28.1.egg-info/PKG-INFO", "requests-2.28.1.egg-info.PKG-INFO", "requests", "2.28.1", []string{"Apache 2.0"}},
		// A wheel built with flit: PEP 639 License-Expression, metadata 2.4.
		{"app/.venv/lib/python3.11/site-packages/flask-3.1.3.dist-info/METADATA", "flask-3.1.3.dist-info.METADATA", "Flask", "3.1.3", []string{"BSD-3-Clause"}},
		// distutils' metadata 1.0 written as a file.
		{"usr/lib/python2.7/wsgiref.egg-info", "wsgiref.egg-info", "wsgiref", "0.1.2", []string{"PSF or ZPL"}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			f := analyze(t, tc.claim, tc.file)
			if len(f.Packages) != 1 {
				t.Fatalf("%d packages", len(f.Packages))
			}
			p := f.Packages[0]
			if p.Name != tc.name || p.Version != tc.version || !reflect.DeepEqual(p.Licenses, tc.licenses) {
				t.Errorf("got %s %s %q, want %s %s %q", p.Name, p.Version, p.Licenses, tc.name, tc.version, tc.licenses)
			}
		})
	}
}

func TestMetadataLicenceFallbacks(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     []string
	}{
		{"classifiers when License is UNKNOWN", "Name: a\nVersion: 1\nLicense: UNKNOWN\nClassifier: License :: OSI Approved :: MIT License\nClassifier: License :: OSI Approved\n", []string{"MIT License"}},
		{"classifiers when License is a full text", "Name: a\nVersion: 1\nLicense: Copyright (c) someone\n        Permission is hereby granted\nClassifier: License :: OSI Approved :: BSD License\n", []string{"BSD License"}},
		{"expression wins", "Name: a\nVersion: 1\nLicense: MIT\nLicense-Expression: MIT OR Apache-2.0\n", []string{"MIT OR Apache-2.0"}},
		{"none", "Name: a\nVersion: 1\n\nLicense: MIT (in the body, not a header)\n", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := ParseMetadata([]byte(tc.in))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(p.Licenses, tc.want) {
				t.Errorf("licences %q, want %q", p.Licenses, tc.want)
			}
		})
	}
}

func TestMetadataErrors(t *testing.T) {
	for _, in := range []string{"", "Version: 1.0\n", "Name: ../etc\nVersion: 1\n", "\x00\x01binary", "Name: a\n\nVersion: 1\n"} {
		if _, err := ParseMetadata([]byte(in)); err == nil {
			t.Errorf("ParseMetadata(%q): no error", in)
		}
	}
}

func TestLockfiles(t *testing.T) {
	d, tr := inventory.DependencyDirect, inventory.DependencyTransitive
	for _, tc := range []struct {
		claim, file  string
		want         []string
		wantWarnings []string
	}{
		{"srv/app/poetry.lock", "lock/poetry.lock", wants(
			want{name: "atomicwrites", version: "1.4.0", dev: true}, want{name: "attrs", version: "21.2.0", dev: true},
			want{name: "certifi", version: "2020.12.5"}, want{name: "chardet", version: "4.0.0"}, want{name: "click", version: "7.1.2"},
			want{name: "colorama", version: "0.4.4", dev: true}, want{name: "flask", version: "1.1.2"}, want{name: "idna", version: "2.10"},
			want{name: "iniconfig", version: "1.1.1", dev: true}, want{name: "itsdangerous", version: "1.1.0"}, want{name: "jinja2", version: "2.11.2"},
			want{name: "markupsafe", version: "1.1.1"}, want{name: "packaging", version: "20.9", dev: true}, want{name: "pluggy", version: "0.13.1", dev: true},
			want{name: "py", version: "1.10.0", dev: true}, want{name: "pyparsing", version: "2.4.7", dev: true}, want{name: "pytest", version: "6.2.4", dev: true},
			want{name: "requests", version: "2.25.1"}, want{name: "toml", version: "0.10.2", dev: true}, want{name: "urllib3", version: "1.26.4"},
			want{name: "werkzeug", version: "1.0.1"},
		), nil},
		{"poetry.lock", "lock/poetry-2.lock", wants(
			want{name: "asgiref", version: "3.3.4"}, want{name: "coverage", version: "5.5", dev: true}, want{name: "django", version: "3.2.4"},
			want{name: "pytz", version: "2021.1"}, want{name: "PyYAML", version: "5.3.1"}, want{name: "sqlparse", version: "0.4.1"},
		), nil},
		{"app/Pipfile.lock", "lock/Pipfile.lock", wants(
			want{name: "asgiref", version: "3.3.4"}, want{name: "coverage", version: "5.5", dev: true}, want{name: "django", version: "3.2.4"},
			want{name: "pillow", version: "8.1.0"}, want{name: "pytz", version: "2021.1"}, want{name: "pyyaml", version: "5.3.1"},
			want{name: "sqlparse", version: "0.4.1"},
		), []string{"default.mylib has no pinned version"}},
		{"scraper/uv.lock", "lock/uv.lock", wants(
			want{"aiohttp", "3.8.1", d, false}, want{"aiosignal", "1.2.0", tr, false}, want{"async-timeout", "4.0.2", tr, false},
			want{"attrs", "21.4.0", tr, false}, want{"charset-normalizer", "2.0.12", tr, false}, want{"colorama", "0.4.4", tr, true},
			want{"frozenlist", "1.3.0", tr, false}, want{"idna", "3.3", tr, false}, want{"iniconfig", "1.1.1", tr, true},
			want{"multidict", "6.0.2", tr, false}, want{"packaging", "21.3", tr, true}, want{"pluggy", "1.0.0", tr, true},
			want{"py", "1.11.0", tr, true}, want{"pyparsing", "3.0.9", tr, true}, want{"pytest", "7.1.2", d, true},
			want{"tomli", "2.0.1", tr, true}, want{"yarl", "1.7.2", tr, false},
		), nil},
		{"requirements.txt", "lock/requirements.txt", wants(
			want{name: "asgiref", version: "3.3.4"}, want{name: "Django", version: "3.2.4"}, want{name: "Pillow", version: "8.1.0"},
			want{name: "pytz", version: "2021.1"}, want{name: "PyYAML", version: "5.3.1"}, want{name: "requests", version: "2.25.1"},
			want{name: "sqlparse", version: "0.4.1"}, want{name: "typing_extensions", version: "3.7.4.3"}, want{name: "urllib3", version: "1.26.4"},
		), []string{"3 requirement(s) not pinned with == are not reported: cryptography, six, idna", "1 editable requirement(s)"}},
		{"src/requirements-dev.txt", "lock/requirements-dev.txt", wants(
			want{name: "coverage", version: "5.5"}, want{name: "pytest", version: "6.2.4"},
		), nil},
	} {
		t.Run(tc.file, func(t *testing.T) {
			f := analyze(t, tc.claim, tc.file)
			if got := summary(f.Packages); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("packages\n got %q\nwant %q", got, tc.want)
			}
			if len(f.Warnings) != len(tc.wantWarnings) {
				t.Fatalf("warnings %q, want %d", f.Warnings, len(tc.wantWarnings))
			}
			for i, w := range tc.wantWarnings {
				if !strings.Contains(f.Warnings[i], w) {
					t.Errorf("warning %q does not say %q", f.Warnings[i], w)
				}
			}
		})
	}
}

// TestPipFreeze reads what `pip freeze` wrote (see testdata/README.md): every line is a pin.
func TestPipFreeze(t *testing.T) {
	f := analyze(t, "requirements.txt", "lock/requirements-freeze.txt")
	data, err := os.ReadFile("testdata/lock/requirements-freeze.txt")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Count(strings.TrimSpace(string(data)), "\n") + 1
	if len(f.Packages) != lines || len(f.Warnings) != 0 {
		t.Fatalf("%d packages from %d lines, warnings %q", len(f.Packages), lines, f.Warnings)
	}
	got := map[string]string{}
	for _, p := range f.Packages {
		got[p.Name] = p.Version + " " + p.PURL
	}
	for name, want := range map[string]string{
		"annotated-types": "0.7.0 pkg:pypi/annotated-types@0.7.0",
		"attrs":           "26.1.0 pkg:pypi/attrs@26.1.0",
		"Flask":           "3.1.3 pkg:pypi/flask@3.1.3",
	} {
		if got[name] != want {
			t.Errorf("%s: %q, want %q", name, got[name], want)
		}
	}
}

func TestRequirementLines(t *testing.T) {
	for _, tc := range []struct{ line, name, version string }{
		{"foo==1.0", "foo", "1.0"},
		{"foo == 1.0", "foo", "1.0"},
		{"foo[bar,baz]==1.0; python_version<'3'", "foo", "1.0"},
		{"foo>=1,==1.2", "foo", "1.2"},
		{"foo===1.0-weird", "foo", "1.0-weird"},
		{"foo (==1.0)", "foo", "1.0"},
		{"foo==1.*", "foo", ""},
		{"foo~=1.0", "foo", ""},
		{"foo @ https://example.com/foo-1.0.tar.gz", "foo", ""},
		{"foo==1.0 --hash=sha256:abc", "foo", "1.0"},
		{"./local/path", "", ""},
		{"https://example.com/x.whl", "", ""},
	} {
		name, version, ok := parseRequirement(tc.line)
		if name != tc.name || version != tc.version || ok != (tc.version != "") {
			t.Errorf("%q: %q %q %v, want %q %q", tc.line, name, version, ok, tc.name, tc.version)
		}
	}
}

func TestRequirementsByteOrderMark(t *testing.T) {
	pkgs, warnings, err := ParseRequirements([]byte("\ufeffDjango==3.2.4\r\nsix==1.16.0\r\n"))
	if err != nil || len(pkgs) != 2 || pkgs[0].Name != "Django" || len(warnings) != 0 {
		t.Errorf("%v %v %v", pkgs, warnings, err)
	}
}

func TestClaims(t *testing.T) {
	a := New()
	for p, want := range map[string]bool{
		"usr/lib/python3/dist-packages/PyYAML-6.0.dist-info/METADATA": true,
		"usr/lib/python3/dist-packages/PyYAML-6.0.dist-info/RECORD":   false,
		"usr/lib/python3/dist-packages/x-1.0.egg-info/PKG-INFO":       true,
		"usr/lib/python3/dist-packages/x-1.0.egg-info":                true,
		"src/x/PKG-INFO":            false,
		"METADATA":                  false,
		"app/requirements.txt":      true,
		"app/requirements-prod.txt": true,
		"app/requirements/base.txt": false,
		"app/dev-requirements.txt":  false,
		"poetry.lock":               true,
		"a/Pipfile.lock":            true,
		"a/Pipfile":                 false,
		"a/uv.lock":                 true,
		"a/pyproject.toml":          false,
		"usr/lib/python3/dist-packages/PyYAML-6.0.dist-info/METADATA~": false,
		// Development files shipped inside installed distributions or docs.
		"usr/lib/python3/dist-packages/foo/requirements.txt":                false,
		"app/.venv/lib/python3.11/site-packages/foo/tests/requirements.txt": false,
		"app/.venv/lib/python3.11/site-packages/foo/poetry.lock":            false,
		"usr/share/doc/python3-pip/requirements.txt":                        false,
		"app/.venv/lib/python3.11/site-packages/foo-1.0.dist-info/METADATA": true,
	} {
		if got := a.Claims(p, nil); got != want {
			t.Errorf("Claims(%q) = %v, want %v", p, got, want)
		}
	}
}

func TestNormalizeName(t *testing.T) {
	for in, want := range map[string]string{
		"PyYAML": "pyyaml", "typing_extensions": "typing-extensions", "zope.interface": "zope-interface",
		"Foo__-.Bar": "foo-bar", "requests": "requests",
	} {
		if got := NormalizeName(in); got != want {
			t.Errorf("NormalizeName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestBadInput(t *testing.T) {
	a := New()
	for _, tc := range []struct{ path, data string }{
		{"poetry.lock", "[[package]\nname="},
		{"poetry.lock", "just = 1"},
		{"uv.lock", "[[package]]\nname = \"x\"\n"},
		{"Pipfile.lock", "[]"},
		{"Pipfile.lock", "{}"},
		{"requirements.txt", "\x00\x00"},
		{"x.dist-info/METADATA", "hello"},
	} {
		_, err := a.Analyze(context.Background(), analyzer.Input{Path: tc.path, Content: strings.NewReader(tc.data)})
		if err == nil || !strings.Contains(err.Error(), tc.path) {
			t.Errorf("%s %q: error %v, want one naming the file", tc.path, tc.data, err)
		}
	}
}
