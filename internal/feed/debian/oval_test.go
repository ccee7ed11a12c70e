package debian

import (
	"bytes"
	"compress/bzip2"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/shipshape-dev/shipshape/internal/feed"
	"github.com/shipshape-dev/shipshape/internal/vulndb"
)

var _ feed.Feed = (*Feed)(nil)

// readBzip2 returns the decompressed content of a testdata file.
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

// parseAll runs a feed over data and returns what it emitted.
func parseAll(t testing.TB, f feed.Feed, name string, data []byte) ([]vulndb.Record, error) {
	t.Helper()
	var recs []vulndb.Record
	err := f.Parse(context.Background(), feed.Input{Name: name, R: bytes.NewReader(data)}, func(r vulndb.Record) error {
		recs = append(recs, r)
		return nil
	})
	return recs, err
}

// ovalExpect is what the raw XML says about one definition, read with regular expressions
// from the criterion comment, independently of the parser's id resolution.
type ovalExpect struct {
	id, pkg, version string
}

var (
	defBlockRE  = regexp.MustCompile(`(?s)<definition [^>]*>.*?</definition>`)
	titleRE     = regexp.MustCompile(`<title>(\S+) ([^<]*)</title>`)
	productRE   = regexp.MustCompile(`<product>([^<]*)</product>`)
	dpkgCommRE  = regexp.MustCompile(`comment="(\S+) DPKG is earlier than ([^"]+)"`)
	dpkgTestRE  = regexp.MustCompile(`test_ref="([^"]+)" comment="\S+ DPKG is earlier than`)
	stateRefRE  = `<dpkginfo_test id="%s"[^>]*>\s*<object object_ref="[^"]+"/>\s*<state state_ref="([^"]+)"/>`
	stateEVRRE  = `<dpkginfo_state id="%s"[^>]*>\s*<evr datatype="debian_evr_string" operation="less than">([^<]+)</evr>`
	platformERE = regexp.MustCompile(`<platform>Debian GNU/Linux (\d+)</platform>`)
)

func expectFromXML(t *testing.T, raw []byte) []ovalExpect {
	t.Helper()
	var out []ovalExpect
	for _, block := range defBlockRE.FindAll(raw, -1) {
		tm := titleRE.FindSubmatch(block)
		cm := dpkgCommRE.FindSubmatch(block)
		if tm == nil || cm == nil {
			t.Fatalf("definition without title or DPKG criterion:\n%s", block)
		}
		pkg := string(cm[1])
		if pkg == "None" {
			pkg = string(productRE.FindSubmatch(block)[1])
		}
		out = append(out, ovalExpect{id: string(tm[1]), pkg: pkg, version: string(cm[2])})
	}
	return out
}

func TestOVALExcerpts(t *testing.T) {
	tests := []struct {
		file, name, namespace string
		// A few definitions read by hand from the file: id, package, what the record says.
		spot []struct{ id, pkg, status, fixed string }
	}{
		{
			file: "oval-definitions-bookworm.excerpt.xml.bz2", name: "oval-definitions-bookworm.xml", namespace: "debian:12",
			spot: []struct{ id, pkg, status, fixed string }{
				{"CVE-2023-0286", "openssl", vulndb.StatusFixed, "3.0.8-1"},
				{"CVE-2022-1271", "gzip", vulndb.StatusFixed, "1.12-1"},
				{"CVE-2023-2953", "openldap", vulndb.StatusAffected, ""}, // "DPKG is earlier than 0": open
				{"CVE-2004-0230", "linux", vulndb.StatusAffected, ""},
				{"DSA-5418-1", "chromium", vulndb.StatusFixed, "114.0.5735.90-2~deb12u1"},
			},
		},
		{
			file: "oval-definitions-bullseye.excerpt.xml.bz2", name: "oval-definitions-bullseye.xml", namespace: "debian:11",
			spot: []struct{ id, pkg, status, fixed string }{
				{"CVE-2023-0286", "openssl", vulndb.StatusFixed, "1.1.1n-0+deb11u4"},
				// The object has <name/> (comment "None DPKG is earlier than ..."); the
				// metadata's product names the package.
				{"CVE-2021-43860", "flatpak", vulndb.StatusFixed, "1.10.7-0+deb11u1"},
				{"DSA-5049-1", "flatpak", vulndb.StatusFixed, "1.10.7-0+deb11u1"},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			raw := readBzip2(t, tc.file)
			recs, err := parseAll(t, New(), tc.name, raw)
			if err != nil {
				t.Fatal(err)
			}
			want := expectFromXML(t, raw)
			if len(recs) != len(want) || len(want) == 0 {
				t.Fatalf("%d records for %d definitions", len(recs), len(want))
			}
			// Every definition, in file order, against its criterion comment.
			for i, r := range recs {
				w := want[i]
				if r.Vulnerability == nil || r.Vulnerability.ID != w.id || r.Vulnerability.Source != "debian-oval" {
					t.Fatalf("record %d: vulnerability %+v, want id %s", i, r.Vulnerability, w.id)
				}
				if len(r.Affected) != 1 {
					t.Fatalf("%s: %d affected entries", w.id, len(r.Affected))
				}
				a := r.Affected[0]
				if a.VulnID != w.id || a.Namespace != tc.namespace || a.Package != w.pkg || a.Source != "debian-oval" || a.Severity != nil {
					t.Errorf("%s: affected %+v, want %s %s", w.id, a, tc.namespace, w.pkg)
				}
				switch {
				case w.version == "0":
					if a.Status != vulndb.StatusAffected || len(a.Ranges) != 1 || a.Ranges[0] != (vulndb.Range{Type: "ECOSYSTEM"}) {
						t.Errorf("%s %s: unfixed sentinel read as %+v", w.id, w.pkg, a)
					}
				default:
					if a.Status != vulndb.StatusFixed || len(a.Ranges) != 1 || a.Ranges[0] != (vulndb.Range{Type: "ECOSYSTEM", Fixed: w.version}) {
						t.Errorf("%s %s: %+v, want fixed in %s", w.id, w.pkg, a, w.version)
					}
				}
				if strings.HasPrefix(w.id, "CVE-") && len(r.Vulnerability.Aliases) != 0 {
					t.Errorf("%s: aliases %v", w.id, r.Vulnerability.Aliases)
				}
			}
			// The release named by the platform, read independently.
			if m := platformERE.FindSubmatch(raw); m == nil || "debian:"+string(m[1]) != tc.namespace {
				t.Fatalf("platform %q", m)
			}
			byID := map[string]vulndb.Record{}
			for _, r := range recs {
				byID[r.Vulnerability.ID+" "+r.Affected[0].Package] = r
			}
			for _, s := range tc.spot {
				r, ok := byID[s.id+" "+s.pkg]
				if !ok {
					t.Errorf("%s %s: not emitted", s.id, s.pkg)
					continue
				}
				a := r.Affected[0]
				if a.Status != s.status || a.Ranges[0].Fixed != s.fixed {
					t.Errorf("%s %s: %s %q, want %s %q", s.id, s.pkg, a.Status, a.Ranges[0].Fixed, s.status, s.fixed)
				}
				// And the state the test points at, followed by id in the raw XML.
				if s.status == vulndb.StatusFixed {
					block := findDefinition(t, raw, s.id+" "+s.pkg)
					tst := dpkgTestRE.FindSubmatch(block)[1]
					ste := regexp.MustCompile(strings.ReplaceAll(stateRefRE, "%s", regexp.QuoteMeta(string(tst)))).FindSubmatch(raw)[1]
					evr := regexp.MustCompile(strings.ReplaceAll(stateEVRRE, "%s", regexp.QuoteMeta(string(ste)))).FindSubmatch(raw)[1]
					if got := strings.TrimPrefix(string(evr), "0:"); got != s.fixed {
						t.Errorf("%s %s: the state says %s", s.id, s.pkg, evr)
					}
				}
			}
		})
	}
}

func findDefinition(t *testing.T, raw []byte, title string) []byte {
	t.Helper()
	for _, b := range defBlockRE.FindAll(raw, -1) {
		if bytes.Contains(b, []byte("<title>"+title+"</title>")) {
			return b
		}
	}
	t.Fatalf("no definition %q", title)
	return nil
}

func TestOVALAdvisoryAndDescriptions(t *testing.T) {
	raw := readBzip2(t, "oval-definitions-bullseye.excerpt.xml.bz2")
	recs, err := parseAll(t, New(), "oval-definitions-bullseye.xml", raw)
	if err != nil {
		t.Fatal(err)
	}
	var dsa, cve *vulndb.Vulnerability
	for _, r := range recs {
		switch r.Vulnerability.ID {
		case "DSA-5049-1":
			dsa = r.Vulnerability
		case "CVE-2021-43860":
			cve = r.Vulnerability
		}
	}
	if dsa == nil || cve == nil {
		t.Fatal("DSA-5049-1 or CVE-2021-43860 missing")
	}
	wantDesc := "Several vulnerabilities were discovered in Flatpak, an application deployment framework for desktop apps."
	if strings.Join(dsa.Aliases, " ") != "CVE-2021-43860 CVE-2022-21682" || dsa.Published != "2022-01-20" ||
		dsa.Summary != "flatpak - security update" || dsa.Description != wantDesc {
		t.Errorf("DSA: %+v", dsa)
	}
	// The CVE entry merged with the DSA says only "security update": the DSA's text is used.
	if cve.Description != wantDesc {
		t.Errorf("CVE description %q", cve.Description)
	}
	wantRefs := []string{"https://cve.mitre.org/cgi-bin/cvename.cgi?name=CVE-2021-43860", "https://security-tracker.debian.org/tracker/CVE-2021-43860"}
	if strings.Join(cve.References, " ") != strings.Join(wantRefs, " ") {
		t.Errorf("references %v", cve.References)
	}
}

func TestOVALMatch(t *testing.T) {
	f := New()
	for name, want := range map[string]bool{
		"oval-definitions-bookworm.xml":          true,
		"oval-definitions-bookworm.xml.bz2":      true,
		"mirror/debian/oval-definitions-sid.xml": true,
		"oval-definitions-bookworm.xml.sig":      false,
		"com.ubuntu.noble.usn.oval.xml":          false,
		"data/DSA/list":                          false,
		"":                                       false,
	} {
		if got := f.Match(name); got != want {
			t.Errorf("Match(%q) = %v", name, got)
		}
	}
	if f.Name() != "debian-oval" || f.Info().UpstreamURL == "" || f.Info().Licence == "" {
		t.Errorf("name %q info %+v", f.Name(), f.Info())
	}
}

// A minimal file in the shape of the real ones, for the cases the excerpts do not have.
const ovalTemplate = `<?xml version='1.0' encoding='UTF-8'?>
<oval_definitions xmlns="http://oval.mitre.org/XMLSchema/oval-definitions-5">
  <definitions>
    <definition id="oval:org.debian:def:1" version="1" class="vulnerability">
      <metadata>
        <title>CVE-2023-0001 bash</title>
        <affected family="unix">PLATFORM<product>bash</product></affected>
        <reference source="CVE" ref_id="CVE-2023-0001" ref_url="https://cve.mitre.org/cgi-bin/cvename.cgi?name=CVE-2023-0001"/>
        <description>d</description>
      </metadata>
      <criteria comment="Release section" operator="AND">
        <criterion test_ref="oval:org.debian.oval:tst:1" comment="Debian 12 is installed"/>
        <criterion test_ref="oval:org.debian.oval:tst:3" comment="bash DPKG is earlier than X"/>
      </criteria>
    </definition>
  </definitions>
  <tests>
    <dpkginfo_test id="oval:org.debian.oval:tst:3" version="1" xmlns="http://oval.mitre.org/XMLSchema/oval-definitions-5#linux">
      <object object_ref="oval:org.debian.oval:obj:3"/>
      <state state_ref="oval:org.debian.oval:ste:2"/>
    </dpkginfo_test>
  </tests>
  <objects>
    <dpkginfo_object id="oval:org.debian.oval:obj:3" version="1" xmlns="http://oval.mitre.org/XMLSchema/oval-definitions-5#linux"><name>bash</name></dpkginfo_object>
  </objects>
  <states>
    <dpkginfo_state id="oval:org.debian.oval:ste:2" version="1" xmlns="http://oval.mitre.org/XMLSchema/oval-definitions-5#linux">
      <evr datatype="debian_evr_string" operation="less than">EVR</evr>
    </dpkginfo_state>
  </states>
</oval_definitions>
`

func TestOVALSynthetic(t *testing.T) {
	tests := []struct {
		name, file, platform, evr string
		wantNS, wantStatus        string
		wantFixed                 string
		wantErr                   string
	}{
		{name: "epoch kept", file: "oval-definitions-bookworm.xml", platform: "<platform>Debian GNU/Linux 12</platform>", evr: "1:2.0-1", wantNS: "debian:12", wantStatus: "fixed", wantFixed: "1:2.0-1"},
		{name: "zero epoch dropped", file: "x/oval-definitions-bookworm.xml", platform: "<platform>Debian GNU/Linux 12</platform>", evr: "0:2.0-1", wantNS: "debian:12", wantStatus: "fixed", wantFixed: "2.0-1"},
		{name: "0 is unfixed", file: "oval-definitions-bookworm.xml", platform: "<platform>Debian GNU/Linux 12</platform>", evr: "0", wantNS: "debian:12", wantStatus: "affected"},
		{name: "release from criterion", file: "whatever.xml", platform: "", evr: "2.0-1", wantNS: "debian:12", wantStatus: "fixed", wantFixed: "2.0-1"},
		{name: "release from platform wins", file: "oval-definitions-trixie.xml", platform: "<platform>Debian GNU/Linux 13</platform>", evr: "2.0-1", wantNS: "debian:13", wantStatus: "fixed", wantFixed: "2.0-1"},
		{name: "no version", file: "oval-definitions-bookworm.xml", platform: "", evr: "", wantErr: "none of 1 definitions"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			x := strings.NewReplacer("PLATFORM", tc.platform, "EVR", tc.evr).Replace(ovalTemplate)
			recs, err := parseAll(t, New(), tc.file, []byte(x))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.Contains(err.Error(), tc.file) {
					t.Fatalf("err %v, want %q naming the file", err, tc.wantErr)
				}
				return
			}
			if err != nil || len(recs) != 1 {
				t.Fatalf("%d records, %v", len(recs), err)
			}
			a := recs[0].Affected[0]
			if a.Namespace != tc.wantNS || a.Status != tc.wantStatus || a.Ranges[0].Fixed != tc.wantFixed {
				t.Errorf("%+v", a)
			}
		})
	}
}

func TestOVALErrors(t *testing.T) {
	raw := readBzip2(t, "oval-definitions-bookworm.excerpt.xml.bz2")
	tests := []struct {
		name, data, want string
	}{
		{"empty", "", "no root element"},
		{"not xml", "{\"a\": 1}", "no root element"},
		{"other root", "<html><body/></html>", `root element "html"`},
		{"truncated", string(raw[:len(raw)/2]), "unexpected EOF"},
		{"bad nesting", "<oval_definitions><definitions><definition></definitions>", "element <definition> closed by </definitions>"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			recs, err := parseAll(t, New(), "oval-definitions-bookworm.xml", []byte(tc.data))
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "oval-definitions-bookworm.xml") {
				t.Fatalf("err %v, want %q", err, tc.want)
			}
			if len(recs) != 0 {
				t.Errorf("%d records from a broken file", len(recs))
			}
		})
	}
	// An OVAL file with no definitions is not an error.
	recs, err := parseAll(t, New(), "oval-definitions-bookworm.xml", []byte(`<oval_definitions><definitions/></oval_definitions>`))
	if err != nil || len(recs) != 0 {
		t.Errorf("empty file: %d records, %v", len(recs), err)
	}
	// The emitter's error stops the parse and comes back wrapped.
	stop := errors.New("stop")
	err = New().Parse(context.Background(), feed.Input{Name: "n.xml", R: bytes.NewReader(raw)}, func(vulndb.Record) error { return stop })
	if !errors.Is(err, stop) {
		t.Errorf("emit error: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err = New().Parse(ctx, feed.Input{Name: "n.xml", R: bytes.NewReader(raw)}, func(vulndb.Record) error { return nil })
	if !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

func FuzzDebianOVAL(f *testing.F) {
	f.Add([]byte(strings.NewReplacer("PLATFORM", "<platform>Debian GNU/Linux 12</platform>", "EVR", "0:1.0-1").Replace(ovalTemplate)))
	f.Fuzz(func(t *testing.T, data []byte) {
		recs, err := parseAll(t, New(), "oval-definitions-bookworm.xml", data)
		if err != nil {
			return
		}
		for _, r := range recs {
			if r.Vulnerability == nil || r.Vulnerability.ID == "" || len(r.Affected) == 0 {
				t.Fatalf("incomplete record %+v", r)
			}
			for _, a := range r.Affected {
				if a.VulnID != r.Vulnerability.ID || !strings.HasPrefix(a.Namespace, "debian:") || a.Package == "" || a.Status == "" {
					t.Fatalf("bad affected %+v", a)
				}
			}
		}
	})
}
