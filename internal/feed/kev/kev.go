// Package kev parses CISA's Known Exploited Vulnerabilities catalog
// (https://www.cisa.gov/known-exploited-vulnerabilities-catalog) in its JSON form,
// known_exploited_vulnerabilities.json: one vulndb.KEV record per catalog entry.
//
// The catalog's dateReleased is the date of the data: after a successful Parse it is
// available from (*Feed).DataDate.
package kev

import (
	"context"
	"encoding/json"
	"fmt"
	"path"
	"strings"
	"sync"

	"github.com/shipshape-dev/shipshape/internal/feed"
	"github.com/shipshape-dev/shipshape/internal/vulndb"
)

// Feed parses the KEV catalog. It remembers the release date of the last catalog it
// parsed; it is safe for concurrent use.
type Feed struct {
	mu       sync.Mutex
	dataDate string
}

var _ feed.Feed = (*Feed)(nil)

// New returns a KEV catalog parser.
func New() *Feed { return &Feed{} }

// Name is "kev".
func (f *Feed) Name() string { return "kev" }

// Info describes the KEV catalog for the DB's metadata and NOTICE.
func (f *Feed) Info() feed.Info {
	return feed.Info{
		Licence:     "CC0-1.0",
		Attribution: "CISA Known Exploited Vulnerabilities Catalog, Cybersecurity and Infrastructure Security Agency, https://www.cisa.gov/known-exploited-vulnerabilities-catalog (CC0 1.0).",
		UpstreamURL: "https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json",
	}
}

// DataDate returns the dateReleased of the last catalog parsed successfully (as written
// there, e.g. "2025-08-25T17:04:19.9796Z"), or "" before any.
func (f *Feed) DataDate() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.dataDate
}

// Match accepts *.json files outside dot directories, except JSON schemas (the catalog's
// repository ships known_exploited_vulnerabilities_schema.json beside it).
func (f *Feed) Match(name string) bool {
	name = trimCompression(name)
	for _, part := range strings.Split(path.Dir(name), "/") {
		if strings.HasPrefix(part, ".") && part != "." && part != ".." {
			return false
		}
	}
	base := strings.ToLower(path.Base(name))
	return strings.HasSuffix(base, ".json") && !strings.Contains(base, "schema")
}

type catalog struct {
	DateReleased string `json:"dateReleased"`
	// Vulnerabilities is nil when the key is missing: not a catalog.
	Vulnerabilities *[]json.RawMessage `json:"vulnerabilities"`
}

type entry struct {
	CVEID                      string `json:"cveID"`
	VendorProject              string `json:"vendorProject"`
	Product                    string `json:"product"`
	VulnerabilityName          string `json:"vulnerabilityName"`
	DateAdded                  string `json:"dateAdded"`
	RequiredAction             string `json:"requiredAction"`
	DueDate                    string `json:"dueDate"`
	KnownRansomwareCampaignUse string `json:"knownRansomwareCampaignUse"`
}

// Parse reads one catalog. An entry that does not decode or has no cveID is skipped; the
// file is an error when it is not a catalog or none of its entries could be read.
func (f *Feed) Parse(ctx context.Context, in feed.Input, emit func(vulndb.Record) error) error {
	var c catalog
	if err := json.NewDecoder(in.R).Decode(&c); err != nil {
		return fmt.Errorf("%s: %w", in.Name, err)
	}
	if c.Vulnerabilities == nil {
		return fmt.Errorf("%s: not a KEV catalog: no vulnerabilities", in.Name)
	}
	good, bad := 0, 0
	for _, raw := range *c.Vulnerabilities {
		if err := ctx.Err(); err != nil {
			return err
		}
		var e entry
		if err := json.Unmarshal(raw, &e); err != nil || strings.TrimSpace(e.CVEID) == "" {
			bad++
			continue
		}
		good++
		k := &vulndb.KEV{
			CVE:                strings.TrimSpace(e.CVEID),
			VendorProject:      e.VendorProject,
			Product:            e.Product,
			Name:               e.VulnerabilityName,
			DateAdded:          e.DateAdded,
			DueDate:            e.DueDate,
			RequiredAction:     e.RequiredAction,
			KnownRansomwareUse: e.KnownRansomwareCampaignUse,
		}
		if err := emit(vulndb.Record{KEV: k}); err != nil {
			return fmt.Errorf("%s: %s: %w", in.Name, k.CVE, err)
		}
	}
	if good == 0 && bad > 0 {
		return fmt.Errorf("%s: none of the %d catalog entries could be read", in.Name, bad)
	}
	if d := strings.TrimSpace(c.DateReleased); d != "" {
		f.mu.Lock()
		f.dataDate = d
		f.mu.Unlock()
	}
	return nil
}

// trimCompression drops a compression suffix from a file name.
func trimCompression(name string) string {
	for _, ext := range []string{".gz", ".bz2", ".xz", ".zst"} {
		if strings.HasSuffix(strings.ToLower(name), ext) {
			return name[:len(name)-len(ext)]
		}
	}
	return name
}
