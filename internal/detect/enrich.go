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
	groups := groupAliases(cands, vulns)
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
		for _, id := range dedupeStrings(append(append([]string{}, g.ids...), g.extra...)) {
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
	// extra are ids of bundle advisories (a DSA naming several CVEs) folded into the group.
	extra []string
}

// groupAliases groups each package's candidates by vulnerability. Two ids are the same
// vulnerability when one lists the other as an alias, or when each names exactly one CVE and
// it is the same CVE. An advisory that names several CVEs (a bundle, such as a DSA) links
// nothing: it is folded into the findings of its CVEs as an alias when the package has a
// finding for every one of them, and reported on its own otherwise.
func groupAliases(cands []candidate, vulns map[string][]vulndb.Vulnerability) []*aliasGroup {
	var pkgs []*inventory.Package
	byPkg := map[*inventory.Package][]candidate{}
	for _, c := range cands {
		if _, ok := byPkg[c.pkg]; !ok {
			pkgs = append(pkgs, c.pkg)
		}
		byPkg[c.pkg] = append(byPkg[c.pkg], c)
	}
	var out []*aliasGroup
	for _, p := range pkgs {
		cs := byPkg[p]
		var ids []string
		seen := map[string]bool{}
		for _, c := range cs {
			if !seen[c.aff.VulnID] {
				seen[c.aff.VulnID] = true
				ids = append(ids, c.aff.VulnID)
			}
		}
		parent := map[string]string{}
		find := func(x string) string {
			for parent[x] != x {
				parent[x] = parent[parent[x]]
				x = parent[x]
			}
			return x
		}
		union := func(a, b string) {
			ra, rb := find(a), find(b)
			if ra != rb {
				parent[rb] = ra
			}
		}
		cveOf := map[string][]string{}
		for _, id := range ids {
			parent[id] = id
			cveOf[id] = cveIDs(id, vulns[id])
		}
		bundle := func(id string) bool { return len(cveOf[id]) > 1 }
		byCVE := map[string]string{}
		for _, id := range ids {
			if bundle(id) {
				continue
			}
			for _, a := range aliasSet(id, vulns[id]) {
				if a != id && seen[a] && !bundle(a) {
					union(id, a)
				}
			}
			if len(cveOf[id]) == 1 {
				cve := cveOf[id][0]
				if other, ok := byCVE[cve]; ok {
					union(other, id)
				} else {
					byCVE[cve] = id
				}
			}
		}
		groupOf := map[string]*aliasGroup{}
		var order []*aliasGroup
		for _, id := range ids {
			if bundle(id) {
				continue
			}
			r := find(id)
			g, ok := groupOf[r]
			if !ok {
				g = &aliasGroup{pkg: p}
				groupOf[r] = g
				order = append(order, g)
			}
			g.ids = append(g.ids, id)
		}
		for _, id := range ids {
			if !bundle(id) {
				continue
			}
			var targets []*aliasGroup
			for _, cve := range cveOf[id] {
				other, ok := byCVE[cve]
				if !ok {
					targets = nil
					break
				}
				targets = append(targets, groupOf[find(other)])
			}
			if len(targets) == 0 {
				g := &aliasGroup{pkg: p, ids: []string{id}}
				groupOf[id] = g
				order = append(order, g)
				continue
			}
			for _, g := range targets {
				g.extra = append(g.extra, id)
			}
		}
		member := map[string]*aliasGroup{}
		for _, g := range order {
			for _, id := range g.ids {
				member[id] = g
			}
		}
		for _, c := range cs {
			if g, ok := member[c.aff.VulnID]; ok {
				g.cands = append(g.cands, c)
			}
		}
		out = append(out, order...)
	}
	return out
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
