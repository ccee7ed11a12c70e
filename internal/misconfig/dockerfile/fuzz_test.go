package dockerfile

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzScan feeds arbitrary bytes to the parser and every check: no panic, no hang.
func FuzzScan(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*", "*.Dockerfile"))
	for _, p := range files {
		if data, err := os.ReadFile(p); err == nil {
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, m := range Scan("Dockerfile", data, false) {
			if m.ID == "" || m.Status == "" {
				t.Fatalf("result without id or status: %+v", m)
			}
		}
	})
}
