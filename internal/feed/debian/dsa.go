package debian

import (
	"bufio"
	"context"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/shipshape-dev/shipshape/internal/feed"
	"github.com/shipshape-dev/shipshape/internal/vulndb"
)

// DSA reads the security tracker's advisory lists, data/DSA/list and data/DLA/list
// ("debian-dsa"):
//
//	[29 Mar 2023] DSA-5380-1 xorg-server - security update
//		{CVE-2023-1393}
//		[bullseye] - xorg-server 2:1.20.11-1+deb11u6
//
// Each advisory becomes a Vulnerability with the advisory id (DSA-5380-1, DLA-3380-1), its
// CVEs as aliases, the title as summary and the date as published, and one Affected entry
// per "[release] - package version" line: StatusFixed with Range Fixed, or for the tags
// <not-affected>, <unfixed> and <end-of-life> StatusNotAffected, StatusAffected and
// StatusEndOfLife. A "(medium)"-style urgency after the version is the entry's Severity.
// Advisories naming no package of a known release (key change notices, end-of-life
// announcements) are left out.
type DSA struct{}

// NewDSA returns the DSA/DLA list feed.
func NewDSA() *DSA { return &DSA{} }

// Name implements feed.Feed.
func (*DSA) Name() string { return "debian-dsa" }

// Match implements feed.Feed: .../DSA/list and .../DLA/list.
func (*DSA) Match(name string) bool {
	n := strings.ReplaceAll(name, `\`, "/")
	return n == "DSA/list" || n == "DLA/list" || strings.HasSuffix(n, "/DSA/list") || strings.HasSuffix(n, "/DLA/list")
}

// Info describes the data for the DB's metadata and NOTICE.
func (*DSA) Info() feed.Info {
	return feed.Info{
		Licence:     "Debian security data (no licence stated)",
		Attribution: "Debian Security Advisories and Debian LTS Advisories, security tracker data/DSA/list and data/DLA/list, https://salsa.debian.org/security-tracker-team/security-tracker",
		UpstreamURL: "https://salsa.debian.org/security-tracker-team/security-tracker/-/raw/master/data/DSA/list",
	}
}

var (
	// [29 Mar 2023] DSA-5380-1 xorg-server - security update
	dsaHeaderRE = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^\[(\d{1,2} [A-Za-z]{3} \d{4})\]\s+(D[SL]A-\d+(?:-\d+)?)\s*(.*)$`)
	})
	// [bullseye] - xorg-server 2:1.20.11-1+deb11u6 (medium)
	dsaPackageRE = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^\[([a-z-]+)\]\s+-\s+(\S+)\s+(\S+)\s*(?:\(([^)]*)\))?\s*$`)
	})
	cveTokenRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`CVE-\d{4}-\d{4,}`) })
)

// dsaEntry is one advisory being read.
type dsaEntry struct {
	vuln     vulndb.Vulnerability
	affected []vulndb.Affected
	seen     map[string]bool
}

// Parse implements feed.Feed.
func (d *DSA) Parse(ctx context.Context, in feed.Input, emit func(vulndb.Record) error) error {
	sc := bufio.NewScanner(in.R)
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	var (
		cur                       *dsaEntry
		advisories, emitted, line int
		badLines                  int
	)
	flush := func() error {
		if cur == nil {
			return nil
		}
		e := cur
		cur = nil
		if len(e.affected) == 0 {
			return nil
		}
		v := e.vuln
		emitted++
		if err := emit(vulndb.Record{Vulnerability: &v, Affected: e.affected}); err != nil {
			return fmt.Errorf("%s: %w", in.Name, err)
		}
		return nil
	}
	for sc.Scan() {
		line++
		if line%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		text := sc.Text()
		if strings.TrimSpace(text) == "" {
			continue
		}
		if m := dsaHeaderRE().FindStringSubmatch(text); m != nil {
			if err := flush(); err != nil {
				return err
			}
			advisories++
			cur = &dsaEntry{seen: map[string]bool{}}
			cur.vuln = vulndb.Vulnerability{
				ID:         m[2],
				Summary:    strings.TrimSpace(m[3]),
				References: []string{"https://security-tracker.debian.org/tracker/" + m[2]},
				Source:     "debian-dsa",
			}
			if t, err := time.Parse("2 Jan 2006", m[1]); err == nil {
				cur.vuln.Published = t.Format("2006-01-02")
			}
			continue
		}
		body := strings.TrimSpace(text)
		if cur == nil || body == text {
			// Not indented under an advisory: a line this parser does not know.
			badLines++
			continue
		}
		switch {
		case strings.HasPrefix(body, "{"):
			for _, c := range cveTokenRE().FindAllString(body, -1) {
				if !contains(cur.vuln.Aliases, c) {
					cur.vuln.Aliases = append(cur.vuln.Aliases, c)
				}
			}
		case strings.HasPrefix(body, "["):
			m := dsaPackageRE().FindStringSubmatch(body)
			if m == nil {
				badLines++
				continue
			}
			ns := namespace(m[1])
			if ns == "" || cur.seen[ns+" "+m[2]] {
				continue
			}
			a, ok := dsaAffected(m[3], m[4])
			if !ok {
				badLines++
				continue
			}
			cur.seen[ns+" "+m[2]] = true
			a.VulnID, a.Namespace, a.Package, a.Source = cur.vuln.ID, ns, m[2], "debian-dsa"
			cur.affected = append(cur.affected, a)
		}
		// NOTE: lines and anything else are comments.
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("%s: line %d: %w", in.Name, line+1, err)
	}
	if err := flush(); err != nil {
		return err
	}
	if advisories == 0 && badLines > 0 {
		return fmt.Errorf("%s: not a DSA/DLA list (no \"[date] DSA-n-n\" advisory line)", in.Name)
	}
	return nil
}

// dsaAffected maps the version field of a package line and what follows it in
// parentheses: an urgency, or for <not-affected> a reason, which maps to no rating.
func dsaAffected(version, paren string) (vulndb.Affected, bool) {
	var a vulndb.Affected
	switch version {
	case "<not-affected>":
		a.Status = vulndb.StatusNotAffected
	case "<unfixed>":
		a.Status, a.Ranges = vulndb.StatusAffected, openRange()
	case "<end-of-life>":
		a.Status, a.Ranges = vulndb.StatusEndOfLife, openRange()
	default:
		if strings.HasPrefix(version, "<") {
			return a, false
		}
		a.Status, a.Ranges = vulndb.StatusFixed, fixedRange(debVersion(version))
	}
	if rating := urgencyRating(strings.ToLower(strings.TrimSpace(paren))); rating != "" {
		a.Severity = &vulndb.Severity{Source: "debian", Rating: rating}
	}
	return a, true
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}
