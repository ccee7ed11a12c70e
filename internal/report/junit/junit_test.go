package junit

import (
	"bytes"
	"encoding/xml"
	"errors"
	"flag"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shipshape-dev/shipshape/internal/inventory"
	"github.com/shipshape-dev/shipshape/internal/report"
	"github.com/shipshape-dev/shipshape/internal/report/reporttest"
)

var update = flag.Bool("update", false, "rewrite golden files")

func write(t *testing.T, inv *inventory.Inventory) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Write(&buf, inv, reporttest.Options(true)); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// wellFormed reads every token with the strict XML decoder, so that a document that is not
// well-formed XML 1.0 fails.
func wellFormed(t *testing.T, data []byte) {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = true
	depth := 0
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v", err)
		}
		switch tok.(type) {
		case xml.StartElement:
			depth++
		case xml.EndElement:
			depth--
		}
	}
	if depth != 0 {
		t.Fatal("unbalanced elements")
	}
}

// parse reads the document back and checks the structure JUnit consumers rely on: the
// counts on every suite and on the root add up to the cases, and each case has at most one
// outcome.
func parse(t *testing.T, data []byte) *TestSuites {
	t.Helper()
	wellFormed(t, data)
	var doc TestSuites
	if err := xml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	var tests, failures, errs, skipped int
	for _, s := range doc.Suites {
		var f, e, sk int
		for _, c := range s.Cases {
			n := 0
			if c.Failure != nil {
				f++
				n++
			}
			if c.Error != nil {
				e++
				n++
			}
			if c.Skipped != nil {
				sk++
				n++
			}
			if n > 1 || c.Name == "" || c.ClassName == "" {
				t.Errorf("case %+v", c)
			}
		}
		if s.Tests != len(s.Cases) || s.Failures != f || s.Errors != e || s.Skipped != sk {
			t.Errorf("suite %s counts %d/%d/%d/%d, cases say %d/%d/%d/%d", s.Name, s.Tests, s.Failures, s.Errors, s.Skipped, len(s.Cases), f, e, sk)
		}
		tests, failures, errs, skipped = tests+s.Tests, failures+f, errs+e, skipped+sk
	}
	if doc.Tests != tests || doc.Failures != failures || doc.Errors != errs || doc.Skipped != skipped {
		t.Errorf("root counts %+v", doc)
	}
	return &doc
}

func TestWriteGolden(t *testing.T) {
	for _, f := range reporttest.AllFixtures() {
		t.Run(f.Name, func(t *testing.T) {
			got := write(t, f.Inv)
			parse(t, got)
			reporttest.Golden(t, filepath.Join("testdata", f.Name+".junit.xml"), got, *update)
		})
	}
}

func TestDeterministic(t *testing.T) {
	for _, f := range reporttest.AllFixtures() {
		t.Run(f.Name, func(t *testing.T) {
			first := write(t, f.Inv)
			for seed := range uint64(5) {
				if got := write(t, reporttest.Shuffled(f.Inv, seed)); !bytes.Equal(first, got) {
					t.Fatalf("shuffled input (seed %d) changes the output", seed)
				}
			}
		})
	}
}

func TestSuitesAndCases(t *testing.T) {
	inv := reporttest.DebianChecks()
	doc := parse(t, write(t, inv))
	var names []string
	for _, s := range doc.Suites {
		names = append(names, s.Name)
	}
	if strings.Join(names, "|") != "docker.io/library/debian:12 vulnerabilities|docker.io/library/debian:12 misconfigurations|docker.io/library/debian:12 secrets|docker.io/library/debian:12 licenses" {
		t.Fatalf("suites = %q", names)
	}
	vulns, mis, sec, lic := doc.Suites[0], doc.Suites[1], doc.Suites[2], doc.Suites[3]
	// 9 packages; failing: curl, libcurl4, libssl3, libwebp7; skipped (all suppressed):
	// libc6, zlib1g.
	if vulns.Tests != len(inv.Packages) || vulns.Failures != 4 || vulns.Skipped != 2 {
		t.Errorf("vulnerabilities suite %d/%d/%d", vulns.Tests, vulns.Failures, vulns.Skipped)
	}
	for _, c := range vulns.Cases {
		if strings.HasPrefix(c.Name, "libssl3@") {
			if c.Failure == nil || c.Failure.Message != "2 vulnerabilities: CVE-2023-5678 (LOW), CVE-2024-0727 (MEDIUM)" ||
				c.Failure.Type != "MEDIUM" || c.ClassName != "deb.layer1" || !strings.Contains(c.Failure.Text, "fixed in 3.0.13-1~deb12u1") {
				t.Errorf("libssl3 case = %+v", c)
			}
		}
		if strings.HasPrefix(c.Name, "zlib1g@") && (c.Skipped == nil || !strings.Contains(c.Skipped.Text, "suppressed: vex")) {
			t.Errorf("zlib1g case = %+v", c)
		}
	}
	// 6 check results: 3 failing (DS002, IC004, IC010), DS005 suppressed, DS001 passed, DS026 error.
	if mis.Tests != 6 || mis.Failures != 3 || mis.Skipped != 1 || mis.Errors != 1 {
		t.Errorf("misconfigurations suite %d/%d/%d/%d", mis.Tests, mis.Failures, mis.Skipped, mis.Errors)
	}
	if sec.Tests != 3 || sec.Failures != 2 || sec.Skipped != 1 {
		t.Errorf("secrets suite %d/%d/%d", sec.Tests, sec.Failures, sec.Skipped)
	}
	// LGPL restricted and the unknown licence file fail; curl's notice licence passes.
	if lic.Tests != 3 || lic.Failures != 2 {
		t.Errorf("licenses suite %d/%d", lic.Tests, lic.Failures)
	}
	if vulns.Timestamp != "2024-03-01T12:30:45" {
		t.Errorf("timestamp %q", vulns.Timestamp)
	}
}

// TestNoScanNoSuites: an SBOM scan gives an empty, well-formed document; a scan that
// found nothing gives a suite of passing packages.
func TestNoScanNoSuites(t *testing.T) {
	if doc := parse(t, write(t, reporttest.Debian())); len(doc.Suites) != 0 {
		t.Errorf("suites without a scan: %+v", doc.Suites)
	}
	clean := reporttest.Alpine()
	clean.Vulnerabilities = []inventory.Finding{}
	doc := parse(t, write(t, clean))
	if len(doc.Suites) != 1 || doc.Suites[0].Tests != len(clean.Packages) || doc.Failures != 0 {
		t.Errorf("clean scan = %+v", doc)
	}
}

// TestHostileValues: control characters, markup and characters XML cannot carry never
// break the document.
func TestHostileValues(t *testing.T) {
	inv := reporttest.DebianChecks()
	inv.Vulnerabilities[0].Title = "</failure><evil attr=\"x\">\x00\x01\x1b[31m&amp;"
	inv.Packages[0].Name = "a\"b'c<d>"
	inv.Secrets[0].Match = "]]>\ufffe"
	inv.Misconfigurations[0].Message = "line\nbreak\r\n\ttab"
	doc := parse(t, write(t, inv))
	if !strings.Contains(doc.Suites[0].Cases[0].Name, `a"b'c<d>`) {
		t.Errorf("name not kept: %q", doc.Suites[0].Cases[0].Name)
	}
}

func TestErrors(t *testing.T) {
	if err := Write(&bytes.Buffer{}, nil, report.Options{}); !errors.Is(err, report.ErrNilInventory) {
		t.Errorf("Write(nil) = %v", err)
	}
}
