package detect

import (
	"context"
	"sort"
	"strings"

	"github.com/shipshape-dev/shipshape/internal/inventory"
	"github.com/shipshape-dev/shipshape/internal/version"
	"github.com/shipshape-dev/shipshape/internal/vulndb"
)

// build merges the candidates per (package, vulnerability) — ids that are aliases of one
// another (GHSA-x and PYSEC-y both naming CVE-z, or a DSA naming its CVE) count as one
// vulnerability — and fills in what the DB knows about each: severity, CVSS, CWE, text,
// references, EPSS and KEV.
func build(ctx context.Context, db Source, cands []candidate) ([]inventory.Finding, error) {
	idSet := map[string]bool{}
	for _, c := range cands {
		idSet[c.aff.VulnID] = true
	}
	ids := sortedKeys(idSet)
	vulns, err := db.Vulnerabilities(ctx, ids)
	if err != nil {
		return nil, err
	}
	var groups []*aliasGroup
	byPkg := map[*inventory.Package][]*aliasGroup{}
	for _, c := range cands {
		names := aliasSet(c.aff.VulnID, vulns[c.aff.VulnID])
		var hit []*aliasGroup
		for _, g := range byPkg[c.pkg] {
			if g.overlaps(names) {
				hit = append(hit, g)
			}
		}
		if len(hit) == 0 {
			g := &aliasGroup{pkg: c.pkg, names: map[string]bool{}}
			g.add(c, names)
			groups = append(groups, g)
			byPkg[c.pkg] = append(byPkg[c.pkg], g)
			continue
		}
		// The candidate links every group it overlaps: join them into the first.
		first := hit[0]
		first.add(c, names)
		for _, g := range hit[1:] {
			first.cands = append(first.cands, g.cands...)
			first.ids = append(first.ids, g.ids...)
			for n := range g.names {
				first.names[n] = true
			}
			g.cands, g.ids = nil, nil
		}
	}
	var cves []string
	cweSet := map[string]bool{}
	for _, id := range ids {
		cves = append(cves, cveIDs(id, vulns[id])...)
		for _, v := range vulns[id] {
			for _, w := range v.CWEs {
				cweSet[w] = true
			}
		}
	}
	epss, err := db.EPSS(ctx, cves)
	if err != nil {
		return nil, err
	}
	kev, err := db.KEV(ctx, cves)
	if err != nil {
		return nil, err
	}
	cweNames, err := db.CWENames(ctx, sortedKeys(cweSet))
	if err != nil {
		return nil, err
	}
	out := make([]inventory.Finding, 0, len(groups))
	for _, g := range groups {
		if len(g.cands) == 0 {
			continue
		}
		main := canonicalID(g.ids)
		sort.SliceStable(g.cands, func(i, j int) bool {
			a, b := g.cands[i].aff, g.cands[j].aff
			if (a.VulnID == main) != (b.VulnID == main) {
				return a.VulnID == main
			}
			if a.Source != b.Source {
				return a.Source < b.Source
			}
			return a.VulnID < b.VulnID
		})
		var vs []vulndb.Vulnerability
		for _, id := range dedupeStrings(g.ids) {
			vs = append(vs, vulns[id]...)
		}
		f := finding(g.pkg, g.cands, vs, epss, kev, cweNames)
		for _, id := range dedupeStrings(g.ids) {
			if id != f.ID && !contains(f.Aliases, id) {
				f.Aliases = append(f.Aliases, id)
			}
		}
		sort.Strings(f.Aliases)
		out = append(out, f)
	}
	return out, nil
}

func finding(p *inventory.Package, cs []candidate, vs []vulndb.Vulnerability, epss map[string]vulndb.EPSS, kev map[string]vulndb.KEV, cweNames map[string]string) inventory.Finding {
	first := cs[0]
	f := inventory.Finding{
		ID:               first.aff.VulnID,
		PkgPURL:          p.PURL,
		PkgType:          p.Type,
		PkgName:          p.Name,
		InstalledVersion: p.Version,
		Namespace:        first.aff.Namespace,
		Location:         p.Location,
		Layer:            p.Layer,
	}
	if first.aff.Package != p.Name {
		f.SourceName = first.aff.Package
	}
	cmp, _ := version.For(first.aff.Namespace)
	var distroSev *vulndb.Severity
	sources := map[string]bool{}
	status := ""
	for _, c := range cs {
		sources[c.aff.Source] = true
		if c.fixed != "" {
			if f.FixedVersion == "" {
				f.FixedVersion = c.fixed
			} else if cmp != nil {
				// Several sources: the highest fix is the one all of them agree fixes it.
				if r, err := cmp.Compare(c.fixed, f.FixedVersion); err == nil && r > 0 {
					f.FixedVersion = c.fixed
				}
			}
		}
		if c.aff.Severity != nil && c.aff.Severity.Rating != "" && distroSev == nil {
			distroSev = c.aff.Severity
		}
		status = strongerStatus(status, c.aff.Status)
	}
	f.DataSources = sortedKeys(sources)
	switch {
	case f.FixedVersion != "":
		f.Status = vulndb.StatusFixed
	case status == vulndb.StatusFixed || status == "":
		f.Status = vulndb.StatusAffected
	default:
		f.Status = status
	}

	aliases := map[string]bool{}
	cwes := map[string]bool{}
	refs := map[string]bool{}
	var nvdSev, otherSev *vulndb.Severity
	for i := range vs {
		v := &vs[i]
		for _, a := range v.Aliases {
			if a != f.ID {
				aliases[a] = true
			}
		}
		for _, w := range v.CWEs {
			cwes[w] = true
		}
		for _, r := range v.References {
			refs[r] = true
		}
		if f.Title == "" && v.Summary != "" {
			f.Title = v.Summary
		}
		if v.Description != "" && (f.Description == "" || v.Source == "nvd") {
			f.Description = v.Description
		}
		if f.Published == "" {
			f.Published = v.Published
		}
		if v.Modified > f.Modified {
			f.Modified = v.Modified
		}
		for j := range v.Severities {
			s := &v.Severities[j]
			if s.Vector != "" {
				f.CVSS = append(f.CVSS, inventory.CVSS{Source: s.Source, Version: cvssVersion(s), Vector: s.Vector, Score: s.Score})
			}
			if s.Rating == "" {
				continue
			}
			if s.Source == "nvd" {
				if nvdSev == nil || cvssRank(s) > cvssRank(nvdSev) {
					nvdSev = s
				}
			} else if otherSev == nil || cvssRank(s) > cvssRank(otherSev) {
				otherSev = s
			}
		}
	}
	switch {
	case distroSev != nil:
		f.Severity, f.SeveritySource = strings.ToUpper(distroSev.Rating), distroSev.Source
	case nvdSev != nil:
		f.Severity, f.SeveritySource = strings.ToUpper(nvdSev.Rating), "nvd"
	case otherSev != nil:
		f.Severity, f.SeveritySource = strings.ToUpper(otherSev.Rating), otherSev.Source
	default:
		f.Severity = vulndb.Unknown
	}
	if vulndb.RatingRank(f.Severity) == 0 && f.Severity != vulndb.Unknown {
		f.Severity = vulndb.Unknown
	}
	f.Aliases = sortedKeys(aliases)
	f.CWEs = sortedKeys(cwes)
	if len(f.CWEs) > 0 {
		f.CWENames = map[string]string{}
		for _, w := range f.CWEs {
			if n, ok := cweNames[w]; ok {
				f.CWENames[w] = n
			}
		}
		if len(f.CWENames) == 0 {
			f.CWENames = nil
		}
	}
	f.References = sortedKeys(refs)
	sort.SliceStable(f.CVSS, func(i, j int) bool {
		if f.CVSS[i].Source != f.CVSS[j].Source {
			return f.CVSS[i].Source < f.CVSS[j].Source
		}
		return f.CVSS[i].Version > f.CVSS[j].Version
	})
	for _, c := range cveIDs(f.ID, vs) {
		if e, ok := epss[c]; ok && (f.EPSS == nil || e.Score > f.EPSS.Score) {
			f.EPSS = &inventory.EPSS{Score: e.Score, Percentile: e.Percentile}
		}
		if k, ok := kev[c]; ok && f.KEV == nil {
			f.KEV = &inventory.KEV{DateAdded: k.DateAdded, DueDate: k.DueDate, KnownRansomwareUse: k.KnownRansomwareUse}
		}
	}
	return f
}

// strongerStatus keeps the status that says most about the lack of a fix.
func strongerStatus(a, b string) string {
	rank := map[string]int{"": 0, vulndb.StatusFixed: 1, vulndb.StatusAffected: 2, vulndb.StatusWillNotFix: 3, vulndb.StatusEndOfLife: 4}
	if rank[b] > rank[a] {
		return b
	}
	return a
}

func cvssVersion(s *vulndb.Severity) string {
	switch {
	case strings.HasPrefix(s.Vector, "CVSS:4.0"):
		return "4.0"
	case strings.HasPrefix(s.Vector, "CVSS:3.1"):
		return "3.1"
	case strings.HasPrefix(s.Vector, "CVSS:3.0"):
		return "3.0"
	case s.Type == "CVSS_V2" || strings.HasPrefix(s.Vector, "AV:"):
		return "2.0"
	}
	return strings.TrimPrefix(s.Type, "CVSS_V")
}

// cvssRank prefers newer CVSS versions, then bare ratings.
func cvssRank(s *vulndb.Severity) int {
	switch s.Type {
	case "CVSS_V4":
		return 4
	case "CVSS_V3":
		return 3
	case "CVSS_V2":
		return 2
	}
	return 1
}

func cveIDs(id string, vs []vulndb.Vulnerability) []string {
	set := map[string]bool{}
	if strings.HasPrefix(id, "CVE-") {
		set[id] = true
	}
	for _, v := range vs {
		for _, a := range v.Aliases {
			if strings.HasPrefix(a, "CVE-") {
				set[a] = true
			}
		}
	}
	return sortedKeys(set)
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// aliasGroup gathers the candidates of one package that name the same vulnerability.
type aliasGroup struct {
	pkg   *inventory.Package
	ids   []string
	cands []candidate
	names map[string]bool // every id and alias seen in the group
}

func (g *aliasGroup) overlaps(names []string) bool {
	for _, n := range names {
		if g.names[n] {
			return true
		}
	}
	return false
}

func (g *aliasGroup) add(c candidate, names []string) {
	g.cands = append(g.cands, c)
	g.ids = append(g.ids, c.aff.VulnID)
	for _, n := range names {
		g.names[n] = true
	}
}

// aliasSet is an id with every alias its records list.
func aliasSet(id string, vs []vulndb.Vulnerability) []string {
	out := []string{id}
	for _, v := range vs {
		out = append(out, v.Aliases...)
	}
	return out
}

// canonicalID picks the id a merged finding is reported under: a CVE when one of the ids is
// a CVE, else the first in sort order.
func canonicalID(ids []string) string {
	ids = dedupeStrings(ids)
	for _, id := range ids {
		if strings.HasPrefix(id, "CVE-") {
			return id
		}
	}
	return ids[0]
}

func dedupeStrings(ss []string) []string {
	set := map[string]bool{}
	for _, s := range ss {
		set[s] = true
	}
	return sortedKeys(set)
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}
