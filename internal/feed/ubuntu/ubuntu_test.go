package ubuntu

import (
	"bytes"
	"compress/bzip2"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/shipshape-dev/shipshape/internal/feed"
	"github.com/shipshape-dev/shipshape/internal/vulndb"
)

var _ feed.Feed = (*Feed)(nil)

func readBzip2(t testing.TB, name string) []byte {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b, err := io.ReadAll(bzip2.NewReader(f))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return b
}

func parseAll(t testing.TB, name string, data []byte) ([]vulndb.Record, error) {
	t.Helper()
	var recs []vulndb.Record
	err := New().Parse(context.Background(), feed.Input{Name: name, R: bytes.NewReader(data)}, func(r vulndb.Record) error {
		recs = append(recs, r)
		return nil
	})
	return recs, err
}

// expectedFixes reads the raw XML with regular expressions, following ids by text search
// rather than decoding elements: "CVE-or-USN id|binary package|fixed version" for every
// notice that tests packages, and the number of notices that test only the kernel.
func expectedFixes(t *testing.T, raw string) (map[string]bool, int) {
	t.Helper()
	find := func(pattern string, args ...string) []string {
		for i, a := range args {
			args[i] = regexp.QuoteMeta(a)
		}
		re := regexp.MustCompile(pattern)
		if len(args) > 0 {
			re = regexp.MustCompile(strings.ReplaceAll(pattern, "ID", args[0]))
		}
		return re.FindStringSubmatch(raw)
	}
	want := map[string]bool{}
	kernel := 0
	for _, def := range regexp.MustCompile(`(?s)<definition id="[^"]+" version="1" class="patch">.*?</definition>`).FindAllString(raw, -1) {
		var ids []string
		for _, m := range regexp.MustCompile(`<reference source="CVE" ref_id="([^"]+)"`).FindAllStringSubmatch(def, -1) {
			ids = append(ids, m[1])
		}
		for _, m := range regexp.MustCompile(`>(CVE-[0-9-]+)</cve>`).FindAllStringSubmatch(def, -1) {
			ids = append(ids, m[1])
		}
		if len(ids) == 0 {
			ids = []string{regexp.MustCompile(`<reference source="USN" ref_id="([^"]+)"`).FindStringSubmatch(def)[1]}
		}
		pkgs := 0
		for _, ref := range regexp.MustCompile(`test_ref="([^"]+)"`).FindAllStringSubmatch(def, -1) {
			test := find(`(?s)<linux:dpkginfo_test id="ID"[^>]*>\s*<linux:object object_ref="([^"]+)" />\s*<linux:state state_ref="([^"]+)" />`, ref[1])
			if test == nil {
				continue
			}
			evr := find(`<linux:dpkginfo_state id="ID"[^>]*>\s*<linux:evr datatype="debian_evr_string" operation="less than">([^<]+)<`, test[2])[1]
			obj := find(`<linux:dpkginfo_object id="ID"[^>]*>\s*<linux:name var_ref="([^"]+)"`, test[1])
			vals := find(`(?s)<constant_variable id="ID"[^>]*>(.*?)</constant_variable>`, obj[1])[1]
			for _, v := range regexp.MustCompile(`<value>([^<]+)</value>`).FindAllStringSubmatch(vals, -1) {
				for _, id := range ids {
					want[id+"|"+v[1]+"|"+strings.TrimPrefix(evr, "0:")] = true
				}
				pkgs++
			}
		}
		if pkgs == 0 {
			if !strings.Contains(def, "kernel") {
				t.Fatalf("a notice with no package test that is not a kernel one:\n%.400s", def)
			}
			kernel++
		}
	}
	return want, kernel
}

func TestExcerpts(t *testing.T) {
	tests := []struct {
		file, name, namespace string
		wantRecords           int
		wantKernel            int
	}{
		{"com.ubuntu.jammy.usn.oval.excerpt.xml.bz2", "com.ubuntu.jammy.usn.oval.xml", "ubuntu:22.04", 161, 11},
		{"com.ubuntu.noble.usn.oval.excerpt.xml.bz2", "oval/com.ubuntu.noble.usn.oval.xml.bz2", "ubuntu:24.04", 58, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			raw := readBzip2(t, tc.file)
			recs, err := parseAll(t, tc.name, raw)
			if err != nil {
				t.Fatal(err)
			}
			want, kernel := expectedFixes(t, string(raw))
			got := map[string]bool{}
			for _, r := range recs {
				v := r.Vulnerability
				if v == nil || v.Source != "ubuntu-oval" || len(r.Affected) == 0 {
					t.Fatalf("record %+v", r)
				}
				if strings.HasPrefix(v.ID, "CVE-") == (len(v.Aliases) == 0) {
					t.Errorf("%s: aliases %v", v.ID, v.Aliases)
				}
				for _, a := range r.Affected {
					if a.VulnID != v.ID || a.Namespace != tc.namespace || a.Status != vulndb.StatusFixed || a.Source != "ubuntu-oval" ||
						len(a.Ranges) != 1 || a.Ranges[0].Type != "ECOSYSTEM" {
						t.Errorf("%+v", a)
					}
					k := a.VulnID + "|" + a.Package + "|" + a.Ranges[0].Fixed
					if got[k] {
						t.Errorf("duplicate %s", k)
					}
					got[k] = true
				}
			}
			if kernel != tc.wantKernel || len(recs) != tc.wantRecords {
				t.Errorf("%d records (want %d), %d kernel-only notices (want %d)", len(recs), tc.wantRecords, kernel, tc.wantKernel)
			}
			var missing, extra []string
			for k := range want {
				if !got[k] {
					missing = append(missing, k)
				}
			}
			for k := range got {
				if !want[k] {
					extra = append(extra, k)
				}
			}
			sort.Strings(missing)
			sort.Strings(extra)
			if len(missing)+len(extra) > 0 || len(want) == 0 {
				t.Errorf("%d expected fixes; missing %v; extra %v", len(want), missing, extra)
			}
		})
	}
}

func TestSpots(t *testing.T) {
	raw := readBzip2(t, "com.ubuntu.jammy.usn.oval.excerpt.xml.bz2")
	recs, err := parseAll(t, "com.ubuntu.jammy.usn.oval.xml", raw)
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]vulndb.Record{}
	for _, r := range recs {
		byID[r.Vulnerability.ID] = r
	}
	affected := func(id, pkg string) vulndb.Affected {
		for _, a := range byID[id].Affected {
			if a.Package == pkg {
				return a
			}
		}
		t.Fatalf("%s %s: not emitted", id, pkg)
		return vulndb.Affected{}
	}

	// USN-6006-1, .NET: one CVE, twelve binary packages, priority medium, a CVSS vector.
	r := byID["CVE-2023-28260"]
	v := r.Vulnerability
	if v == nil || strings.Join(v.Aliases, ",") != "USN-6006-1" || v.Published != "2023-04-11" ||
		!strings.HasPrefix(v.Description, "It was discovered that .NET did not properly manage dll files.") || strings.Contains(v.Description, "Update Instructions") ||
		len(v.Severities) != 1 || v.Severities[0] != (vulndb.Severity{Source: "ubuntu", Type: "CVSS_V3", Vector: "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", Score: 7.8, Rating: vulndb.High}) ||
		strings.Join(v.References, " ") != "https://ubuntu.com/security/CVE-2023-28260 https://ubuntu.com/security/notices/USN-6006-1" {
		t.Errorf("CVE-2023-28260: %+v", v)
	}
	if len(r.Affected) != 12 {
		t.Errorf("CVE-2023-28260: %d packages, want 12", len(r.Affected))
	}
	a := affected("CVE-2023-28260", "aspnetcore-runtime-6.0")
	if a.Ranges[0].Fixed != "6.0.116-0ubuntu1~22.04.1" || a.Severity == nil || *a.Severity != (vulndb.Severity{Source: "ubuntu", Rating: vulndb.Medium}) {
		t.Errorf("%+v", a)
	}

	// A fix published only for Ubuntu Pro (ESM) is a fix like any other.
	if a := affected("CVE-2021-41184", "libjs-jquery-ui"); a.Ranges[0].Fixed != "1.13.1+dfsg-1ubuntu0.1~esm1" {
		t.Errorf("%+v", a)
	}
	// A regression notice with no CVE is emitted under its own id, rated by the notice.
	if r, ok := byID["USN-5376-3"]; !ok || r.Vulnerability.Aliases != nil || r.Affected[0].VulnID != "USN-5376-3" {
		t.Errorf("USN-5376-3: %+v", r)
	}
	// The kernel notice USN-6024-1 tests only the running kernel: nothing from it.
	for _, r := range recs {
		if strings.Contains(strings.Join(r.Vulnerability.Aliases, " "), "USN-6024-1") {
			t.Errorf("kernel notice emitted: %+v", r.Vulnerability)
		}
	}
	// A CVE in two notices (PAM, USN-5825-1 and its follow-up USN-5825-2) is one record
	// with both as aliases and each notice's fixed version: the OVAL does not say which
	// of the two fixed the CVE.
	r = byID["CVE-2022-28321"]
	if strings.Join(r.Vulnerability.Aliases, " ") != "USN-5825-1 USN-5825-2" || len(r.Affected) != 14 {
		t.Errorf("CVE-2022-28321: %v, %d entries", r.Vulnerability.Aliases, len(r.Affected))
	}
	var fixes []string
	for _, a := range r.Affected {
		if a.Package == "libpam-modules" {
			fixes = append(fixes, a.Ranges[0].Fixed)
		}
	}
	if strings.Join(fixes, " ") != "1.4.0-11ubuntu2.1 1.4.0-11ubuntu2.3" {
		t.Errorf("libpam-modules fixed in %v", fixes)
	}
}

// A minimal file in the shape of the real ones, for the cases the excerpts do not have.
const template = `<?xml version="1.0" encoding="UTF-8"?>
<oval_definitions xmlns="http://oval.mitre.org/XMLSchema/oval-definitions-5" xmlns:linux="http://oval.mitre.org/XMLSchema/oval-definitions-5#linux">
	<definitions>
		<definition class="inventory" id="oval:com.ubuntu.CODENAME:def:100" version="1">
			<metadata><title>Check that Ubuntu 24.04 LTS (noble) is installed.</title><description /></metadata>
		</definition>
		<definition id="oval:com.ubuntu.CODENAME:def:1" version="1" class="patch">
			<metadata>
				<title>USN-9999-1 -- test vulnerability</title>
				<affected family="unix">PLATFORM</affected>
				<reference source="USN" ref_id="USN-9999-1" ref_url="https://ubuntu.com/security/notices/USN-9999-1" />
				<reference source="CVE" ref_id="CVE-2099-0001" ref_url="https://ubuntu.com/security/CVE-2099-0001" />
				<description>d</description>
				<advisory from="security@ubuntu.com">
					<severity>High</severity>
					<cve href="https://ubuntu.com/security/CVE-2099-0001" priority="PRIORITY" public="2099">CVE-2099-0001</cve>
				</advisory>
			</metadata>
			<criteria><criterion test_ref="oval:t:1" /></criteria>
		</definition>
	</definitions>
	<tests>
		<linux:dpkginfo_test id="oval:t:1" version="1"><linux:object object_ref="oval:o:1" /><linux:state state_ref="oval:s:1" /></linux:dpkginfo_test>
	</tests>
	<objects>
		<linux:dpkginfo_object id="oval:o:1" version="1"><linux:name>bash</linux:name></linux:dpkginfo_object>
	</objects>
	<states>
		<linux:dpkginfo_state id="oval:s:1" version="1"><linux:evr datatype="debian_evr_string" operation="less than">EVR</linux:evr></linux:dpkginfo_state>
	</states>
</oval_definitions>
`

func TestSynthetic(t *testing.T) {
	tests := []struct {
		name, file, codename, platform, priority, evr string
		wantNS, wantFixed, wantRating                 string
		wantErr                                       string
	}{
		{name: "inline name, critical", file: "com.ubuntu.jammy.usn.oval.xml", codename: "jammy", priority: "critical", evr: "0:5.1-6ubuntu1.1", wantNS: "ubuntu:22.04", wantFixed: "5.1-6ubuntu1.1", wantRating: vulndb.Critical},
		{name: "epoch kept", file: "x.xml", codename: "noble", priority: "negligible", evr: "1:5.1-6", wantNS: "ubuntu:24.04", wantFixed: "1:5.1-6", wantRating: vulndb.Negligible},
		{name: "unknown codename, platform", file: "x.xml", codename: "zesty", platform: "<platform>Ubuntu 17.04</platform>", priority: "untriaged", evr: "5.1", wantNS: "ubuntu:17.04", wantFixed: "5.1"},
		{name: "unknown codename, inventory", file: "x.xml", codename: "zesty", priority: "low", evr: "5.1", wantNS: "ubuntu:24.04", wantFixed: "5.1", wantRating: vulndb.Low},
		{name: "no version", file: "x.xml", codename: "jammy", priority: "low", evr: "", wantErr: "none of 1 notices"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			x := strings.NewReplacer("CODENAME", tc.codename, "PLATFORM", tc.platform, "PRIORITY", tc.priority, "EVR", tc.evr).Replace(template)
			recs, err := parseAll(t, tc.file, []byte(x))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.Contains(err.Error(), tc.file) {
					t.Fatalf("err %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || len(recs) != 1 || len(recs[0].Affected) != 1 {
				t.Fatalf("%+v, %v", recs, err)
			}
			a := recs[0].Affected[0]
			rating := ""
			if a.Severity != nil {
				rating = a.Severity.Rating
			}
			if a.Namespace != tc.wantNS || a.Package != "bash" || a.Ranges[0].Fixed != tc.wantFixed || rating != tc.wantRating || recs[0].Vulnerability.Published != "" {
				t.Errorf("%+v", a)
			}
		})
	}
}

func TestErrors(t *testing.T) {
	raw := readBzip2(t, "com.ubuntu.noble.usn.oval.excerpt.xml.bz2")
	for _, tc := range []struct{ name, data, want string }{
		{"empty", "", "no root element"},
		{"other root", "<feed/>", `root element "feed"`},
		{"truncated", string(raw[:len(raw)/3]), "unexpected EOF"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			recs, err := parseAll(t, "com.ubuntu.noble.usn.oval.xml", []byte(tc.data))
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "com.ubuntu.noble.usn.oval.xml") || len(recs) != 0 {
				t.Fatalf("%d records, err %v, want %q", len(recs), err, tc.want)
			}
		})
	}
	stop := errors.New("stop")
	if err := New().Parse(context.Background(), feed.Input{Name: "n", R: bytes.NewReader(raw)}, func(vulndb.Record) error { return stop }); !errors.Is(err, stop) {
		t.Errorf("emit error: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := New().Parse(ctx, feed.Input{Name: "n", R: bytes.NewReader(raw)}, func(vulndb.Record) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

func TestMatch(t *testing.T) {
	f := New()
	for name, want := range map[string]bool{
		"com.ubuntu.noble.usn.oval.xml":          true,
		"oval/com.ubuntu.jammy.usn.oval.xml.bz2": true,
		"com.ubuntu.noble.cve.oval.xml":          false, // the CVE OVAL is another format
		"oci.com.ubuntu.noble.usn.oval.xml":      false,
		"oval-definitions-bookworm.xml":          false,
	} {
		if got := f.Match(name); got != want {
			t.Errorf("Match(%q) = %v", name, got)
		}
	}
	if f.Name() != "ubuntu-oval" || f.Info().Licence != "GPL-3.0" {
		t.Errorf("%q %+v", f.Name(), f.Info())
	}
}

func FuzzUbuntuOVAL(f *testing.F) {
	f.Add([]byte(strings.NewReplacer("CODENAME", "noble", "PLATFORM", "", "PRIORITY", "high", "EVR", "0:1.0").Replace(template)))
	f.Fuzz(func(t *testing.T, data []byte) {
		recs, err := parseAll(t, "com.ubuntu.noble.usn.oval.xml", data)
		if err != nil {
			return
		}
		for _, r := range recs {
			if r.Vulnerability == nil || r.Vulnerability.ID == "" || len(r.Affected) == 0 {
				t.Fatalf("incomplete record %+v", r)
			}
			for _, a := range r.Affected {
				if a.VulnID != r.Vulnerability.ID || !strings.HasPrefix(a.Namespace, "ubuntu:") || a.Package == "" || a.Ranges[0].Fixed == "" {
					t.Fatalf("bad affected %+v", a)
				}
			}
		}
	})
}
