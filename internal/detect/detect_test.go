package detect

import (
	"context"
	"maps"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shipshape-dev/shipshape/internal/inventory"
	"github.com/shipshape-dev/shipshape/internal/vulndb"
)

func buildDB(t *testing.T, recs map[string][]vulndb.Record) *vulndb.DB {
	t.Helper()
	path := filepath.Join(t.TempDir(), "test.db")
	w, err := vulndb.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	for src, rs := range recs {
		for _, r := range rs {
			if err := w.Add(src, r); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := w.Finish(time.Unix(0, 0)); err != nil {
		t.Fatal(err)
	}
	db, err := vulndb.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func fixed(id, ns, pkg, fix string, sev *vulndb.Severity) vulndb.Record {
	return vulndb.Record{Affected: []vulndb.Affected{{VulnID: id, Namespace: ns, Package: pkg, Status: vulndb.StatusFixed,
		Ranges: []vulndb.Range{{Type: "ECOSYSTEM", Fixed: fix}}, Severity: sev}}}
}

func status(id, ns, pkg, st string) vulndb.Record {
	return vulndb.Record{Affected: []vulndb.Affected{{VulnID: id, Namespace: ns, Package: pkg, Status: st}}}
}

func deb(name, version, src, srcVersion string) inventory.Package {
	return inventory.Package{Type: inventory.TypeDeb, Name: name, Version: version, SourceName: src, SourceVersion: srcVersion, PURL: "pkg:deb/debian/" + name + "@" + version, Location: "/var/lib/dpkg/status"}
}

func TestMatch(t *testing.T) {
	db := buildDB(t, map[string][]vulndb.Record{
		"debian-oval": {
			fixed("CVE-1", "debian:12", "openssl", "3.0.11-1~deb12u2", &vulndb.Severity{Source: "debian", Rating: "low"}),
			fixed("CVE-2", "debian:12", "openssl", "3.0.9-1", nil), // installed is newer: not affected
			status("CVE-3", "debian:12", "openssl", vulndb.StatusAffected),
			status("CVE-4", "debian:12", "openssl", vulndb.StatusWillNotFix),
			status("CVE-5", "debian:12", "openssl", vulndb.StatusNotAffected),
			fixed("CVE-6", "debian:12", "glibc", "2.36-9+deb12u4", nil), // binNMU binary, source version decides
			fixed("CVE-7", "debian:11", "openssl", "9.9", nil),          // other release
			{Affected: []vulndb.Affected{{VulnID: "CVE-8", Namespace: "debian:12", Package: "openssl", Status: vulndb.StatusFixed,
				Ranges: []vulndb.Range{{Type: "GIT", Fixed: "abcdef"}}}}}, // GIT ranges are not versions
		},
		"nvd": {
			{Vulnerability: &vulndb.Vulnerability{ID: "CVE-1", Summary: "one", Severities: []vulndb.Severity{{Source: "nvd", Type: "CVSS_V3", Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", Score: 9.8, Rating: "CRITICAL"}}}},
			{Vulnerability: &vulndb.Vulnerability{ID: "CVE-3", Severities: []vulndb.Severity{{Source: "nvd", Type: "CVSS_V3", Vector: "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:L/I:N/A:N", Score: 3.7, Rating: "LOW"}}}},
		},
		"osv": {
			{Vulnerability: &vulndb.Vulnerability{ID: "CVE-4", Severities: []vulndb.Severity{{Source: "ghsa", Rating: "HIGH"}}}},
		},
		"kev":  {{KEV: &vulndb.KEV{CVE: "CVE-1", DateAdded: "2024-01-01"}}},
		"epss": {{EPSS: &vulndb.EPSS{CVE: "CVE-1", Score: 0.7, Percentile: 0.99}}},
	})
	inv := &inventory.Inventory{
		OS: &inventory.OS{Family: "debian", Version: "12", Codename: "bookworm"},
		Packages: []inventory.Package{
			deb("libssl3", "3.0.11-1~deb12u1", "openssl", "3.0.11-1~deb12u1"),
			deb("libc6", "2.36-9+deb12u3+b1", "glibc", "2.36-9+deb12u3"),
		},
	}
	res, err := Match(context.Background(), db, inv, Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]inventory.Finding{}
	for _, f := range res.Findings {
		got[f.PkgName+" "+f.ID] = f
	}
	want := map[string]struct{ fixed, status, severity, sevSource string }{
		"libssl3 CVE-1": {"3.0.11-1~deb12u2", "fixed", "LOW", "debian"}, // distro rating wins over NVD's
		"libssl3 CVE-3": {"", "affected", "LOW", "nvd"},
		"libssl3 CVE-4": {"", "will-not-fix", "HIGH", "ghsa"},
		"libc6 CVE-6":   {"2.36-9+deb12u4", "fixed", "UNKNOWN", ""},
	}
	if len(got) != len(want) {
		var ids []string
		for k := range got {
			ids = append(ids, k)
		}
		t.Fatalf("findings %v, want %d", ids, len(want))
	}
	for k, w := range want {
		f, ok := got[k]
		if !ok {
			t.Errorf("missing %s", k)
			continue
		}
		if f.FixedVersion != w.fixed || f.Status != w.status || f.Severity != w.severity || f.SeveritySource != w.sevSource {
			t.Errorf("%s: fixed %q status %q severity %q (%q), want %+v", k, f.FixedVersion, f.Status, f.Severity, f.SeveritySource, w)
		}
	}
	c1 := got["libssl3 CVE-1"]
	if c1.KEV == nil || c1.EPSS == nil || c1.EPSS.Percentile != 0.99 || len(c1.CVSS) != 1 || c1.SourceName != "openssl" || c1.Title != "one" {
		t.Errorf("CVE-1 enrichment: %+v", c1)
	}

	res, err = Match(context.Background(), db, inv, Options{IgnoreUnfixed: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Findings) != 2 {
		t.Errorf("--ignore-unfixed kept %d findings, want 2", len(res.Findings))
	}
	res, _ = Match(context.Background(), db, inv, Options{IgnoreStatuses: []string{"will-not-fix"}})
	for _, f := range res.Findings {
		if f.Status == "will-not-fix" {
			t.Error("--ignore-status will-not-fix kept one")
		}
	}
}

func TestMatchOtherDistros(t *testing.T) {
	db := buildDB(t, map[string][]vulndb.Record{
		"alpine": {fixed("CVE-A", "alpine:3.19", "openssl", "3.1.4-r1", nil)},
		"redhat": {
			fixed("CVE-R1", "rhel:9", "openssl-libs", "1:3.0.7-25.el9", nil),
			fixed("CVE-R2", "rhel:9", "bash", "0:5.1.8-5.el9", nil), // installed epoch 1 beats it
		},
		"ubuntu": {fixed("CVE-U", "ubuntu:22.04", "libssl3", "3.0.2-0ubuntu1.12", nil)}, // binary name
	})
	epoch1 := 1
	tests := []struct {
		name string
		inv  *inventory.Inventory
		want []string
		warn string
	}{
		{"alpine by origin", &inventory.Inventory{OS: &inventory.OS{Family: "alpine", Version: "3.19.4"},
			Packages: []inventory.Package{{Type: "apk", Name: "libcrypto3", Version: "3.1.4-r0", SourceName: "openssl"}}}, []string{"CVE-A"}, ""},
		{"rhel with epochs", &inventory.Inventory{OS: &inventory.OS{Family: "rhel", Version: "9.2"},
			Packages: []inventory.Package{
				{Type: "rpm", Name: "openssl-libs", Version: "1:3.0.7-24.el9", Epoch: &epoch1, SourceName: "openssl"},
				{Type: "rpm", Name: "bash", Version: "1:5.1.8-4.el9", Epoch: &epoch1, SourceName: "bash"},
			}}, []string{"CVE-R1"}, ""},
		{"rocky falls back to rhel", &inventory.Inventory{OS: &inventory.OS{Family: "rocky", Version: "9.3", PrettyName: "Rocky Linux 9.3 (Blue Onyx)"},
			Packages: []inventory.Package{
				{Type: "rpm", Name: "openssl-libs", Version: "1:3.0.7-24.el9", Epoch: &epoch1, SourceName: "openssl"},
			}}, []string{"CVE-R1"}, "matched against Red Hat's advisories for rhel:9"},
		{"almalinux of a release rhel lacks", &inventory.Inventory{OS: &inventory.OS{Family: "almalinux", Version: "8.9"},
			Packages: []inventory.Package{{Type: "rpm", Name: "openssl-libs", Version: "1:1.1.1k-9.el8", Epoch: &epoch1}}}, nil, "no data for almalinux:8"},
		{"oracle linux is not a rebuild", &inventory.Inventory{OS: &inventory.OS{Family: "ol", Version: "9.3"},
			Packages: []inventory.Package{{Type: "rpm", Name: "openssl-libs", Version: "1:3.0.7-24.el9", Epoch: &epoch1}}}, nil, "no data for ol:9"},
		{"ubuntu by binary name", &inventory.Inventory{OS: &inventory.OS{Family: "ubuntu", Version: "22.04"},
			Packages: []inventory.Package{{Type: "deb", Name: "libssl3", Version: "3.0.2-0ubuntu1.10", SourceName: "openssl", SourceVersion: "3.0.2-0ubuntu1.10"}}}, []string{"CVE-U"}, ""},
		{"release the DB lacks", &inventory.Inventory{OS: &inventory.OS{Family: "alpine", Version: "3.6.5"},
			Packages: []inventory.Package{{Type: "apk", Name: "libcrypto3", Version: "1.0", SourceName: "openssl"}}}, nil, "no data for alpine:3.6"},
		{"OS shipshape cannot name", &inventory.Inventory{OS: &inventory.OS{Family: "plan9", Version: "4"},
			Packages: []inventory.Package{{Type: "apk", Name: "x", Version: "1"}}}, nil, "not one shipshape can match"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := Match(context.Background(), db, tc.inv, Options{})
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, f := range res.Findings {
				ids = append(ids, f.ID)
			}
			if strings.Join(ids, ",") != strings.Join(tc.want, ",") {
				t.Errorf("findings %v, want %v", ids, tc.want)
			}
			if tc.warn != "" {
				found := false
				for _, w := range res.Warnings {
					found = found || strings.Contains(w.Message, tc.warn)
				}
				if !found {
					t.Errorf("no warning %q in %v", tc.warn, res.Warnings)
				}
			}
		})
	}
}

func TestOSNamespace(t *testing.T) {
	for _, tc := range []struct {
		os   inventory.OS
		want string
		ok   bool
	}{
		{inventory.OS{Family: "debian", Version: "12"}, "debian:12", true},
		{inventory.OS{Family: "debian", Version: "12.8"}, "debian:12", true},
		{inventory.OS{Family: "debian", Codename: "bookworm"}, "debian:12", true},
		{inventory.OS{Family: "debian", Version: "bookworm/sid"}, "debian:unstable", true},
		{inventory.OS{Family: "ubuntu", Version: "22.04"}, "ubuntu:22.04", true},
		{inventory.OS{Family: "alpine", Version: "3.19.4"}, "alpine:3.19", true},
		{inventory.OS{Family: "alpine", Version: "3.21.0_alpha20240923"}, "alpine:edge", true},
		{inventory.OS{Family: "centos", Version: "7"}, "centos:7", true},
		{inventory.OS{Family: "rhel", Version: "9.2"}, "rhel:9", true},
		{inventory.OS{Family: "gentoo", Version: "2.14"}, "", false},
	} {
		got, ok := OSNamespace(&tc.os)
		if got != tc.want || ok != tc.ok {
			t.Errorf("OSNamespace(%+v) = %q %v, want %q %v", tc.os, got, ok, tc.want, tc.ok)
		}
	}
}

func TestMatchLanguagePackages(t *testing.T) {
	db := buildDB(t, map[string][]vulndb.Record{
		"osv": {
			{Affected: []vulndb.Affected{{VulnID: "GO-2023-1571", Namespace: "go", Package: "golang.org/x/net", Status: vulndb.StatusFixed,
				Ranges: []vulndb.Range{{Type: "SEMVER", Fixed: "0.7.0"}}}}},
			{Affected: []vulndb.Affected{{VulnID: "GO-2023-1988", Namespace: "go", Package: "golang.org/x/net", Status: vulndb.StatusFixed,
				Ranges: []vulndb.Range{{Type: "SEMVER", Fixed: "0.13.0"}}}}},
			{Affected: []vulndb.Affected{{VulnID: "GHSA-p6mc-m468-83gw", Namespace: "npm", Package: "lodash", Status: vulndb.StatusFixed,
				Ranges: []vulndb.Range{{Type: "SEMVER", Fixed: "4.17.20"}}}}},
			{Affected: []vulndb.Affected{{VulnID: "PYSEC-2021-59", Namespace: "pypi", Package: "urllib3", Status: vulndb.StatusFixed,
				Ranges: []vulndb.Range{{Type: "ECOSYSTEM", Introduced: "1.26.0", Fixed: "1.26.5"}}}}},
			// As the PyPA data has it (PYSEC-2021-108): a GIT range first, then the
			// ECOSYSTEM range, and the affected versions listed.
			{Affected: []vulndb.Affected{{VulnID: "PYSEC-2021-108", Namespace: "pypi", Package: "urllib3", Status: vulndb.StatusFixed,
				Ranges:   []vulndb.Range{{Type: "GIT", Introduced: "0", Fixed: "2d4a3fee6de2fa45eb82169361918f759269b4ec"}, {Type: "ECOSYSTEM", Introduced: "1.25.4", Fixed: "1.26.5"}},
				Versions: []string{"1.25.4", "1.26.3", "1.26.4"}}}},
			{Affected: []vulndb.Affected{{VulnID: "GHSA-jfh8-c2jp-5v3q", Namespace: "maven", Package: "org.apache.logging.log4j:log4j-core", Status: vulndb.StatusFixed,
				Ranges: []vulndb.Range{{Type: "ECOSYSTEM", Introduced: "2.13.0", Fixed: "2.15.0"}}}}},
		},
	})
	inv := &inventory.Inventory{Packages: []inventory.Package{
		{Type: inventory.TypeGolang, Name: "golang.org/x/net", Version: "v0.7.0"},
		{Type: inventory.TypeNpm, Name: "lodash", Version: "4.17.15"},
		{Type: inventory.TypePyPI, Name: "URLLib3", Version: "1.26.4"},
		{Type: inventory.TypeMaven, Name: "org.apache.logging.log4j:log4j-core", Version: "2.14.1"},
		{Type: inventory.TypeMaven, Name: "org.apache.logging.log4j:log4j-core", Version: "2.12.1"},
	}}
	res, err := Match(context.Background(), db, inv, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range res.Findings {
		got = append(got, f.PkgName+"@"+f.InstalledVersion+" "+f.ID+" "+f.FixedVersion)
	}
	want := []string{
		"URLLib3@1.26.4 PYSEC-2021-108 1.26.5",
		"URLLib3@1.26.4 PYSEC-2021-59 1.26.5",
		"golang.org/x/net@v0.7.0 GO-2023-1988 0.13.0",
		"lodash@4.17.15 GHSA-p6mc-m468-83gw 4.17.20",
		"org.apache.logging.log4j:log4j-core@2.14.1 GHSA-jfh8-c2jp-5v3q 2.15.0",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("findings\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestAliasesMerged: two sources report one vulnerability under different ids (GHSA and
// PYSEC, both naming the same CVE): one finding, with the other ids as aliases.
func TestAliasesMerged(t *testing.T) {
	aff := func(id string) vulndb.Record {
		return vulndb.Record{Affected: []vulndb.Affected{{VulnID: id, Namespace: "pypi", Package: "urllib3", Status: vulndb.StatusFixed,
			Ranges: []vulndb.Range{{Type: "ECOSYSTEM", Fixed: "1.26.5"}}}}}
	}
	db := buildDB(t, map[string][]vulndb.Record{
		"ghsa":  {aff("GHSA-q2q7-5pp4-w6pg"), {Vulnerability: &vulndb.Vulnerability{ID: "GHSA-q2q7-5pp4-w6pg", Aliases: []string{"CVE-2021-33503"}, Severities: []vulndb.Severity{{Source: "ghsa", Rating: "HIGH"}}}}},
		"pypa":  {aff("PYSEC-2021-108"), {Vulnerability: &vulndb.Vulnerability{ID: "PYSEC-2021-108", Aliases: []string{"CVE-2021-33503", "GHSA-q2q7-5pp4-w6pg"}}}},
		"other": {aff("GHSA-zzzz-zzzz-zzzz")},
	})
	inv := &inventory.Inventory{Packages: []inventory.Package{{Type: inventory.TypePyPI, Name: "urllib3", Version: "1.26.4"}}}
	res, err := Match(context.Background(), db, inv, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Findings) != 2 {
		t.Fatalf("%d findings, want 2 (one merged, one unrelated): %+v", len(res.Findings), res.Findings)
	}
	f := res.Findings[0]
	if f.ID != "GHSA-q2q7-5pp4-w6pg" || strings.Join(f.Aliases, ",") != "CVE-2021-33503,PYSEC-2021-108" || strings.Join(f.DataSources, ",") != "ghsa,pypa" || f.Severity != "HIGH" {
		t.Errorf("merged finding: id %s aliases %v sources %v severity %s", f.ID, f.Aliases, f.DataSources, f.Severity)
	}
	if res.Findings[1].ID != "GHSA-zzzz-zzzz-zzzz" {
		t.Errorf("unrelated finding: %+v", res.Findings[1])
	}
}

// TestEndOfLife: once the OS release's end of life has passed (by the injected clock), the
// scan warns and unfixed findings of OS packages become end-of-life; before it, nothing
// changes except that the date is recorded on the OS.
func TestEndOfLife(t *testing.T) {
	db := buildDB(t, map[string][]vulndb.Record{
		"debian-oval": {
			fixed("CVE-1", "debian:10", "openssl", "1.1.1n-0+deb10u9", nil),
			status("CVE-2", "debian:10", "openssl", vulndb.StatusAffected),
			status("CVE-3", "debian:10", "openssl", vulndb.StatusWillNotFix),
		},
		"endoflife": {{Release: &vulndb.Release{Namespace: "debian:10", Name: "Debian 10 (Buster)", EOL: "2024-06-30"}}},
	})
	day := func(s string) func() time.Time {
		return func() time.Time { tm, _ := time.Parse(time.DateOnly, s); return tm.Add(12 * time.Hour) }
	}
	tests := []struct {
		now        string
		wantWarn   bool
		wantStatus map[string]string
	}{
		{"2024-06-30", false, map[string]string{"CVE-1": "fixed", "CVE-2": "affected", "CVE-3": "will-not-fix"}},
		{"2024-07-01", true, map[string]string{"CVE-1": "fixed", "CVE-2": "end-of-life", "CVE-3": "will-not-fix"}},
	}
	for _, tc := range tests {
		t.Run(tc.now, func(t *testing.T) {
			inv := &inventory.Inventory{
				OS:       &inventory.OS{Family: "debian", Version: "10", Codename: "buster", PrettyName: "Debian GNU/Linux 10 (buster)"},
				Packages: []inventory.Package{deb("libssl1.1", "1.1.1n-0+deb10u3", "openssl", "1.1.1n-0+deb10u3")},
			}
			res, err := Match(context.Background(), db, inv, Options{Now: day(tc.now)})
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]string{}
			for _, f := range res.Findings {
				got[f.ID] = f.Status
			}
			if !maps.Equal(got, tc.wantStatus) {
				t.Errorf("statuses %v, want %v", got, tc.wantStatus)
			}
			warned := false
			for _, w := range res.Warnings {
				if strings.Contains(w.Message, "Debian 10 (Buster) reached its end of life on 2024-06-30") {
					warned = true
				}
			}
			if warned != tc.wantWarn {
				t.Errorf("end-of-life warning: %v, want %v (%v)", warned, tc.wantWarn, res.Warnings)
			}
			if inv.OS.EOL != "2024-06-30" {
				t.Errorf("OS.EOL = %q", inv.OS.EOL)
			}
			res, _ = Match(context.Background(), db, inv, Options{Now: day(tc.now), IgnoreStatuses: []string{"end-of-life"}})
			if want := 3 - boolToInt(tc.wantWarn); len(res.Findings) != want {
				t.Errorf("--ignore-status end-of-life kept %d findings, want %d", len(res.Findings), want)
			}
		})
	}
}

func boolToInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
