package alpine

import (
	"strings"
	"testing"

	"github.com/shipshape-dev/shipshape/internal/vulndb"
)

// FuzzAlpineSecDB feeds arbitrary bytes to the parser: it must not panic, and whatever it
// emits must be storable.
func FuzzAlpineSecDB(f *testing.F) {
	f.Add([]byte(`{"distroversion":"v3.19","reponame":"main","packages":[{"pkg":{"name":"xen","secfixes":{"4.7.1-r3":["CVE-2016-9377 XSA-196"],"0":["CVE-2020-0001"]}}}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		recs, _ := parse(t, "alpine/v3.19/main.json", data)
		for _, r := range recs {
			if len(r.Affected) == 0 {
				t.Fatal("empty record")
			}
			for _, a := range r.Affected {
				if a.VulnID == "" || a.Namespace == "" || a.Package == "" {
					t.Fatalf("incomplete affected entry: %+v", a)
				}
				if !strings.HasPrefix(a.Namespace, "alpine:") || strings.ContainsAny(a.VulnID, " \t\n") {
					t.Fatalf("bad entry: %+v", a)
				}
				switch a.Status {
				case vulndb.StatusFixed:
					if len(a.Ranges) != 1 || a.Ranges[0].Fixed == "" {
						t.Fatalf("fixed entry without a fixed version: %+v", a)
					}
				case vulndb.StatusNotAffected:
					if len(a.Ranges) != 0 {
						t.Fatalf("not-affected entry with ranges: %+v", a)
					}
				default:
					t.Fatalf("status %q", a.Status)
				}
			}
		}
	})
}
