package kev

import (
	"testing"
)

// FuzzKEV feeds arbitrary bytes to the parser: it must not panic, and whatever it emits
// must be storable.
func FuzzKEV(f *testing.F) {
	f.Add([]byte(`{"title":"CISA Catalog of Known Exploited Vulnerabilities","catalogVersion":"2025.08.25","dateReleased":"2025-08-25T17:04:19.9796Z","count":1,"vulnerabilities":[{"cveID":"CVE-2025-48384","vendorProject":"Git","product":"Git","vulnerabilityName":"Git Link Following Vulnerability","dateAdded":"2025-08-25","dueDate":"2025-09-15","knownRansomwareCampaignUse":"Unknown","cwes":["CWE-59"]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		feed := New()
		recs, err := parseWith(t, feed, "kev.json", data)
		if err != nil && len(recs) != 0 {
			t.Fatalf("records emitted from a file that failed: %v", err)
		}
		for _, r := range recs {
			if r.KEV == nil || r.KEV.CVE == "" {
				t.Fatalf("record without a KEV CVE: %+v", r)
			}
			if r.Affected != nil || r.Vulnerability != nil {
				t.Fatalf("unexpected record content: %+v", r)
			}
		}
	})
}
