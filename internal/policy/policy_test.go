package policy

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shipshape-dev/shipshape/internal/inventory"
)

// fixedNow is the clock of the tests.
var fixedNow = func() time.Time { return time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC) }

// loadScan reads the real scan of the npm project (see testdata/README.md).
func loadScan(t testing.TB) *inventory.Inventory {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "npm-project.scan.json"))
	if err != nil {
		t.Fatal(err)
	}
	var inv inventory.Inventory
	if err := json.Unmarshal(data, &inv); err != nil {
		t.Fatal(err)
	}
	if len(inv.Vulnerabilities) == 0 {
		t.Fatal("the fixture scan has no findings")
	}
	return &inv
}

// suppressedIDs lists "ID kind" for every suppressed finding, sorted.
func suppressedIDs(inv *inventory.Inventory) []string {
	var out []string
	for _, f := range inv.Vulnerabilities {
		if f.Suppressed != nil {
			out = append(out, f.ID+" "+f.Suppressed.Kind)
		}
	}
	slices.Sort(out)
	return out
}

func TestIgnoreYAMLApply(t *testing.T) {
	for _, tc := range []struct {
		name, yaml string
		want       []string
		warnings   int
	}{
		{"by id", "vulnerabilities:\n  - id: GHSA-35jh-r3h4-6jhm\n", []string{"GHSA-35jh-r3h4-6jhm ignore"}, 0},
		{"by alias, any case", "vulnerabilities:\n  - id: cve-2021-44906\n", []string{"GHSA-xvch-5gv4-984h ignore"}, 0},
		{"by purl without version", "vulnerabilities:\n  - purl: pkg:npm/minimist\n",
			[]string{"GHSA-vh95-rmgr-6w4m ignore", "GHSA-xvch-5gv4-984h ignore"}, 0},
		{"by purl of another version", "vulnerabilities:\n  - purl: pkg:npm/minimist@1.2.6\n", nil, 0},
		{"by package", "vulnerabilities:\n  - package: axios\n", []string{"GHSA-4w2v-q235-vp99 ignore", "GHSA-wf5p-g6vw-rhxx ignore"}, 0},
		{"by path glob", "vulnerabilities:\n  - path: npmvuln/node_modules/lo*/**\n",
			[]string{"GHSA-29mw-wpgm-hmr9 ignore", "GHSA-35jh-r3h4-6jhm ignore", "GHSA-p6mc-m468-83gw ignore", "NSWG-ECO-516 ignore"}, 0},
		{"id and package must both match", "vulnerabilities:\n  - id: CVE-2021-44906\n    package: lodash\n", nil, 0},
		{"not yet expired (date is inclusive)", "vulnerabilities:\n  - id: NSWG-ECO-516\n    expires: 2026-11-27\n", []string{"NSWG-ECO-516 ignore"}, 0},
		{"expired", "vulnerabilities:\n  - id: NSWG-ECO-516\n    expires: 2026-11-26\n", nil, 1},
		{"expired RFC 3339", "vulnerabilities:\n  - id: NSWG-ECO-516\n    expires: 2026-11-27T11:59:59Z\n", nil, 1},
		{"misconfig entries leave vulnerabilities alone", "misconfigurations:\n  - id: GHSA-35jh-r3h4-6jhm\n", nil, 0},
		{"empty file", "", nil, 0},
		{"trivy spelling: paths and purls lists, expired_at, statement", "vulnerabilities:\n  - id: CVE-2021-44906\n    purls: [pkg:npm/axios, pkg:npm/minimist]\n    paths:\n      - \"**/minimist/**\"\n      - \"**/nosuch/**\"\n    expired_at: 2030-01-01\n    statement: argv is ours\n",
			[]string{"GHSA-xvch-5gv4-984h ignore"}, 0},
		{"trivy spelling: expired", "vulnerabilities:\n  - id: CVE-2021-44906\n    purls: [pkg:npm/minimist]\n    expired_at: 2020-01-01\n", nil, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := ParseIgnoreYAML([]byte(tc.yaml), "ignore.yaml")
			if err != nil {
				t.Fatal(err)
			}
			inv := loadScan(t)
			before := len(inv.Warnings)
			res := Apply(inv, Options{Ignore: []*IgnoreFile{f}, Now: fixedNow})
			if got := suppressedIDs(inv); !slices.Equal(got, tc.want) {
				t.Errorf("suppressed %q, want %q", got, tc.want)
			}
			if res.Suppressed != len(tc.want) {
				t.Errorf("Result.Suppressed %d, want %d", res.Suppressed, len(tc.want))
			}
			if got := len(inv.Warnings) - before; got != tc.warnings {
				t.Errorf("%d warnings, want %d: %v", got, tc.warnings, inv.Warnings[before:])
			}
			if len(inv.Vulnerabilities) != len(loadScan(t).Vulnerabilities) {
				t.Error("Apply removed findings")
			}
			for _, fd := range inv.Vulnerabilities {
				if fd.Risk <= 0 || fd.Risk > 100 {
					t.Errorf("%s: risk %v not computed", fd.ID, fd.Risk)
				}
				if s := fd.Suppressed; s != nil && (s.Source != "ignore.yaml" || s.Statement == "") {
					t.Errorf("%s: suppression %+v lacks its source or statement", fd.ID, s)
				}
			}
		})
	}
}

func TestIgnoreSuppressionFields(t *testing.T) {
	f, err := ParseIgnoreYAML([]byte("# comment\nvulnerabilities:\n  - id: NSWG-ECO-516\n    reason: fixed in our fork\n    expires: 2027-01-31\n"), "x.yaml")
	if err != nil {
		t.Fatal(err)
	}
	inv := loadScan(t)
	Apply(inv, Options{Ignore: []*IgnoreFile{f}, Now: fixedNow})
	for _, fd := range inv.Vulnerabilities {
		if fd.ID != "NSWG-ECO-516" {
			continue
		}
		want := inventory.Suppression{Kind: "ignore", Source: "x.yaml", Statement: "id NSWG-ECO-516 (line 3)", Reason: "fixed in our fork", Expires: "2027-02-01T00:00:00Z"}
		if fd.Suppressed == nil || *fd.Suppressed != want {
			t.Errorf("got %+v, want %+v", fd.Suppressed, want)
		}
		return
	}
	t.Fatal("NSWG-ECO-516 is not in the fixture")
}

func TestIgnoreYAMLErrors(t *testing.T) {
	for _, tc := range []struct{ name, yaml, want string }{
		{"unknown top key", "vulns:\n  - id: X\n", "line 1: unknown key \"vulns\""},
		{"unknown entry key", "vulnerabilities:\n  - id: X\n    expiry: 2020-01-01\n", "line 2: unknown key \"expiry\""},
		{"no criterion", "vulnerabilities:\n  - reason: because\n", "line 2: the entry has none of id"},
		{"bad date", "vulnerabilities:\n  - id: X\n    expires: next week\n", "line 2: expires \"next week\""},
		{"bad purl", "vulnerabilities:\n  - purl: npm/lodash\n", "line 2: purl \"npm/lodash\""},
		{"bad justification", "vulnerabilities:\n  - id: X\n    justification: trust me\n", "not an OpenVEX justification"},
		{"list value", "vulnerabilities:\n  - id: [X, Y]\n", "line 2: id must be a single value"},
		{"not a list", "vulnerabilities: CVE-1\n", "line 1: vulnerabilities must be a list"},
		{"not a mapping", "- CVE-1\n", "line 1: expected a mapping"},
		{"purl on a secret", "secrets:\n  - purl: pkg:npm/x\n", "match by id and path only"},
		{"syntax", "vulnerabilities:\n  - id: X\n   bad", "not valid YAML"},
		{"path twice", "vulnerabilities:\n  - id: X\n    path: a\n    paths: [b]\n", "path is given twice"},
		{"paths not a list", "vulnerabilities:\n  - id: X\n    paths: a\n", "paths must be a list"},
		{"bad purl in a list", "vulnerabilities:\n  - id: X\n    purls: [pkg:npm/a, nope]\n", "purl \"nope\""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseIgnoreYAML([]byte(tc.yaml), "f.yaml")
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "f.yaml") {
				t.Errorf("error %v, want one naming f.yaml and containing %q", err, tc.want)
			}
		})
	}
}

func TestPlainIgnore(t *testing.T) {
	f, err := ParsePlainIgnore([]byte("# trivy style\n\nCVE-2020-8203\nGHSA-29mw-wpgm-hmr9 exp:2026-01-01\n  NSWG-ECO-516   exp:2030-01-01  # until the fork lands\n"), ".trivyignore")
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Entries) != 3 || f.Entries[2].Line != 5 || f.Entries[1].ExpiresText != "2026-01-01" {
		t.Fatalf("entries %+v", f.Entries)
	}
	inv := loadScan(t)
	before := len(inv.Warnings)
	Apply(inv, Options{Ignore: []*IgnoreFile{f}, Now: fixedNow})
	want := []string{"GHSA-p6mc-m468-83gw ignore", "NSWG-ECO-516 ignore"}
	if got := suppressedIDs(inv); !slices.Equal(got, want) {
		t.Errorf("suppressed %q, want %q", got, want)
	}
	if len(inv.Warnings) != before+1 || !strings.Contains(inv.Warnings[before].Message, "GHSA-29mw-wpgm-hmr9 (line 4) expired on 2026-01-01") {
		t.Errorf("warnings %v", inv.Warnings[before:])
	}
	for _, bad := range []string{"CVE-1 until:2020-01-01\n", "CVE-1 exp:soon\n"} {
		if _, err := ParsePlainIgnore([]byte(bad), ".trivyignore"); err == nil || !strings.Contains(err.Error(), "line 1") {
			t.Errorf("%q: error %v, want one naming line 1", bad, err)
		}
	}
}

func TestLoadIgnoreFileByName(t *testing.T) {
	dir := t.TempDir()
	y := filepath.Join(dir, "ignore.yml")
	p := filepath.Join(dir, ".trivyignore")
	if err := os.WriteFile(y, []byte("vulnerabilities:\n  - id: CVE-1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte("CVE-1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	fy, err := LoadIgnoreFile(y)
	if err != nil || len(fy.Entries) != 1 || fy.Entries[0].Kind != KindVulnerability {
		t.Errorf("yaml: %+v, %v", fy, err)
	}
	fp, err := LoadIgnoreFile(p)
	if err != nil || len(fp.Entries) != 1 || fp.Entries[0].Kind != KindAny {
		t.Errorf("plain: %+v, %v", fp, err)
	}
	if _, err := LoadIgnoreFile(filepath.Join(dir, "missing.yaml")); err == nil {
		t.Error("a missing file gave no error")
	}
}

func TestIgnoreOtherKinds(t *testing.T) {
	inv := &inventory.Inventory{
		Misconfigurations: []inventory.Misconfiguration{
			{Kind: inventory.CheckDockerfile, ID: "DS002", Severity: "HIGH", Status: inventory.CheckFail, Target: "Dockerfile"},
			{Kind: inventory.CheckDockerfile, ID: "DS002", Severity: "HIGH", Status: inventory.CheckFail, Target: "build/Dockerfile"},
			{Kind: inventory.CheckDockerfile, ID: "DS001", Severity: "MEDIUM", Status: inventory.CheckPass, Target: "Dockerfile"},
		},
		Secrets: []inventory.Secret{
			{RuleID: "aws-access-key-id", Severity: "CRITICAL", Path: "/app/testdata/creds"},
			{RuleID: "aws-access-key-id", Severity: "CRITICAL", Path: "/app/config"},
		},
		Licenses: []inventory.LicenseFinding{
			{License: "GPL-3.0-only", Category: inventory.LicenseRestricted, Severity: "HIGH", PkgName: "bash", PkgPURL: "pkg:deb/debian/bash@5.2.15-2"},
			{License: "GPL-3.0-only", Category: inventory.LicenseRestricted, Severity: "HIGH", PkgName: "grep", PkgPURL: "pkg:deb/debian/grep@3.8-5"},
		},
	}
	g := Gate{}
	if c := g.Count(inv); c != (GateCount{Misconfigurations: 2, Secrets: 2, Licenses: 2}) {
		t.Errorf("before: %+v", c)
	}
	if c := (Gate{Severities: []string{"CRITICAL"}}).Count(inv); c != (GateCount{Secrets: 2}) {
		t.Errorf("CRITICAL only: %+v", c)
	}
	f, err := ParseIgnoreYAML([]byte(`misconfigurations:
  - id: DS002
    path: build/*
secrets:
  - path: "app/testdata/**"
licenses:
  - id: GPL-3.0-only
    purl: pkg:deb/debian/bash
`), "i.yaml")
	if err != nil {
		t.Fatal(err)
	}
	res := Apply(inv, Options{Ignore: []*IgnoreFile{f}, Now: fixedNow})
	if res.Suppressed != 3 {
		t.Errorf("suppressed %d, want 3", res.Suppressed)
	}
	if inv.Misconfigurations[1].Suppressed == nil || inv.Misconfigurations[0].Suppressed != nil {
		t.Error("misconfiguration suppressed by the wrong path")
	}
	if inv.Secrets[0].Suppressed == nil || inv.Secrets[1].Suppressed != nil {
		t.Error("secret suppressed by the wrong path")
	}
	if inv.Licenses[0].Suppressed == nil || inv.Licenses[1].Suppressed != nil {
		t.Error("licence suppressed by the wrong purl")
	}
	if c := g.Count(inv); c != (GateCount{Misconfigurations: 1, Secrets: 1, Licenses: 1}) {
		t.Errorf("after: %+v", c)
	}
	// A plain id list covers every kind.
	p, err := ParsePlainIgnore([]byte("DS002\naws-access-key-id\n"), ".trivyignore")
	if err != nil {
		t.Fatal(err)
	}
	Apply(inv, Options{Ignore: []*IgnoreFile{p}, Now: fixedNow})
	if c := g.Count(inv); c != (GateCount{Licenses: 1}) {
		t.Errorf("after the plain list: %+v", c)
	}
}

func TestGateVulnerabilities(t *testing.T) {
	inv := loadScan(t)
	all := Gate{}.Count(inv).Vulnerabilities
	if all != len(inv.Vulnerabilities) {
		t.Fatalf("gate counts %d of %d findings", all, len(inv.Vulnerabilities))
	}
	high := 0
	for _, f := range inv.Vulnerabilities {
		if f.Severity == "HIGH" || f.Severity == "CRITICAL" {
			high++
		}
	}
	if got := (Gate{Severities: []string{"high", "CRITICAL"}}).Count(inv).Vulnerabilities; got != high {
		t.Errorf("HIGH,CRITICAL: %d, want %d", got, high)
	}
	f, _ := ParseIgnoreYAML([]byte("vulnerabilities:\n  - package: lodash\n"), "i.yaml")
	Apply(inv, Options{Ignore: []*IgnoreFile{f}, Now: fixedNow})
	lodash := 0
	for _, f := range inv.Vulnerabilities {
		if f.PkgName == "lodash" {
			lodash++
		}
	}
	if got := (Gate{}).Count(inv).Vulnerabilities; got != all-lodash {
		t.Errorf("after ignoring lodash: %d, want %d", got, all-lodash)
	}
}

func TestGlobMatch(t *testing.T) {
	for _, tc := range []struct {
		pat, name string
		want      bool
	}{
		{"usr/lib/**", "/usr/lib/x/y.so", true},
		{"/usr/lib/**", "usr/lib", true},
		{"**/package.json", "/app/node_modules/a/package.json", true},
		{"**/package.json", "package.json", true},
		{"app/*/package.json", "app/a/b/package.json", false},
		{"app/**/b/*.json", "app/a/x/b/p.json", true},
		{"./Dockerfile", "Dockerfile", true},
		{"Dockerfile", "build/Dockerfile", false},
		{"[", "[", false},
		{"", "anything", false},
		{strings.Repeat("**/a/", 30) + "b", strings.Repeat("a/", 60) + "c", false},
	} {
		if got := globMatch(tc.pat, tc.name); got != tc.want {
			t.Errorf("globMatch(%q, %q) = %v, want %v", tc.pat, tc.name, got, tc.want)
		}
	}
}

func TestPURLPattern(t *testing.T) {
	for _, tc := range []struct {
		pat, purl string
		want      bool
	}{
		{"pkg:apk/alpine/zlib", "pkg:apk/alpine/zlib@1.2.12-r0?arch=x86_64&distro=3.12.12", true},
		{"pkg:apk/alpine/zlib@1.2.12-r0", "pkg:apk/alpine/zlib@1.2.12-r0?arch=x86_64&distro=3.12.12", true},
		{"pkg:apk/alpine/zlib@1.2.12-r1", "pkg:apk/alpine/zlib@1.2.12-r0?arch=x86_64", false},
		{"pkg:apk/alpine/zlib?arch=aarch64", "pkg:apk/alpine/zlib@1.2.12-r0?arch=x86_64", false},
		{"pkg:apk/alpine/zlib?arch=x86_64", "pkg:apk/alpine/zlib@1.2.12-r0?arch=x86_64", true},
		{"pkg:npm/Lodash", "pkg:npm/lodash@4.17.15", true},
		{"pkg:maven/org.Apache/x", "pkg:maven/org.apache/x@1", false},
		{"pkg:deb/debian/zlib", "pkg:apk/alpine/zlib@1", false},
	} {
		pp, err := parsePURLPattern(tc.pat)
		if err != nil {
			t.Fatal(err)
		}
		if got := pp.matches(tc.purl, nil); got != tc.want {
			t.Errorf("%s matches %s = %v, want %v", tc.pat, tc.purl, got, tc.want)
		}
	}
}

func TestRisk(t *testing.T) {
	for _, tc := range []struct {
		name string
		f    inventory.Finding
		want float64
	}{
		{"CVSS only", inventory.Finding{CVSS: []inventory.CVSS{{Version: "3.1", Score: 9.8}}}, 29.4},
		{"KEV", inventory.Finding{CVSS: []inventory.CVSS{{Version: "3.1", Score: 9.8}}, KEV: &inventory.KEV{}}, 98},
		{"EPSS", inventory.Finding{CVSS: []inventory.CVSS{{Version: "3.1", Score: 7.5}}, EPSS: &inventory.EPSS{Score: 0.5}}, 48.8},
		{"newest CVSS version wins", inventory.Finding{CVSS: []inventory.CVSS{{Version: "2.0", Score: 10}, {Version: "3.1", Score: 5}, {Version: "3.1", Score: 6}}}, 18},
		{"severity stand-in", inventory.Finding{Severity: "HIGH"}, 22.5},
		{"unrated", inventory.Finding{Severity: "UNKNOWN", EPSS: &inventory.EPSS{Score: 1}}, 50},
		{"bad EPSS ignored", inventory.Finding{Severity: "LOW", EPSS: &inventory.EPSS{Score: 7}}, 7.5},
		{"maximum", inventory.Finding{CVSS: []inventory.CVSS{{Version: "4.0", Score: 10}}, KEV: &inventory.KEV{}}, 100},
	} {
		if got := Risk(&tc.f); got != tc.want {
			t.Errorf("%s: Risk = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestFindingOrder(t *testing.T) {
	inv := loadScan(t)
	Apply(inv, Options{Now: fixedNow})
	for _, key := range SortKeys {
		fs := slices.Clone(inv.Vulnerabilities)
		if err := SortFindings(fs, key); err != nil {
			t.Fatal(err)
		}
		for i := 1; i < len(fs); i++ {
			a, b := fs[i-1], fs[i]
			var ok bool
			switch key {
			case SortSeverity:
				ok = severityRank(a.Severity) >= severityRank(b.Severity)
			case SortRisk:
				ok = a.Risk >= b.Risk
			case SortEPSS:
				ok = epssScore(&a) >= epssScore(&b)
			case SortPackage:
				ok = a.PkgName <= b.PkgName
			}
			if !ok {
				t.Errorf("%s: %s (%s %v) before %s (%s %v)", key, a.ID, a.Severity, a.Risk, b.ID, b.Severity, b.Risk)
			}
		}
	}
	if _, err := FindingOrder("age"); err == nil {
		t.Error("unknown key accepted")
	}
}
