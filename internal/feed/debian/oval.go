package debian

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"sync"

	"github.com/shipshape-dev/shipshape/internal/feed"
	"github.com/shipshape-dev/shipshape/internal/vulndb"
)

// Feed reads Debian OVAL definitions ("debian-oval"), oval-definitions-<codename>.xml.
//
// The tracker generates one definition per CVE and source package of a release, whose
// criteria are "Debian N is installed" AND "<package> DPKG is earlier than <version>", plus
// one definition per DSA/DLA for advisories it could not tie to CVE entries. How it encodes
// the three cases, read from the data and the generator:
//
//   - fixed: the dpkginfo state is "less than <fixed version>": StatusFixed, Range Fixed;
//   - not fixed yet (tracker status open or undetermined): the version is "0" (state evr
//     "0:0", comment "DPKG is earlier than 0"): StatusAffected, an open range;
//   - not affected (resolved in version 0): the release is left out of the file, so this
//     feed never says StatusNotAffected.
//
// Debian OVAL carries no severity. Definition ids were renumbered by mirrors, so nothing is
// keyed on them: the vulnerability id comes from the title and references.
type Feed struct{}

// New returns the Debian OVAL feed.
func New() *Feed { return &Feed{} }

// Name implements feed.Feed.
func (*Feed) Name() string { return "debian-oval" }

// Match implements feed.Feed: oval-definitions-<codename>.xml, compressed or not.
func (*Feed) Match(name string) bool {
	b := baseName(name)
	return strings.HasPrefix(b, "oval-definitions-") && strings.HasSuffix(b, ".xml")
}

// Info describes the data for the DB's metadata and NOTICE.
func (*Feed) Info() feed.Info {
	return feed.Info{
		Licence:     "Debian security data (no licence stated)",
		Attribution: "Debian OVAL definitions, Debian Security Team, https://www.debian.org/security/oval/",
		UpstreamURL: "https://www.debian.org/security/oval/oval-definitions-bookworm.xml.bz2",
	}
}

// The parts of an OVAL file this feed reads. Element names are matched without their
// namespace, so both prefixed and default-namespace files are read.
type ovalDefinition struct {
	Class       string          `xml:"class,attr"`
	Title       string          `xml:"metadata>title"`
	Platforms   []string        `xml:"metadata>affected>platform"`
	Products    []string        `xml:"metadata>affected>product"`
	Refs        []ovalReference `xml:"metadata>reference"`
	Description string          `xml:"metadata>description"`
	Date        string          `xml:"metadata>debian>date"`
	MoreInfo    string          `xml:"metadata>debian>moreinfo"`
	Criteria    ovalCriteria    `xml:"criteria"`
}

type ovalReference struct {
	Source string `xml:"source,attr"`
	ID     string `xml:"ref_id,attr"`
	URL    string `xml:"ref_url,attr"`
}

type ovalCriteria struct {
	Criterions []ovalCriterion `xml:"criterion"`
	Criteria   []ovalCriteria  `xml:"criteria"`
}

type ovalCriterion struct {
	TestRef string `xml:"test_ref,attr"`
	Comment string `xml:"comment,attr"`
}

type ovalTest struct {
	ID     string `xml:"id,attr"`
	Object struct {
		Ref string `xml:"object_ref,attr"`
	} `xml:"object"`
	State struct {
		Ref string `xml:"state_ref,attr"`
	} `xml:"state"`
}

type ovalObject struct {
	ID   string `xml:"id,attr"`
	Name string `xml:"name"`
}

type ovalState struct {
	ID  string `xml:"id,attr"`
	EVR struct {
		Operation string `xml:"operation,attr"`
		Value     string `xml:",chardata"`
	} `xml:"evr"`
}

// debDef is what is kept of one definition until the tests, objects and states that
// follow the definitions have been read.
type debDef struct {
	id          string
	aliases     []string
	summary     string
	description string
	published   string
	refs        []string
	release     string
	product     string // the one package the metadata names, if it names one
	tests       []string
}

var (
	platformRE  = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`Debian GNU/Linux (\d+)`) })
	installedRE = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^Debian (?:GNU/Linux )?(\d+)(?:\.\d+)? is installed$`)
	})
	fileRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`oval-definitions-([a-z]+)\.xml`) })
)

// Parse implements feed.Feed.
func (f *Feed) Parse(ctx context.Context, in feed.Input, emit func(vulndb.Record) error) error {
	fileRelease := ""
	if m := fileRE().FindStringSubmatch(baseName(in.Name)); m != nil {
		fileRelease = strings.TrimPrefix(namespace(m[1]), "debian:")
	}

	var (
		defs    []debDef
		tests   = map[string][2]string{} // dpkginfo test id -> object id, state id
		objects = map[string]string{}    // dpkginfo object id -> package name
		states  = map[string]string{}    // dpkginfo state id -> version it is earlier than
		root    bool
		n       int
	)
	dec := xml.NewDecoder(in.R)
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("%s: %w", in.Name, err)
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		if !root {
			if se.Name.Local != "oval_definitions" {
				return fmt.Errorf("%s: not an OVAL definitions file (root element %q)", in.Name, se.Name.Local)
			}
			root = true
			continue
		}
		if n++; n%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		switch se.Name.Local {
		case "definition":
			var d ovalDefinition
			if err := dec.DecodeElement(&d, &se); err != nil {
				return fmt.Errorf("%s: %w", in.Name, err)
			}
			if dd, ok := compactDebDef(&d, fileRelease); ok {
				defs = append(defs, dd)
			}
		case "dpkginfo_test":
			var t ovalTest
			if err := dec.DecodeElement(&t, &se); err != nil {
				return fmt.Errorf("%s: %w", in.Name, err)
			}
			tests[t.ID] = [2]string{t.Object.Ref, t.State.Ref}
		case "dpkginfo_object":
			var o ovalObject
			if err := dec.DecodeElement(&o, &se); err != nil {
				return fmt.Errorf("%s: %w", in.Name, err)
			}
			objects[o.ID] = strings.TrimSpace(o.Name)
		case "dpkginfo_state":
			var s ovalState
			if err := dec.DecodeElement(&s, &se); err != nil {
				return fmt.Errorf("%s: %w", in.Name, err)
			}
			if strings.EqualFold(strings.TrimSpace(s.EVR.Operation), "less than") {
				states[s.ID] = strings.TrimSpace(s.EVR.Value)
			}
		}
	}
	if !root {
		return fmt.Errorf("%s: not an OVAL definitions file (no root element)", in.Name)
	}

	emitted, skipped := 0, 0
	for i := range defs {
		if i%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		d := defs[i]
		defs[i] = debDef{} // let what was emitted go
		rec, ok := d.record(tests, objects, states)
		if !ok {
			skipped++
			continue
		}
		if err := emit(rec); err != nil {
			return fmt.Errorf("%s: %w", in.Name, err)
		}
		emitted++
	}
	if emitted == 0 && skipped > 0 {
		return fmt.Errorf("%s: none of %d definitions names a Debian release, package and version", in.Name, skipped)
	}
	return nil
}

// compactDebDef keeps what the records need of a definition. It reports false for one with
// no usable id.
func compactDebDef(d *ovalDefinition, fileRelease string) (debDef, bool) {
	var dd debDef
	title := strings.Fields(d.Title)
	var cves []string
	for _, r := range d.Refs {
		id := strings.TrimSpace(r.ID)
		if strings.EqualFold(r.Source, "CVE") && cveRE().MatchString(id) {
			cves = append(cves, id)
			if u := strings.TrimSpace(r.URL); u != "" {
				dd.refs = append(dd.refs, u)
			}
		}
	}
	switch {
	case len(title) > 0 && cveRE().MatchString(title[0]):
		dd.id = title[0]
		dd.aliases = without(cves, dd.id)
		dd.description = cveDescription(d)
	case len(title) > 0 && advisoryRE().MatchString(title[0]):
		// A DSA or DLA the generator could not attach to CVE entries.
		dd.id = title[0]
		dd.aliases = cves
		dd.description = strings.TrimSpace(d.MoreInfo)
		if s := strings.TrimSpace(d.Description); s != "" && len(title) > 1 {
			dd.summary = title[1] + " - " + s
		}
		dd.published = strings.TrimSpace(d.Date)
	case len(cves) > 0:
		dd.id = cves[0]
		dd.aliases = cves[1:]
		dd.description = cveDescription(d)
	default:
		return dd, false
	}
	dd.refs = append(dd.refs, "https://security-tracker.debian.org/tracker/"+dd.id)

	if len(d.Products) == 1 {
		dd.product = strings.TrimSpace(d.Products[0])
	}
	for _, p := range d.Platforms {
		if m := platformRE().FindStringSubmatch(p); m != nil {
			dd.release = m[1]
			break
		}
	}
	walkCriteria(&d.Criteria, func(c *ovalCriterion) {
		if m := installedRE().FindStringSubmatch(strings.TrimSpace(c.Comment)); m != nil && dd.release == "" {
			dd.release = m[1]
		}
		if c.TestRef != "" {
			dd.tests = append(dd.tests, c.TestRef)
		}
	})
	if dd.release == "" {
		dd.release = fileRelease
	}
	return dd, true
}

// cveDescription is a CVE definition's description. Where the generator merged a DSA
// into the CVE entry, the description is the advisory's "security update" and the text is
// in the advisory's moreinfo.
func cveDescription(d *ovalDefinition) string {
	desc := strings.TrimSpace(d.Description)
	if desc == "" || strings.EqualFold(desc, "security update") {
		if more := strings.TrimSpace(d.MoreInfo); more != "" {
			return more
		}
	}
	return desc
}

func walkCriteria(c *ovalCriteria, fn func(*ovalCriterion)) {
	for i := range c.Criterions {
		fn(&c.Criterions[i])
	}
	for i := range c.Criteria {
		walkCriteria(&c.Criteria[i], fn)
	}
}

// record resolves a definition's dpkginfo tests into a record, or reports false if none
// names a package and version.
func (d *debDef) record(tests map[string][2]string, objects, states map[string]string) (vulndb.Record, bool) {
	if d.release == "" {
		return vulndb.Record{}, false
	}
	ns := "debian:" + d.release
	var affected []vulndb.Affected
	seen := map[string]bool{}
	for _, ref := range d.tests {
		t, ok := tests[ref]
		if !ok {
			continue // the release and architecture tests
		}
		pkg := objects[t[0]]
		if pkg == "" || pkg == "None" {
			// The generator wrote a few objects with no name (<name/>, test comment
			// "None DPKG is earlier than ..."); the metadata still names the package.
			pkg = d.product
		}
		evr, ok := states[t[1]]
		if pkg == "" || !ok || evr == "" || seen[pkg+"\x00"+evr] {
			continue
		}
		seen[pkg+"\x00"+evr] = true
		a := vulndb.Affected{VulnID: d.id, Namespace: ns, Package: pkg, Source: "debian-oval"}
		if v := debVersion(evr); v == "0" || v == "" {
			a.Status, a.Ranges = vulndb.StatusAffected, openRange()
		} else {
			a.Status, a.Ranges = vulndb.StatusFixed, fixedRange(v)
		}
		affected = append(affected, a)
	}
	if len(affected) == 0 {
		return vulndb.Record{}, false
	}
	return vulndb.Record{
		Vulnerability: &vulndb.Vulnerability{
			ID:          d.id,
			Aliases:     d.aliases,
			Summary:     d.summary,
			Description: d.description,
			Published:   d.published,
			References:  d.refs,
			Source:      "debian-oval",
		},
		Affected: affected,
	}, true
}

// without returns ss without s, nil when nothing is left.
func without(ss []string, s string) []string {
	var out []string
	for _, x := range ss {
		if x != s {
			out = append(out, x)
		}
	}
	return out
}
