package policy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/openvex/go-vex/pkg/vex"

	"github.com/shipshape-dev/shipshape/internal/inventory"
)

// VEX formats ParseVEX recognises.
const (
	FormatOpenVEX   = "openvex"
	FormatCycloneDX = "cyclonedx"
	FormatCSAF      = "csaf"
)

// VEX statuses, as OpenVEX names them; CycloneDX analysis states and CSAF product statuses
// are mapped onto them.
const (
	VEXNotAffected        = "not_affected"
	VEXAffected           = "affected"
	VEXFixed              = "fixed"
	VEXUnderInvestigation = "under_investigation"
)

// VEXDocument is a VEX document of any supported format, reduced to its statements.
type VEXDocument struct {
	// Source is the file name, recorded in every suppression.
	Source string
	// Format is one of the Format* constants.
	Format     string
	Statements []VEXStatement
	// Warnings are problems with single statements that did not stop the rest being read.
	Warnings []string
}

// VEXStatement says what one vulnerability means for some products.
type VEXStatement struct {
	// Vulnerability is the id; Aliases other ids of the same vulnerability.
	Vulnerability string
	Aliases       []string
	Products      []VEXProduct
	// Status is one of the VEX* statuses.
	Status        string
	Justification string
	// Detail is the impact statement, analysis detail or threat text.
	Detail string
	// Timestamp orders statements about the same finding: the latest wins.
	Timestamp time.Time
}

// VEXProduct names a product: a package URL or other identifier, and optionally the
// components inside it (for an image product: its packages) the statement is about.
type VEXProduct struct {
	ID            string
	Subcomponents []string
}

// maxVEXSize bounds the size of one VEX document read.
const maxVEXSize = 256 << 20

// LoadVEX reads and parses a VEX document.
func LoadVEX(name string) (*VEXDocument, error) {
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("reading the VEX document: %w", err)
	}
	return ParseVEX(data, name)
}

// ParseVEX recognises and parses an OpenVEX, CycloneDX (JSON) or CSAF VEX document.
func ParseVEX(data []byte, source string) (*VEXDocument, error) {
	if len(data) > maxVEXSize {
		return nil, fmt.Errorf("VEX document %s: %d bytes is more than the %d this reads", source, len(data), maxVEXSize)
	}
	var probe struct {
		Context   any             `json:"@context"`
		BOMFormat string          `json:"bomFormat"`
		Document  json.RawMessage `json:"document"`
	}
	if err := json.Unmarshal(data, &probe); err != nil {
		return nil, fmt.Errorf("VEX document %s: not a JSON object (%w); shipshape reads OpenVEX, CycloneDX JSON and CSAF JSON", source, jsonErrorAt(data, err))
	}
	var doc *VEXDocument
	var err error
	switch {
	case contextIsLegacyOpenVEX(probe.Context):
		doc, err = parseOpenVEX001(data)
	case contextIsOpenVEX(probe.Context):
		doc, err = parseOpenVEX(data)
	case strings.EqualFold(probe.BOMFormat, "CycloneDX"):
		doc, err = parseCycloneDXVEX(data)
	case len(probe.Document) > 0 && bytes.Contains(probe.Document, []byte(`"csaf_version"`)):
		doc, err = parseCSAF(data)
	default:
		return nil, fmt.Errorf("VEX document %s: not OpenVEX (@context https://openvex.dev/ns...), CycloneDX (bomFormat) or CSAF (document.csaf_version)", source)
	}
	if err != nil {
		return nil, fmt.Errorf("VEX document %s: %w", source, err)
	}
	doc.Source = source
	return doc, nil
}

// jsonErrorAt adds the line of a JSON syntax error.
func jsonErrorAt(data []byte, err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	off := int64(-1)
	switch {
	case errors.As(err, &se):
		off = se.Offset
	case errors.As(err, &te):
		off = te.Offset
	}
	if off < 0 || off > int64(len(data)) {
		return err
	}
	line := 1 + bytes.Count(data[:off], []byte("\n"))
	return fmt.Errorf("line %d: %w", line, err)
}

func contextIsOpenVEX(c any) bool {
	switch v := c.(type) {
	case string:
		return strings.HasPrefix(v, vex.Context)
	case []any:
		for _, x := range v {
			if s, ok := x.(string); ok && strings.HasPrefix(s, vex.Context) {
				return true
			}
		}
	}
	return false
}

// contextIsLegacyOpenVEX recognises OpenVEX v0.0.1, whose statements name the
// vulnerability and products as plain strings.
func contextIsLegacyOpenVEX(c any) bool {
	s, ok := c.(string)
	return ok && (s == vex.Context || s == vex.Context+"/v0.0.1")
}

// openVEX001 is the OpenVEX v0.0.1 document (the first published version of the spec).
type openVEX001 struct {
	Timestamp  *time.Time `json:"timestamp"`
	Statements []struct {
		Vulnerability   string     `json:"vulnerability"`
		Timestamp       *time.Time `json:"timestamp"`
		Products        []string   `json:"products"`
		Subcomponents   []string   `json:"subcomponents"`
		Status          string     `json:"status"`
		StatusNotes     string     `json:"status_notes"`
		Justification   string     `json:"justification"`
		ImpactStatement string     `json:"impact_statement"`
		ActionStatement string     `json:"action_statement"`
	} `json:"statements"`
}

func parseOpenVEX001(data []byte) (*VEXDocument, error) {
	var v openVEX001
	if err := json.Unmarshal(data, &v); err != nil {
		return nil, fmt.Errorf("OpenVEX v0.0.1: %w", jsonErrorAt(data, err))
	}
	doc := &VEXDocument{Format: FormatOpenVEX}
	for i, s := range v.Statements {
		st := VEXStatement{Vulnerability: s.Vulnerability, Status: s.Status, Justification: s.Justification,
			Detail: cmpOr(s.ImpactStatement, s.StatusNotes, s.ActionStatement)}
		switch {
		case s.Timestamp != nil:
			st.Timestamp = *s.Timestamp
		case v.Timestamp != nil:
			st.Timestamp = *v.Timestamp
		}
		for _, p := range s.Products {
			st.Products = append(st.Products, VEXProduct{ID: p, Subcomponents: s.Subcomponents})
		}
		if w := st.check(); w != "" {
			doc.Warnings = append(doc.Warnings, fmt.Sprintf("statement %d: %s", i+1, w))
			continue
		}
		doc.Statements = append(doc.Statements, st)
	}
	return doc, nil
}

// parseOpenVEX reads an OpenVEX document with github.com/openvex/go-vex.
func parseOpenVEX(data []byte) (*VEXDocument, error) {
	v, err := vex.Parse(data)
	if err != nil {
		return nil, fmt.Errorf("OpenVEX: %w", jsonErrorAt(data, errors.Unwrap(err)))
	}
	doc := &VEXDocument{Format: FormatOpenVEX}
	var docTime time.Time
	if v.Timestamp != nil {
		docTime = *v.Timestamp
	}
	for i, s := range v.Statements {
		st := VEXStatement{
			Vulnerability: string(s.Vulnerability.Name),
			Status:        string(s.Status),
			Justification: string(s.Justification),
			Detail:        cmpOr(s.ImpactStatement, s.StatusNotes, s.ActionStatement),
			Timestamp:     docTime,
		}
		if s.Timestamp != nil {
			st.Timestamp = *s.Timestamp
		}
		if st.Vulnerability == "" {
			st.Vulnerability = s.Vulnerability.ID
		}
		for _, a := range s.Vulnerability.Aliases {
			st.Aliases = append(st.Aliases, string(a))
		}
		for _, p := range s.Products {
			vp := VEXProduct{ID: componentID(p.Component)}
			for _, sc := range p.Subcomponents {
				if id := componentID(sc.Component); id != "" {
					vp.Subcomponents = append(vp.Subcomponents, id)
				}
			}
			if vp.ID != "" || len(vp.Subcomponents) > 0 {
				st.Products = append(st.Products, vp)
			}
		}
		if w := st.check(); w != "" {
			doc.Warnings = append(doc.Warnings, fmt.Sprintf("statement %d: %s", i+1, w))
			continue
		}
		doc.Statements = append(doc.Statements, st)
	}
	return doc, nil
}

// componentID is the purl of an OpenVEX component when it has one, else its @id.
func componentID(c vex.Component) string {
	if p := c.Identifiers[vex.PURL]; p != "" {
		return p
	}
	return c.ID
}

func cmpOr(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// check returns why a statement cannot be used, or "".
func (s *VEXStatement) check() string {
	switch s.Status {
	case VEXNotAffected, VEXAffected, VEXFixed, VEXUnderInvestigation:
	default:
		return fmt.Sprintf("unknown status %q (expected not_affected, affected, fixed or under_investigation); statement skipped", s.Status)
	}
	if s.Vulnerability == "" {
		return "no vulnerability named; statement skipped"
	}
	if len(s.Products) == 0 {
		return fmt.Sprintf("%s: no products named; statement skipped", s.Vulnerability)
	}
	return ""
}

// CycloneDX VEX, as far as it is read: https://cyclonedx.org/capabilities/vex/ and the
// CycloneDX 1.4-1.6 JSON schema (vulnerabilities[].analysis, affects[].ref).
type cdxComponent struct {
	BOMRef     string         `json:"bom-ref"`
	PURL       string         `json:"purl"`
	Components []cdxComponent `json:"components"`
}

type cdxBOM struct {
	Metadata struct {
		Timestamp string        `json:"timestamp"`
		Component *cdxComponent `json:"component"`
	} `json:"metadata"`
	Components      []cdxComponent `json:"components"`
	Vulnerabilities []struct {
		ID         string `json:"id"`
		References []struct {
			ID string `json:"id"`
		} `json:"references"`
		Updated  string `json:"updated"`
		Analysis *struct {
			State         string `json:"state"`
			Justification string `json:"justification"`
			Detail        string `json:"detail"`
			LastUpdated   string `json:"lastUpdated"`
		} `json:"analysis"`
		Affects []struct {
			Ref string `json:"ref"`
		} `json:"affects"`
	} `json:"vulnerabilities"`
}

// cdxStates maps CycloneDX analysis states to VEX statuses.
var cdxStates = map[string]string{
	"not_affected":           VEXNotAffected,
	"false_positive":         VEXNotAffected,
	"resolved":               VEXFixed,
	"resolved_with_pedigree": VEXFixed,
	"exploitable":            VEXAffected,
	"in_triage":              VEXUnderInvestigation,
}

func parseCycloneDXVEX(data []byte) (*VEXDocument, error) {
	var b cdxBOM
	if err := json.Unmarshal(data, &b); err != nil {
		return nil, fmt.Errorf("CycloneDX: %w", jsonErrorAt(data, err))
	}
	doc := &VEXDocument{Format: FormatCycloneDX}
	refs := map[string]string{}
	var walk func([]cdxComponent, int)
	walk = func(cs []cdxComponent, depth int) {
		if depth > 64 {
			return
		}
		for _, c := range cs {
			if c.BOMRef != "" && c.PURL != "" {
				refs[c.BOMRef] = c.PURL
			}
			walk(c.Components, depth+1)
		}
	}
	if b.Metadata.Component != nil {
		walk([]cdxComponent{*b.Metadata.Component}, 0)
	}
	walk(b.Components, 0)
	docTime := parseTimeLoose(b.Metadata.Timestamp)
	for i, v := range b.Vulnerabilities {
		if v.Analysis == nil || v.Analysis.State == "" {
			continue // a vulnerability without analysis says nothing about exploitability
		}
		st := VEXStatement{Vulnerability: v.ID, Justification: v.Analysis.Justification, Detail: v.Analysis.Detail,
			Timestamp: docTime}
		status, ok := cdxStates[v.Analysis.State]
		if !ok {
			doc.Warnings = append(doc.Warnings, fmt.Sprintf("vulnerabilities[%d] %s: unknown analysis state %q; skipped", i, v.ID, v.Analysis.State))
			continue
		}
		st.Status = status
		if t := parseTimeLoose(cmpOr(v.Analysis.LastUpdated, v.Updated)); !t.IsZero() {
			st.Timestamp = t
		}
		for _, r := range v.References {
			if r.ID != "" && r.ID != v.ID {
				st.Aliases = append(st.Aliases, r.ID)
			}
		}
		for _, a := range v.Affects {
			id := resolveCDXRef(a.Ref, refs)
			if id == "" {
				doc.Warnings = append(doc.Warnings, fmt.Sprintf("vulnerabilities[%d] %s: affects ref %q names no component with a purl; that product cannot match", i, v.ID, a.Ref))
				continue
			}
			st.Products = append(st.Products, VEXProduct{ID: id})
		}
		if w := st.check(); w != "" {
			doc.Warnings = append(doc.Warnings, fmt.Sprintf("vulnerabilities[%d]: %s", i, w))
			continue
		}
		doc.Statements = append(doc.Statements, st)
	}
	return doc, nil
}

// resolveCDXRef turns an affects ref into a purl: a bom-ref of a component in the same
// document, a BOM-Link (urn:cdx:serial/version#ref) whose fragment is a purl or such a
// bom-ref, or a purl given directly.
func resolveCDXRef(ref string, refs map[string]string) string {
	if p, ok := refs[ref]; ok {
		return p
	}
	if strings.HasPrefix(ref, "urn:cdx:") {
		if _, frag, ok := strings.Cut(ref, "#"); ok {
			ref = frag
			if p, ok := refs[ref]; ok {
				return p
			}
		}
	}
	if strings.HasPrefix(ref, "pkg:") {
		return ref
	}
	return ""
}

func parseTimeLoose(s string) time.Time {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t
		}
	}
	return time.Time{}
}

// CSAF 2.0 VEX profile, as far as it is read (OASIS CSAF 2.0, sections 3.2.3 product tree,
// 3.2.4 vulnerabilities, 4.5 profile "VEX").
type csafProduct struct {
	Name      string `json:"name"`
	ProductID string `json:"product_id"`
	Helper    *struct {
		PURL  string   `json:"purl"`
		PURLs []string `json:"purls"`
	} `json:"product_identification_helper"`
}

type csafBranch struct {
	Branches []csafBranch `json:"branches"`
	Product  *csafProduct `json:"product"`
}

type csafDoc struct {
	Document struct {
		CSAFVersion string `json:"csaf_version"`
		Tracking    struct {
			CurrentReleaseDate string `json:"current_release_date"`
		} `json:"tracking"`
	} `json:"document"`
	ProductTree struct {
		Branches         []csafBranch  `json:"branches"`
		FullProductNames []csafProduct `json:"full_product_names"`
		Relationships    []struct {
			FullProductName           csafProduct `json:"full_product_name"`
			ProductReference          string      `json:"product_reference"`
			RelatesToProductReference string      `json:"relates_to_product_reference"`
		} `json:"relationships"`
	} `json:"product_tree"`
	Vulnerabilities []struct {
		CVE string `json:"cve"`
		IDs []struct {
			Text string `json:"text"`
		} `json:"ids"`
		ProductStatus map[string][]string `json:"product_status"`
		Flags         []struct {
			Label      string   `json:"label"`
			ProductIDs []string `json:"product_ids"`
		} `json:"flags"`
		Threats []struct {
			Category   string   `json:"category"`
			Details    string   `json:"details"`
			ProductIDs []string `json:"product_ids"`
		} `json:"threats"`
	} `json:"vulnerabilities"`
}

// csafStatuses maps CSAF product status groups to VEX statuses.
var csafStatuses = []struct{ group, status string }{
	{"known_not_affected", VEXNotAffected},
	{"fixed", VEXFixed},
	{"first_fixed", VEXFixed},
	{"known_affected", VEXAffected},
	{"first_affected", VEXAffected},
	{"last_affected", VEXAffected},
	{"under_investigation", VEXUnderInvestigation},
}

func parseCSAF(data []byte) (*VEXDocument, error) {
	var c csafDoc
	if err := json.Unmarshal(data, &c); err != nil {
		return nil, fmt.Errorf("CSAF: %w", jsonErrorAt(data, err))
	}
	doc := &VEXDocument{Format: FormatCSAF}
	purls := map[string][]string{}
	add := func(p *csafProduct) {
		if p == nil || p.ProductID == "" || p.Helper == nil {
			return
		}
		if p.Helper.PURL != "" {
			purls[p.ProductID] = append(purls[p.ProductID], p.Helper.PURL)
		}
		purls[p.ProductID] = append(purls[p.ProductID], p.Helper.PURLs...)
	}
	var walk func([]csafBranch, int)
	walk = func(bs []csafBranch, depth int) {
		if depth > 64 {
			return
		}
		for i := range bs {
			add(bs[i].Product)
			walk(bs[i].Branches, depth+1)
		}
	}
	walk(c.ProductTree.Branches, 0)
	for i := range c.ProductTree.FullProductNames {
		add(&c.ProductTree.FullProductNames[i])
	}
	// A relationship makes a product "component X in platform Y". The statement is taken as
	// being about the component, matched by its purl: the platform is the vendor's product,
	// which shipshape cannot tell apart from the scanned target.
	products := map[string]VEXProduct{}
	for id, ps := range purls {
		if len(ps) > 0 {
			products[id] = VEXProduct{Subcomponents: ps}
		}
	}
	for _, r := range c.ProductTree.Relationships {
		comp := purls[r.ProductReference]
		if r.FullProductName.ProductID == "" || len(comp) == 0 {
			continue
		}
		products[r.FullProductName.ProductID] = VEXProduct{Subcomponents: comp}
	}
	docTime := parseTimeLoose(c.Document.Tracking.CurrentReleaseDate)
	for i, v := range c.Vulnerabilities {
		id := v.CVE
		var aliases []string
		for _, x := range v.IDs {
			if x.Text == "" {
				continue
			}
			if id == "" {
				id = x.Text
			} else {
				aliases = append(aliases, x.Text)
			}
		}
		if id == "" {
			doc.Warnings = append(doc.Warnings, fmt.Sprintf("vulnerabilities[%d]: no cve or ids; skipped", i))
			continue
		}
		for _, g := range csafStatuses {
			pids := v.ProductStatus[g.group]
			if len(pids) == 0 {
				continue
			}
			// One statement per product, so that each carries its own justification.
			for _, pid := range pids {
				p, ok := products[pid]
				if !ok {
					doc.Warnings = append(doc.Warnings, fmt.Sprintf("vulnerabilities[%d] %s: product %q has no purl in the product tree; it cannot match", i, id, pid))
					continue
				}
				st := VEXStatement{Vulnerability: id, Aliases: aliases, Status: g.status, Timestamp: docTime, Products: []VEXProduct{p}}
				for _, f := range v.Flags {
					if slices.Contains(f.ProductIDs, pid) {
						st.Justification = f.Label
					}
				}
				for _, t := range v.Threats {
					if t.Category == "impact" && slices.Contains(t.ProductIDs, pid) {
						st.Detail = t.Details
					}
				}
				doc.Statements = append(doc.Statements, st)
			}
		}
	}
	return doc, nil
}

// applyVEX finds the latest statement about f and records it: not_affected and fixed
// suppress, affected and under_investigation are recorded in f.VEX.
func applyVEX(f *inventory.Finding, target *inventory.Target, docs []*VEXDocument, pc purlCache) {
	var best *VEXStatement
	var bestSrc string
	for _, d := range docs {
		if d == nil {
			continue
		}
		for i := range d.Statements {
			s := &d.Statements[i]
			if !s.matches(f, target, pc) {
				continue
			}
			if best == nil || !s.Timestamp.Before(best.Timestamp) {
				best, bestSrc = s, d.Source
			}
		}
	}
	if best == nil {
		return
	}
	sup := &inventory.Suppression{Kind: SuppressedByVEX, Source: bestSrc, Statement: best.Status,
		Reason: strings.TrimPrefix(strings.Join(nonEmpty(best.Justification, best.Detail), ": "), ": ")}
	switch best.Status {
	case VEXNotAffected, VEXFixed:
		f.Suppressed = sup
	default:
		f.VEX = sup
	}
}

func nonEmpty(ss ...string) []string {
	var out []string
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

func (s *VEXStatement) matches(f *inventory.Finding, target *inventory.Target, pc purlCache) bool {
	if !matchID(s.Vulnerability, f.ID, f.Aliases) && !slices.ContainsFunc(s.Aliases, func(a string) bool { return matchID(a, f.ID, f.Aliases) }) {
		return false
	}
	for _, p := range s.Products {
		if len(p.Subcomponents) == 0 {
			if idMatchesPackage(p.ID, f.PkgPURL, pc) || idMatchesTarget(p.ID, target) {
				return true
			}
			continue
		}
		if p.ID != "" && !idMatchesTarget(p.ID, target) && !idMatchesPackage(p.ID, f.PkgPURL, pc) {
			continue
		}
		for _, sc := range p.Subcomponents {
			if idMatchesPackage(sc, f.PkgPURL, pc) {
				return true
			}
		}
	}
	return false
}

// idMatchesPackage reports whether a VEX product id (a purl) names the package pkgPURL.
func idMatchesPackage(id, pkgPURL string, pc purlCache) bool {
	if !strings.HasPrefix(id, "pkg:") || pkgPURL == "" {
		return false
	}
	p, err := pc.parse(id)
	if err != nil {
		return false
	}
	return purlPattern{raw: id, p: p}.matches(pkgPURL, pc)
}

// idMatchesTarget reports whether a VEX product id names the scanned image: a pkg:oci purl
// whose version is the image's manifest digest, image id or a repo digest (or, without a
// version, whose name is the last element of a repository it is tagged in), or the image
// reference, id or digest written plainly.
func idMatchesTarget(id string, t *inventory.Target) bool {
	if id == "" || t == nil {
		return false
	}
	digests := []string{t.ImageID, t.ManifestDigest}
	for _, rd := range t.RepoDigests {
		if _, d, ok := strings.Cut(rd, "@"); ok {
			digests = append(digests, d)
		}
	}
	if strings.HasPrefix(id, "pkg:oci/") {
		pp, err := parsePURLPattern(id)
		if err != nil {
			return false
		}
		if v := pp.p.Version; v != "" {
			return slices.Contains(digests, v)
		}
		for _, tag := range append(slices.Clone(t.RepoTags), t.Name) {
			repo := tag
			if i := strings.LastIndex(repo, ":"); i > strings.LastIndex(repo, "/") {
				repo = repo[:i]
			}
			if j := strings.LastIndex(repo, "/"); j >= 0 {
				repo = repo[j+1:]
			}
			if strings.EqualFold(repo, pp.p.Name) {
				return true
			}
		}
		return false
	}
	if id == t.Name || slices.Contains(t.RepoTags, id) || slices.Contains(t.RepoDigests, id) {
		return true
	}
	return strings.HasPrefix(id, "sha256:") && slices.Contains(digests, id)
}
