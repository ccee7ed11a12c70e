package nvd

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shipshape-dev/shipshape/internal/feed"
	"github.com/shipshape-dev/shipshape/internal/vulndb"
)

func parseBytes(t testing.TB, f *Feed, name string, data []byte) ([]vulndb.Record, error) {
	t.Helper()
	var recs []vulndb.Record
	err := f.Parse(context.Background(), feed.Input{Name: name, R: bytes.NewReader(data)}, func(r vulndb.Record) error {
		recs = append(recs, r)
		return nil
	})
	return recs, err
}

func parseFile(t *testing.T, name string) []vulndb.Record {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	recs, err := parseBytes(t, New(), name, data)
	if err != nil {
		t.Fatalf("Parse(%s): %v", name, err)
	}
	return recs
}

func TestContract(t *testing.T) {
	f := New()
	if f.Name() != "nvd" {
		t.Errorf("Name() = %q", f.Name())
	}
	if i := f.Info(); i.Licence == "" || i.Attribution == "" || i.UpstreamURL == "" {
		t.Errorf("Info() incomplete: %+v", i)
	}
	for name, want := range map[string]bool{
		"full-page.json":               true,
		"nvd/2024/page-0001.JSON":      true,
		"nvdcve-2.0-2024.json":         true,
		"README.md":                    false,
		"nvd/page.json.sha256":         false,
		"vunnel/snapshots/cve-1.jsonl": false,
	} {
		if got := f.Match(name); got != want {
			t.Errorf("Match(%q) = %v, want %v", name, got, want)
		}
	}
}

// TestKnownRecords pins the full conversion of real CVEs, written out by hand from the
// files.
func TestKnownRecords(t *testing.T) {
	tests := []struct {
		file string
		want vulndb.Vulnerability
	}{
		{"single-entry.json", vulndb.Vulnerability{
			ID:          "CVE-2022-1576",
			Description: "The WP Maintenance Mode & Coming Soon WordPress plugin before 2.4.5 is lacking CSRF when emptying the subscribed users list, which could allow attackers to make a logged in admin perform such action via a CSRF attack",
			Severities: []vulndb.Severity{
				{Source: "nvd", Type: "CVSS_V3", Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:N/I:H/A:N", Score: 6.5, Rating: "MEDIUM"},
				{Source: "nvd", Type: "CVSS_V2", Vector: "AV:N/AC:M/Au:N/C:N/I:P/A:N", Score: 4.3, Rating: "MEDIUM"},
			},
			CWEs:       []string{"CWE-352"},
			Published:  "2022-07-11T13:15:08.503Z",
			Modified:   "2024-11-21T06:41:00.133Z",
			References: []string{"https://wpscan.com/vulnerability/68deab46-1c16-46ae-a912-a104958ca4cf"},
		}},
		{"full-page.json", vulndb.Vulnerability{
			ID:          "CVE-2023-27314",
			Description: "ONTAP 9 versions prior to 9.8P19, 9.9.1P16, 9.10.1P12, 9.11.1P8, \n9.12.1P2 and 9.13.1 are susceptible to a vulnerability which could allow\n a remote unauthenticated attacker to cause a crash of the HTTP service.",
			Severities: []vulndb.Severity{
				{Source: "nvd", Type: "CVSS_V3", Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", Score: 7.5, Rating: "HIGH"},
				{Source: "security-alert@netapp.com", Type: "CVSS_V3", Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", Score: 7.5, Rating: "HIGH"},
			},
			CWEs:       []string{"CWE-400"}, // NVD-CWE-noinfo dropped
			Published:  "2023-10-12T19:15:11.747Z",
			Modified:   "2023-10-18T18:00:24.9Z",
			References: []string{"https://security.netapp.com/advisory/ntap-20231009-0001/"},
		}},
		{"full-page.json", vulndb.Vulnerability{
			ID:          "CVE-2023-43250",
			Description: "XNSoft Nconvert 7.136 is vulnerable to Buffer Overflow. There is a User Mode Write AV via a crafted image file. Attackers could exploit this issue for a Denial of Service (DoS) or possibly to achieve code execution.",
			Published:   "2023-10-18T16:15:08.79Z",
			Modified:    "2023-10-18T17:41:28.25Z",
			References: []string{
				"http://packetstormsecurity.com/files/175145/XNSoft-Nconvert-7.136-Buffer-Overflow-Denial-Of-Service.html",
				"http://seclists.org/fulldisclosure/2023/Oct/15",
				"https://github.com/mrtouch93/exploits/tree/main/NConvert7.136/User%20Mode%20Write%20AV",
				"https://www.xnview.com/en/nconvert/",
			},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.want.ID, func(t *testing.T) {
			var got *vulndb.Vulnerability
			for _, r := range parseFile(t, tt.file) {
				if r.Vulnerability != nil && r.Vulnerability.ID == tt.want.ID {
					got = r.Vulnerability
				}
			}
			if got == nil {
				t.Fatalf("%s not emitted", tt.want.ID)
			}
			if !reflect.DeepEqual(*got, tt.want) {
				g, _ := json.MarshalIndent(got, "", "  ")
				w, _ := json.MarshalIndent(tt.want, "", "  ")
				t.Errorf("got\n%s\nwant\n%s", g, w)
			}
		})
	}
}

// TestIndependentReading decodes the real pages generically and checks every emitted
// record against the raw JSON, field by field.
func TestIndependentReading(t *testing.T) {
	for _, file := range []string{"full-page.json", "single-entry.json"} {
		t.Run(file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", file))
			if err != nil {
				t.Fatal(err)
			}
			var page map[string]any
			if err := json.Unmarshal(data, &page); err != nil {
				t.Fatal(err)
			}
			raws := page["vulnerabilities"].([]any)
			recs := parseFile(t, file)
			if len(recs) != len(raws) {
				t.Fatalf("%d records from %d CVEs", len(recs), len(raws))
			}
			if got, want := int(page["totalResults"].(float64)), len(recs); got != want {
				t.Errorf("totalResults %d, records %d", got, want)
			}
			for i, raw := range raws {
				cve := raw.(map[string]any)["cve"].(map[string]any)
				v := recs[i].Vulnerability
				if v == nil || len(recs[i].Affected) != 0 {
					t.Fatalf("record %d: %+v", i, recs[i])
				}
				checkAgainstRaw(t, cve, v)
			}
		})
	}
}

func checkAgainstRaw(t *testing.T, cve map[string]any, v *vulndb.Vulnerability) {
	t.Helper()
	id := cve["id"].(string)
	if v.ID != id {
		t.Errorf("id %q, want %q", v.ID, id)
	}
	for _, d := range cve["descriptions"].([]any) {
		d := d.(map[string]any)
		if d["lang"] == "en" && v.Description != strings.TrimSpace(d["value"].(string)) {
			t.Errorf("%s: description %q", id, v.Description)
		}
	}
	var sevs []vulndb.Severity
	metrics, _ := cve["metrics"].(map[string]any)
	for _, key := range []string{"cvssMetricV40", "cvssMetricV31", "cvssMetricV30", "cvssMetricV2"} {
		list, _ := metrics[key].([]any)
		for _, m := range list {
			m := m.(map[string]any)
			data := m["cvssData"].(map[string]any)
			s := vulndb.Severity{Vector: data["vectorString"].(string), Score: data["baseScore"].(float64)}
			if m["source"] == "nvd@nist.gov" {
				s.Source = "nvd"
			} else {
				s.Source = strings.ToLower(m["source"].(string))
			}
			switch key {
			case "cvssMetricV40":
				s.Type, s.Rating = "CVSS_V4", data["baseSeverity"].(string)
			case "cvssMetricV2":
				s.Type, s.Rating = "CVSS_V2", m["baseSeverity"].(string)
			default:
				s.Type, s.Rating = "CVSS_V3", data["baseSeverity"].(string)
			}
			sevs = append(sevs, s)
		}
	}
	if !reflect.DeepEqual(v.Severities, sevs) {
		t.Errorf("%s: severities %+v, want %+v", id, v.Severities, sevs)
	}
	var cwes []string
	weaknesses, _ := cve["weaknesses"].([]any)
	for _, w := range weaknesses {
		for _, d := range w.(map[string]any)["description"].([]any) {
			val := d.(map[string]any)["value"].(string)
			if !strings.HasPrefix(val, "NVD-CWE-") && !slices.Contains(cwes, val) {
				cwes = append(cwes, val)
			}
		}
	}
	slices.Sort(cwes)
	if !slices.Equal(v.CWEs, cwes) {
		t.Errorf("%s: CWEs %v, want %v", id, v.CWEs, cwes)
	}
	var refs []string
	for _, r := range cve["references"].([]any) {
		u := r.(map[string]any)["url"].(string)
		if !slices.Contains(refs, u) {
			refs = append(refs, u)
		}
	}
	if !slices.Equal(v.References, refs) {
		t.Errorf("%s: references %v, want %v", id, v.References, refs)
	}
	for field, pair := range map[string][2]string{
		"published":    {v.Published, cve["published"].(string)},
		"lastModified": {v.Modified, cve["lastModified"].(string)},
	} {
		got, err := time.Parse(time.RFC3339Nano, pair[0])
		want, err2 := time.Parse("2006-01-02T15:04:05.000", pair[1])
		if err != nil || err2 != nil || !got.Equal(want) {
			t.Errorf("%s: %s %q from %q (%v, %v)", id, field, pair[0], pair[1], err, err2)
		}
	}
}

// schemaPage wraps CVE objects in an API page. The CVEs in the tests below are written
// for the test (the real samples have no v4.0 or v3.0 metric and no rejected CVE); they
// follow the NVD CVE API 2.0 schema.
func schemaPage(cves ...string) []byte {
	var items []string
	for _, c := range cves {
		items = append(items, `{"cve":`+c+`}`)
	}
	return []byte(`{"format":"NVD_CVE","version":"2.0","vulnerabilities":[` + strings.Join(items, ",") + `]}`)
}

func TestSchemaCases(t *testing.T) {
	v40 := `{"id":"CVE-2099-0001","published":"2099-01-02T03:04:05.000","lastModified":"2099-01-03T03:04:05.000","vulnStatus":"Analyzed",
	  "descriptions":[{"lang":"es","value":"hola"},{"lang":"en","value":"  hello  "}],
	  "metrics":{
	    "cvssMetricV40":[{"source":"Secure@Microsoft.com","type":"Secondary","cvssData":{"version":"4.0","vectorString":"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N","baseScore":9.3,"baseSeverity":"CRITICAL"}}],
	    "cvssMetricV30":[{"source":"nvd@nist.gov","type":"Primary","cvssData":{"version":"3.0","vectorString":"CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H","baseScore":9.8}}],
	    "cvssMetricV2":[{"source":"nvd@nist.gov","type":"Primary","cvssData":{"version":"2.0","vectorString":"AV:N/AC:L/Au:N/C:P/I:P/A:P","baseScore":7.5}}]},
	  "weaknesses":[{"source":"x","type":"Primary","description":[{"lang":"en","value":"NVD-CWE-Other"},{"lang":"en","value":"CWE-787"},{"lang":"en","value":"CWE-20"}]},
	                {"source":"y","type":"Secondary","description":[{"lang":"en","value":"CWE-787"}]}],
	  "references":[{"url":"https://a.example/1"},{"url":"https://a.example/1"},{"url":""}]}`
	rejected := `{"id":"CVE-2099-0002","vulnStatus":"Rejected","descriptions":[{"lang":"en","value":"Rejected reason: duplicate"}]}`
	noID := `{"vulnStatus":"Analyzed"}`
	badTime := `{"id":"CVE-2099-0003","published":"yesterday"}`

	tests := []struct {
		name    string
		page    []byte
		want    []vulndb.Vulnerability
		skipped map[string]int
		wantErr string
	}{
		{
			name: "v4.0, v3.0 and v2 metrics; ratings derived when missing",
			page: schemaPage(v40),
			want: []vulndb.Vulnerability{{
				ID: "CVE-2099-0001", Description: "hello",
				Severities: []vulndb.Severity{
					{Source: "secure@microsoft.com", Type: "CVSS_V4", Vector: "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", Score: 9.3, Rating: "CRITICAL"},
					{Source: "nvd", Type: "CVSS_V3", Vector: "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", Score: 9.8, Rating: "CRITICAL"},
					{Source: "nvd", Type: "CVSS_V2", Vector: "AV:N/AC:L/Au:N/C:P/I:P/A:P", Score: 7.5, Rating: "HIGH"},
				},
				CWEs:       []string{"CWE-20", "CWE-787"},
				Published:  "2099-01-02T03:04:05Z",
				Modified:   "2099-01-03T03:04:05Z",
				References: []string{"https://a.example/1"},
			}},
			skipped: map[string]int{},
		},
		{
			name:    "rejected CVEs are skipped, the rest kept",
			page:    schemaPage(rejected, v40),
			want:    []vulndb.Vulnerability{{ID: "CVE-2099-0001"}},
			skipped: map[string]int{SkipRejected: 1},
		},
		{
			name:    "a page of rejected CVEs is fine",
			page:    schemaPage(rejected),
			skipped: map[string]int{SkipRejected: 1},
		},
		{
			name:    "malformed entries are skipped and counted",
			page:    schemaPage(noID, v40, badTime),
			want:    []vulndb.Vulnerability{{ID: "CVE-2099-0001"}},
			skipped: map[string]int{SkipMalformed: 2},
		},
		{name: "nothing usable", page: schemaPage(noID), wantErr: "no usable CVE"},
		{name: "empty page", page: []byte(`{"resultsPerPage":0,"vulnerabilities":[]}`), skipped: map[string]int{}},
		{name: "not a page", page: []byte(`[1,2]`), wantErr: "not an NVD CVE API 2.0 page"},
		{name: "no vulnerabilities key", page: []byte(`{"CVE_Items":[]}`), wantErr: "no vulnerabilities list"},
		{name: "truncated", page: schemaPage(v40)[:200], wantErr: "in.json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := New()
			recs, err := parseBytes(t, f, "in.json", tt.page)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), "in.json") {
					t.Fatalf("error %v, want one naming in.json and saying %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(recs) != len(tt.want) {
				t.Fatalf("%d records, want %d", len(recs), len(tt.want))
			}
			for i, w := range tt.want {
				got := *recs[i].Vulnerability
				if w.Description == "" { // only the id matters for this case
					got = vulndb.Vulnerability{ID: got.ID}
				}
				if !reflect.DeepEqual(got, w) {
					t.Errorf("got %+v\nwant %+v", got, w)
				}
			}
			st := f.Stats()
			if !reflect.DeepEqual(st.Skipped, tt.skipped) || st.Records != len(tt.want) || st.Files != 1 {
				t.Errorf("stats %+v, want skipped %v", st, tt.skipped)
			}
		})
	}
}

func TestEmitErrorAndCancel(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "full-page.json"))
	if err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	err = New().Parse(context.Background(), feed.Input{Name: "p.json", R: bytes.NewReader(data)}, func(vulndb.Record) error { return boom })
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), "p.json") {
		t.Errorf("emit error: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err = New().Parse(ctx, feed.Input{Name: "p.json", R: bytes.NewReader(data)}, func(vulndb.Record) error { return nil })
	if !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

func TestRatingFromScore(t *testing.T) {
	tests := []struct {
		typ   string
		score float64
		want  string
	}{
		{"CVSS_V3", 9.0, "CRITICAL"}, {"CVSS_V3", 8.9, "HIGH"}, {"CVSS_V3", 7.0, "HIGH"},
		{"CVSS_V3", 6.9, "MEDIUM"}, {"CVSS_V3", 4.0, "MEDIUM"}, {"CVSS_V3", 3.9, "LOW"},
		{"CVSS_V3", 0.1, "LOW"}, {"CVSS_V3", 0, ""}, {"CVSS_V4", 9.3, "CRITICAL"},
		{"CVSS_V2", 10, "HIGH"}, {"CVSS_V2", 6.9, "MEDIUM"}, {"CVSS_V2", 0, "LOW"},
		{"CVSS_V3", 11, ""}, {"CVSS_V2", -1, ""},
	}
	for _, tt := range tests {
		if got := ratingFromScore(tt.typ, tt.score); got != tt.want {
			t.Errorf("ratingFromScore(%s, %v) = %q, want %q", tt.typ, tt.score, got, tt.want)
		}
	}
}

func FuzzNVD(f *testing.F) {
	for _, name := range []string{"single-entry.json"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p := New()
		recs, err := parseBytes(t, p, "fuzz.json", data)
		if err != nil {
			if !strings.Contains(err.Error(), "fuzz.json") {
				t.Errorf("error does not name the input: %v", err)
			}
			return
		}
		for _, r := range recs {
			v := r.Vulnerability
			if v == nil || v.ID == "" || len(r.Affected) != 0 {
				t.Fatalf("bad record %+v", r)
			}
			for _, s := range v.Severities {
				if s.Source == "" || s.Type == "" {
					t.Fatalf("bad severity %+v", s)
				}
			}
		}
	})
}
