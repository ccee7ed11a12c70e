package detect

import (
	"context"
	"sort"
	"strings"

	"github.com/shipshape-dev/shipshape/internal/inventory"
	"github.com/shipshape-dev/shipshape/internal/version"
	"github.com/shipshape-dev/shipshape/internal/vulndb"
)

// build merges the candidates per (package, vulnerability) and fills in what the DB knows
// about each vulnerability: severity, CVSS, CWE, text, references, EPSS and KEV.
func build(ctx context.Context, db Source, cands []candidate) ([]inventory.Finding, error) {
	type key struct {
		pkg *inventory.Package
		id  string
	}
	groups := map[key][]candidate{}
	var order []key
	idSet := map[string]bool{}
	for _, c := range cands {
		k := key{c.pkg, c.aff.VulnID}
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], c)
		idSet[c.aff.VulnID] = true
	}
	ids := sortedKeys(idSet)
	vulns, err := db.Vulnerabilities(ctx, ids)
	if err != nil {
		return nil, err
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
	out := make([]inventory.Finding, 0, len(order))
	for _, k := range order {
		out = append(out, finding(k.pkg, groups[k], vulns[k.id], epss, kev, cweNames))
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
