package osv

import (
	"testing"
)

// FuzzOSV feeds arbitrary bytes to the parser, as JSON or as YAML: it must not panic, and
// whatever it emits must be storable.
func FuzzOSV(f *testing.F) {
	f.Add([]byte(`{"id":"GHSA-xxxx-yyyy-zzzz","aliases":["CVE-2024-1"],"severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],"affected":[{"package":{"ecosystem":"npm","name":"p"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"1.2.3"}]}]}],"database_specific":{"severity":"MODERATE","cwe_ids":["CWE-79"]}}`), false)
	f.Add([]byte("id: PYSEC-1\naffected:\n- package: {name: p, ecosystem: PyPI}\n  ranges:\n  - type: ECOSYSTEM\n    events:\n    - introduced: \"0\"\n    - last_affected: 1.0\n  versions: [0.9, \"1.0\"]\n"), true)
	f.Fuzz(func(t *testing.T, data []byte, asYAML bool) {
		name := "fuzz.json"
		if asYAML {
			name = "fuzz.yaml"
		}
		recs, _ := parse(t, name, data)
		for _, r := range recs {
			v := r.Vulnerability
			if v == nil || v.ID == "" {
				t.Fatalf("record without a vulnerability id: %+v", r)
			}
			for _, a := range r.Affected {
				if a.VulnID == "" || a.Namespace == "" || a.Package == "" {
					t.Fatalf("incomplete affected entry: %+v", a)
				}
				if a.VulnID != v.ID {
					t.Fatalf("affected entry of %q in record %q", a.VulnID, v.ID)
				}
				if len(a.Ranges) == 0 && len(a.Versions) == 0 {
					t.Fatalf("affected entry with neither ranges nor versions: %+v", a)
				}
			}
		}
	})
}
