package debian

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/shipshape-dev/shipshape/internal/feed"
	"github.com/shipshape-dev/shipshape/internal/vulndb"
)

// Tracker reads the Debian security tracker's JSON dump ("debian-tracker"), served at
// https://security-tracker.debian.org/tracker/data/json:
//
//	{source package: {CVE: {description, debianbug, scope,
//	    releases: {codename: {status, fixed_version, urgency, nodsa, nodsa_reason, repositories}}}}}
//
// Each release of each (package, CVE) becomes one Affected entry:
//
//   - resolved in version "0": StatusNotAffected (the release never had the bug);
//   - resolved in a version: StatusFixed with Range Fixed;
//   - open or undetermined: StatusAffected with an open range, except that
//     nodsa_reason "ignored" (the tracker's <ignored>: the team decided not to fix it) is
//     StatusWillNotFix and urgency "end-of-life" (security support for the package ended in
//     that release) is StatusEndOfLife. A plain no-dsa ("Minor issue", nodsa_reason "" or
//     "postponed") may still be fixed in a point release and stays StatusAffected.
//
// The urgency is the entry's Severity with Source "debian": unimportant NEGLIGIBLE, low,
// medium and high as such; "not yet assigned" and "end-of-life" give none. A trailing "*"
// or "**" (urgency taken from NVD) is ignored. Codenames the package does not know
// (experimental, a release after forky) are skipped, as are TEMP- ids.
type Tracker struct{}

// NewTracker returns the Debian security tracker JSON feed.
func NewTracker() *Tracker { return &Tracker{} }

// Name implements feed.Feed.
func (*Tracker) Name() string { return "debian-tracker" }

// Match implements feed.Feed: the dump as served ("json") or saved under a .json name.
func (*Tracker) Match(name string) bool {
	b := baseName(name)
	return b == "json" || strings.HasSuffix(b, ".json")
}

// Info describes the data for the DB's metadata and NOTICE.
func (*Tracker) Info() feed.Info {
	return feed.Info{
		Licence:     "Debian security data (no licence stated)",
		Attribution: "Debian Security Tracker, Debian Security Team, https://security-tracker.debian.org/",
		UpstreamURL: "https://security-tracker.debian.org/tracker/data/json",
	}
}

type trackerCVE struct {
	Description string          `json:"description"`
	DebianBug   json.RawMessage `json:"debianbug"` // a number; read leniently
	Releases    json.RawMessage `json:"releases"`  // an object, or [] when empty
}

type trackerRelease struct {
	Status       string `json:"status"`
	FixedVersion string `json:"fixed_version"`
	Urgency      string `json:"urgency"`
	NoDSA        string `json:"nodsa"`
	NoDSAReason  string `json:"nodsa_reason"`
}

// Parse implements feed.Feed.
func (t *Tracker) Parse(ctx context.Context, in feed.Input, emit func(vulndb.Record) error) error {
	dec := json.NewDecoder(in.R)
	tok, err := dec.Token()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return fmt.Errorf("%s: empty file", in.Name)
		}
		return fmt.Errorf("%s: %w", in.Name, err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return fmt.Errorf("%s: not a Debian security tracker dump (want an object of source packages)", in.Name)
	}
	emitted, skipped := 0, 0
	for dec.More() {
		if err := ctx.Err(); err != nil {
			return err
		}
		tok, err := dec.Token()
		if err != nil {
			return fmt.Errorf("%s: %w", in.Name, err)
		}
		pkg, _ := tok.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return fmt.Errorf("%s: package %q: %w", in.Name, pkg, err)
		}
		var cves map[string]json.RawMessage
		if err := json.Unmarshal(raw, &cves); err != nil || strings.TrimSpace(pkg) == "" {
			skipped++
			continue
		}
		ids := make([]string, 0, len(cves))
		for id := range cves {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		for _, id := range ids {
			rec, ok := trackerRecord(pkg, id, cves[id])
			if !ok {
				skipped++
				continue
			}
			if err := emit(rec); err != nil {
				return fmt.Errorf("%s: %w", in.Name, err)
			}
			emitted++
		}
	}
	if _, err := dec.Token(); err != nil {
		return fmt.Errorf("%s: %w", in.Name, err)
	}
	if emitted == 0 && skipped > 0 {
		return fmt.Errorf("%s: none of %d entries names a CVE and a known Debian release", in.Name, skipped)
	}
	return nil
}

// trackerRecord turns one (package, CVE) entry into a record, or reports false when it has
// nothing usable.
func trackerRecord(pkg, id string, raw json.RawMessage) (vulndb.Record, bool) {
	id = strings.TrimSpace(id)
	if !cveRE().MatchString(id) {
		return vulndb.Record{}, false
	}
	var c trackerCVE
	if err := json.Unmarshal(raw, &c); err != nil {
		return vulndb.Record{}, false
	}
	var releases map[string]trackerRelease
	if r := bytes.TrimSpace(c.Releases); len(r) > 0 && r[0] == '{' {
		if err := json.Unmarshal(r, &releases); err != nil {
			return vulndb.Record{}, false
		}
	}
	codenames := make([]string, 0, len(releases))
	for c := range releases {
		codenames = append(codenames, c)
	}
	sort.Strings(codenames)
	var affected []vulndb.Affected
	for _, codename := range codenames {
		ns := namespace(codename)
		if ns == "" {
			continue
		}
		a, ok := trackerAffected(releases[codename])
		if !ok {
			continue
		}
		a.VulnID, a.Namespace, a.Package, a.Source = id, ns, pkg, "debian-tracker"
		affected = append(affected, a)
	}
	if len(affected) == 0 {
		return vulndb.Record{}, false
	}
	refs := []string{"https://security-tracker.debian.org/tracker/" + id}
	if n, err := strconv.ParseInt(strings.Trim(string(c.DebianBug), `" `), 10, 64); err == nil && n > 0 {
		refs = append(refs, "https://bugs.debian.org/"+strconv.FormatInt(n, 10))
	}
	return vulndb.Record{
		Vulnerability: &vulndb.Vulnerability{
			ID:          id,
			Description: strings.TrimSpace(c.Description),
			References:  refs,
			Source:      "debian-tracker",
		},
		Affected: affected,
	}, true
}

// trackerAffected maps one release's entry to a status, ranges and severity.
func trackerAffected(r trackerRelease) (vulndb.Affected, bool) {
	var a vulndb.Affected
	urgency := strings.ToLower(strings.TrimSpace(strings.TrimRight(strings.TrimSpace(r.Urgency), "*")))
	switch strings.ToLower(strings.TrimSpace(r.Status)) {
	case "resolved":
		switch v := debVersion(r.FixedVersion); v {
		case "":
			return a, false
		case "0":
			a.Status = vulndb.StatusNotAffected
		default:
			a.Status, a.Ranges = vulndb.StatusFixed, fixedRange(v)
		}
	case "open", "undetermined":
		a.Ranges = openRange()
		switch {
		case strings.EqualFold(strings.TrimSpace(r.NoDSAReason), "ignored"):
			a.Status = vulndb.StatusWillNotFix
		case urgency == "end-of-life":
			a.Status = vulndb.StatusEndOfLife
		default:
			a.Status = vulndb.StatusAffected
		}
	default:
		return a, false
	}
	if rating := urgencyRating(urgency); rating != "" {
		a.Severity = &vulndb.Severity{Source: "debian", Rating: rating}
	}
	return a, true
}

// urgencyRating maps a tracker urgency to a rating, "" for none.
func urgencyRating(u string) string {
	switch u {
	case "unimportant":
		return vulndb.Negligible
	case "low":
		return vulndb.Low
	case "medium":
		return vulndb.Medium
	case "high":
		return vulndb.High
	}
	return ""
}
