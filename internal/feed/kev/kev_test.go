package kev

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/shipshape-dev/shipshape/internal/feed"
	"github.com/shipshape-dev/shipshape/internal/vulndb"
)

func parseWith(t testing.TB, f *Feed, name string, data []byte) ([]vulndb.Record, error) {
	t.Helper()
	var recs []vulndb.Record
	err := f.Parse(context.Background(), feed.Input{Name: name, R: bytes.NewReader(data)}, func(r vulndb.Record) error {
		recs = append(recs, r)
		return nil
	})
	return recs, err
}

func realCatalog(t testing.TB) []byte {
	t.Helper()
	fh, err := os.Open("testdata/known_exploited_vulnerabilities.json.gz")
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	gz, err := gzip.NewReader(fh)
	if err != nil {
		t.Fatal(err)
	}
	data, err := io.ReadAll(gz)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestFeedBasics(t *testing.T) {
	f := New()
	if f.Name() != "kev" || f.DataDate() != "" {
		t.Errorf("Name() = %q, DataDate() = %q", f.Name(), f.DataDate())
	}
	info := f.Info()
	if info.Licence != "CC0-1.0" || info.Attribution == "" || !strings.HasPrefix(info.UpstreamURL, "https://") {
		t.Errorf("Info() incomplete: %+v", info)
	}
	for name, want := range map[string]bool{
		"known_exploited_vulnerabilities.json":     true,
		"kev/known_exploited_vulnerabilities.json": true,
		"known_exploited_vulnerabilities.json.gz":  true,
		"kev.json": true,
		"kev/known_exploited_vulnerabilities_schema.json": false,
		"kev/known_exploited_vulnerabilities.csv":         false,
		"kev/.github/x.json":                              false,
		"kev/README.md":                                   false,
	} {
		if got := f.Match(name); got != want {
			t.Errorf("Match(%q) = %v", name, got)
		}
	}
}

func TestRealCatalog(t *testing.T) {
	data := realCatalog(t)
	var doc struct {
		Count        int    `json:"count"`
		DateReleased string `json:"dateReleased"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	f := New()
	recs, err := parseWith(t, f, "kev/known_exploited_vulnerabilities.json", data)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != doc.Count || doc.Count != 1404 {
		t.Errorf("%d records; the catalog's count is %d", len(recs), doc.Count)
	}
	if f.DataDate() != "2025-08-25T17:04:19.9796Z" || f.DataDate() != doc.DateReleased {
		t.Errorf("DataDate() = %q", f.DataDate())
	}
	byCVE := map[string]vulndb.KEV{}
	for _, r := range recs {
		if r.KEV == nil || r.Vulnerability != nil || r.Affected != nil || r.EPSS != nil || r.CWE != nil {
			t.Fatalf("record is not just a KEV entry: %+v", r)
		}
		if _, dup := byCVE[r.KEV.CVE]; dup {
			t.Errorf("duplicate %s", r.KEV.CVE)
		}
		byCVE[r.KEV.CVE] = *r.KEV
	}
	want := []vulndb.KEV{
		{
			CVE: "CVE-2025-48384", VendorProject: "Git", Product: "Git", Name: "Git Link Following Vulnerability",
			DateAdded: "2025-08-25", DueDate: "2025-09-15", KnownRansomwareUse: "Unknown",
			RequiredAction: "Apply mitigations per vendor instructions, follow applicable BOD 22-01 guidance for cloud services, or discontinue use of the product if mitigations are unavailable.",
		},
		{
			CVE: "CVE-2017-0144", VendorProject: "Microsoft", Product: "SMBv1", Name: "Microsoft SMBv1 Remote Code Execution Vulnerability",
			DateAdded: "2022-02-10", DueDate: "2022-08-10", KnownRansomwareUse: "Known", RequiredAction: "Apply updates per vendor instructions.",
		},
		{
			CVE: "CVE-2002-0367", VendorProject: "Microsoft", Product: "Windows", Name: "Microsoft Windows Privilege Escalation Vulnerability",
			DateAdded: "2022-03-03", DueDate: "2022-03-24", KnownRansomwareUse: "Unknown", RequiredAction: "Apply updates per vendor instructions.",
		},
	}
	for _, w := range want {
		if got := byCVE[w.CVE]; got != w {
			t.Errorf("%s:\n got %+v\nwant %+v", w.CVE, got, w)
		}
	}
	log4shell := byCVE["CVE-2021-44228"]
	if log4shell.Product != "Log4j2" || log4shell.DueDate != "2021-12-24" || log4shell.KnownRansomwareUse != "Known" ||
		!strings.Contains(log4shell.RequiredAction, "ed-22-02-apache-log4j") {
		t.Errorf("CVE-2021-44228: %+v", log4shell)
	}
}

func TestParseSynthetic(t *testing.T) {
	tests := []struct {
		name     string
		data     string
		cves     []string
		dataDate string
		wantErr  bool
	}{
		{"entries without cveID are skipped", `{"dateReleased":"2024-01-02T00:00:00Z","vulnerabilities":[{"cveID":"CVE-1"},{"product":"x"},"oops",{"cveID":" CVE-2 "}]}`,
			[]string{"CVE-1", "CVE-2"}, "2024-01-02T00:00:00Z", false},
		{"empty catalog", `{"dateReleased":"2024-01-03","vulnerabilities":[]}`, nil, "2024-01-03", false},
		{"no date", `{"vulnerabilities":[{"cveID":"CVE-3"}]}`, []string{"CVE-3"}, "", false},
		{"nothing readable", `{"dateReleased":"2024-01-04","vulnerabilities":[{"x":1}]}`, nil, "", true},
		{"not a catalog", `{"title":"x"}`, nil, "", true},
		{"vulnerabilities not a list", `{"vulnerabilities":{}}`, nil, "", true},
		{"broken JSON", `{"vulnerabilities":[`, nil, "", true},
		{"empty", ``, nil, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := New()
			recs, err := parseWith(t, f, "kev.json", []byte(tt.data))
			if tt.wantErr {
				if err == nil || !strings.Contains(err.Error(), "kev.json") {
					t.Fatalf("err = %v", err)
				}
				if f.DataDate() != "" {
					t.Errorf("DataDate set by a failed parse: %q", f.DataDate())
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var cves []string
			for _, r := range recs {
				cves = append(cves, r.KEV.CVE)
			}
			if strings.Join(cves, ",") != strings.Join(tt.cves, ",") || f.DataDate() != tt.dataDate {
				t.Errorf("got %v, date %q", cves, f.DataDate())
			}
		})
	}
}

func TestParseEmitErrorAndCancel(t *testing.T) {
	data := []byte(`{"vulnerabilities":[{"cveID":"CVE-1"}]}`)
	stop := errors.New("stop")
	err := New().Parse(context.Background(), feed.Input{Name: "kev.json", R: bytes.NewReader(data)},
		func(vulndb.Record) error { return stop })
	if !errors.Is(err, stop) || !strings.Contains(err.Error(), "kev.json") {
		t.Errorf("err = %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err = New().Parse(ctx, feed.Input{Name: "kev.json", R: bytes.NewReader(data)}, func(vulndb.Record) error { return nil })
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v", err)
	}
}

// BenchmarkParse parses the full real catalog (1,404 entries).
func BenchmarkParse(b *testing.B) {
	data := realCatalog(b)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := parseWith(b, New(), "kev.json", data); err != nil {
			b.Fatal(err)
		}
	}
}
