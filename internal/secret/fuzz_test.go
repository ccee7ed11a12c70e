package secret

import (
	"strings"
	"testing"
)

// FuzzScan checks that no input panics or hangs the scanner, that every finding lies inside
// the input, and that no finding shows a secret of 8 or more bytes in the clear.
func FuzzScan(f *testing.F) {
	f.Add("config.yaml", []byte("password: hunter2hunter2\n"))
	f.Add(".env", []byte("GITHUB_TOKEN=ghp_R8cV2mQx7LwN4pZt9KsJ3hYb6FgDe1Ua5Wio\n"))
	f.Add("key.pem", []byte("-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\n-----END RSA PRIVATE KEY-----\n"))
	f.Add("a", []byte("postgres://u:p@h redis://:x@y eyJ.eyJ. AKIA :AA Q~ sig= -us"))
	s := New(Options{IncludeBinaries: true})
	f.Fuzz(func(t *testing.T, path string, data []byte) {
		lines := 1 + strings.Count(string(data), "\n")
		for _, sec := range s.Scan(path, data) {
			if sec.StartLine < 1 || sec.StartLine > lines || sec.EndLine < sec.StartLine || sec.EndLine > lines {
				t.Fatalf("%s: lines %d-%d outside 1-%d", sec.RuleID, sec.StartLine, sec.EndLine, lines)
			}
			if !strings.Contains(sec.Match, "*") {
				t.Fatalf("%s: match %q not masked", sec.RuleID, sec.Match)
			}
		}
	})
}
