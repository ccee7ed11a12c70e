package reporttest

import (
	"fmt"
	"maps"
	"slices"

	"github.com/shipshape-dev/shipshape/internal/inventory"
)

// The findings below are modelled on the public records of real CVEs (NVD descriptions,
// CVSS vectors and CWEs, the distros' fixed versions, CISA KEV dates). EPSS scores change
// daily and are illustrative, as are the DB dates and record counts.

// pkg returns the package named name (at location loc, when given) in inv.
func pkg(inv *inventory.Inventory, name, loc string) *inventory.Package {
	for i := range inv.Packages {
		p := &inv.Packages[i]
		if p.Name == name && (loc == "" || p.Location == loc) {
			return p
		}
	}
	panic(fmt.Sprintf("reporttest: no package %s in %s", name, inv.Target.Name))
}

// finding starts a finding of vulnerability id in p, as the matcher fills it in.
func finding(p *inventory.Package, id, namespace string, sources ...string) inventory.Finding {
	f := inventory.Finding{
		ID: id, PkgPURL: p.PURL, PkgType: p.Type, PkgName: p.Name, InstalledVersion: p.Version,
		Namespace: namespace, DataSources: sources, Location: p.Location,
	}
	if p.SourceName != p.Name {
		f.SourceName = p.SourceName
	}
	if p.Layer != nil {
		l := *p.Layer
		f.Layer = &l
	}
	return f
}

// Vulnerability facts shared by more than one finding.
var (
	cve20240727 = inventory.Finding{
		Severity: "MEDIUM", SeveritySource: "nvd",
		CVSS:     []inventory.CVSS{{Source: "nvd", Version: "3.1", Vector: "CVSS:3.1/AV:L/AC:L/PR:N/UI:R/S:U/C:N/I:N/A:H", Score: 5.5}},
		CWEs:     []string{"CWE-476"},
		CWENames: map[string]string{"CWE-476": "NULL Pointer Dereference"},
		Title:    "PKCS12 Decoding crashes",
		Description: "Issue summary: Processing a maliciously formatted PKCS12 file may lead OpenSSL to crash " +
			"leading to a potential Denial of Service attack.",
		References: []string{"https://www.openssl.org/news/secadv/20240125.txt"},
		Published:  "2024-01-26T09:15:07.637Z", Modified: "2024-02-08T10:15:13.017Z",
		EPSS: &inventory.EPSS{Score: 0.00043, Percentile: 0.0948},
	}
	cve202342366 = inventory.Finding{
		Severity: "MEDIUM", SeveritySource: "nvd",
		CVSS:        []inventory.CVSS{{Source: "nvd", Version: "3.1", Vector: "CVSS:3.1/AV:L/AC:L/PR:N/UI:R/S:U/C:N/I:N/A:H", Score: 5.5}},
		CWEs:        []string{"CWE-787"},
		CWENames:    map[string]string{"CWE-787": "Out-of-bounds Write"},
		Description: "A heap-buffer-overflow was discovered in BusyBox v.1.36.1 in the next_token function at awk.c:1159.",
		References:  []string{"https://bugs.busybox.net/show_bug.cgi?id=15874"},
		Published:   "2023-11-27T23:15:07.42Z", Modified: "2023-12-04T18:44:02.373Z",
		EPSS: &inventory.EPSS{Score: 0.00044, Percentile: 0.1086},
	}
	cve20242398 = inventory.Finding{
		// Rated by nobody yet when the DB was built: severity UNKNOWN, no CVSS.
		Severity:    "UNKNOWN",
		Title:       "HTTP/2 push headers memory-leak",
		Description: "When an application tells libcurl it wants to allow HTTP/2 server push, and the amount of received headers for the push surpasses the maximum allowed limit (1000), libcurl aborts the server push. When aborting, libcurl inadvertently does not free all the previously allocated headers and instead leaks the memory.",
		References:  []string{"https://curl.se/docs/CVE-2024-2398.html", "https://hackerone.com/reports/2402845"},
		Published:   "2024-03-27T08:15:41.283Z", Modified: "2024-03-27T12:29:30.307Z",
	}
)

// with copies the vulnerability facts of v into the finding f, sharing no memory with v.
func with(f inventory.Finding, v inventory.Finding) inventory.Finding {
	f.Severity, f.SeveritySource = v.Severity, v.SeveritySource
	f.CVSS, f.CWEs, f.CWENames = slices.Clone(v.CVSS), slices.Clone(v.CWEs), maps.Clone(v.CWENames)
	f.Title, f.Description, f.References = v.Title, v.Description, slices.Clone(v.References)
	f.Published, f.Modified, f.Aliases = v.Published, v.Modified, slices.Clone(v.Aliases)
	if v.EPSS != nil {
		e := *v.EPSS
		f.EPSS = &e
	}
	if v.KEV != nil {
		k := *v.KEV
		f.KEV = &k
	}
	return f
}

// DebianVulns is Debian with a third layer that pins a vulnerable libwebp7, scanned against
// a downloaded DB: an openssl CVE Debian rates LOW while NVD's CVSS 3.1 says MEDIUM,
// one rated by NVD only, a curl CVE nobody has rated (UNKNOWN) and without a fix that hits
// two packages built from one source, a CRITICAL one Debian will not fix, a NEGLIGIBLE one
// with only a CVSS v2 vector, and one listed in CISA KEV with an EPSS score and aliases.
func DebianVulns() *inventory.Inventory {
	inv := Debian()
	webp := inventory.Layer{Index: 2, DiffID: digest("debian webp layer"), Digest: digest("debian webp blob"),
		Size: 301000, CreatedBy: "RUN /bin/sh -c apt-get update && apt-get install -y --no-install-recommends libwebp7=1.2.4-0.2 # buildkit"}
	inv.Layers = append(inv.Layers, webp)
	inv.Packages = append(inv.Packages, inventory.Package{Type: inventory.TypeDeb, Name: "libwebp7", Version: "1.2.4-0.2",
		Arch: "amd64", SourceName: "libwebp", Licenses: []string{"BSD-3-Clause"},
		Maintainer: "Jeff Breidenbach <jab@debian.org>", Location: "/var/lib/dpkg/status",
		Layer: &inventory.LayerRef{Index: webp.Index, DiffID: webp.DiffID, CreatedBy: webp.CreatedBy}})
	withPURLs(inv)
	inv.DB = &inventory.DBInfo{SchemaVersion: 1, BuiltAt: "2024-04-02T06:12:09Z", DataDate: "2024-04-01",
		Sources: []inventory.DBSourceInfo{
			{Name: "debian-oval", DataDate: "2024-04-01", Records: 41215},
			{Name: "nvd", DataDate: "2024-04-02", Records: 240117},
			{Name: "epss", DataDate: "2024-04-01", Records: 230906},
			{Name: "kev", DataDate: "2024-04-01", Records: 1084},
		}}
	const ns = "debian:12"
	const oval = "debian-oval"

	ssl1 := finding(pkg(inv, "libssl3", ""), "CVE-2023-5678", ns, oval)
	ssl1.FixedVersion, ssl1.Status = "3.0.13-1~deb12u1", "fixed"
	ssl1.Severity, ssl1.SeveritySource = "LOW", "debian"
	ssl1.CVSS = []inventory.CVSS{{Source: "nvd", Version: "3.1", Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:L", Score: 5.3}}
	ssl1.CWEs = []string{"CWE-754"}
	ssl1.CWENames = map[string]string{"CWE-754": "Improper Check for Unusual or Exceptional Conditions"}
	ssl1.Title = "Excessive time spent in DH check / generation with large Q parameter value"
	ssl1.Description = "Issue summary: Generating excessively long X9.42 DH keys or checking excessively long X9.42 DH keys or parameters may be very slow."
	ssl1.References = []string{"https://www.openssl.org/news/secadv/20231106.txt", "https://security-tracker.debian.org/tracker/CVE-2023-5678"}
	ssl1.Published, ssl1.Modified = "2023-11-06T16:15:42.67Z", "2024-02-01T17:15:09.253Z"
	ssl1.EPSS = &inventory.EPSS{Score: 0.00083, Percentile: 0.33674}

	ssl2 := with(finding(pkg(inv, "libssl3", ""), "CVE-2024-0727", ns, oval), cve20240727)
	ssl2.FixedVersion, ssl2.Status = "3.0.13-1~deb12u1", "fixed"

	curl := with(finding(pkg(inv, "curl", ""), "CVE-2024-2398", ns, oval), cve20242398)
	curl.Status = "affected"
	libcurl := with(finding(pkg(inv, "libcurl4", ""), "CVE-2024-2398", ns, oval), cve20242398)
	libcurl.Status = "affected"

	zlib := finding(pkg(inv, "zlib1g", ""), "CVE-2023-45853", ns, oval)
	zlib.Status = "will-not-fix"
	zlib.Severity, zlib.SeveritySource = "CRITICAL", "nvd"
	zlib.CVSS = []inventory.CVSS{{Source: "nvd", Version: "3.1", Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", Score: 9.8}}
	zlib.CWEs = []string{"CWE-190"}
	zlib.CWENames = map[string]string{"CWE-190": "Integer Overflow or Wraparound"}
	zlib.Description = "MiniZip in zlib through 1.3 has an integer overflow and resultant heap-based buffer overflow in zipOpenNewFileInZip4_64 via a long filename, comment, or extra field. NOTE: MiniZip is not a supported part of the zlib product. NOTE: pyminizip through 0.2.6 is also vulnerable because it bundles an affected zlib version, and exposes the applicable MiniZip code through its compress API."
	zlib.References = []string{"https://github.com/madler/zlib/pull/843", "https://security-tracker.debian.org/tracker/CVE-2023-45853"}
	zlib.Published, zlib.Modified = "2023-10-14T02:15:09.323Z", "2024-01-24T21:15:08.367Z"
	zlib.EPSS = &inventory.EPSS{Score: 0.00305, Percentile: 0.70059}

	glibc := finding(pkg(inv, "libc6", ""), "CVE-2010-4756", ns, oval)
	glibc.Status = "affected"
	glibc.Severity, glibc.SeveritySource = "NEGLIGIBLE", "debian"
	glibc.CVSS = []inventory.CVSS{{Source: "nvd", Version: "2.0", Vector: "AV:N/AC:L/Au:S/C:N/I:N/A:P", Score: 4.0}}
	glibc.CWEs = []string{"CWE-399"}
	glibc.CWENames = map[string]string{"CWE-399": "Resource Management Errors"}
	glibc.Description = "The glob implementation in the GNU C Library (aka glibc or libc6) allows remote authenticated users to cause a denial of service (CPU and memory consumption) via crafted glob expressions that do not match any pathnames, as demonstrated by glob expressions in STAT commands to an FTP daemon, a different vulnerability than CVE-2010-2632."
	glibc.References = []string{"http://cxib.net/stuff/glob-0day.c", "http://securityreason.com/achievement_securityalert/89"}
	glibc.Published, glibc.Modified = "2011-03-02T20:00:01.037Z", "2023-11-07T02:06:36.513Z"
	glibc.EPSS = &inventory.EPSS{Score: 0.00485, Percentile: 0.75432}

	webpF := finding(pkg(inv, "libwebp7", ""), "CVE-2023-4863", ns, oval)
	webpF.Aliases = []string{"CVE-2023-5129", "GHSA-j7hp-h8jx-5ppr"}
	webpF.FixedVersion, webpF.Status = "1.2.4-0.2+deb12u1", "fixed"
	webpF.Severity, webpF.SeveritySource = "HIGH", "nvd"
	webpF.CVSS = []inventory.CVSS{{Source: "nvd", Version: "3.1", Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H", Score: 8.8}}
	webpF.CWEs = []string{"CWE-787"}
	webpF.CWENames = map[string]string{"CWE-787": "Out-of-bounds Write"}
	webpF.Description = "Heap buffer overflow in libwebp in Google Chrome prior to 116.0.5845.187 and libwebp 1.3.2 allowed a remote attacker to perform an out of bounds memory write via a crafted HTML page. (Chromium security severity: Critical)"
	webpF.References = []string{"https://chromereleases.googleblog.com/2023/09/stable-channel-update-for-desktop_11.html", "https://www.debian.org/security/2023/dsa-5496"}
	webpF.Published, webpF.Modified = "2023-09-12T15:15:24.327Z", "2024-01-31T17:15:11.937Z"
	webpF.EPSS = &inventory.EPSS{Score: 0.4743, Percentile: 0.97356}
	webpF.KEV = &inventory.KEV{DateAdded: "2023-09-13", DueDate: "2023-10-04", KnownRansomwareUse: "Unknown"}

	inv.Vulnerabilities = []inventory.Finding{ssl1, ssl2, curl, libcurl, zlib, glibc, webpF}
	return inv
}

// AlpineVulns is Alpine scanned against a downloaded DB: Alpine's secdb gives fixed versions
// but no ratings, so severities are NVD's; one busybox CVE hits two packages of one origin.
func AlpineVulns() *inventory.Inventory {
	inv := Alpine()
	inv.DB = &inventory.DBInfo{SchemaVersion: 1, BuiltAt: "2024-04-02T06:12:09Z", DataDate: "2024-04-01",
		Sources: []inventory.DBSourceInfo{
			{Name: "alpine-secdb", DataDate: "2024-04-01", Records: 6843},
			{Name: "nvd", DataDate: "2024-04-02", Records: 240117},
		}}
	const ns = "alpine:3.19"
	const secdb = "alpine-secdb"
	bb := with(finding(pkg(inv, "busybox", ""), "CVE-2023-42366", ns, secdb), cve202342366)
	bb.FixedVersion, bb.Status = "1.36.1-r16", "fixed"
	ssl := with(finding(pkg(inv, "ssl_client", ""), "CVE-2023-42366", ns, secdb), cve202342366)
	ssl.FixedVersion, ssl.Status = "1.36.1-r16", "fixed"
	crypto := with(finding(pkg(inv, "libcrypto3", ""), "CVE-2024-0727", ns, secdb), cve20240727)
	crypto.FixedVersion, crypto.Status = "3.1.4-r6", "fixed"
	inv.Vulnerabilities = []inventory.Finding{bb, ssl, crypto}
	return inv
}

// EmptyNoVulns is Empty scanned for vulnerabilities with nothing found, against the DB
// built from the snapshot embedded in the binary: Vulnerabilities is an empty list, not nil.
func EmptyNoVulns() *inventory.Inventory {
	inv := Empty()
	inv.DB = &inventory.DBInfo{SchemaVersion: 1, BuiltAt: "2025-09-01T10:00:00Z", DataDate: "2023-07-14", Embedded: true,
		Sources: []inventory.DBSourceInfo{
			{Name: "debian-oval", DataDate: "2023-07-14", Records: 39870},
			{Name: "alpine-secdb", DataDate: "2024-12-31", Records: 6912},
			{Name: "kev", DataDate: "2025-08-25", Records: 1410},
		}}
	inv.Vulnerabilities = []inventory.Finding{}
	return inv
}
