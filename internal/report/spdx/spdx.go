// Package spdx writes an inventory as an SPDX 2.3 JSON document: a package for the scanned
// target that the document DESCRIBES and that CONTAINS its operating system and every
// installed package, each with its purl, declared licences and where it was found. SPDX 2.3
// has no place for vulnerabilities: findings and the vulnerability DB are not written.
package spdx

// The document is built from the small set of types below rather than from the SPDX 2.3
// model of github.com/spdx/tools-golang v0.5.7: that package (spdx/v2/v2_3) imports
// github.com/anchore/go-struct-converter, a module that is not in this project's go.mod or
// go.sum, so using it would mean a new dependency for a handful of structs. Writing the JSON
// ourselves also fixes the field order and keeps every value a plain string. The types cover
// only what this writer emits; tests validate the output against the official SPDX 2.3 JSON
// schema (testdata/schema/spdx-schema.json).

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shipshape-dev/shipshape/internal/inventory"
	"github.com/shipshape-dev/shipshape/internal/report"
)

// ErrNoTime is returned when Options.Now is nil: SPDX requires creationInfo.created.
var ErrNoTime = errors.New("SPDX requires a creation time: set Options.Now")

// NamespacePrefix starts every documentNamespace.
const NamespacePrefix = "https://shipshape.dev/spdxdocs/"

const (
	noAssertion  = "NOASSERTION"
	documentID   = "SPDXRef-DOCUMENT"
	targetID     = "SPDXRef-Target"
	osIDPrefix   = "SPDXRef-OperatingSystem-"
	pkgIDPrefix  = "SPDXRef-Package-"
	licRefPrefix = "LicenseRef-"
)

type document struct {
	SPDXVersion       string             `json:"spdxVersion"`
	DataLicense       string             `json:"dataLicense"`
	SPDXID            string             `json:"SPDXID"`
	Name              string             `json:"name"`
	DocumentNamespace string             `json:"documentNamespace"`
	CreationInfo      creationInfo       `json:"creationInfo"`
	Packages          []pkg              `json:"packages"`
	ExtractedLicenses []extractedLicense `json:"hasExtractedLicensingInfos,omitempty"`
	Relationships     []relationship     `json:"relationships"`
}

type creationInfo struct {
	LicenseListVersion string   `json:"licenseListVersion,omitempty"`
	Creators           []string `json:"creators"`
	Created            string   `json:"created"`
}

type pkg struct {
	Name                  string        `json:"name"`
	SPDXID                string        `json:"SPDXID"`
	VersionInfo           string        `json:"versionInfo,omitempty"`
	Supplier              string        `json:"supplier"`
	DownloadLocation      string        `json:"downloadLocation"`
	FilesAnalyzed         bool          `json:"filesAnalyzed"`
	SourceInfo            string        `json:"sourceInfo,omitempty"`
	LicenseConcluded      string        `json:"licenseConcluded"`
	LicenseDeclared       string        `json:"licenseDeclared"`
	CopyrightText         string        `json:"copyrightText"`
	Description           string        `json:"description,omitempty"`
	ExternalRefs          []externalRef `json:"externalRefs,omitempty"`
	PrimaryPackagePurpose string        `json:"primaryPackagePurpose,omitempty"`
}

type externalRef struct {
	Category string `json:"referenceCategory"`
	Type     string `json:"referenceType"`
	Locator  string `json:"referenceLocator"`
}

type extractedLicense struct {
	LicenseID     string `json:"licenseId"`
	Name          string `json:"name"`
	ExtractedText string `json:"extractedText"`
	Comment       string `json:"comment"`
}

type relationship struct {
	Element string `json:"spdxElementId"`
	Type    string `json:"relationshipType"`
	Related string `json:"relatedSpdxElement"`
}

// Write writes inv to w as an indented SPDX 2.3 JSON document. opts.Now is required (SPDX
// has no document without a creation time); with a fixed clock the output depends only on
// inv and opts: packages are sorted (report.Sorted), SPDXIDs are derived from each package's
// purl and location, and documentNamespace from a hash of the document's content.
func Write(w io.Writer, inv *inventory.Inventory, opts report.Options) error {
	created, ok := opts.Timestamp()
	if !ok {
		return fmt.Errorf("spdx: %w", ErrNoTime)
	}
	inv, err := report.Sorted(inv)
	if err != nil {
		return fmt.Errorf("spdx: %w", err)
	}
	doc := build(inv, opts, created)
	ns, err := namespace(doc)
	if err != nil {
		return fmt.Errorf("spdx: hashing the document for %s: %w", inv.Target.Name, err)
	}
	doc.DocumentNamespace = ns
	data, err := encode(doc)
	if err != nil {
		return fmt.Errorf("spdx: encoding the document for %s: %w", inv.Target.Name, err)
	}
	if _, err := w.Write(data); err != nil {
		return fmt.Errorf("spdx: writing the document for %s: %w", inv.Target.Name, err)
	}
	return nil
}

func build(inv *inventory.Inventory, opts report.Options, created time.Time) *document {
	name, version := opts.Tool()
	creator := "Tool: " + name
	if version != "" {
		creator += "-" + version
	}
	doc := &document{
		SPDXVersion: "SPDX-2.3",
		DataLicense: "CC0-1.0",
		SPDXID:      documentID,
		Name:        inv.Target.Name,
		CreationInfo: creationInfo{
			LicenseListVersion: report.LicenseListVersion,
			Creators:           []string{creator},
			Created:            created.Format(time.RFC3339),
		},
		Packages:      []pkg{targetPackage(inv.Target)},
		Relationships: []relationship{{Element: documentID, Type: "DESCRIBES", Related: targetID}},
	}
	if inv.OS.Known() {
		p := osPackage(inv.OS)
		doc.Packages = append(doc.Packages, p)
		doc.Relationships = append(doc.Relationships, relationship{Element: targetID, Type: "CONTAINS", Related: p.SPDXID})
	}
	lic := licenseRefs{}
	used := map[string]bool{}
	for i := range inv.Packages {
		p := packageEntry(&inv.Packages[i], inv.OS, lic)
		if used[p.SPDXID] {
			// Packages equal in purl and location: number the repeats in (sorted) order.
			n := 2
			for used[p.SPDXID+"-"+strconv.Itoa(n)] {
				n++
			}
			p.SPDXID += "-" + strconv.Itoa(n)
		}
		used[p.SPDXID] = true
		doc.Packages = append(doc.Packages, p)
		doc.Relationships = append(doc.Relationships, relationship{Element: targetID, Type: "CONTAINS", Related: p.SPDXID})
	}
	doc.ExtractedLicenses = lic.list()
	return doc
}

func targetPackage(t inventory.Target) pkg {
	p := pkg{
		Name:             t.Name,
		SPDXID:           targetID,
		VersionInfo:      t.ImageID,
		Supplier:         noAssertion,
		DownloadLocation: noAssertion,
		LicenseConcluded: noAssertion,
		LicenseDeclared:  noAssertion,
		CopyrightText:    noAssertion,
	}
	switch t.Kind {
	case "image":
		p.PrimaryPackagePurpose = "CONTAINER"
	case "rootfs", "filesystem", "sbom":
		p.PrimaryPackagePurpose = "FILE"
	}
	return p
}

func osPackage(o *inventory.OS) pkg {
	id := o.Family
	if o.Version != "" {
		id += "-" + o.Version
	}
	return pkg{
		Name:                  o.Family,
		SPDXID:                osIDPrefix + sanitize(id, "os"),
		VersionInfo:           o.Version,
		Supplier:              noAssertion,
		DownloadLocation:      noAssertion,
		LicenseConcluded:      noAssertion,
		LicenseDeclared:       noAssertion,
		CopyrightText:         noAssertion,
		Description:           o.PrettyName,
		PrimaryPackagePurpose: "OPERATING_SYSTEM",
	}
}

func packageEntry(p *inventory.Package, o *inventory.OS, lic licenseRefs) pkg {
	purl := report.PURL(p, o)
	e := pkg{
		Name:             p.Name,
		SPDXID:           pkgIDPrefix + sanitize(p.Type+"-"+p.Name, "package") + "-" + shortHash(purl+"\x00"+p.Location, 16),
		VersionInfo:      p.Version,
		Supplier:         supplier(p.Maintainer),
		DownloadLocation: noAssertion,
		SourceInfo:       sourceInfo(p),
		LicenseConcluded: noAssertion,
		LicenseDeclared:  lic.declared(p.Licenses),
		CopyrightText:    noAssertion,
	}
	if purl != "" {
		e.ExternalRefs = []externalRef{{Category: "PACKAGE-MANAGER", Type: "purl", Locator: purl}}
	}
	return e
}

// supplier turns a maintainer ("Name <email>") into an SPDX agent, "Organization: Name
// (email)". Maintainers of distro packages are mostly teams; an individual is still the
// organisation that supplied the package as far as this document can tell.
func supplier(maintainer string) string {
	m := strings.Join(strings.Fields(maintainer), " ")
	if m == "" {
		return noAssertion
	}
	if i := strings.LastIndexByte(m, '<'); i >= 0 && strings.HasSuffix(m, ">") {
		name, email := strings.TrimSpace(m[:i]), strings.TrimSpace(m[i+1:len(m)-1])
		switch {
		case name == "" && email == "":
			return noAssertion
		case name == "":
			m = email
		case email == "":
			m = name
		default:
			m = name + " (" + email + ")"
		}
	}
	return "Organization: " + m
}

func sourceInfo(p *inventory.Package) string {
	var parts []string
	if p.Location != "" {
		parts = append(parts, "found in "+p.Location)
	}
	if l := p.Layer; l != nil {
		s := "layer " + strconv.Itoa(l.Index)
		if l.DiffID != "" {
			s += " (" + l.DiffID + ")"
		}
		if l.CreatedBy != "" {
			s += " created by: " + l.CreatedBy
		}
		parts = append(parts, s)
	}
	if p.SourceName != "" {
		s := "built from source package " + p.SourceName
		if p.SourceVersion != "" {
			s += " " + p.SourceVersion
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "; ")
}

// licenseRefs collects the LicenseRef- identifiers a document uses, keyed by the licence
// string they stand for.
type licenseRefs map[string]string

// declared builds licenseDeclared: each licence that is an SPDX id or expression as itself,
// anything else as a LicenseRef- defined in hasExtractedLicensingInfos, joined with AND;
// NOASSERTION when the package declares none.
func (lr licenseRefs) declared(ls []string) string {
	var terms []string
	for _, l := range ls {
		l = strings.TrimSpace(l)
		if l == "" {
			continue
		}
		term, ok := report.SPDXLicenseID(l)
		if !ok {
			term, ok = report.SPDXExpression(l)
		}
		if !ok {
			term = lr.ref(l)
		}
		if !slices.Contains(terms, term) {
			terms = append(terms, term)
		}
	}
	switch len(terms) {
	case 0:
		return noAssertion
	case 1:
		return terms[0]
	}
	for i, t := range terms {
		if report.IsCompoundExpression(t) {
			terms[i] = "(" + t + ")"
		}
	}
	return strings.Join(terms, " AND ")
}

// ref returns the LicenseRef- for a licence string: the string itself when it is a valid
// idstring, else its sanitised form plus a hash of the original so that refs stay unique.
func (lr licenseRefs) ref(l string) string {
	if id, ok := lr[l]; ok {
		return id
	}
	id := sanitize(l, "unknown")
	if id != l {
		id += "-" + shortHash(l, 8)
	}
	id = licRefPrefix + id
	lr[l] = id
	return id
}

func (lr licenseRefs) list() []extractedLicense {
	var out []extractedLicense
	for l, id := range lr {
		out = append(out, extractedLicense{
			LicenseID:     id,
			Name:          l,
			ExtractedText: l,
			Comment:       "Licence as declared by the package metadata; the licence text was not extracted.",
		})
	}
	slices.SortFunc(out, func(a, b extractedLicense) int { return strings.Compare(a.LicenseID, b.LicenseID) })
	return out
}

// sanitize keeps letters, digits, '.' and '-' (what SPDXIDs and LicenseRef idstrings
// allow), turns every other run of characters into one '-' and trims '-' at both ends.
func sanitize(s, fallback string) string {
	var b strings.Builder
	dash := false
	for _, r := range s {
		if r < 0x80 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-') {
			if r == '-' {
				if dash {
					continue
				}
				dash = true
			} else {
				dash = false
			}
			b.WriteRune(r)
			continue
		}
		if !dash {
			b.WriteByte('-')
			dash = true
		}
	}
	out := strings.Trim(b.String(), "-")
	if out == "" {
		return fallback
	}
	return out
}

func shortHash(s string, n int) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])[:n]
}

// namespace derives documentNamespace from the target name and a sha256 of the document
// as it would be written with an empty namespace (so including the creation time: two
// documents created at different times are different documents, as SPDX expects).
func namespace(doc *document) (string, error) {
	data, err := encode(doc)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(data)
	return NamespacePrefix + sanitize(doc.Name, "target") + "-" + hex.EncodeToString(sum[:])[:32], nil
}

func encode(doc *document) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
