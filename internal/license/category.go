package license

import (
	"fmt"
	"os"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/shipshape-dev/shipshape/internal/inventory"
)

// defaultCategories sorts the common SPDX ids. Ids not listed are unknown.
var defaultCategories = map[string][]string{
	inventory.LicenseForbidden: {
		"AGPL-1.0", "AGPL-1.0-only", "AGPL-1.0-or-later", "AGPL-3.0", "AGPL-3.0-only", "AGPL-3.0-or-later",
		"SSPL-1.0", "BUSL-1.1", "Elastic-2.0", "Commons-Clause", "WTFPL",
		"CC-BY-NC-1.0", "CC-BY-NC-2.0", "CC-BY-NC-2.5", "CC-BY-NC-3.0", "CC-BY-NC-4.0",
		"CC-BY-NC-ND-1.0", "CC-BY-NC-ND-2.0", "CC-BY-NC-ND-2.5", "CC-BY-NC-ND-3.0", "CC-BY-NC-ND-4.0",
		"CC-BY-NC-SA-1.0", "CC-BY-NC-SA-2.0", "CC-BY-NC-SA-2.5", "CC-BY-NC-SA-3.0", "CC-BY-NC-SA-4.0",
	},
	inventory.LicenseRestricted: {
		"GPL-1.0-only", "GPL-1.0-or-later", "GPL-2.0-only", "GPL-2.0-or-later", "GPL-3.0-only", "GPL-3.0-or-later",
		"LGPL-2.0-only", "LGPL-2.0-or-later", "LGPL-2.1-only", "LGPL-2.1-or-later", "LGPL-3.0-only", "LGPL-3.0-or-later",
		"GFDL-1.1-only", "GFDL-1.1-or-later", "GFDL-1.2-only", "GFDL-1.2-or-later", "GFDL-1.3-only", "GFDL-1.3-or-later",
		"CC-BY-ND-1.0", "CC-BY-ND-2.0", "CC-BY-ND-2.5", "CC-BY-ND-3.0", "CC-BY-ND-4.0",
		"CC-BY-SA-1.0", "CC-BY-SA-2.0", "CC-BY-SA-2.5", "CC-BY-SA-3.0", "CC-BY-SA-4.0",
		"OSL-1.0", "OSL-1.1", "OSL-2.0", "OSL-2.1", "OSL-3.0", "QPL-1.0", "Sleepycat", "NPL-1.0", "NPL-1.1",
	},
	inventory.LicenseReciprocal: {
		"MPL-1.0", "MPL-1.1", "MPL-2.0", "MPL-2.0-no-copyleft-exception", "EPL-1.0", "EPL-2.0", "CDDL-1.0", "CDDL-1.1",
		"CPL-1.0", "IPL-1.0", "APSL-1.0", "APSL-1.1", "APSL-1.2", "APSL-2.0", "Ruby", "ErlPL-1.1",
	},
	inventory.LicenseNotice: {
		"Apache-1.0", "Apache-1.1", "Apache-2.0", "MIT", "MIT-CMU", "BSD-2-Clause", "BSD-3-Clause", "BSD-4-Clause", "BSD-4-Clause-UC",
		"BSD-3-Clause-Attribution", "ISC", "Zlib", "Libpng", "libpng-2.0", "PostgreSQL", "Python-2.0", "PSF-2.0",
		"OpenSSL", "Artistic-1.0", "Artistic-1.0-Perl", "Artistic-2.0", "BSL-1.0", "FTL", "W3C", "X11", "NCSA",
		"MS-PL", "Unicode-DFS-2015", "Unicode-DFS-2016", "Unicode-3.0", "OFL-1.1", "CC-BY-1.0", "CC-BY-2.0", "CC-BY-2.5",
		"CC-BY-3.0", "CC-BY-4.0", "curl", "AFL-2.1", "AFL-3.0", "ICU", "HPND", "bzip2-1.0.6", "Beerware", "UPL-1.0",
	},
	inventory.LicensePermissive:   {"MIT-0", "0BSD", "BSD-1-Clause", "ISC-Veillard", "FSFAP", "FSFUL", "FSFULLR"},
	inventory.LicenseUnencumbered: {"CC0-1.0", "Unlicense", "LicenseRef-Public-Domain", "blessing"},
}

// defaultSeverities gives each category a severity (as for vulnerabilities).
var defaultSeverities = map[string]string{
	inventory.LicenseForbidden:    "CRITICAL",
	inventory.LicenseRestricted:   "HIGH",
	inventory.LicenseReciprocal:   "MEDIUM",
	inventory.LicenseNotice:       "LOW",
	inventory.LicensePermissive:   "LOW",
	inventory.LicenseUnencumbered: "LOW",
	inventory.LicenseUnknown:      "UNKNOWN",
}

// rank orders categories from most to least restrictive.
var rank = []string{
	inventory.LicenseForbidden, inventory.LicenseRestricted, inventory.LicenseReciprocal, inventory.LicenseUnknown,
	inventory.LicenseNotice, inventory.LicensePermissive, inventory.LicenseUnencumbered,
}

// Config overrides the built-in categories and severities. In YAML:
//
//	categories:            # category -> SPDX ids (or free-text names, normalised first)
//	  forbidden: [GPL-3.0-only, GPL-3.0-or-later]
//	  notice: [LicenseRef-Corp-Internal]
//	severities:            # category -> CRITICAL, HIGH, MEDIUM, LOW or UNKNOWN
//	  restricted: MEDIUM
//	  unknown: LOW
type Config struct {
	Categories map[string][]string `yaml:"categories"`
	Severities map[string]string   `yaml:"severities"`
}

// Classifier sorts licences into categories.
type Classifier struct {
	category map[string]string // SPDX id (lower case) -> category
	severity map[string]string
}

// validCategory reports whether c is one of the inventory.License* categories.
func validCategory(c string) bool { return slices.Contains(rank, c) }

// NewClassifier returns a classifier with the built-in table overridden by cfg.
func NewClassifier(cfg Config) (*Classifier, error) {
	c := &Classifier{category: map[string]string{}, severity: map[string]string{}}
	for cat, ids := range defaultCategories {
		for _, id := range ids {
			c.category[strings.ToLower(id)] = cat
		}
	}
	for cat, sev := range defaultSeverities {
		c.severity[cat] = sev
	}
	cats := make([]string, 0, len(cfg.Categories))
	for cat := range cfg.Categories {
		cats = append(cats, cat)
	}
	slices.Sort(cats)
	for _, cat := range cats {
		if !validCategory(cat) {
			return nil, fmt.Errorf("licence config: unknown category %q (choose from %s)", cat, strings.Join(rank, ", "))
		}
		for _, name := range cfg.Categories[cat] {
			id := name
			if n, ok := Normalize(name); ok {
				id = n
			}
			c.category[strings.ToLower(id)] = cat
		}
	}
	for cat, sev := range cfg.Severities {
		if !validCategory(cat) {
			return nil, fmt.Errorf("licence config: unknown category %q in severities (choose from %s)", cat, strings.Join(rank, ", "))
		}
		sev = strings.ToUpper(strings.TrimSpace(sev))
		switch sev {
		case "CRITICAL", "HIGH", "MEDIUM", "LOW", "UNKNOWN":
		default:
			return nil, fmt.Errorf("licence config: severity %q for %s is not one of CRITICAL, HIGH, MEDIUM, LOW, UNKNOWN", sev, cat)
		}
		c.severity[cat] = sev
	}
	return c, nil
}

// LoadConfig reads a YAML licence configuration file.
func LoadConfig(path string) (Config, error) {
	var cfg Config
	data, err := os.ReadFile(path)
	if err != nil {
		return cfg, fmt.Errorf("reading licence config: %w", err)
	}
	if err := yaml.Unmarshal(data, &cfg); err != nil {
		return cfg, fmt.Errorf("licence config %s is not valid YAML (see docs/licenses.md for its shape): %w", path, err)
	}
	return cfg, nil
}

// Severity returns the severity of a category.
func (c *Classifier) Severity(category string) string {
	if s, ok := c.severity[category]; ok {
		return s
	}
	return "UNKNOWN"
}

// Category returns the category of an SPDX id or expression: for "A OR B" the least
// restrictive choice, for "A AND B" the most restrictive part, for "A WITH E" that of A.
// Text that is no SPDX expression is unknown.
func (c *Classifier) Category(expr string) string {
	toks := tokenize(expr)
	p := &parser{toks: toks, c: c}
	cat := p.or()
	if p.bad || p.i != len(p.toks) {
		return inventory.LicenseUnknown
	}
	return cat
}

func restrictiveness(cat string) int { return slices.Index(rank, cat) }

func tokenize(s string) []string {
	s = strings.ReplaceAll(strings.ReplaceAll(s, "(", " ( "), ")", " ) ")
	return strings.Fields(s)
}

// parser evaluates an SPDX expression's category: or := and {OR and}; and := with {AND with};
// with := atom [WITH id]; atom := id | ( or ).
type parser struct {
	toks  []string
	i     int
	c     *Classifier
	bad   bool
	depth int
}

func (p *parser) peek(s string) bool {
	return p.i < len(p.toks) && strings.EqualFold(p.toks[p.i], s)
}

func (p *parser) or() string {
	cat := p.and()
	for p.peek("OR") {
		p.i++
		if o := p.and(); restrictiveness(o) > restrictiveness(cat) {
			cat = o
		}
	}
	return cat
}

func (p *parser) and() string {
	cat := p.with()
	for p.peek("AND") {
		p.i++
		if o := p.with(); restrictiveness(o) < restrictiveness(cat) {
			cat = o
		}
	}
	return cat
}

func (p *parser) with() string {
	cat := p.atom()
	if p.peek("WITH") {
		p.i += 2
		if p.i > len(p.toks) {
			p.bad = true
		}
	}
	return cat
}

func (p *parser) atom() string {
	if p.i >= len(p.toks) || p.depth > 64 {
		p.bad = true
		return inventory.LicenseUnknown
	}
	t := p.toks[p.i]
	p.i++
	if t == "(" {
		p.depth++
		cat := p.or()
		p.depth--
		if !p.peek(")") {
			p.bad = true
			return inventory.LicenseUnknown
		}
		p.i++
		return cat
	}
	if t == ")" || strings.EqualFold(t, "AND") || strings.EqualFold(t, "OR") || strings.EqualFold(t, "WITH") {
		p.bad = true
		return inventory.LicenseUnknown
	}
	if cat, ok := p.c.category[strings.ToLower(t)]; ok {
		return cat
	}
	return inventory.LicenseUnknown
}
