package cyclonedx

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	cdx "github.com/CycloneDX/cyclonedx-go"

	"github.com/shipshape-dev/shipshape/internal/inventory"
	"github.com/shipshape-dev/shipshape/internal/report/reporttest"
)

func vulnsByID(t *testing.T, bom *cdx.BOM) map[string]cdx.Vulnerability {
	t.Helper()
	if bom.Vulnerabilities == nil {
		t.Fatal("no vulnerabilities section")
	}
	m := map[string]cdx.Vulnerability{}
	for _, v := range *bom.Vulnerabilities {
		if _, dup := m[v.ID]; dup {
			t.Errorf("%s appears twice", v.ID)
		}
		m[v.ID] = v
	}
	return m
}

func props(v cdx.Vulnerability) map[string]string {
	m := map[string]string{}
	if v.Properties != nil {
		for _, p := range *v.Properties {
			m[p.Name] = p.Value
		}
	}
	return m
}

// TestNilAndEmptyVulnerabilities: nil (the sbom command) gives exactly the SBOM without a
// vulnerability section or DB properties, even when a DB is set; empty gives [].
func TestNilAndEmptyVulnerabilities(t *testing.T) {
	plain := write(t, reporttest.Debian(), reporttest.Options(false))
	withDB := reporttest.DebianVulns()
	withDB.Vulnerabilities = nil
	withDB.Layers, withDB.Packages = reporttest.Debian().Layers, reporttest.Debian().Packages
	if got := write(t, withDB, reporttest.Options(false)); !bytes.Equal(got, plain) {
		t.Errorf("nil vulnerabilities with a DB set changes the SBOM")
	}
	if bytes.Contains(plain, []byte(`"vulnerabilities"`)) || bytes.Contains(plain, []byte("shipshape:db:")) {
		t.Errorf("SBOM without a scan mentions vulnerabilities or the DB")
	}

	empty := reporttest.Debian()
	empty.Vulnerabilities = []inventory.Finding{}
	out := write(t, empty, reporttest.Options(false))
	var m map[string]json.RawMessage
	if err := json.Unmarshal(out, &m); err != nil {
		t.Fatal(err)
	}
	if string(m["vulnerabilities"]) != "[]" {
		t.Errorf("empty Vulnerabilities: vulnerabilities = %s, want []", m["vulnerabilities"])
	}
	if decode(t, out).SerialNumber == decode(t, plain).SerialNumber {
		t.Error("a scanned BOM and an unscanned one share a serial number")
	}
}

func TestVulnerabilityEntries(t *testing.T) {
	bom := decode(t, write(t, reporttest.DebianVulns(), reporttest.Options(false)))
	refByName := map[string]string{}
	for _, c := range *bom.Components {
		refByName[c.Name] = c.BOMRef
	}
	vs := vulnsByID(t, bom)
	var ids []string
	for _, v := range *bom.Vulnerabilities {
		ids = append(ids, v.ID)
	}
	if want := []string{"CVE-2010-4756", "CVE-2023-4863", "CVE-2023-5678", "CVE-2023-45853", "CVE-2024-0727", "CVE-2024-2398"}; !slices.Equal(ids, want) {
		t.Fatalf("ids = %v, want %v", ids, want)
	}

	// One entry for a vulnerability in two packages, with two affects.
	curl := vs["CVE-2024-2398"]
	if curl.Affects == nil || len(*curl.Affects) != 2 {
		t.Fatalf("CVE-2024-2398 affects = %+v, want curl and libcurl4", curl.Affects)
	}
	for i, name := range []string{"curl", "libcurl4"} {
		a := (*curl.Affects)[i]
		if a.Ref != refByName[name] || a.Range == nil || len(*a.Range) != 1 ||
			(*a.Range)[0] != (cdx.AffectedVersions{Version: "7.88.1-10+deb12u5", Status: cdx.VulnerabilityStatusAffected}) {
			t.Errorf("affects[%d] = %+v, want %s", i, a, refByName[name])
		}
		if got := props(curl)[PropStatusPrefix+refByName[name]]; got != "affected" {
			t.Errorf("status of %s = %q", name, got)
		}
		if _, ok := props(curl)[PropFixedVersionPrefix+refByName[name]]; ok {
			t.Errorf("%s has a fixed version property without a fix", name)
		}
	}
	if r := *curl.Ratings; len(r) != 1 || r[0].Severity != cdx.SeverityUnknown || r[0].Method != cdx.ScoringMethodOther || r[0].Source != nil {
		t.Errorf("UNKNOWN ratings = %+v", r)
	}

	// The distro's rating first, then NVD's CVSS 3.1.
	ssl := vs["CVE-2023-5678"]
	r := *ssl.Ratings
	if len(r) != 2 || r[0].Source.Name != "debian" || r[0].Severity != cdx.SeverityLow || r[0].Method != cdx.ScoringMethodOther ||
		r[1].Source.Name != "nvd" || r[1].Method != cdx.ScoringMethodCVSSv31 || *r[1].Score != 5.3 || r[1].Severity != cdx.SeverityMedium ||
		r[1].Vector != "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:L" {
		t.Errorf("CVE-2023-5678 ratings = %+v", r)
	}
	if ssl.Source == nil || ssl.Source.Name != "debian-oval" || ssl.Source.URL != "https://nvd.nist.gov/vuln/detail/CVE-2023-5678" {
		t.Errorf("source = %+v", ssl.Source)
	}
	if ssl.CWEs == nil || !slices.Equal(*ssl.CWEs, []int{754}) {
		t.Errorf("cwes = %v", ssl.CWEs)
	}
	if !strings.HasPrefix(ssl.Description, "Excessive time") || !strings.HasPrefix(ssl.Detail, "Issue summary") {
		t.Errorf("description %q, detail %q", ssl.Description, ssl.Detail)
	}
	if p := props(ssl); p[PropFixedVersionPrefix+refByName["libssl3"]] != "3.0.13-1~deb12u1" || p[PropStatusPrefix+refByName["libssl3"]] != "fixed" {
		t.Errorf("libssl3 properties = %v", p)
	}
	if ssl.Recommendation != "Upgrade libssl3 to 3.0.13-1~deb12u1." || ssl.Published != "2023-11-06T16:15:42.67Z" || ssl.Updated != "2024-02-01T17:15:09.253Z" {
		t.Errorf("recommendation %q, published %q, updated %q", ssl.Recommendation, ssl.Published, ssl.Updated)
	}

	// NEGLIGIBLE is CycloneDX's "info"; a CVSS v2 score of 4.0 is medium.
	glibc := *vs["CVE-2010-4756"].Ratings
	if glibc[0].Severity != cdx.SeverityInfo || glibc[1].Method != cdx.ScoringMethodCVSSv2 || glibc[1].Severity != cdx.SeverityMedium {
		t.Errorf("CVE-2010-4756 ratings = %+v", glibc)
	}
	// No title: the description is the description, and there is no detail.
	if z := vs["CVE-2023-45853"]; !strings.HasPrefix(z.Description, "MiniZip") || z.Detail != "" {
		t.Errorf("CVE-2023-45853 description %q detail %q", z.Description, z.Detail)
	}

	// Aliases, EPSS and KEV.
	webp := vs["CVE-2023-4863"]
	wantRefs := []cdx.VulnerabilityReference{
		{ID: "CVE-2023-5129", Source: &cdx.Source{Name: "nvd", URL: "https://nvd.nist.gov/vuln/detail/CVE-2023-5129"}},
		{ID: "GHSA-j7hp-h8jx-5ppr", Source: &cdx.Source{Name: "ghsa", URL: "https://github.com/advisories/GHSA-j7hp-h8jx-5ppr"}},
	}
	gotRefs, _ := json.Marshal(webp.References)
	wantJSON, _ := json.Marshal(wantRefs)
	if !bytes.Equal(gotRefs, wantJSON) {
		t.Errorf("references = %s, want %s", gotRefs, wantJSON)
	}
	p := props(webp)
	if p[PropEPSSScore] != "0.4743" || p[PropEPSSPercentile] != "0.97356" || p[PropKEV] != "true" ||
		p[PropKEVDateAdded] != "2023-09-13" || p[PropKEVDueDate] != "2023-10-04" || p[PropKEVRansomware] != "Unknown" {
		t.Errorf("CVE-2023-4863 properties = %v", p)
	}
	if webp.Advisories == nil || len(*webp.Advisories) != 2 {
		t.Errorf("advisories = %+v", webp.Advisories)
	}

	meta := map[string]string{}
	for _, p := range *bom.Metadata.Properties {
		meta[p.Name] = p.Value
	}
	if meta[PropDBDataDate] != "2024-04-01" || meta[PropDBEmbedded] != "false" || meta[PropDBSchemaVersion] != "1" || meta[PropDBBuiltAt] != "2024-04-02T06:12:09Z" {
		t.Errorf("metadata properties = %v", meta)
	}
}

// TestAffectsFindTheRightComponent: a finding on one of two packages that share a purl
// points at the component at its location only.
func TestAffectsFindTheRightComponent(t *testing.T) {
	inv := reporttest.Debian()
	var ca []*inventory.Package
	for i := range inv.Packages {
		if inv.Packages[i].Name == "ca-certificates" {
			ca = append(ca, &inv.Packages[i])
		}
	}
	f := func(p *inventory.Package, purl string) inventory.Finding {
		return inventory.Finding{ID: "CVE-2000-0001", PkgPURL: purl, PkgType: p.Type, PkgName: p.Name,
			InstalledVersion: p.Version, Location: p.Location, Status: "affected", Severity: "LOW", Namespace: "debian:12"}
	}
	inv.Vulnerabilities = []inventory.Finding{f(ca[1], ca[1].PURL)}
	bom := decode(t, write(t, inv, reporttest.Options(false)))
	var want string
	for _, c := range *bom.Components {
		if c.Properties == nil {
			continue
		}
		for _, p := range *c.Properties {
			if c.Name == "ca-certificates" && p.Name == PropLocationPath && p.Value == ca[1].Location {
				want = c.BOMRef
			}
		}
	}
	affects := *(*bom.Vulnerabilities)[0].Affects
	if len(affects) != 1 || affects[0].Ref != want {
		t.Errorf("affects = %+v, want only %s", affects, want)
	}

	// Without a purl the package is found by type, name and version.
	inv.Vulnerabilities = []inventory.Finding{f(ca[0], "")}
	bom = decode(t, write(t, inv, reporttest.Options(false)))
	if a := *(*bom.Vulnerabilities)[0].Affects; len(a) != 1 || !strings.HasPrefix(a[0].Ref, ca[0].PURL+"#") {
		t.Errorf("affects without purl = %+v", a)
	}

	// A finding on a package that is not in the inventory keeps its facts, without affects.
	ghost := f(ca[0], "pkg:deb/debian/ghost@1")
	ghost.PkgName, ghost.InstalledVersion = "ghost", "1"
	inv.Vulnerabilities = []inventory.Finding{ghost}
	v := (*decode(t, write(t, inv, reporttest.Options(false))).Vulnerabilities)[0]
	if v.Affects != nil || v.ID != "CVE-2000-0001" {
		t.Errorf("ghost finding = %+v", v)
	}
}

func TestCWENumbers(t *testing.T) {
	got := cweNumbers([]string{"CWE-787", "NVD-CWE-Other", "NVD-CWE-noinfo", "cwe-79", "CWE-0", "CWE-787", "CWE-x", " CWE-20 "})
	if want := []int{20, 79, 787}; !slices.Equal(got, want) {
		t.Errorf("cweNumbers = %v, want %v", got, want)
	}
}

func TestAdvisoriesAndDates(t *testing.T) {
	got := advisories([]string{"https://b.example/x", "ftp://a.example/", "not a url", "https://a.example/y", "https://b.example/x", "/relative", "https://c.example/a b"})
	var urls []string
	for _, a := range got {
		urls = append(urls, a.URL)
	}
	if want := []string{"https://a.example/y", "https://b.example/x"}; !slices.Equal(urls, want) {
		t.Errorf("advisories = %v, want %v", urls, want)
	}
	pub, upd := dates([]*inventory.Finding{
		{Published: "2023-10-14T02:15:09.323Z", Modified: "2024-01-24"},
		{Published: "2023-10-13T23:00:00-04:00", Modified: "2024-01-25T00:00:00+01:00"},
		{Published: "yesterday", Modified: "2023-01-01T00:00:00Z"},
	})
	if pub != "2023-10-14T02:15:09.323Z" || upd != "2024-01-24T23:00:00Z" {
		t.Errorf("dates = %q, %q", pub, upd)
	}
}

func TestKnownSource(t *testing.T) {
	tests := []struct{ id, name, url string }{
		{"CVE-2023-4863", "nvd", "https://nvd.nist.gov/vuln/detail/CVE-2023-4863"},
		{"GHSA-j7hp-h8jx-5ppr", "ghsa", "https://github.com/advisories/GHSA-j7hp-h8jx-5ppr"},
		{"GO-2024-2687", "go-vulndb", "https://pkg.go.dev/vuln/GO-2024-2687"},
		{"RUSTSEC-2024-0001", "", ""},
		{"CVE-2023-4863/../x", "", ""},
	}
	for _, tt := range tests {
		name, url, ok := knownSource(tt.id)
		if name != tt.name || url != tt.url || ok != (tt.url != "") {
			t.Errorf("knownSource(%q) = %q, %q, %v", tt.id, name, url, ok)
		}
	}
}

// TestAnalysisFromVEX: a vulnerability all of whose findings a VEX statement suppresses
// gets an impact analysis with the state and justification mapped to CycloneDX's; an
// ignore file entry is no impact analysis, and a vulnerability only partly covered by VEX
// gets none. Every suppressed finding is named in a property of its component.
func TestAnalysisFromVEX(t *testing.T) {
	inv := reporttest.DebianChecks()
	bom := decode(t, write(t, inv, reporttest.Options(false)))
	vs := vulnsByID(t, bom)
	z := vs["CVE-2023-45853"]
	if z.Analysis == nil || z.Analysis.State != cdx.IASNotAffected || z.Analysis.Justification != cdx.IAJCodeNotReachable ||
		!strings.Contains(z.Analysis.Detail, "app.openvex.json") {
		t.Errorf("CVE-2023-45853 analysis = %+v", z.Analysis)
	}
	if g := vs["CVE-2010-4756"]; g.Analysis != nil {
		t.Errorf("an ignore entry became an analysis: %+v", g.Analysis)
	}
	found := false
	for k, v := range props(vs["CVE-2010-4756"]) {
		if strings.HasPrefix(k, PropSuppressedPrefix) && strings.HasPrefix(v, "ignore: id: CVE-2010-4756") {
			found = true
		}
	}
	if !found {
		t.Errorf("no suppressed property: %v", props(vs["CVE-2010-4756"]))
	}
	// VEX on one of the two packages CVE-2024-2398 hits: no analysis.
	for i := range inv.Vulnerabilities {
		if inv.Vulnerabilities[i].PkgName == "curl" {
			inv.Vulnerabilities[i].Suppressed = &inventory.Suppression{Kind: "vex", Statement: "fixed"}
		}
	}
	if a := vulnsByID(t, decode(t, write(t, inv, reporttest.Options(false))))["CVE-2024-2398"].Analysis; a != nil {
		t.Errorf("partial VEX gave an analysis: %+v", a)
	}
	for _, tt := range []struct {
		status, just string
		state        cdx.ImpactAnalysisState
		j            cdx.ImpactAnalysisJustification
	}{
		{"under_investigation", "", cdx.IASInTriage, ""},
		{"known_not_affected", "component_not_present", cdx.IASNotAffected, cdx.IAJCodeNotPresent},
		{"affected", "", cdx.IASExploitable, ""},
		{"not_affected", "requires_configuration", cdx.IASNotAffected, cdx.IAJRequiresConfiguration},
		{"not_affected", "because we said so", cdx.IASNotAffected, ""},
	} {
		a := analysis([]*inventory.Finding{{Suppressed: &inventory.Suppression{Kind: "vex", Statement: tt.status, Reason: tt.just}}})
		if a == nil || a.State != tt.state || a.Justification != tt.j {
			t.Errorf("%s/%s: %+v", tt.status, tt.just, a)
		}
	}
	if a := analysis([]*inventory.Finding{{Suppressed: &inventory.Suppression{Kind: "vex", Statement: "maybe"}}}); a != nil {
		t.Errorf("unknown status gave %+v", a)
	}
}
