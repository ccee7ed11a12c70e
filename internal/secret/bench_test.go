package secret

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// benchInput is a 1 MiB text made of the corpus files (secrets and look-alikes) diluted in
// ordinary configuration and prose, the mix a scan of an image mostly sees.
func benchInput(b *testing.B) []byte {
	b.Helper()
	var sb strings.Builder
	filler := "# The server listens on the port given below; see the manual for the key and token settings.\n" +
		"listen_port = 8080\nlog_level = info\nworkers = 4\nurl = https://mirror.corp.invalid/debian\n"
	err := filepath.Walk(filepath.Join("testdata", "corpus"), func(p string, info os.FileInfo, err error) error {
		if err != nil || !info.Mode().IsRegular() || strings.HasSuffix(p, ".py") && filepath.Base(p) == "generate.py" {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		sb.Write(data)
		for i := 0; i < 20; i++ {
			sb.WriteString(filler)
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	for sb.Len() < 1<<20 {
		sb.WriteString(filler)
	}
	return []byte(sb.String())
}

// BenchmarkScan scans 1 MiB holding every corpus file once.
func BenchmarkScan(b *testing.B) {
	data := benchInput(b)
	s := New(Options{})
	s.Scan("config/app.conf", data) // compile outside the timed loop
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for b.Loop() {
		s.Scan("config/app.conf", data)
	}
}

// BenchmarkScanClean scans 1 MiB of prose without a single keyword: the prefilter's speed.
func BenchmarkScanClean(b *testing.B) {
	data := []byte(strings.Repeat("The quick brown fox jumps over the lazy dog; nothing here is confidential.\n", 1<<20/75))
	s := New(Options{})
	s.Scan("README", data)
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for b.Loop() {
		s.Scan("README", data)
	}
}
