package spdx

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/shipshape-dev/shipshape/internal/inventory"
	"github.com/shipshape-dev/shipshape/internal/report"
	"github.com/shipshape-dev/shipshape/internal/report/reporttest"
)

var update = flag.Bool("update", false, "rewrite golden files")

const schemaID = "http://spdx.org/rdf/terms/2.3"

func write(t *testing.T, inv *inventory.Inventory, opts report.Options) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Write(&buf, inv, opts); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func decode(t *testing.T, data []byte) *document {
	t.Helper()
	var doc document
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		t.Fatal(err)
	}
	return &doc
}

func TestWriteGoldenAndSchema(t *testing.T) {
	schema := reporttest.Schema(t, schemaID, "testdata/schema/spdx-schema.json")
	for _, f := range reporttest.Fixtures() {
		t.Run(f.Name, func(t *testing.T) {
			got := write(t, f.Inv, reporttest.Options(true))
			reporttest.Validate(t, schema, got)
			reporttest.Golden(t, filepath.Join("testdata", f.Name+".spdx.json"), got, *update)
		})
	}
}

func TestDeterministic(t *testing.T) {
	for _, f := range reporttest.Fixtures() {
		t.Run(f.Name, func(t *testing.T) {
			opts := reporttest.Options(true)
			first := write(t, f.Inv, opts)
			if again := write(t, f.Inv, opts); !bytes.Equal(first, again) {
				t.Fatal("two writes of the same inventory differ")
			}
			for seed := range uint64(5) {
				if got := write(t, reporttest.Shuffled(f.Inv, seed), opts); !bytes.Equal(first, got) {
					t.Fatalf("shuffled input (seed %d) changes the output", seed)
				}
			}
		})
	}
}

// TestVulnerabilitiesLeftOut: SPDX 2.3 has no place for vulnerabilities, so a scanned
// inventory gives the same document as the inventory alone.
func TestVulnerabilitiesLeftOut(t *testing.T) {
	for _, f := range reporttest.VulnFixtures() {
		t.Run(f.Name, func(t *testing.T) {
			bare := *f.Inv
			bare.Vulnerabilities, bare.DB = nil, nil
			opts := reporttest.Options(true)
			if got, want := write(t, f.Inv, opts), write(t, &bare, opts); !bytes.Equal(got, want) {
				t.Errorf("findings change the SPDX document:\n%s", got)
			}
		})
	}
}

func TestNeedsClock(t *testing.T) {
	err := Write(&bytes.Buffer{}, reporttest.Debian(), reporttest.Options(false))
	if !errors.Is(err, ErrNoTime) {
		t.Fatalf("Write without Now = %v, want ErrNoTime", err)
	}
	if err := Write(&bytes.Buffer{}, nil, reporttest.Options(true)); !errors.Is(err, report.ErrNilInventory) {
		t.Fatalf("Write(nil) = %v, want ErrNilInventory", err)
	}
}

// TestDocumentIsConsistent checks what the JSON schema cannot: ids unique and well formed,
// every package carrying its purl, relationships pointing at packages that exist, and every
// licenseDeclared a valid expression whose LicenseRefs are all defined.
func TestDocumentIsConsistent(t *testing.T) {
	idRe := regexp.MustCompile(`^SPDXRef-[a-zA-Z0-9.-]+$`)
	for _, f := range reporttest.Fixtures() {
		t.Run(f.Name, func(t *testing.T) {
			doc := decode(t, write(t, f.Inv, reporttest.Options(true)))
			ids := map[string]bool{documentID: true}
			purls := map[string]int{}
			for _, p := range doc.Packages {
				if !idRe.MatchString(p.SPDXID) || ids[p.SPDXID] {
					t.Errorf("SPDXID %q malformed or not unique", p.SPDXID)
				}
				ids[p.SPDXID] = true
				if strings.HasPrefix(p.SPDXID, pkgIDPrefix) {
					if len(p.ExternalRefs) != 1 || p.ExternalRefs[0].Category != "PACKAGE-MANAGER" || p.ExternalRefs[0].Type != "purl" {
						t.Errorf("%s: externalRefs = %+v, want one purl", p.SPDXID, p.ExternalRefs)
						continue
					}
					purls[p.ExternalRefs[0].Locator]++
				}
			}
			for _, p := range f.Inv.Packages {
				if purls[p.PURL] == 0 {
					t.Errorf("package %s: purl %s missing", p.Name, p.PURL)
				}
				purls[p.PURL]--
			}
			contains := 0
			for _, r := range doc.Relationships {
				if !ids[r.Element] || !ids[r.Related] {
					t.Errorf("relationship %+v names an unknown element", r)
				}
				if r.Type == "CONTAINS" {
					contains++
				}
			}
			if want := len(doc.Packages) - 1; contains != want {
				t.Errorf("%d CONTAINS relationships, want %d", contains, want)
			}
			if r := doc.Relationships[0]; r.Element != documentID || r.Type != "DESCRIBES" || r.Related != targetID {
				t.Errorf("first relationship = %+v, want the document describing the target", r)
			}
			defined := map[string]bool{}
			for _, l := range doc.ExtractedLicenses {
				defined[l.LicenseID] = true
			}
			usedRefs := map[string]bool{}
			for _, p := range doc.Packages {
				checkExpression(t, p.LicenseDeclared, defined, usedRefs)
			}
			for id := range defined {
				if !usedRefs[id] {
					t.Errorf("%s defined but not used", id)
				}
			}
		})
	}
}

// checkExpression accepts NOASSERTION or an expression whose LicenseRefs, once replaced by
// a listed id, make a valid SPDX expression.
func checkExpression(t *testing.T, expr string, defined, used map[string]bool) {
	t.Helper()
	if expr == noAssertion {
		return
	}
	refRe := regexp.MustCompile(`LicenseRef-[a-zA-Z0-9.-]+`)
	plain := refRe.ReplaceAllStringFunc(expr, func(ref string) string {
		if !defined[ref] {
			t.Errorf("%q: %s is not defined in hasExtractedLicensingInfos", expr, ref)
		}
		used[ref] = true
		return "MIT"
	})
	if _, ok := report.SPDXExpression(plain); !ok {
		t.Errorf("licenseDeclared %q is not a valid SPDX expression", expr)
	}
}

func TestLicenseDeclared(t *testing.T) {
	tests := []struct {
		name string
		in   []string
		want string
		refs []string
	}{
		{"none", nil, "NOASSERTION", nil},
		{"blank", []string{" "}, "NOASSERTION", nil},
		{"SPDX id", []string{"mit"}, "MIT", nil},
		{"several ids", []string{"curl", "BSD-3-Clause", "ISC"}, "curl AND BSD-3-Clause AND ISC", nil},
		{"expression alone", []string{"MPL-2.0 AND MIT"}, "MPL-2.0 AND MIT", nil},
		{"expression among others", []string{"Zlib", "MIT OR Apache-2.0"}, "Zlib AND (MIT OR Apache-2.0)", nil},
		{"idstring-safe name", []string{"GPL-2"}, "LicenseRef-GPL-2", []string{"LicenseRef-GPL-2"}},
		{"name needing sanitising", []string{"GPL-2+", "MPL-2.0"}, "LicenseRef-GPL-2-f7215fea AND MPL-2.0", []string{"LicenseRef-GPL-2-f7215fea"}},
		{"legacy rpm", []string{"ASL 2.0"}, "LicenseRef-ASL-2.0-dceddda2", []string{"LicenseRef-ASL-2.0-dceddda2"}},
		{"duplicates", []string{"MIT", "mit", "GPL-2", "GPL-2"}, "MIT AND LicenseRef-GPL-2", []string{"LicenseRef-GPL-2"}},
		{"nothing usable", []string{"*"}, "LicenseRef-unknown-684888c0", []string{"LicenseRef-unknown-684888c0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lr := licenseRefs{}
			if got := lr.declared(tt.in); got != tt.want {
				t.Errorf("declared(%q) = %q, want %q", tt.in, got, tt.want)
			}
			var refs []string
			for _, l := range lr.list() {
				refs = append(refs, l.LicenseID)
			}
			if strings.Join(refs, ",") != strings.Join(tt.refs, ",") {
				t.Errorf("refs = %q, want %q", refs, tt.refs)
			}
		})
	}
}

func TestSupplier(t *testing.T) {
	tests := map[string]string{
		"":                                   "NOASSERTION",
		"Red Hat, Inc.":                      "Organization: Red Hat, Inc.",
		"Santiago Vila <sanvila@debian.org>": "Organization: Santiago Vila (sanvila@debian.org)",
		"  Timo Teräs   <timo.teras@iki.fi>": "Organization: Timo Teräs (timo.teras@iki.fi)",
		"<nobody@example.org>":               "Organization: nobody@example.org",
		"<>":                                 "NOASSERTION",
	}
	for in, want := range tests {
		if got := supplier(in); got != want {
			t.Errorf("supplier(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSanitize(t *testing.T) {
	tests := map[string]string{
		"deb-libc6":                   "deb-libc6",
		"apk-ssl_client":              "apk-ssl-client",
		"deb-libstdc++6":              "deb-libstdc-6",
		"docker.io/library/debian:12": "docker.io-library-debian-12",
		"./alpine-rootfs":             ".-alpine-rootfs",
		"--x--":                       "x",
		"Teräs":                       "Ter-s",
		"":                            "fallback",
		"/":                           "fallback",
	}
	for in, want := range tests {
		if got := sanitize(in, "fallback"); got != want {
			t.Errorf("sanitize(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSourceInfo(t *testing.T) {
	p := reporttest.Debian().Packages
	var libssl inventory.Package
	for _, q := range p {
		if q.Name == "libssl3" {
			libssl = q
		}
	}
	want := "found in /var/lib/dpkg/status; layer 1 (" + libssl.Layer.DiffID + ") created by: " +
		libssl.Layer.CreatedBy + "; built from source package openssl"
	if got := sourceInfo(&libssl); got != want {
		t.Errorf("sourceInfo = %q\nwant %q", got, want)
	}
	if got := sourceInfo(&inventory.Package{Name: "x"}); got != "" {
		t.Errorf("sourceInfo of a bare package = %q, want empty", got)
	}
}

func TestNamespaceAndCreation(t *testing.T) {
	nsRe := regexp.MustCompile(`^https://shipshape\.dev/spdxdocs/docker\.io-library-debian-12-[0-9a-f]{32}$`)
	doc := decode(t, write(t, reporttest.Debian(), reporttest.Options(true)))
	if !nsRe.MatchString(doc.DocumentNamespace) {
		t.Errorf("documentNamespace = %q", doc.DocumentNamespace)
	}
	if doc.CreationInfo.Created != "2024-03-01T12:30:45Z" || len(doc.CreationInfo.Creators) != 1 ||
		doc.CreationInfo.Creators[0] != "Tool: shipshape-0.1.0-test" {
		t.Errorf("creationInfo = %+v", doc.CreationInfo)
	}

	later := reporttest.Options(true)
	later.Now = func() time.Time { return reporttest.Now().Add(time.Hour) }
	if got := decode(t, write(t, reporttest.Debian(), later)).DocumentNamespace; got == doc.DocumentNamespace {
		t.Error("a later creation time gives the same namespace")
	}
	fewer := reporttest.Debian()
	fewer.Packages = fewer.Packages[1:]
	if got := decode(t, write(t, fewer, reporttest.Options(true))).DocumentNamespace; got == doc.DocumentNamespace {
		t.Error("removing a package gives the same namespace")
	}

	noVersion := report.Options{Now: reporttest.Now}
	if got := decode(t, write(t, reporttest.Empty(), noVersion)).CreationInfo.Creators; got[0] != "Tool: shipshape" {
		t.Errorf("creators without a version = %q", got)
	}
}

// TestSchemaIsStrict makes sure the schema validation above has teeth.
func TestSchemaIsStrict(t *testing.T) {
	schema := reporttest.Schema(t, schemaID, "testdata/schema/spdx-schema.json")
	good := write(t, reporttest.Alpine(), reporttest.Options(true))
	for name, bad := range map[string][]byte{
		"unknown field":         bytes.Replace(good, []byte(`"filesAnalyzed"`), []byte(`"filesAnalysed"`), 1),
		"bad relationship type": bytes.Replace(good, []byte(`"CONTAINS"`), []byte(`"HOLDS"`), 1),
	} {
		if bytes.Equal(bad, good) {
			t.Fatalf("%s: test input unchanged", name)
		}
		if err := reporttest.Check(schema, bad); err == nil {
			t.Errorf("%s: schema accepts it", name)
		}
	}
}
