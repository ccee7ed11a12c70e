// Package detect matches an inventory against the vulnerability DB: for each package it
// asks the DB what is known for its (namespace, name) and compares versions with the
// ecosystem's own rules. It knows no vulnerability itself: all knowledge is DB data.
package detect

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/shipshape-dev/shipshape/internal/inventory"
	"github.com/shipshape-dev/shipshape/internal/version"
	"github.com/shipshape-dev/shipshape/internal/vulndb"
)

// Options tune matching.
type Options struct {
	// IgnoreUnfixed drops findings that have no fixed version.
	IgnoreUnfixed bool
	// IgnoreStatuses drops findings with these statuses (fixed, affected, will-not-fix, end-of-life).
	IgnoreStatuses []string
	// Now is the clock used to decide whether the OS release has reached its end of life
	// (time.Now when nil).
	Now func() time.Time
}

// ReleaseSource is the optional part of a Source that knows distribution release
// lifecycles (vulndb.DB has it).
type ReleaseSource interface {
	Release(ctx context.Context, namespace string) (*vulndb.Release, error)
}

// Source is the part of the DB the matcher reads.
type Source interface {
	AffectedMany(ctx context.Context, namespace string, pkgs []string) (map[string][]vulndb.Affected, error)
	HasNamespace(ctx context.Context, namespace string) (bool, error)
	Vulnerabilities(ctx context.Context, ids []string) (map[string][]vulndb.Vulnerability, error)
	EPSS(ctx context.Context, cves []string) (map[string]vulndb.EPSS, error)
	KEV(ctx context.Context, cves []string) (map[string]vulndb.KEV, error)
	CWENames(ctx context.Context, ids []string) (map[string]string, error)
}

// OSNamespace returns the DB namespace of an OS release ("debian:12", "alpine:3.19",
// "ubuntu:22.04", "rhel:9") and whether the OS is one the matcher knows how to name.
func OSNamespace(o *inventory.OS) (string, bool) {
	if !o.Known() {
		return "", false
	}
	fam := strings.ToLower(o.Family)
	v := o.Version
	switch fam {
	case "debian":
		if major := leadingNumber(v); major != "" {
			return "debian:" + major, true
		}
		if n, ok := debianCodenames[strings.ToLower(o.Codename)]; ok {
			return "debian:" + n, true
		}
		if strings.Contains(v, "sid") || o.Codename == "sid" {
			return "debian:unstable", true
		}
		return "", false
	case "ubuntu":
		parts := strings.SplitN(v, ".", 3)
		if len(parts) >= 2 {
			return "ubuntu:" + parts[0] + "." + parts[1], true
		}
		return "", false
	case "alpine":
		if strings.Contains(v, "_alpha") || strings.Contains(v, "edge") {
			return "alpine:edge", true
		}
		parts := strings.SplitN(v, ".", 3)
		if len(parts) >= 2 {
			return "alpine:" + parts[0] + "." + parts[1], true
		}
		return "", false
	case "rhel", "centos", "rocky", "almalinux", "ol", "fedora", "amzn":
		if major := leadingNumber(v); major != "" {
			return fam + ":" + major, true
		}
		return "", false
	case "sles", "opensuse-leap":
		if v != "" {
			return fam + ":" + v, true
		}
	}
	return "", false
}

// rhelRebuilds are the distributions built from RHEL's sources, whose packages RHEL's
// advisories cover when the DB has no data for the distribution itself.
var rhelRebuilds = map[string]bool{"centos": true, "rocky": true, "almalinux": true}

var debianCodenames = map[string]string{
	"buster": "10", "bullseye": "11", "bookworm": "12", "trixie": "13", "forky": "14",
}

func leadingNumber(s string) string {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return s[:i]
}

// Result is what matching found.
type Result struct {
	Findings []inventory.Finding
	Warnings []inventory.Warning
}

// candidate is one affected row that matched one package.
type candidate struct {
	pkg *inventory.Package
	aff vulndb.Affected
	// fixed is the fixed version of the range that matched, if any.
	fixed string
}

// Match finds the vulnerabilities of the inventory's packages.
func Match(ctx context.Context, db Source, inv *inventory.Inventory, opts Options) (*Result, error) {
	res := &Result{}
	osNS, osKnown := OSNamespace(inv.OS)
	if inv.OS.Known() && !osKnown {
		res.Warnings = append(res.Warnings, inventory.Warning{Message: fmt.Sprintf("OS %s %s is not one shipshape can match vulnerabilities for; its packages are not checked", inv.OS.Family, inv.OS.Version)})
	}
	osCovered := false
	if osKnown {
		ok, err := db.HasNamespace(ctx, osNS)
		if err != nil {
			return nil, err
		}
		osCovered = ok
		if !ok {
			// RHEL rebuilds ship RHEL's source packages under the same names and versions:
			// without data of their own, RHEL's advisories apply.
			if fam, major, _ := strings.Cut(osNS, ":"); rhelRebuilds[fam] {
				rhelNS := "rhel:" + major
				has, err := db.HasNamespace(ctx, rhelNS)
				if err != nil {
					return nil, err
				}
				if has {
					osNS, osCovered = rhelNS, true
					if hasOSPackages(inv) {
						res.Warnings = append(res.Warnings, inventory.Warning{Message: fmt.Sprintf("the vulnerability DB has no data of its own for %s; its packages are matched against Red Hat's advisories for %s, which it rebuilds", inv.OS.PrettyName, rhelNS)})
					}
				}
			}
		}
		if !osCovered && hasOSPackages(inv) {
			res.Warnings = append(res.Warnings, inventory.Warning{Message: fmt.Sprintf("the vulnerability DB has no data for %s (%s); OS packages are not checked — update the DB or build one with that distro's feed", osNS, inv.OS.PrettyName)})
		}
	}
	eol := false
	if osKnown {
		var err error
		if eol, err = checkEOL(ctx, db, inv, osNS, opts, res); err != nil {
			return nil, err
		}
	}
	// Collect every (namespace, name) first and ask the DB in batches.
	type lookup struct {
		p     *inventory.Package
		ns    string
		names []string
	}
	var lookups []lookup
	byNS := map[string][]string{}
	for i := range inv.Packages {
		p := &inv.Packages[i]
		ns, names, ok := namespaceOf(p, osNS, osCovered)
		if !ok {
			continue
		}
		lookups = append(lookups, lookup{p, ns, names})
		byNS[ns] = append(byNS[ns], names...)
	}
	known := map[string]map[string][]vulndb.Affected{}
	for ns, names := range byNS {
		m, err := db.AffectedMany(ctx, ns, names)
		if err != nil {
			return nil, err
		}
		known[ns] = m
	}
	var cands []candidate
	for _, l := range lookups {
		p := l.p
		cmp, err := version.For(l.ns)
		if err != nil {
			res.Warnings = append(res.Warnings, inventory.Warning{Path: p.Location, Message: fmt.Sprintf("%s %s: %v", p.Name, p.Version, err)})
			continue
		}
		type seenKey struct{ id, source string }
		seen := map[seenKey]bool{}
		for _, name := range l.names {
			for _, a := range known[l.ns][name] {
				key := seenKey{a.VulnID, a.Source}
				if seen[key] || !appliesToPlatform(p, &a) {
					continue
				}
				installed := installedVersion(p, name)
				hit, fixed, werr := affects(cmp, installed, a)
				if werr != nil {
					res.Warnings = append(res.Warnings, inventory.Warning{Path: p.Location, Message: fmt.Sprintf("%s %s against %s: %v", p.Name, installed, a.VulnID, werr)})
					continue
				}
				if hit {
					seen[key] = true
					cands = append(cands, candidate{pkg: p, aff: a, fixed: fixed})
				}
			}
		}
	}
	findings, err := build(ctx, db, cands)
	if err != nil {
		return nil, err
	}
	if eol {
		// No fix will come for an affected package of a release past its end of life.
		for i := range findings {
			if f := &findings[i]; isOSType(f.PkgType) && f.Status == vulndb.StatusAffected {
				f.Status = vulndb.StatusEndOfLife
			}
		}
	}
	findings = filter(findings, opts)
	sortFindings(findings)
	findings = dedupeLocations(findings)
	res.Findings = findings
	return res, nil
}

// checkEOL looks up the lifecycle of the OS release, records its end-of-life date in
// inv.OS, warns when that date has passed, and reports whether it has.
func checkEOL(ctx context.Context, db Source, inv *inventory.Inventory, osNS string, opts Options, res *Result) (bool, error) {
	rs, ok := db.(ReleaseSource)
	if !ok {
		return false, nil
	}
	rel, err := rs.Release(ctx, osNS)
	if err != nil || rel == nil || rel.EOL == "" {
		return false, err
	}
	end, err := time.Parse(time.DateOnly, rel.EOL)
	if err != nil {
		return false, nil
	}
	inv.OS.EOL = rel.EOL
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	if !now().After(end.Add(24 * time.Hour)) {
		return false, nil
	}
	name := rel.Name
	if name == "" {
		name = inv.OS.PrettyName
	}
	res.Warnings = append(res.Warnings, inventory.Warning{Message: fmt.Sprintf(
		"%s reached its end of life on %s: the distribution publishes no more security fixes for it, so unfixed findings will stay unfixed (status end-of-life) and new vulnerabilities may go unreported; move to a supported release", name, rel.EOL)})
	return true, nil
}

func hasOSPackages(inv *inventory.Inventory) bool {
	for _, p := range inv.Packages {
		if isOSType(p.Type) {
			return true
		}
	}
	return false
}

func isOSType(t string) bool {
	return t == inventory.TypeDeb || t == inventory.TypeApk || t == inventory.TypeRPM
}

// namespaceOf returns the namespace and the names to query for a package. OS packages are
// looked up by source package (how distros publish advisories) and by binary name (Ubuntu
// and Red Hat OVAL name binary packages).
func namespaceOf(p *inventory.Package, osNS string, osCovered bool) (string, []string, bool) {
	if isOSType(p.Type) {
		if !osCovered {
			return "", nil, false
		}
		names := []string{}
		if p.SourceName != "" {
			names = append(names, p.SourceName)
		}
		if p.SourceName != p.Name {
			names = append(names, p.Name)
		}
		return osNS, names, true
	}
	if ns, ok := languageNamespaces[p.Type]; ok && p.Name != "" && p.Version != "" {
		return ns, []string{p.Name}, true
	}
	return "", nil, false
}

// languageNamespaces maps language package types (purl types) to DB namespaces (OSV
// ecosystems, lower case).
var languageNamespaces = map[string]string{
	inventory.TypeGolang:   "go",
	inventory.TypeNpm:      "npm",
	inventory.TypePyPI:     "pypi",
	inventory.TypeMaven:    "maven",
	inventory.TypeGem:      "rubygems",
	inventory.TypeCargo:    "crates.io",
	inventory.TypeComposer: "packagist",
	inventory.TypeNuGet:    "nuget",
}

// appliesToPlatform reports whether an affected row limited to some platforms (the Go
// vulnerability database's goos/goarch) applies to the program the package was found in.
func appliesToPlatform(p *inventory.Package, a *vulndb.Affected) bool {
	if p.Platform == "" {
		return true
	}
	goos, goarch, _ := strings.Cut(p.Platform, "/")
	return a.AppliesTo(goos, goarch)
}

// installedVersion is the version compared with advisories: for a dpkg source-package
// lookup the source version (binNMUs add +bN to binaries only), else the package version.
func installedVersion(p *inventory.Package, queried string) string {
	if p.Type == inventory.TypeDeb && queried == p.SourceName && p.SourceVersion != "" {
		return p.SourceVersion
	}
	return p.Version
}

// affects evaluates one affected row against an installed version.
func affects(cmp version.Comparator, installed string, a vulndb.Affected) (bool, string, error) {
	switch a.Status {
	case vulndb.StatusNotAffected:
		return false, "", nil
	}
	for _, v := range a.Versions {
		c, err := cmp.Compare(installed, v)
		if err == nil && c == 0 {
			return true, lowestFix(cmp, installed, a), nil
		}
	}
	var usable int
	for _, r := range a.Ranges {
		if r.Type == "GIT" {
			continue
		}
		usable++
		in, err := inRange(cmp, installed, r)
		if err != nil {
			return false, "", err
		}
		if in {
			return true, r.Fixed, nil
		}
	}
	if usable == 0 && len(a.Versions) == 0 {
		// No version information: every version is affected (unfixed, will-not-fix, EOL).
		return a.Status != vulndb.StatusFixed, "", nil
	}
	return false, "", nil
}

func inRange(cmp version.Comparator, v string, r vulndb.Range) (bool, error) {
	if r.Introduced != "" {
		c, err := cmp.Compare(v, r.Introduced)
		if err != nil {
			return false, err
		}
		if c < 0 {
			return false, nil
		}
	}
	switch {
	case r.Fixed != "":
		c, err := cmp.Compare(v, r.Fixed)
		if err != nil {
			return false, err
		}
		return c < 0, nil
	case r.LastAffected != "":
		c, err := cmp.Compare(v, r.LastAffected)
		if err != nil {
			return false, err
		}
		return c <= 0, nil
	}
	return true, nil
}

// lowestFix returns the fixed version to report for an installed version that an advisory
// lists explicitly as affected.
func lowestFix(cmp version.Comparator, installed string, a vulndb.Affected) string {
	// The range that holds the installed version names its fix (an advisory covering
	// several release branches has one range, and one fix, per branch).
	for _, r := range a.Ranges {
		if r.Type == "GIT" || r.Fixed == "" {
			continue
		}
		if in, err := inRange(cmp, installed, r); err == nil && in {
			return r.Fixed
		}
	}
	// Else the lowest fix above the installed version.
	best := ""
	for _, r := range a.Ranges {
		if r.Fixed == "" || r.Type == "GIT" { // a GIT range's fix is a commit, not a version
			continue
		}
		if c, err := cmp.Compare(r.Fixed, installed); err != nil || c <= 0 {
			continue
		}
		if best == "" {
			best = r.Fixed
			continue
		}
		if c, err := cmp.Compare(r.Fixed, best); err == nil && c < 0 {
			best = r.Fixed
		}
	}
	return best
}

func filter(fs []inventory.Finding, opts Options) []inventory.Finding {
	if !opts.IgnoreUnfixed && len(opts.IgnoreStatuses) == 0 {
		return fs
	}
	drop := map[string]bool{}
	for _, s := range opts.IgnoreStatuses {
		drop[strings.ToLower(strings.TrimSpace(s))] = true
	}
	out := fs[:0]
	for _, f := range fs {
		if opts.IgnoreUnfixed && f.FixedVersion == "" {
			continue
		}
		if drop[f.Status] {
			continue
		}
		out = append(out, f)
	}
	return out
}

func sortFindings(fs []inventory.Finding) {
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := fs[i], fs[j]
		if a.PkgName != b.PkgName {
			return a.PkgName < b.PkgName
		}
		if a.InstalledVersion != b.InstalledVersion {
			return a.InstalledVersion < b.InstalledVersion
		}
		if a.Location != b.Location {
			return a.Location < b.Location
		}
		return a.ID < b.ID
	})
}

// dedupeLocations reports a vulnerability of one package version once per layer even when
// the package was found in several files of it (a lock file and the installed
// node_modules manifest, say): the first location in sort order is kept. Findings must be
// sorted.
func dedupeLocations(fs []inventory.Finding) []inventory.Finding {
	type key struct {
		typ, name, version, id string
		layer                  int
	}
	seen := map[key]bool{}
	out := fs[:0]
	for _, f := range fs {
		// PyPI "PyYAML" in one file and "pyyaml" in another are one package.
		k := key{f.PkgType, vulndb.NormalizePackage(f.Namespace, f.PkgName), f.InstalledVersion, f.ID, -1}
		if f.Layer != nil {
			k.layer = f.Layer.Index
		}
		if isOSType(f.PkgType) {
			out = append(out, f)
			continue
		}
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, f)
	}
	return out
}
