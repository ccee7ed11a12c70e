package epss

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/shipshape-dev/shipshape/internal/feed"
	"github.com/shipshape-dev/shipshape/internal/vulndb"
)

func parseWith(t testing.TB, f *Feed, name string, data []byte) ([]vulndb.EPSS, error) {
	t.Helper()
	var out []vulndb.EPSS
	err := f.Parse(context.Background(), feed.Input{Name: name, R: bytes.NewReader(data)}, func(r vulndb.Record) error {
		if r.EPSS == nil || r.Vulnerability != nil || r.Affected != nil || r.KEV != nil || r.CWE != nil {
			t.Fatalf("record is not just an EPSS score: %+v", r)
		}
		out = append(out, *r.EPSS)
		return nil
	})
	return out, err
}

func TestFeedBasics(t *testing.T) {
	f := New()
	if f.Name() != "epss" || f.DataDate() != "" {
		t.Errorf("Name() = %q, DataDate() = %q", f.Name(), f.DataDate())
	}
	info := f.Info()
	if info.Licence == "" || info.Attribution == "" || !strings.HasPrefix(info.UpstreamURL, "https://") {
		t.Errorf("Info() incomplete: %+v", info)
	}
	for name, want := range map[string]bool{
		"epss_scores-2025-02-20.csv":    true,
		"epss_scores-2025-02-20.csv.gz": true,
		"epss/example-1.CSV":            true,
		"epss/README.md":                false,
		".cache/epss.csv":               false,
	} {
		if got := f.Match(name); got != want {
			t.Errorf("Match(%q) = %v", name, got)
		}
	}
}

func TestRealFiles(t *testing.T) {
	row := func(cve string, score, pct float64, date string) vulndb.EPSS {
		return vulndb.EPSS{CVE: cve, Score: score, Percentile: pct, Date: date}
	}
	tests := []struct {
		file     string
		want     []vulndb.EPSS
		dataDate string
		wantErr  string
	}{
		{
			file: "example-1.csv", dataDate: "2025-02-20",
			want: []vulndb.EPSS{
				row("CVE-1999-0001", 0.00383, 0.73075, "2025-02-20"),
				row("CVE-1999-0002", 0.01328, 0.85996, "2025-02-20"),
				row("CVE-1999-0003", 0.04409, 0.92440, "2025-02-20"),
				row("CVE-1999-0004", 0.00917, 0.82963, "2025-02-20"),
				row("CVE-1999-0005", 0.91963, 0.99214, "2025-02-20"),
			},
		},
		{
			file: "missing-date.csv", dataDate: "",
			want: []vulndb.EPSS{
				row("CVE-1999-0001", 0.00383, 0.73075, ""),
				row("CVE-1999-0002", 0.01328, 0.85996, ""),
				row("CVE-1999-0003", 0.04409, 0.92440, ""),
				row("CVE-1999-0004", 0.00917, 0.82963, ""),
				row("CVE-1999-0005", 0.91963, 0.99214, ""),
			},
		},
		{file: "invalid-header.csv", wantErr: "header"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			data, err := os.ReadFile("testdata/" + tt.file)
			if err != nil {
				t.Fatal(err)
			}
			f := New()
			got, err := parseWith(t, f, tt.file, data)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), tt.file) {
					t.Fatalf("err = %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) || f.DataDate() != tt.dataDate {
				t.Errorf("got %+v, date %q", got, f.DataDate())
			}
		})
	}
}

func TestParseSynthetic(t *testing.T) {
	tests := []struct {
		name     string
		data     string
		want     []string // "CVE score percentile date"
		dataDate string
		wantErr  bool
	}{
		{
			name:     "malformed rows are skipped",
			data:     "#model_version:v2023.03.01,score_date:2023-06-06T00:00:00+0000\ncve,epss,percentile\nCVE-2023-0001,0.5,0.9\nnot-a-cve,0.1,0.1\nCVE-2023-0002,abc,0.1\nCVE-2023-0003,1.5,0.1\nCVE-2023-0004,0.1\nCVE-2023-0005,NaN,0.1\n\ncve-2023-0006,0.25,0.5\n",
			want:     []string{"CVE-2023-0001 0.5 0.9 2023-06-06", "CVE-2023-0006 0.25 0.5 2023-06-06"},
			dataDate: "2023-06-06",
		},
		{
			name:     "CRLF, BOM, quotes, columns in another order",
			data:     "\ufeff#score_date:2024-03-01T00:00:00Z\r\n\"percentile\",\"cve\",\"epss\"\r\n\"0.7\",\"CVE-2024-0001\",\"0.01\"\r\n",
			want:     []string{"CVE-2024-0001 0.01 0.7 2024-03-01"},
			dataDate: "2024-03-01",
		},
		{
			name: "old format: no comment, no percentile",
			data: "cve,epss\nCVE-2021-0001,0.02\nCVE-2021-0002,0.3\n",
			want: []string{"CVE-2021-0001 0.02 0 ", "CVE-2021-0002 0.3 0 "},
		},
		{
			name: "no header at all",
			data: "CVE-2022-0001,0.1,0.2\nCVE-2022-0002,0.3,0.4",
			want: []string{"CVE-2022-0001 0.1 0.2 ", "CVE-2022-0002 0.3 0.4 "},
		},
		{
			name:     "an unparseable score_date is kept as written",
			data:     "#model_version:v1,score_date:yesterday\ncve,epss,percentile\nCVE-2022-0003,0.1,0.2\n",
			want:     []string{"CVE-2022-0003 0.1 0.2 yesterday"},
			dataDate: "yesterday",
		},
		{
			name: "a very long line is skipped",
			data: "cve,epss,percentile\nCVE-2022-0004," + strings.Repeat("9", maxLine+10) + ",0.1\nCVE-2022-0005,0.1,0.2\n",
			want: []string{"CVE-2022-0005 0.1 0.2 "},
		},
		{name: "empty", data: "", wantErr: true},
		{name: "comments only", data: "#model_version:v2023.03.01,score_date:2023-06-06T00:00:00+0000\n", wantErr: true},
		{name: "header only", data: "cve,epss,percentile\n", wantErr: true},
		{name: "nothing parses", data: "cve,epss,percentile\nx,y,z\nCVE-1,0.1,0.1\n", wantErr: true},
		{name: "binary", data: "\x00\x01\x02,\xff", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := New()
			got, err := parseWith(t, f, "scores.csv", []byte(tt.data))
			if tt.wantErr {
				if err == nil || !strings.Contains(err.Error(), "scores.csv") {
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
			var rows []string
			for _, e := range got {
				rows = append(rows, fmt.Sprintf("%s %v %v %s", e.CVE, e.Score, e.Percentile, e.Date))
			}
			if !reflect.DeepEqual(rows, tt.want) || f.DataDate() != tt.dataDate {
				t.Errorf("got %q date %q\nwant %q date %q", rows, f.DataDate(), tt.want, tt.dataDate)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	data := []byte("cve,epss,percentile\nCVE-2022-0001,0.1,0.2\n")
	stop := errors.New("stop")
	err := New().Parse(context.Background(), feed.Input{Name: "s.csv", R: bytes.NewReader(data)},
		func(vulndb.Record) error { return stop })
	if !errors.Is(err, stop) || !strings.Contains(err.Error(), "s.csv") {
		t.Errorf("emit error: %v", err)
	}
	err = New().Parse(context.Background(), feed.Input{Name: "s.csv", R: iotest.ErrReader(stop)},
		func(vulndb.Record) error { return nil })
	if !errors.Is(err, stop) || !strings.Contains(err.Error(), "s.csv") {
		t.Errorf("read error: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	big := bytes.Repeat([]byte("CVE-2022-0001,0.1,0.2\n"), 10000)
	err = New().Parse(ctx, feed.Input{Name: "s.csv", R: bytes.NewReader(big)}, func(vulndb.Record) error { return nil })
	if !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

// BenchmarkParse parses a file the size of a daily EPSS file (about 300,000 CVEs in
// 2025), made up from the real sample's shape.
func BenchmarkParse(b *testing.B) {
	var buf bytes.Buffer
	buf.WriteString("#model_version:v2025.03.14,score_date:2025-08-25T00:00:00+0000\ncve,epss,percentile\n")
	for i := range 300000 {
		fmt.Fprintf(&buf, "CVE-%d-%05d,0.%05d,0.%05d\n", 1999+i/20000, i%20000, i%99991, (i*7)%99991)
	}
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		n := 0
		err := New().Parse(context.Background(), feed.Input{Name: "b.csv", R: bytes.NewReader(data)}, func(vulndb.Record) error {
			n++
			return nil
		})
		if err != nil || n != 300000 {
			b.Fatal(n, err)
		}
	}
}

func TestIsCVE(t *testing.T) {
	for s, want := range map[string]bool{
		"CVE-1999-0001": true, "CVE-2024-123456": true, "CVE-2024-123": false, "CVE-24-12345": false,
		"CVE-2024-12a45": false, "cve-2024-1234": false, "CVE-2024_1234": false, "": false, "CVE-2024-": false,
	} {
		if isCVE(s) != want {
			t.Errorf("isCVE(%q) = %v", s, !want)
		}
	}
}
