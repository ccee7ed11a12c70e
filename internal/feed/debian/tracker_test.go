package debian

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/shipshape-dev/shipshape/internal/feed"
	"github.com/shipshape-dev/shipshape/internal/vulndb"
)

var _ feed.Feed = (*Tracker)(nil)

func readFile(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// affectedIndex keys affected entries by "namespace vulnID package".
func affectedIndex(t *testing.T, recs []vulndb.Record) map[string]vulndb.Affected {
	t.Helper()
	idx := map[string]vulndb.Affected{}
	for _, r := range recs {
		for _, a := range r.Affected {
			k := a.Namespace + " " + a.VulnID + " " + a.Package
			if _, dup := idx[k]; dup {
				t.Errorf("duplicate affected %s", k)
			}
			idx[k] = a
		}
	}
	return idx
}

// The vunnel sample of the tracker dump, checked against vunnel's own expected output for
// it (testdata/vunnel-snapshots): an independent reading of the same data.
func TestTrackerAgainstVunnelSnapshots(t *testing.T) {
	raw := readFile(t, "tracker-vunnel-sample.json")
	recs, err := parseAll(t, NewTracker(), "json", raw)
	if err != nil {
		t.Fatal(err)
	}
	idx := affectedIndex(t, recs)

	// Count (package, CVE) pairs with at least one known release in the raw JSON.
	var dump map[string]map[string]struct {
		Releases json.RawMessage `json:"releases"`
	}
	if err := json.Unmarshal(raw, &dump); err != nil {
		t.Fatal(err)
	}
	pairs := 0
	for _, cves := range dump {
		for _, c := range cves {
			if bytes.HasPrefix(c.Releases, []byte("{")) {
				pairs++
			}
		}
	}
	if len(recs) != pairs || pairs != 6 {
		t.Errorf("%d records for %d (package, CVE) pairs with releases", len(recs), pairs)
	}

	snaps, err := filepath.Glob(filepath.Join("testdata", "vunnel-snapshots", "*.json"))
	if err != nil || len(snaps) < 20 {
		t.Fatalf("%d snapshots, %v", len(snaps), err)
	}
	for _, p := range snaps {
		var snap struct {
			Item struct {
				Vulnerability struct {
					Name, NamespaceName, Severity string
					FixedIn                       []struct{ Name, Version string }
				}
			} `json:"item"`
		}
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, &snap); err != nil {
			t.Fatal(err)
		}
		v := snap.Item.Vulnerability
		for _, fi := range v.FixedIn {
			k := v.NamespaceName + " " + v.Name + " " + fi.Name
			a, ok := idx[k]
			if !ok {
				t.Errorf("%s: %s not emitted", filepath.Base(p), k)
				continue
			}
			switch fi.Version {
			case "None": // vunnel's "no fix"
				if a.Status != vulndb.StatusEndOfLife && a.Status != vulndb.StatusAffected || a.Ranges[0].Fixed != "" {
					t.Errorf("%s: %+v, want unfixed", k, a)
				}
			case "0": // vunnel's "not affected"
				if a.Status != vulndb.StatusNotAffected || len(a.Ranges) != 0 {
					t.Errorf("%s: %+v, want not affected", k, a)
				}
			default:
				if a.Status != vulndb.StatusFixed || a.Ranges[0].Fixed != fi.Version {
					t.Errorf("%s: %+v, want fixed in %s", k, a, fi.Version)
				}
			}
			got := "Unknown"
			if a.Severity != nil {
				got = a.Severity.Rating
				if a.Severity.Source != "debian" {
					t.Errorf("%s: severity source %q", k, a.Severity.Source)
				}
			}
			if !strings.EqualFold(got, v.Severity) {
				t.Errorf("%s: severity %s, vunnel says %s", k, got, v.Severity)
			}
		}
	}

	// Spot checks read by hand from the sample.
	for k, want := range map[string]string{
		"debian:10 CVE-2022-0456 chromium":          vulndb.StatusEndOfLife, // open, urgency end-of-life
		"debian:9 CVE-2022-0456 chromium":           vulndb.StatusEndOfLife,
		"debian:12 CVE-2025-53603 sope":             vulndb.StatusFixed,
		"debian:unstable CVE-2007-2383 prototypejs": vulndb.StatusNotAffected,
	} {
		if idx[k].Status != want {
			t.Errorf("%s: %q, want %q", k, idx[k].Status, want)
		}
	}
	for k := range idx {
		if strings.Contains(k, "CVE-2022-0358") {
			t.Errorf("%s: emitted from an entry with no releases", k)
		}
	}
	for _, r := range recs {
		v := r.Vulnerability
		if v.ID == "CVE-2008-7220" && (v.Source != "debian-tracker" || !strings.HasPrefix(v.Description, "Unspecified vulnerability in Prototype") ||
			strings.Join(v.References, " ") != "https://security-tracker.debian.org/tracker/CVE-2008-7220 https://bugs.debian.org/555217") {
			t.Errorf("CVE-2008-7220: %+v", v)
		}
	}
}

// Releases in the shape tracker_service.py writes them, for the cases the vunnel sample
// does not have: no-dsa, ignored, postponed, undetermined, unimportant, TEMP ids and
// codenames this package does not know.
const trackerSynthetic = `{
 "openssl": {
  "CVE-2024-0727": {"description": "PKCS12 NULL dereference", "scope": "local", "debianbug": 1060858, "releases": {
   "bookworm": {"status": "resolved", "repositories": {"bookworm": "3.0.11-1~deb12u2", "bookworm-security": "3.0.13-1~deb12u1"}, "fixed_version": "3.0.13-1~deb12u1", "urgency": "not yet assigned"},
   "bullseye": {"status": "open", "repositories": {"bullseye": "1.1.1w-0+deb11u1"}, "urgency": "low", "nodsa": "Minor issue", "nodsa_reason": ""},
   "buster": {"status": "open", "repositories": {"buster": "1.1.1n-0+deb10u3"}, "urgency": "low*", "nodsa": "Minor issue", "nodsa_reason": "postponed"},
   "trixie": {"status": "resolved", "fixed_version": "3.1.5-1", "urgency": "not yet assigned"},
   "forky": {"status": "resolved", "fixed_version": "1:3.1.5-1", "urgency": "medium**"},
   "sid": {"status": "resolved", "fixed_version": "0:3.1.5-1", "urgency": "high"},
   "experimental": {"status": "resolved", "fixed_version": "3.2.0-1"}
  }},
  "TEMP-0000000-ABCDEF": {"releases": {"bookworm": {"status": "open", "urgency": "unimportant"}}}
 },
 "tar": {
  "CVE-2005-2541": {"description": "Tar 1.15.1 does not properly warn", "releases": {
   "bookworm": {"status": "open", "urgency": "unimportant", "nodsa": "Intended behaviour", "nodsa_reason": "ignored"},
   "bullseye": {"status": "undetermined", "urgency": "not yet assigned"},
   "buster": {"status": "resolved", "fixed_version": "0", "urgency": "unimportant"},
   "stretch": {"status": "weird"}
  }}
 }
}`

func TestTrackerStatuses(t *testing.T) {
	recs, err := parseAll(t, NewTracker(), "debian-tracker.json", []byte(trackerSynthetic))
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 {
		t.Fatalf("%d records, want 2 (the TEMP id left out)", len(recs))
	}
	idx := affectedIndex(t, recs)
	sev := func(r string) *vulndb.Severity { return &vulndb.Severity{Source: "debian", Rating: r} }
	tests := []struct {
		key    string
		status string
		fixed  string
		sev    *vulndb.Severity
	}{
		{"debian:12 CVE-2024-0727 openssl", vulndb.StatusFixed, "3.0.13-1~deb12u1", nil},
		{"debian:11 CVE-2024-0727 openssl", vulndb.StatusAffected, "", sev(vulndb.Low)}, // no-dsa
		{"debian:10 CVE-2024-0727 openssl", vulndb.StatusAffected, "", sev(vulndb.Low)}, // postponed
		{"debian:13 CVE-2024-0727 openssl", vulndb.StatusFixed, "3.1.5-1", nil},
		{"debian:14 CVE-2024-0727 openssl", vulndb.StatusFixed, "1:3.1.5-1", sev(vulndb.Medium)},
		{"debian:unstable CVE-2024-0727 openssl", vulndb.StatusFixed, "3.1.5-1", sev(vulndb.High)},
		{"debian:12 CVE-2005-2541 tar", vulndb.StatusWillNotFix, "", sev(vulndb.Negligible)}, // ignored
		{"debian:11 CVE-2005-2541 tar", vulndb.StatusAffected, "", nil},                      // undetermined
		{"debian:10 CVE-2005-2541 tar", vulndb.StatusNotAffected, "", sev(vulndb.Negligible)},
	}
	for _, tc := range tests {
		a, ok := idx[tc.key]
		if !ok {
			t.Errorf("%s: missing", tc.key)
			continue
		}
		fixed := ""
		switch a.Status {
		case vulndb.StatusNotAffected:
			if len(a.Ranges) != 0 {
				t.Errorf("%s: ranges %v", tc.key, a.Ranges)
			}
		default:
			if len(a.Ranges) != 1 || a.Ranges[0].Type != "ECOSYSTEM" {
				t.Errorf("%s: ranges %v", tc.key, a.Ranges)
			}
			fixed = a.Ranges[0].Fixed
		}
		if a.Status != tc.status || fixed != tc.fixed || (a.Severity == nil) != (tc.sev == nil) || (a.Severity != nil && *a.Severity != *tc.sev) {
			t.Errorf("%s: %s %q %+v, want %s %q %+v", tc.key, a.Status, fixed, a.Severity, tc.status, tc.fixed, tc.sev)
		}
	}
	if len(idx) != len(tests) {
		t.Errorf("%d affected entries, want %d (experimental and the unknown status left out)", len(idx), len(tests))
	}
}

func TestTrackerErrors(t *testing.T) {
	raw := readFile(t, "tracker-vunnel-sample.json")
	tests := []struct{ name, data, want string }{
		{"empty", "", "empty file"},
		{"array", "[]", "not a Debian security tracker dump"},
		{"truncated", string(raw[:len(raw)/2]), "unexpected EOF"},
		{"garbage", "{\"openssl\": {\"CVE-2024-0001\": ", "unexpected EOF"},
		{"nothing usable", `{"openssl": {"not-a-cve": {"releases": {"bookworm": {"status": "open"}}}}, "x": 3}`, "none of 2 entries"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseAll(t, NewTracker(), "data/json", []byte(tc.data))
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "data/json") {
				t.Fatalf("err %v, want %q naming the input", err, tc.want)
			}
		})
	}
	// A malformed entry among good ones is skipped.
	recs, err := parseAll(t, NewTracker(), "json", []byte(`{"a": "x", "b": {"CVE-2024-0001": {"releases": 5}, "CVE-2024-0002": {"releases": {"sid": {"status": "open"}}}}}`))
	if err != nil || len(recs) != 1 || recs[0].Vulnerability.ID != "CVE-2024-0002" {
		t.Errorf("%d records, %v", len(recs), err)
	}
	recs, err = parseAll(t, NewTracker(), "json", []byte(`{}`))
	if err != nil || len(recs) != 0 {
		t.Errorf("empty object: %d records, %v", len(recs), err)
	}
	stop := errors.New("stop")
	if err := NewTracker().Parse(context.Background(), feed.Input{Name: "json", R: bytes.NewReader(raw)}, func(vulndb.Record) error { return stop }); !errors.Is(err, stop) {
		t.Errorf("emit error: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := NewTracker().Parse(ctx, feed.Input{Name: "json", R: bytes.NewReader(raw)}, func(vulndb.Record) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

func TestTrackerMatch(t *testing.T) {
	f := NewTracker()
	for name, want := range map[string]bool{
		"json":                     true,
		"tracker/data/json":        true,
		"debian.json":              true,
		"debian-tracker.json.gz":   true,
		"data/DSA/list":            false,
		"oval-definitions-sid.xml": false,
		"jsonx":                    false,
	} {
		if got := f.Match(name); got != want {
			t.Errorf("Match(%q) = %v", name, got)
		}
	}
	if f.Name() != "debian-tracker" || !strings.HasPrefix(f.Info().UpstreamURL, "https://security-tracker.debian.org/") {
		t.Errorf("%q %+v", f.Name(), f.Info())
	}
}

var namespaceRE = regexp.MustCompile(`^debian:(\d+(\.\d)?|unstable)$`)

func FuzzDebianTracker(f *testing.F) {
	f.Add([]byte(trackerSynthetic))
	f.Fuzz(func(t *testing.T, data []byte) {
		recs, err := parseAll(t, NewTracker(), "json", data)
		if err != nil {
			return
		}
		for _, r := range recs {
			if r.Vulnerability == nil || !cveRE().MatchString(r.Vulnerability.ID) || len(r.Affected) == 0 {
				t.Fatalf("incomplete record %+v", r)
			}
			for _, a := range r.Affected {
				if a.VulnID != r.Vulnerability.ID || !namespaceRE.MatchString(a.Namespace) || a.Status == "" {
					t.Fatalf("bad affected %+v", a)
				}
				if a.Status == vulndb.StatusFixed && (len(a.Ranges) != 1 || a.Ranges[0].Fixed == "") {
					t.Fatalf("fixed without a version: %+v", a)
				}
			}
		}
	})
}
