package redhat

import (
	"bytes"
	"compress/bzip2"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
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

// expectedFixes reads the raw XML with regular expressions, following ids by text search:
// "CVE|rpm|evr" for every advisory, leaving out what a "Module X is enabled" criterion
// gates and module builds. It also returns the number of advisories left out whole
// because of modules.
func expectedFixes(t *testing.T, raw string) (map[string]bool, int) {
	t.Helper()
	lookup := func(pattern, id string) []string {
		return regexp.MustCompile(strings.ReplaceAll(pattern, "ID", regexp.QuoteMeta(id))).FindStringSubmatch(raw)
	}
	want := map[string]bool{}
	moduleOnly := 0
	for _, def := range regexp.MustCompile(`(?s)<definition class="patch"[^>]*>.*?</definition>`).FindAllString(raw, -1) {
		// Cut the module-gated AND off: in these files it is the last branch of its OR.
		cut := false
		if i := strings.Index(def, `comment="Module `); i >= 0 {
			def, cut = def[:i], true
		}
		var ids []string
		for _, m := range regexp.MustCompile(`>(CVE-\d+-\d+)</cve>|ref_id="(CVE-\d+-\d+)"`).FindAllStringSubmatch(def, -1) {
			ids = append(ids, m[1]+m[2])
		}
		if len(ids) == 0 {
			desc := regexp.MustCompile(`(?s)<description>(.*?)</description>`).FindStringSubmatch(def)[1]
			ids = regexp.MustCompile(`CVE-\d{4}-\d+`).FindAllString(desc, -1)
		}
		fixes, module := 0, false
		for _, ref := range regexp.MustCompile(`test_ref="([^"]+)"`).FindAllStringSubmatch(def, -1) {
			test := lookup(`(?s)<red-def:rpminfo_test [^>]*id="ID"[^>]*>\s*<red-def:object object_ref="([^"]+)" />\s*<red-def:state state_ref="([^"]+)" />`, ref[1])
			if test == nil {
				continue
			}
			evr := lookup(`(?s)<red-def:rpminfo_state id="ID"[^>]*>\s*(?:<red-def:arch [^>]*>[^<]*</red-def:arch>\s*)?<red-def:evr datatype="evr_string" operation="less than">([^<]+)<`, test[2])
			if evr == nil {
				continue
			}
			if strings.Contains(evr[1], ".module+") {
				module = true
				continue
			}
			name := lookup(`<red-def:rpminfo_object id="ID"[^>]*>\s*<red-def:name>([^<]+)<`, test[1])[1]
			for _, id := range ids {
				want[id+"|"+name+"|"+evr[1]] = true
			}
			fixes++
		}
		if fixes == 0 && (module || cut) {
			moduleOnly++
		}
	}
	return want, moduleOnly
}

func TestExcerpts(t *testing.T) {
	tests := []struct {
		file, name, namespace string
		wantRecords           int
		wantModuleOnly        int
	}{
		{"com.redhat.rhsa-RHEL9.excerpt.xml.bz2", "com.redhat.rhsa-RHEL9.xml", "rhel:9", 92, 1},
		{"org.rockylinux.rlsa-9.excerpt.xml.bz2", "rocky/org.rockylinux.rlsa-9.xml.bz2", "rocky:9", 42, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			raw := readBzip2(t, tc.file)
			recs, err := parseAll(t, tc.name, raw)
			if err != nil {
				t.Fatal(err)
			}
			want, moduleOnly := expectedFixes(t, string(raw))
			if moduleOnly != tc.wantModuleOnly {
				t.Errorf("%d advisories only for module streams, want %d", moduleOnly, tc.wantModuleOnly)
			}
			got := map[string]bool{}
			for _, r := range recs {
				v := r.Vulnerability
				if v == nil || v.Source != "redhat-oval" || len(r.Affected) == 0 || len(v.Aliases) == 0 || !strings.HasPrefix(v.ID, "CVE-") {
					t.Fatalf("record %+v", r)
				}
				for _, a := range r.Affected {
					if a.VulnID != v.ID || a.Namespace != tc.namespace || a.Status != vulndb.StatusFixed || a.Source != "redhat-oval" ||
						len(a.Ranges) != 1 || a.Ranges[0].Type != "ECOSYSTEM" || a.Severity == nil || a.Severity.Source != "redhat" {
						t.Errorf("%+v", a)
					}
					got[a.VulnID+"|"+a.Package+"|"+a.Ranges[0].Fixed] = true
				}
			}
			if len(recs) != tc.wantRecords {
				t.Errorf("%d records, want %d", len(recs), tc.wantRecords)
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
			if len(missing)+len(extra) > 0 || len(want) < 100 {
				t.Errorf("%d expected fixes; missing %v; extra %v", len(want), missing, extra)
			}
		})
	}
}

// In the RHEL file the criterion comments say the same as the tests: every emitted fix
// is one of the "<rpm> is earlier than <evr>" comments of an advisory naming the CVE.
func TestRHELAgainstComments(t *testing.T) {
	raw := string(readBzip2(t, "com.redhat.rhsa-RHEL9.excerpt.xml.bz2"))
	recs, err := parseAll(t, "com.redhat.rhsa-RHEL9.xml", []byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	comments := map[string]bool{}
	for _, m := range regexp.MustCompile(`comment="(\S+) is earlier than (\S+)"`).FindAllStringSubmatch(raw, -1) {
		comments[m[1]+" "+m[2]] = true
	}
	n := 0
	for _, r := range recs {
		for _, a := range r.Affected {
			n++
			if !comments[a.Package+" "+a.Ranges[0].Fixed] {
				t.Errorf("%s %s %s: no such criterion comment", a.VulnID, a.Package, a.Ranges[0].Fixed)
			}
		}
	}
	if n != 537 {
		t.Errorf("%d affected entries, want 537", n)
	}
}

func TestSpots(t *testing.T) {
	index := func(file, name string) map[string]vulndb.Record {
		recs, err := parseAll(t, name, readBzip2(t, file))
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]vulndb.Record{}
		for _, r := range recs {
			m[r.Vulnerability.ID] = r
		}
		return m
	}
	rhel := index("com.redhat.rhsa-RHEL9.excerpt.xml.bz2", "com.redhat.rhsa-RHEL9.xml")
	rocky := index("org.rockylinux.rlsa-9.excerpt.xml.bz2", "org.rockylinux.rlsa-9.xml")

	// RHSA-2022:4582, gzip: <cve cvss3="8.8/CVSS:3.1/..." cwe="(CWE-179|CWE-1173)" impact="important" public="20220407">.
	r := rhel["CVE-2022-1271"]
	v := r.Vulnerability
	wantRefs := "https://access.redhat.com/security/cve/CVE-2022-1271 https://bugzilla.redhat.com/2073310 https://access.redhat.com/errata/RHSA-2022:4582"
	if v == nil || strings.Join(v.Aliases, " ") != "RHSA-2022:4582" || v.Summary != "gzip: arbitrary-file-write vulnerability" ||
		strings.Join(v.CWEs, " ") != "CWE-179 CWE-1173" || v.Published != "2022-04-07" || strings.Join(v.References, " ") != wantRefs ||
		len(v.Severities) != 1 || v.Severities[0] != (vulndb.Severity{Source: "redhat", Type: "CVSS_V3", Vector: "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", Score: 8.8}) ||
		!strings.HasPrefix(v.Description, "The gzip packages contain") {
		t.Errorf("CVE-2022-1271: %+v", v)
	}
	if len(r.Affected) != 1 || !reflect.DeepEqual(r.Affected[0], vulndb.Affected{VulnID: "CVE-2022-1271", Namespace: "rhel:9", Package: "gzip",
		Ranges: []vulndb.Range{{Type: "ECOSYSTEM", Fixed: "0:1.10-9.el9_0"}}, Status: vulndb.StatusFixed,
		Severity: &vulndb.Severity{Source: "redhat", Rating: vulndb.High}, Source: "redhat-oval"}) {
		t.Errorf("%+v", r.Affected)
	}

	// The same advisory rebuilt by Rocky: no <cve>, the CVE comes from the text; the
	// severity from the advisory's <severity>Important</severity>.
	r = rocky["CVE-2022-1271"]
	if r.Vulnerability == nil || strings.Join(r.Vulnerability.Aliases, " ") != "RLSA-2022:4582" || len(r.Affected) == 0 {
		t.Fatalf("rocky CVE-2022-1271: %+v", r)
	}
	for _, a := range r.Affected {
		if a.Namespace != "rocky:9" || !strings.HasPrefix(a.Package, "gzip") || a.Ranges[0].Fixed != "0:1.10-9.el9_0" || a.Severity.Rating != vulndb.High {
			t.Errorf("%+v", a)
		}
	}

	// RHSA-2022:8832 is nodejs:18 only, gated by "Module nodejs:18 is enabled": left out.
	for id, r := range rhel {
		if strings.Contains(strings.Join(r.Vulnerability.Aliases, " "), "RHSA-2022:8832") {
			t.Errorf("%s from the module-gated RHSA-2022:8832", id)
		}
	}
	// Rocky's nodejs advisories mix module builds with plain ones: only the plain ones stay.
	for _, r := range rocky {
		for _, a := range r.Affected {
			if strings.Contains(a.Ranges[0].Fixed, ".module+") {
				t.Errorf("module build kept: %+v", a)
			}
		}
	}
	// RHBA-2022:5749 is a bug fix advisory that still lists CVEs: kept, rated by each CVE's impact.
	if r := rhel["CVE-2022-1650"]; strings.Join(r.Vulnerability.Aliases, " ") != "RHBA-2022:5749" || r.Affected[0].Severity.Rating != vulndb.Medium {
		t.Errorf("CVE-2022-1650: %+v", r)
	}
	// The kpatch advisory fixes kpatch-patch-* rpms; its "kernel version equals" tests are
	// conditions, not fixes (TestExcerpts checks that no "equals" version is emitted).
	found := false
	for _, a := range rhel["CVE-2022-1966"].Affected {
		if a.Package == "kpatch-patch-5_14_0-70_13_1" && a.Ranges[0].Fixed == "0:1-1.el9_0" {
			found = true
		}
	}
	if !found {
		t.Errorf("CVE-2022-1966: no kpatch-patch-5_14_0-70_13_1 fix in %+v", rhel["CVE-2022-1966"].Affected)
	}
}

// A minimal file in the shape of the RHEL one, for the cases the excerpts do not have.
const template = `<?xml version="1.0" encoding="UTF-8"?>
<oval_definitions xmlns="http://oval.mitre.org/XMLSchema/oval-definitions-5" xmlns:red-def="http://oval.mitre.org/XMLSchema/oval-definitions-5#linux" xmlns:ind-def="http://oval.mitre.org/XMLSchema/oval-definitions-5#independent">
	<definitions>
		<definition class="patch" id="DEFID" version="1">
			<metadata>
				<title>ADV: bash security update (Low)</title>
				<affected family="unix">PLATFORM</affected>
				<description>Fixes CVE-2099-0009.</description>
				<advisory from="secalert@redhat.com">
					<severity>Low</severity>
					CVEELEMENT
				</advisory>
			</metadata>
			<criteria operator="OR">
				<criteria operator="AND">
					<criterion test_ref="oval:t:mod" />
					<criterion comment="bash is earlier than 0:5.1-1.el9" test_ref="oval:t:1" />
				</criteria>
			</criteria>
		</definition>
	</definitions>
	<tests>
		<ind-def:textfilecontent54_test check="all" comment="MODULE" id="oval:t:mod" version="1"><ind-def:object object_ref="oval:o:mod" /></ind-def:textfilecontent54_test>
		<red-def:rpminfo_test check="at least one" comment="bash is earlier than 0:5.1-1.el9" id="oval:t:1" version="1"><red-def:object object_ref="oval:o:1" /><red-def:state state_ref="oval:s:1" /></red-def:rpminfo_test>
	</tests>
	<objects>
		<red-def:rpminfo_object id="oval:o:1" version="1"><red-def:name>bash</red-def:name></red-def:rpminfo_object>
	</objects>
	<states>
		<red-def:rpminfo_state id="oval:s:1" version="1"><red-def:evr datatype="evr_string" operation="less than">0:5.1-1.el9</red-def:evr></red-def:rpminfo_state>
	</states>
</oval_definitions>
`

func TestSynthetic(t *testing.T) {
	const cve = `<cve cvss2="4.3/AV:N/AC:M/Au:N/C:N/I:P/A:N" impact="critical" public="20990101">CVE-2099-0001</cve>`
	tests := []struct {
		name, file, defID, adv, platform, cve, module string
		wantIDs, wantNS, wantRating                   string
		wantErr                                       string
	}{
		{name: "cvss2 and impact", file: "com.redhat.rhsa-RHEL9.xml", defID: "oval:com.redhat.rhsa:def:1", adv: "RHSA-2099:0001", platform: "<platform>Red Hat Enterprise Linux 9</platform>", cve: cve, module: "Installed", wantIDs: "CVE-2099-0001", wantNS: "rhel:9", wantRating: vulndb.Critical},
		{name: "module test gates", file: "x.xml", defID: "oval:com.redhat.rhsa:def:1", adv: "RHSA-2099:0001", platform: "<platform>Red Hat Enterprise Linux 9</platform>", cve: cve, module: "Module bash:5 is enabled"},
		{name: "CVE from the text", file: "x.xml", defID: "oval:org.rockylinux.rlsa:def:1", adv: "RLSA-2099:0001", platform: "<platform>Rocky Linux 8</platform>", module: "x", wantIDs: "CVE-2099-0009", wantNS: "rocky:8", wantRating: vulndb.Low},
		{name: "release from the file name", file: "rhel-10.oval.xml.bz2", defID: "oval:com.redhat.rhsa:def:1", adv: "RHSA-2099:0001", cve: cve, module: "x", wantIDs: "CVE-2099-0001", wantNS: "rhel:10", wantRating: vulndb.Critical},
		{name: "no release", file: "x.xml", defID: "oval:com.redhat.rhsa:def:1", adv: "RHSA-2099:0001", cve: cve, module: "x", wantErr: "none of 1 advisories"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			x := strings.NewReplacer("DEFID", tc.defID, "ADV", tc.adv, "PLATFORM", tc.platform, "CVEELEMENT", tc.cve, "MODULE", tc.module).Replace(template)
			if tc.name == "CVE from the text" {
				x = strings.Replace(x, "Fixes CVE-2099-0009.", "Fixes CVE-2099-0009 and CVE-2099-0009.", 1)
			}
			recs, err := parseAll(t, tc.file, []byte(x))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.Contains(err.Error(), tc.file) {
					t.Fatalf("err %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, r := range recs {
				ids = append(ids, r.Vulnerability.ID)
			}
			if strings.Join(ids, " ") != tc.wantIDs {
				t.Fatalf("ids %v, want %q", ids, tc.wantIDs)
			}
			if len(recs) == 0 {
				return
			}
			a := recs[0].Affected[0]
			if a.Namespace != tc.wantNS || a.Severity.Rating != tc.wantRating || a.Package != "bash" || a.Ranges[0].Fixed != "0:5.1-1.el9" {
				t.Errorf("%+v", a)
			}
			if tc.name == "cvss2 and impact" {
				v := recs[0].Vulnerability
				if len(v.Severities) != 1 || v.Severities[0] != (vulndb.Severity{Source: "redhat", Type: "CVSS_V2", Vector: "AV:N/AC:M/Au:N/C:N/I:P/A:N", Score: 4.3}) || v.Published != "2099-01-01" {
					t.Errorf("%+v", v)
				}
			}
		})
	}
	// An advisory with no CVE: a security one under its own id, a bug fix one not at all.
	for adv, want := range map[string]int{"RHSA-2099:0002": 1, "RHBA-2099:0002": 0} {
		x := strings.NewReplacer("DEFID", "oval:com.redhat.rhsa:def:1", "ADV", adv, "PLATFORM", "<platform>Red Hat Enterprise Linux 9</platform>", "CVEELEMENT", "", "MODULE", "x").Replace(template)
		x = strings.Replace(x, "Fixes CVE-2099-0009.", "Fixes bugs.", 1)
		recs, err := parseAll(t, "x.xml", []byte(x))
		if err != nil || len(recs) != want || (want == 1 && (recs[0].Vulnerability.ID != adv || recs[0].Affected[0].VulnID != adv)) {
			t.Errorf("%s: %+v, %v", adv, recs, err)
		}
	}
}

func TestErrors(t *testing.T) {
	raw := readBzip2(t, "org.rockylinux.rlsa-9.excerpt.xml.bz2")
	for _, tc := range []struct{ name, data, want string }{
		{"empty", "", "no root element"},
		{"other root", "<rss/>", `root element "rss"`},
		{"truncated", string(raw[:len(raw)/4]), "unexpected EOF"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			recs, err := parseAll(t, "org.rockylinux.rlsa-9.xml", []byte(tc.data))
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "org.rockylinux.rlsa-9.xml") || len(recs) != 0 {
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
		"com.redhat.rhsa-RHEL9.xml":          true,
		"oval/v2/RHEL9/rhel-9.oval.xml.bz2":  true,
		"rpm-oval/org.rockylinux.rlsa-9.xml": true,
		"com.redhat.rhsa-RHEL9.xml.asc":      false,
		"com.ubuntu.noble.usn.oval.xml":      false,
		"oval-definitions-bookworm.xml":      false,
		"rhel-9.csaf.json":                   false,
	} {
		if got := f.Match(name); got != want {
			t.Errorf("Match(%q) = %v", name, got)
		}
	}
	if f.Name() != "redhat-oval" || f.Info().UpstreamURL == "" {
		t.Errorf("%q %+v", f.Name(), f.Info())
	}
}

func FuzzRedHatOVAL(f *testing.F) {
	f.Add([]byte(strings.NewReplacer("DEFID", "oval:com.redhat.rhsa:def:1", "ADV", "RHSA-2099:0001", "PLATFORM", "<platform>Red Hat Enterprise Linux 9</platform>", "CVEELEMENT", "", "MODULE", "Module x:1 is enabled").Replace(template)))
	f.Fuzz(func(t *testing.T, data []byte) {
		recs, err := parseAll(t, "com.redhat.rhsa-RHEL9.xml", data)
		if err != nil {
			return
		}
		for _, r := range recs {
			if r.Vulnerability == nil || r.Vulnerability.ID == "" || len(r.Affected) == 0 {
				t.Fatalf("incomplete record %+v", r)
			}
			for _, a := range r.Affected {
				if a.VulnID != r.Vulnerability.ID || (!strings.HasPrefix(a.Namespace, "rhel:") && !strings.HasPrefix(a.Namespace, "rocky:")) ||
					a.Package == "" || a.Ranges[0].Fixed == "" || isModuleBuild(a.Ranges[0].Fixed) {
					t.Fatalf("bad affected %+v", a)
				}
			}
		}
	})
}
