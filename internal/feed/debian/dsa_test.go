package debian

import (
	"bytes"
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/shipshape-dev/shipshape/internal/feed"
	"github.com/shipshape-dev/shipshape/internal/vulndb"
)

var _ feed.Feed = (*DSA)(nil)

// The release numbers, written out again here rather than taken from the package's table.
var testReleases = map[string]string{
	"woody": "3.0", "sarge": "3.1", "etch": "4", "lenny": "5", "squeeze": "6", "wheezy": "7",
	"jessie": "8", "stretch": "9", "buster": "10", "bullseye": "11", "bookworm": "12",
}

func TestDSALists(t *testing.T) {
	for _, name := range []string{"data/DSA/list", "data/DLA/list"} {
		t.Run(name, func(t *testing.T) {
			raw := readFile(t, "debian-tracker-lists/"+name)
			recs, err := parseAll(t, NewDSA(), name, raw)
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]vulndb.Affected{}
			vulns := map[string]*vulndb.Vulnerability{}
			for _, r := range recs {
				vulns[r.Vulnerability.ID] = r.Vulnerability
				for _, a := range r.Affected {
					if a.VulnID != r.Vulnerability.ID || a.Source != "debian-dsa" {
						t.Errorf("%+v under %s", a, r.Vulnerability.ID)
					}
					got[a.VulnID+" "+a.Namespace+" "+a.Package] = a
				}
			}
			// Read the list again, split at advisory lines with a regexp of its own.
			blocks := regexp.MustCompile(`(?m)^\[`).Split(string(raw), -1)[1:]
			lineRE := regexp.MustCompile(`(?m)^\s+\[(\w+)\] - (\S+) (\S+)(?: \(([^)]*)\))?$`)
			headRE := regexp.MustCompile(`^(\d+) (\w+) (\d+)\] (\S+) (.*)`)
			wantRecs, wantAff := 0, 0
			for _, b := range blocks {
				h := headRE.FindStringSubmatch(b)
				if h == nil {
					t.Fatalf("unexpected block %q", b)
				}
				id := h[4]
				lines := lineRE.FindAllStringSubmatch(b, -1)
				if len(lines) == 0 {
					if _, ok := vulns[id]; ok {
						t.Errorf("%s names no package but was emitted", id)
					}
					continue
				}
				wantRecs++
				v := vulns[id]
				if v == nil {
					t.Errorf("%s: not emitted", id)
					continue
				}
				if v.Summary != strings.TrimSpace(h[5]) || !strings.HasSuffix(v.Published, "-"+strings.Repeat("0", 2-len(h[1]))+h[1]) || !strings.HasPrefix(v.Published, h[3]+"-") {
					t.Errorf("%s: summary %q published %q from %q", id, v.Summary, v.Published, h[0])
				}
				var cves []string
				for _, m := range regexp.MustCompile(`(?m)^\s+\{(.*)\}$`).FindAllStringSubmatch(b, -1) {
					cves = append(cves, strings.Fields(m[1])...)
				}
				if strings.Join(v.Aliases, " ") != strings.Join(cves, " ") {
					t.Errorf("%s: aliases %v, the list says %v", id, v.Aliases, cves)
				}
				for _, l := range lines {
					rel, ok := testReleases[l[1]]
					if !ok {
						t.Fatalf("release %q in the excerpt", l[1])
					}
					wantAff++
					k := id + " debian:" + rel + " " + l[2]
					a, ok := got[k]
					if !ok {
						t.Errorf("%s: missing", k)
						continue
					}
					switch l[3] {
					case "<not-affected>":
						if a.Status != vulndb.StatusNotAffected || len(a.Ranges) != 0 {
							t.Errorf("%s: %+v", k, a)
						}
					case "<unfixed>", "<end-of-life>":
						want := map[string]string{"<unfixed>": vulndb.StatusAffected, "<end-of-life>": vulndb.StatusEndOfLife}[l[3]]
						if a.Status != want || a.Ranges[0].Fixed != "" {
							t.Errorf("%s: %+v", k, a)
						}
					default:
						if a.Status != vulndb.StatusFixed || a.Ranges[0].Fixed != strings.TrimPrefix(l[3], "0:") {
							t.Errorf("%s: %+v, want fixed in %s", k, a, l[3])
						}
					}
					if want := strings.ToUpper(l[4]); want == "MEDIUM" || want == "HIGH" || want == "LOW" {
						if a.Severity == nil || a.Severity.Rating != want {
							t.Errorf("%s: severity %+v, want %s", k, a.Severity, want)
						}
					} else if a.Severity != nil {
						t.Errorf("%s: severity %+v from %q", k, a.Severity, l[4])
					}
				}
			}
			if len(recs) != wantRecs || len(got) != wantAff || wantRecs < 100 {
				t.Errorf("%d records, %d affected; the list has %d advisories naming %d packages", len(recs), len(got), wantRecs, wantAff)
			}
		})
	}
}

func TestDSASpots(t *testing.T) {
	recs, err := parseAll(t, NewDSA(), "data/DSA/list", readFile(t, "debian-tracker-lists/data/DSA/list"))
	if err != nil {
		t.Fatal(err)
	}
	var v *vulndb.Vulnerability
	var a []vulndb.Affected
	for _, r := range recs {
		if r.Vulnerability.ID == "DSA-5376-1" {
			v, a = r.Vulnerability, r.Affected
		}
	}
	want := vulndb.Vulnerability{
		ID:         "DSA-5376-1",
		Aliases:    []string{"CVE-2006-20001", "CVE-2022-36760", "CVE-2022-37436", "CVE-2023-25690", "CVE-2023-27522"},
		Summary:    "apache2 - security update",
		Published:  "2023-03-20",
		References: []string{"https://security-tracker.debian.org/tracker/DSA-5376-1"},
		Source:     "debian-dsa",
	}
	if v == nil || v.ID != want.ID || strings.Join(v.Aliases, ",") != strings.Join(want.Aliases, ",") || v.Summary != want.Summary ||
		v.Published != want.Published || strings.Join(v.References, ",") != strings.Join(want.References, ",") || v.Source != want.Source {
		t.Fatalf("%+v", v)
	}
	if len(a) != 1 || a[0].Namespace != "debian:11" || a[0].Package != "apache2" || a[0].Ranges[0].Fixed != "2.4.56-1~deb11u1" {
		t.Errorf("%+v", a)
	}
}

func TestDSASynthetic(t *testing.T) {
	list := "[01 Aug 2002] DSA-141 mpack - buffer overflow\n" +
		"\t{ CVE-2002-1425 CVE-2002-1425 }\n" +
		"\t[woody] - mpack 1.5-7woody2 (high)\n" +
		"\t[woody] - mpack 1.5-7woody3\n" + // the first line for a package wins
		"\t[potato] - mpack 1.5-7potato\n" + // a release the package does not know
		"\t[sid] - mpack <not-affected> (vulnerable code not present)\n" +
		"\t[bookworm] - mpack <something-new>\n" +
		"\tNOTE: [sarge] - mpack <unfixed>\n" +
		"[7 Jun 2015] DSA-3281-1 Debian Security Team PGP/GPG key change notice\n" +
		"[18 Apr 2018] DLA-4205-1 jessie end-of-life\n" +
		"\tNOTE: end of security support for jessie\n" +
		"[18 Oct 2018] DSA-4323-1 drupal7 - security update\n" +
		"        [stretch] - drupal7 0:7.52-2+deb9u5\n" +
		"stray text\n"
	recs, err := parseAll(t, NewDSA(), "DSA/list", []byte(list))
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 {
		t.Fatalf("%d records: %+v", len(recs), recs)
	}
	r := recs[0]
	if r.Vulnerability.ID != "DSA-141" || strings.Join(r.Vulnerability.Aliases, " ") != "CVE-2002-1425" || r.Vulnerability.Published != "2002-08-01" {
		t.Errorf("%+v", r.Vulnerability)
	}
	if len(r.Affected) != 2 ||
		r.Affected[0].Namespace != "debian:3.0" || r.Affected[0].Ranges[0].Fixed != "1.5-7woody2" || r.Affected[0].Severity.Rating != vulndb.High ||
		r.Affected[1].Namespace != "debian:unstable" || r.Affected[1].Status != vulndb.StatusNotAffected || r.Affected[1].Severity != nil {
		t.Errorf("%+v", r.Affected)
	}
	if a := recs[1].Affected[0]; recs[1].Vulnerability.ID != "DSA-4323-1" || a.Namespace != "debian:9" || a.Ranges[0].Fixed != "7.52-2+deb9u5" {
		t.Errorf("%+v", recs[1])
	}
}

func TestDSAErrors(t *testing.T) {
	for name, data := range map[string]string{
		"json":      `{"a": 1}`,
		"oval":      "<oval_definitions/>",
		"long line": strings.Repeat("x", 2<<20),
	} {
		if _, err := parseAll(t, NewDSA(), "data/DSA/list", []byte(data)); err == nil || !strings.Contains(err.Error(), "data/DSA/list") {
			t.Errorf("%s: err %v", name, err)
		}
	}
	if recs, err := parseAll(t, NewDSA(), "data/DSA/list", nil); err != nil || len(recs) != 0 {
		t.Errorf("empty: %d, %v", len(recs), err)
	}
	raw := readFile(t, "debian-tracker-lists/data/DSA/list")
	stop := errors.New("stop")
	if err := NewDSA().Parse(context.Background(), feed.Input{Name: "DSA/list", R: bytes.NewReader(raw)}, func(vulndb.Record) error { return stop }); !errors.Is(err, stop) {
		t.Errorf("emit error: %v", err)
	}
}

func TestDSAMatch(t *testing.T) {
	f := NewDSA()
	for name, want := range map[string]bool{
		"data/DSA/list":                      true,
		"debian-tracker-cvedb/data/DLA/list": true,
		"DSA/list":                           true,
		`data\DLA\list`:                      true,
		"data/DTSA/list":                     false,
		"data/CVE/list":                      false,
		"list":                               false,
		"oval-definitions-bookworm.xml":      false,
	} {
		if got := f.Match(name); got != want {
			t.Errorf("Match(%q) = %v", name, got)
		}
	}
	if f.Name() != "debian-dsa" || f.Info().UpstreamURL == "" {
		t.Errorf("%q %+v", f.Name(), f.Info())
	}
}

func FuzzDebianDSA(f *testing.F) {
	f.Add([]byte("[29 Mar 2023] DSA-5380-1 xorg-server - security update\n\t{CVE-2023-1393}\n\t[bullseye] - xorg-server 2:1.20.11-1+deb11u6\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		recs, err := parseAll(t, NewDSA(), "DSA/list", data)
		if err != nil {
			return
		}
		for _, r := range recs {
			if r.Vulnerability == nil || !advisoryRE().MatchString(r.Vulnerability.ID) || len(r.Affected) == 0 {
				t.Fatalf("incomplete record %+v", r)
			}
			for _, a := range r.Affected {
				if a.VulnID != r.Vulnerability.ID || !namespaceRE.MatchString(a.Namespace) || a.Package == "" {
					t.Fatalf("bad affected %+v", a)
				}
			}
		}
	})
}
