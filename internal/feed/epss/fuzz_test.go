package epss

import (
	"testing"
)

// FuzzEPSS feeds arbitrary bytes to the parser: it must not panic, and whatever it emits
// must be storable.
func FuzzEPSS(f *testing.F) {
	f.Add([]byte("#model_version:v2023.03.01,score_date:2023-06-06T00:00:00+0000\ncve,epss,percentile\nCVE-1999-0001,0.00383,0.73075\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		rows, err := parseWith(t, New(), "fuzz.csv", data)
		if err != nil && len(rows) != 0 {
			t.Fatalf("rows emitted from a file that failed: %v", err)
		}
		for _, e := range rows {
			if !isCVE(e.CVE) || e.Score < 0 || e.Score > 1 || e.Percentile < 0 || e.Percentile > 1 {
				t.Fatalf("bad row: %+v", e)
			}
		}
	})
}
