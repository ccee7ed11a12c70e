// Package nvd reads the National Vulnerability Database's CVE API 2.0 JSON pages (the
// responses of https://services.nvd.nist.gov/rest/json/cves/2.0, saved one page per file)
// into vulndb vulnerability records.
//
// Each vulnerabilities[].cve becomes one vulndb.Vulnerability with:
//
//   - ID: the CVE id; Description: the English description;
//   - Severities: one per cvssMetricV40, cvssMetricV31, cvssMetricV30 and cvssMetricV2
//     entry, in that order. Source is "nvd" when NVD itself (nvd@nist.gov) scored it;
//     otherwise it is the scorer's NVD source identifier, lower-cased and otherwise as
//     published: a CNA's e-mail ("secure@microsoft.com") or an organisation UUID (for
//     example the CISA ADP's). The NVD feed's name is on the Vulnerability itself, so
//     the prefix-free identifier stays unambiguous. Type is CVSS_V4, CVSS_V3 or CVSS_V2;
//     Rating is the metric's baseSeverity (on the metric itself for V2, in cvssData for
//     the others), or derived from the score by the version's scale when missing;
//   - CWEs: the CWE-n values of every weakness, deduplicated and sorted; NVD's
//     placeholders NVD-CWE-Other and NVD-CWE-noinfo are dropped;
//   - Published and Modified (lastModified) as RFC 3339 UTC (NVD omits the zone);
//   - References: the reference URLs, deduplicated, in feed order.
//
// CVEs whose vulnStatus is "Rejected" are skipped. No Affected entries are emitted: NVD
// describes affected products as CPE match criteria (configurations), and matching
// packages against CPEs is out of scope for now; NVD serves here as the severity, CWE
// and description source for CVEs that other feeds place on packages.
package nvd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/shipshape-dev/shipshape/internal/feed"
	"github.com/shipshape-dev/shipshape/internal/vulndb"
)

// Feed parses NVD CVE API 2.0 pages. It is safe for concurrent use.
type Feed struct {
	mu    sync.Mutex
	stats Stats
}

// Stats counts what a Feed has parsed since it was made.
type Stats struct {
	// Files is the number of pages parsed without a fatal error.
	Files int
	// Records is the number of vulnerabilities emitted.
	Records int
	// Skipped counts CVEs left out, by reason.
	Skipped map[string]int
}

// Reasons CVEs are skipped, as counted in Stats.Skipped.
const (
	SkipRejected  = "rejected"
	SkipMalformed = "malformed entry"
)

// New returns the NVD feed parser.
func New() *Feed { return &Feed{} }

// Name returns "nvd".
func (*Feed) Name() string { return "nvd" }

// Info describes the NVD data.
func (*Feed) Info() feed.Info {
	return feed.Info{
		Licence:     "public domain (U.S. government work)",
		Attribution: "This product uses data from the NVD API but is not endorsed or certified by the NVD.",
		UpstreamURL: "https://services.nvd.nist.gov/rest/json/cves/2.0",
	}
}

// Match accepts any .json file: an NVD mirror is a folder of saved API pages.
func (*Feed) Match(name string) bool {
	return strings.EqualFold(path.Ext(name), ".json")
}

// Stats returns a copy of the counters.
func (f *Feed) Stats() Stats {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.stats
	s.Skipped = make(map[string]int, len(f.stats.Skipped))
	for k, v := range f.stats.Skipped {
		s.Skipped[k] = v
	}
	return s
}

func (f *Feed) count(files, records int, skipped map[string]int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.stats.Files += files
	f.stats.Records += records
	for k, v := range skipped {
		if f.stats.Skipped == nil {
			f.stats.Skipped = map[string]int{}
		}
		f.stats.Skipped[k] += v
	}
}

// The parts of the API 2.0 schema that are read.
type (
	cveItem struct {
		ID           string       `json:"id"`
		Published    string       `json:"published"`
		LastModified string       `json:"lastModified"`
		VulnStatus   string       `json:"vulnStatus"`
		Descriptions []langString `json:"descriptions"`
		Metrics      struct {
			V40 []metric `json:"cvssMetricV40"`
			V31 []metric `json:"cvssMetricV31"`
			V30 []metric `json:"cvssMetricV30"`
			V2  []metric `json:"cvssMetricV2"`
		} `json:"metrics"`
		Weaknesses []struct {
			Description []langString `json:"description"`
		} `json:"weaknesses"`
		References []struct {
			URL string `json:"url"`
		} `json:"references"`
	}
	langString struct {
		Lang  string `json:"lang"`
		Value string `json:"value"`
	}
	metric struct {
		Source   string `json:"source"`
		Type     string `json:"type"`
		CVSSData struct {
			VectorString string   `json:"vectorString"`
			BaseScore    *float64 `json:"baseScore"`
			BaseSeverity string   `json:"baseSeverity"`
		} `json:"cvssData"`
		// BaseSeverity is where CVSS v2 metrics carry the rating.
		BaseSeverity string `json:"baseSeverity"`
	}
)

// Parse reads one API page and emits a record per CVE that is not rejected. The page is
// streamed, so pages of any size use little memory. A malformed CVE is skipped and
// counted; the page fails only when it is not an API page or nothing in it was usable.
func (f *Feed) Parse(ctx context.Context, in feed.Input, emit func(vulndb.Record) error) error {
	records, skipped, err := parsePage(ctx, in, emit)
	if err != nil {
		f.count(0, records, skipped)
		return err
	}
	f.count(1, records, skipped)
	return nil
}

func parsePage(ctx context.Context, in feed.Input, emit func(vulndb.Record) error) (records int, skipped map[string]int, err error) {
	skipped = map[string]int{}
	dec := json.NewDecoder(in.R)
	if err := expectDelim(dec, '{'); err != nil {
		return 0, skipped, fmt.Errorf("%s: not an NVD CVE API 2.0 page: %w", in.Name, err)
	}
	sawVulns := false
	var firstErr error
	for dec.More() {
		key, err := dec.Token()
		if err != nil {
			return records, skipped, fmt.Errorf("%s: reading the page: %w", in.Name, err)
		}
		if key != "vulnerabilities" {
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return records, skipped, fmt.Errorf("%s: reading %v: %w", in.Name, key, err)
			}
			continue
		}
		sawVulns = true
		tok, err := dec.Token()
		if err != nil {
			return records, skipped, fmt.Errorf("%s: reading vulnerabilities: %w", in.Name, err)
		}
		if tok == nil {
			continue // "vulnerabilities": null
		}
		if d, ok := tok.(json.Delim); !ok || d != '[' {
			return records, skipped, fmt.Errorf("%s: vulnerabilities is not a list", in.Name)
		}
		for i := 0; dec.More(); i++ {
			if err := ctx.Err(); err != nil {
				return records, skipped, fmt.Errorf("%s: %w", in.Name, err)
			}
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				return records, skipped, fmt.Errorf("%s: reading vulnerability %d: %w", in.Name, i, err)
			}
			v, err := convert(raw)
			if errors.Is(err, errRejected) {
				skipped[SkipRejected]++
				continue
			}
			if err != nil {
				skipped[SkipMalformed]++
				if firstErr == nil {
					firstErr = fmt.Errorf("vulnerability %d: %w", i, err)
				}
				continue
			}
			if err := emit(vulndb.Record{Vulnerability: v}); err != nil {
				return records, skipped, fmt.Errorf("%s: %s: %w", in.Name, v.ID, err)
			}
			records++
		}
		if _, err := dec.Token(); err != nil { // ']'
			return records, skipped, fmt.Errorf("%s: reading vulnerabilities: %w", in.Name, err)
		}
	}
	if _, err := dec.Token(); err != nil { // '}'
		return records, skipped, fmt.Errorf("%s: reading the page: %w", in.Name, err)
	}
	if !sawVulns {
		return records, skipped, fmt.Errorf("%s: not an NVD CVE API 2.0 page: no vulnerabilities list", in.Name)
	}
	if records == 0 && firstErr != nil {
		return records, skipped, fmt.Errorf("%s: no usable CVE: %w", in.Name, firstErr)
	}
	return records, skipped, nil
}

func expectDelim(dec *json.Decoder, want json.Delim) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if d, ok := tok.(json.Delim); !ok || d != want {
		return fmt.Errorf("expected %q, found %v", want, tok)
	}
	return nil
}

var errRejected = errors.New("rejected")

// convert turns one {"cve": {...}} element into a Vulnerability.
func convert(raw json.RawMessage) (*vulndb.Vulnerability, error) {
	var wrap struct {
		CVE *cveItem `json:"cve"`
	}
	if err := json.Unmarshal(raw, &wrap); err != nil {
		return nil, err
	}
	c := wrap.CVE
	if c == nil {
		return nil, errors.New("no cve object")
	}
	c.ID = strings.TrimSpace(c.ID)
	if c.ID == "" {
		return nil, errors.New("cve without an id")
	}
	if strings.EqualFold(c.VulnStatus, "Rejected") {
		return nil, errRejected
	}
	v := &vulndb.Vulnerability{ID: c.ID}
	for _, d := range c.Descriptions {
		if strings.EqualFold(d.Lang, "en") {
			v.Description = strings.TrimSpace(d.Value)
			break
		}
	}
	for _, group := range []struct {
		typ     string
		metrics []metric
	}{
		{"CVSS_V4", c.Metrics.V40},
		{"CVSS_V3", c.Metrics.V31},
		{"CVSS_V3", c.Metrics.V30},
		{"CVSS_V2", c.Metrics.V2},
	} {
		for _, m := range group.metrics {
			if s, ok := severity(group.typ, m); ok {
				v.Severities = append(v.Severities, s)
			}
		}
	}
	for _, w := range c.Weaknesses {
		for _, d := range w.Description {
			id := strings.TrimSpace(d.Value)
			if strings.HasPrefix(id, "CWE-") && !slices.Contains(v.CWEs, id) {
				v.CWEs = append(v.CWEs, id)
			}
		}
	}
	slices.Sort(v.CWEs)
	var err error
	if v.Published, err = timestamp(c.Published); err != nil {
		return nil, fmt.Errorf("%s: published: %w", c.ID, err)
	}
	if v.Modified, err = timestamp(c.LastModified); err != nil {
		return nil, fmt.Errorf("%s: lastModified: %w", c.ID, err)
	}
	for _, r := range c.References {
		u := strings.TrimSpace(r.URL)
		if u != "" && !slices.Contains(v.References, u) {
			v.References = append(v.References, u)
		}
	}
	return v, nil
}

func severity(typ string, m metric) (vulndb.Severity, bool) {
	vector := strings.TrimSpace(m.CVSSData.VectorString)
	if vector == "" && m.CVSSData.BaseScore == nil {
		return vulndb.Severity{}, false
	}
	s := vulndb.Severity{Source: source(m.Source), Type: typ, Vector: vector}
	if m.CVSSData.BaseScore != nil {
		s.Score = *m.CVSSData.BaseScore
	}
	rating := m.CVSSData.BaseSeverity
	if typ == "CVSS_V2" && m.BaseSeverity != "" {
		rating = m.BaseSeverity
	}
	rating = strings.ToUpper(strings.TrimSpace(rating))
	if vulndb.RatingRank(rating) == 0 && m.CVSSData.BaseScore != nil {
		rating = ratingFromScore(typ, s.Score)
	}
	if vulndb.RatingRank(rating) > 0 {
		s.Rating = rating
	}
	return s, true
}

// source names who scored a metric: "nvd" for NVD itself, else the lower-cased NVD
// source identifier.
func source(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "nvd@nist.gov" {
		return "nvd"
	}
	if s == "" {
		return "unknown"
	}
	return s
}

// ratingFromScore applies the qualitative scales: CVSS v2 as NVD publishes it (no
// CRITICAL), CVSS v3 and v4 per their specifications.
func ratingFromScore(typ string, score float64) string {
	switch {
	case score < 0 || score > 10:
		return ""
	case typ == "CVSS_V2" && score >= 7:
		return vulndb.High
	case typ != "CVSS_V2" && score >= 9:
		return vulndb.Critical
	case score >= 7:
		return vulndb.High
	case score >= 4:
		return vulndb.Medium
	case score > 0 || typ == "CVSS_V2":
		return vulndb.Low
	}
	return "" // v3/v4 "NONE"
}

// timestamp turns NVD's zone-less UTC times ("2023-10-12T19:15:11.747") into RFC 3339.
func timestamp(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", nil
	}
	for _, layout := range []string{"2006-01-02T15:04:05", time.RFC3339Nano} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC().Format(time.RFC3339Nano), nil
		}
	}
	return "", fmt.Errorf("unrecognised time %q", s)
}

var _ feed.Feed = (*Feed)(nil)
