package htmlreport

import (
	"bytes"
	"encoding/xml"
	"errors"
	"flag"
	"io"
	"path/filepath"
	"regexp"
	"slices"
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

// element is what the structural check records of one element.
type element struct {
	name  string
	attrs map[string]string
	text  string
}

// parsePage checks the page is well-formed: golang.org/x/net/html is not a dependency, so
// the page is read with encoding/xml in its HTML mode (not strict, HTML entities and
// auto-closed void elements), and every element that is not void must be closed in order.
// It returns the elements in document order.
func parsePage(t *testing.T, data []byte) []*element {
	t.Helper()
	if !bytes.HasPrefix(data, []byte("<!DOCTYPE html>\n")) {
		t.Fatal("no HTML5 doctype")
	}
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = false
	d.AutoClose = xml.HTMLAutoClose
	d.Entity = xml.HTMLEntity
	var stack []*element
	var all []*element
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("page does not parse: %v", err)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			e := &element{name: tok.Name.Local, attrs: map[string]string{}}
			for _, a := range tok.Attr {
				e.attrs[a.Name.Local] = a.Value
			}
			all = append(all, e)
			stack = append(stack, e)
		case xml.EndElement:
			if len(stack) == 0 || stack[len(stack)-1].name != tok.Name.Local {
				t.Fatalf("</%s> closes nothing open", tok.Name.Local)
			}
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].text += string(tok)
			}
		}
	}
	if len(stack) != 0 {
		t.Fatalf("%d elements left open, innermost <%s>", len(stack), stack[len(stack)-1].name)
	}
	return all
}

func count(els []*element, name string, attr, value string) int {
	n := 0
	for _, e := range els {
		if e.name == name && (attr == "" || e.attrs[attr] == value) {
			n++
		}
	}
	return n
}

// externalRef finds anything that would make the browser fetch: src attributes, link
// elements, CSS url() and @import, and any http(s) URL outside a link's href.
var externalRef = regexp.MustCompile(`(?i)\bsrc\s*=|<link\b|url\(|@import|<iframe|<object|<embed`)

func selfContained(t *testing.T, data []byte, els []*element) {
	t.Helper()
	if m := externalRef.Find(data); m != nil {
		t.Errorf("page references an external asset: %q", m)
	}
	for _, e := range els {
		for k, v := range e.attrs {
			if strings.Contains(strings.ToLower(v), "http") && !(e.name == "a" && k == "href") {
				t.Errorf("<%s %s=%q> points outside the page", e.name, k, v)
			}
		}
	}
}

func TestWriteGolden(t *testing.T) {
	for _, f := range reporttest.AllFixtures() {
		t.Run(f.Name, func(t *testing.T) {
			got := write(t, f.Inv)
			els := parsePage(t, got)
			selfContained(t, got, els)
			if count(els, "html", "", "") != 1 || count(els, "body", "", "") != 1 || count(els, "style", "", "") != 1 {
				t.Error("not one html, body and style")
			}
			reporttest.Golden(t, filepath.Join("testdata", f.Name+".html"), got, *update)
		})
	}
}

func TestDeterministic(t *testing.T) {
	for _, f := range reporttest.AllFixtures() {
		t.Run(f.Name, func(t *testing.T) {
			first := write(t, f.Inv)
			for seed := range uint64(3) {
				if got := write(t, reporttest.Shuffled(f.Inv, seed)); !bytes.Equal(first, got) {
					t.Fatalf("shuffled input (seed %d) changes the output", seed)
				}
			}
		})
	}
}

func TestContent(t *testing.T) {
	inv := reporttest.DebianChecks()
	els := parsePage(t, write(t, inv))
	// One row per finding: 7 vulnerabilities, 5 checks failed or in error, 3 secrets, 3 licences.
	var rows []*element
	for _, e := range els {
		if e.name == "tr" && e.attrs["data-kind"] != "" {
			rows = append(rows, e)
		}
	}
	if len(rows) != 7+5+3+3 {
		t.Fatalf("%d finding rows", len(rows))
	}
	// Highest severity first.
	for i := 1; i < len(rows); i++ {
		if report.SeverityRank(rows[i-1].attrs["data-sev"]) < report.SeverityRank(rows[i].attrs["data-sev"]) {
			t.Errorf("row %d (%s) after a lower severity", i, rows[i].attrs["data-sev"])
		}
	}
	suppressed := 0
	for _, r := range rows {
		if r.attrs["data-suppressed"] == "true" {
			suppressed++
			if r.attrs["class"] != "suppressed" {
				t.Error("suppressed row not marked")
			}
		}
	}
	if suppressed != 4 {
		t.Errorf("%d suppressed rows, want 4", suppressed)
	}
	// The chart: one bar per severity, counting what is not suppressed: CRITICAL = IC004 +
	// the AWS key; the longest bar is the widest.
	var bars []*element
	for _, e := range els {
		if e.name == "rect" && e.attrs["height"] == "18" {
			bars = append(bars, e)
		}
	}
	if len(bars) != 6 || bars[0].attrs["class"] != "sev-CRITICAL" {
		t.Fatalf("chart bars = %d", len(bars))
	}
	// The layer table: the suppressed findings of layer 0 are not counted; layer 1 has four,
	// the webp layer one.
	if count(els, "svg", "aria-label", "vulnerabilities: 4") != 1 || count(els, "svg", "aria-label", "vulnerabilities: 1") != 1 ||
		count(els, "svg", "aria-label", "vulnerabilities: 2") != 0 {
		t.Error("layer bars wrong")
	}
	// Filters and the script are there.
	for _, id := range []string{"q", "sev", "kind", "supp", "findings-table"} {
		if count(els, "input", "id", id)+count(els, "select", "id", id)+count(els, "table", "id", id) != 1 {
			t.Errorf("no element #%s", id)
		}
	}
	var script string
	for _, e := range els {
		if e.name == "script" {
			script = e.text
		}
	}
	if !strings.Contains(script, "addEventListener") {
		t.Error("no filter script")
	}
	var kinds []string
	for _, e := range els {
		if e.name == "option" && e.attrs["value"] != "" && !slices.Contains(report.Severities(), e.attrs["value"]) {
			kinds = append(kinds, e.attrs["value"])
		}
	}
	if strings.Join(kinds, ",") != "vulnerability,misconfiguration,secret,license" {
		t.Errorf("kinds = %v", kinds)
	}
}

// TestEscaping: markup in any value is text, never markup, and a javascript: URL never
// becomes a link.
func TestEscaping(t *testing.T) {
	inv := reporttest.DebianChecks()
	inv.Target.Name = `<script>alert("t")</script>`
	inv.Vulnerabilities[0].Title = `<img src=x onerror=alert(1)>`
	inv.Vulnerabilities[0].ID = "X-1"
	inv.Vulnerabilities[0].References = []string{"javascript:alert(1)"}
	inv.Secrets[0].Match = `"><svg onload=alert(2)>`
	inv.Layers[0].CreatedBy = "</code></td></tr></table>"
	out := write(t, inv)
	els := parsePage(t, out)
	if count(els, "script", "", "") != 1 || count(els, "img", "", "") != 0 {
		t.Error("injected markup became elements")
	}
	for _, e := range els {
		for k := range e.attrs {
			if strings.HasPrefix(k, "on") {
				t.Errorf("event handler attribute %s on <%s>", k, e.name)
			}
		}
		if e.name == "a" && strings.Contains(e.attrs["href"], "javascript") {
			t.Errorf("javascript link %q", e.attrs["href"])
		}
	}
	if !bytes.Contains(out, []byte("&lt;img src=x onerror=alert(1)&gt;")) {
		t.Error("title not escaped as text")
	}
}

// TestPackagesOnly: an SBOM scan shows the packages, opened, and no findings section.
func TestPackagesOnly(t *testing.T) {
	inv := reporttest.Debian()
	els := parsePage(t, write(t, inv))
	if count(els, "section", "id", "findings") != 0 || count(els, "details", "open", "open") != 1 || count(els, "script", "", "") != 0 {
		t.Error("SBOM page shape")
	}
	rows := 0
	for _, e := range els {
		if e.name == "tr" {
			rows++
		}
	}
	if rows < len(inv.Packages) {
		t.Errorf("%d rows for %d packages", rows, len(inv.Packages))
	}
}

func TestNilInventory(t *testing.T) {
	if err := Write(&bytes.Buffer{}, nil, report.Options{}); !errors.Is(err, report.ErrNilInventory) {
		t.Errorf("Write(nil) = %v", err)
	}
}
