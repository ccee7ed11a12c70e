package report

import (
	"bytes"
	"cmp"
	"encoding/json"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/shipshape-dev/shipshape/internal/inventory"
)

// Severity ratings of vulnerability findings, highest first. UNKNOWN means nobody rated it.
const (
	SeverityCritical   = "CRITICAL"
	SeverityHigh       = "HIGH"
	SeverityMedium     = "MEDIUM"
	SeverityLow        = "LOW"
	SeverityNegligible = "NEGLIGIBLE"
	SeverityUnknown    = "UNKNOWN"
)

// Severities lists the severity ratings from highest to lowest.
func Severities() []string {
	return []string{SeverityCritical, SeverityHigh, SeverityMedium, SeverityLow, SeverityNegligible, SeverityUnknown}
}

// SeverityRank orders severities: CRITICAL is 5, NEGLIGIBLE 1, and UNKNOWN, like anything
// that is not a rating, 0. Case is ignored.
func SeverityRank(s string) int {
	switch strings.ToUpper(strings.TrimSpace(s)) {
	case SeverityCritical:
		return 5
	case SeverityHigh:
		return 4
	case SeverityMedium:
		return 3
	case SeverityLow:
		return 2
	case SeverityNegligible:
		return 1
	}
	return 0
}

// NormalizeSeverity returns s as one of Severities: upper-cased, and UNKNOWN when it is not
// a rating at all (empty, or a word of some other scale).
func NormalizeSeverity(s string) string {
	if r := SeverityRank(s); r > 0 {
		return Severities()[5-r]
	}
	return SeverityUnknown
}

// SortedFinding returns a copy of f with its severity normalised and its set-like lists
// (aliases, CWEs, references, data sources) sorted and without repeats, and its CVSS
// assessments ordered by source, newest CVSS version first, then vector. f is not changed.
func SortedFinding(f inventory.Finding) inventory.Finding {
	f.Severity = NormalizeSeverity(f.Severity)
	f.Aliases = sortedSet(f.Aliases)
	f.CWEs = sortedSet(f.CWEs)
	f.References = sortedSet(f.References)
	f.DataSources = sortedSet(f.DataSources)
	f.CVSS = slices.Clone(f.CVSS)
	slices.SortStableFunc(f.CVSS, func(a, b inventory.CVSS) int {
		return cmp.Or(strings.Compare(a.Source, b.Source), strings.Compare(b.Version, a.Version),
			strings.Compare(a.Vector, b.Vector), cmp.Compare(a.Score, b.Score))
	})
	f.CVSS = slices.Compact(f.CVSS)
	if f.CWENames != nil {
		f.CWENames = maps.Clone(f.CWENames)
	}
	if f.Layer != nil {
		l := *f.Layer
		f.Layer = &l
	}
	if f.EPSS != nil {
		e := *f.EPSS
		f.EPSS = &e
	}
	if f.KEV != nil {
		k := *f.KEV
		f.KEV = &k
	}
	return f
}

func sortedSet(ss []string) []string {
	if ss == nil {
		return nil
	}
	out := slices.Clone(ss)
	slices.Sort(out)
	return slices.Compact(out)
}

// CompareFindings orders findings by package name, installed version, location and
// vulnerability id (CompareIDs), then by package type, purl and layer,
// and finally by the whole JSON encoding, so that the order is total.
func CompareFindings(a, b inventory.Finding) int {
	if c := cmp.Or(
		strings.Compare(a.PkgName, b.PkgName),
		strings.Compare(a.InstalledVersion, b.InstalledVersion),
		strings.Compare(a.Location, b.Location),
		CompareIDs(a.ID, b.ID),
		strings.Compare(a.PkgType, b.PkgType),
		strings.Compare(a.PkgPURL, b.PkgPURL),
		CompareLayerRefs(a.Layer, b.Layer),
	); c != 0 {
		return c
	}
	ja, errA := json.Marshal(a)
	jb, errB := json.Marshal(b)
	if errA != nil || errB != nil {
		// Only a NaN or infinite score makes Marshal fail; such findings keep their input
		// order (and no JSON report could be written of them anyway).
		return 0
	}
	return bytes.Compare(ja, jb)
}

// CompareLayerRefs orders layer references by index, then diffID and created_by; no layer
// (nil) comes last.
func CompareLayerRefs(a, b *inventory.LayerRef) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return 1
	case b == nil:
		return -1
	}
	return cmp.Or(cmp.Compare(a.Index, b.Index), strings.Compare(a.DiffID, b.DiffID),
		strings.Compare(a.CreatedBy, b.CreatedBy))
}

// CompareIDs orders vulnerability ids naturally: runs of digits compare as numbers, so
// CVE-2023-4863 comes before CVE-2023-45853. Ids equal that way (leading zeros) fall back
// to plain string order.
func CompareIDs(a, b string) int {
	x, y := a, b
	for x != "" && y != "" {
		dx, dy := digitRun(x), digitRun(y)
		if dx > 0 && dy > 0 {
			nx, ny := strings.TrimLeft(x[:dx], "0"), strings.TrimLeft(y[:dy], "0")
			if c := cmp.Or(cmp.Compare(len(nx), len(ny)), strings.Compare(nx, ny)); c != 0 {
				return c
			}
			x, y = x[dx:], y[dy:]
			continue
		}
		if x[0] != y[0] {
			return cmp.Compare(x[0], y[0])
		}
		x, y = x[1:], y[1:]
	}
	if c := cmp.Compare(len(x), len(y)); c != 0 {
		return c
	}
	return strings.Compare(a, b)
}

func digitRun(s string) int {
	n := 0
	for n < len(s) && s[n] >= '0' && s[n] <= '9' {
		n++
	}
	return n
}

// advisoryPages give the public page of a vulnerability id: the source name shipshape's DB
// uses for it and the URL prefix.
var advisoryPages = sync.OnceValue(func() []advisoryPage {
	return []advisoryPage{
		{regexp.MustCompile(`^CVE-\d{4}-\d{4,}$`), "nvd", "https://nvd.nist.gov/vuln/detail/"},
		{regexp.MustCompile(`^GHSA(-[23456789cfghjmpqrvwx]{4}){3}$`), "ghsa", "https://github.com/advisories/"},
		{regexp.MustCompile(`^GO-\d{4}-\d{4,}$`), "go-vulndb", "https://pkg.go.dev/vuln/"},
	}
})

type advisoryPage struct {
	re     *regexp.Regexp
	source string
	prefix string
}

// AdvisoryPage returns the source name and public page of a vulnerability id that follows
// a well-known pattern (CVE, GHSA, GO), or false.
func AdvisoryPage(id string) (source, page string, ok bool) {
	for _, p := range advisoryPages() {
		if p.re.MatchString(id) {
			return p.source, p.prefix + id, true
		}
	}
	return "", "", false
}

// LayerLabel names a layer for people: "layer 2 (sha256:644cc29cbeb3): RUN …", the
// created_by on one line and cut to width runes (0: not cut).
func LayerLabel(l *inventory.LayerRef, width int) string {
	if l == nil {
		return ""
	}
	s := "layer " + strconv.Itoa(l.Index)
	if l.DiffID != "" {
		s += " (" + inventory.ShortDigest(l.DiffID) + ")"
	}
	if by := strings.Join(strings.Fields(l.CreatedBy), " "); by != "" {
		if r := []rune(by); width > 0 && len(r) > width {
			by = strings.TrimRight(string(r[:width-1]), " ") + "…"
		}
		s += ": " + by
	}
	return s
}
