// Package cyclonedx writes an inventory as a CycloneDX 1.6 JSON SBOM: the scanned target as
// the metadata component, its operating system and one library component per package, with
// shipshape's own facts (source package, location, layer) as shipshape: properties. After a
// vulnerability scan it adds the findings as the BOM's vulnerabilities, one per
// vulnerability id, each pointing at the components it affects.
//
// A vulnerability carries: bom-ref "vuln:<id>"; source.name, the first (sorted) feed that
// reported it, and source.url, its public page when the id is a CVE (NVD), GHSA (GitHub) or
// GO (pkg.go.dev) id; references, its aliases; ratings, first the severity shipshape reports
// (method "other", source the rater, NEGLIGIBLE written as "info"), then one per CVSS
// assessment (method CVSSv2/CVSSv3/CVSSv31/CVSSv4, score, vector, severity from the score);
// cwes as integers; description (the title, or the description when there is no title) and
// detail (the description when there is a title); advisories, the reference URLs;
// published and updated when they are RFC 3339; a recommendation naming the fixed
// versions; affects, one entry per affected component with its installed version as
// "affected"; and properties: shipshape:epss:*, shipshape:kev:*, and per affected component
// shipshape:fixedVersion:<bom-ref> and shipshape:status:<bom-ref>. The vulnerability data
// used is described by shipshape:db:* properties of the metadata.
package cyclonedx

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	cdx "github.com/CycloneDX/cyclonedx-go"

	"github.com/shipshape-dev/shipshape/internal/inventory"
	"github.com/shipshape-dev/shipshape/internal/report"
)

// Property names, in the shipshape: namespace.
const (
	PropPackageType          = "shipshape:package:type"
	PropPackageSourceName    = "shipshape:package:sourceName"
	PropPackageSourceVersion = "shipshape:package:sourceVersion"
	PropPackageMaintainer    = "shipshape:package:maintainer"
	PropPackageModularity    = "shipshape:package:modularityLabel"
	PropLocationPath         = "shipshape:location:0:path"
	PropLayerDiffID          = "shipshape:layer:diffID"
	PropLayerCreatedBy       = "shipshape:layer:createdBy"
	PropLayerIndex           = "shipshape:layer:index"
	PropTargetKind           = "shipshape:target:kind"
	PropImageRepoTag         = "shipshape:image:repoTag"
	PropImageRepoDigest      = "shipshape:image:repoDigest"
	PropImagePlatform        = "shipshape:image:platform"
	PropImageManifestDigest  = "shipshape:image:manifestDigest"
)

const schemaURL = "http://cyclonedx.org/schema/bom-1.6.schema.json"

// Write writes inv to w as an indented CycloneDX 1.6 JSON document. The output depends only
// on inv and opts: packages are sorted (report.Sorted), bom-refs and the serial number are
// derived from content, and metadata.timestamp is written only when opts.Now is set. When
// inv.Vulnerabilities is nil (no vulnerability scan) the document has no vulnerabilities
// and no DB properties at all; when it is empty, it has "vulnerabilities": [].
func Write(w io.Writer, inv *inventory.Inventory, opts report.Options) error {
	bom, err := BOM(inv, opts)
	if err != nil {
		return err
	}
	// Encode compact, then indent into a buffer sized up front: the same bytes as
	// cyclonedx-go's pretty encoder (which is encoding/json's indenting encoder, itself
	// "compact, then indent"), without growing the output step by step — several times
	// faster on BOMs of thousands of components.
	var compact bytes.Buffer
	enc := cdx.NewBOMEncoder(&compact, cdx.BOMFileFormatJSON)
	enc.SetPretty(false).SetEscapeHTML(false)
	if err := enc.Encode(bom); err != nil {
		return fmt.Errorf("writing CycloneDX for %s: %w", inv.Target.Name, err)
	}
	out := bytes.NewBuffer(make([]byte, 0, 2*compact.Len()))
	if err := json.Indent(out, compact.Bytes(), "", "  "); err != nil {
		return fmt.Errorf("writing CycloneDX for %s: %w", inv.Target.Name, err)
	}
	if _, err := w.Write(out.Bytes()); err != nil {
		return fmt.Errorf("writing CycloneDX for %s: %w", inv.Target.Name, err)
	}
	return nil
}

// BOM builds the CycloneDX document Write writes.
func BOM(inv *inventory.Inventory, opts report.Options) (*cdx.BOM, error) {
	inv, err := report.Sorted(inv)
	if err != nil {
		return nil, fmt.Errorf("cyclonedx: %w", err)
	}

	target := targetComponent(inv.Target)
	var components []cdx.Component
	if inv.OS.Known() {
		components = append(components, osComponent(inv.OS))
	}
	purls := make([]string, len(inv.Packages))
	for i := range inv.Packages {
		purls[i] = report.PURL(&inv.Packages[i], inv.OS)
	}
	refs := bomRefs(inv.Packages, purls)
	for i := range inv.Packages {
		components = append(components, packageComponent(&inv.Packages[i], purls[i], refs[i]))
	}

	dependsOn := make([]string, 0, len(components))
	for _, c := range components {
		dependsOn = append(dependsOn, c.BOMRef)
	}
	dep := cdx.Dependency{Ref: target.BOMRef}
	if len(dependsOn) > 0 {
		dep.Dependencies = &dependsOn
	}

	name, version := opts.Tool()
	tools := []cdx.Component{{Type: cdx.ComponentTypeApplication, Name: name, Version: version}}
	meta := &cdx.Metadata{
		Tools:     &cdx.ToolsChoice{Components: &tools},
		Component: &target,
	}
	if ts, ok := opts.Timestamp(); ok {
		meta.Timestamp = ts.Format(time.RFC3339)
	}

	var vulnIDs []string
	if inv.Vulnerabilities != nil {
		vulnIDs = []string{}
		for _, f := range inv.Vulnerabilities {
			vulnIDs = append(vulnIDs, f.ID)
		}
	}
	bom := &cdx.BOM{
		JSONSchema:   schemaURL,
		BOMFormat:    cdx.BOMFormat,
		SpecVersion:  cdx.SpecVersion1_6,
		SerialNumber: serialNumber(inv.Target, purls, vulnIDs),
		Version:      1,
		Metadata:     meta,
		Dependencies: &[]cdx.Dependency{dep},
	}
	if len(components) > 0 {
		bom.Components = &components
	}
	if inv.Vulnerabilities != nil {
		vulns := vulnerabilities(inv.Vulnerabilities, &componentIndex{pkgs: inv.Packages, purls: purls, refs: refs})
		bom.Vulnerabilities = &vulns
		if inv.DB != nil {
			props := dbProps(inv.DB)
			meta.Properties = &props
		}
	}
	return bom, nil
}

func targetComponent(t inventory.Target) cdx.Component {
	c := cdx.Component{Name: t.Name, BOMRef: "target:" + t.Name}
	props := []cdx.Property{{Name: PropTargetKind, Value: t.Kind}}
	switch t.Kind {
	case "image":
		c.Type = cdx.ComponentTypeContainer
		c.Version = t.ImageID
		if t.ImageID != "" {
			c.BOMRef = "target:" + t.ImageID
		}
		for _, tag := range t.RepoTags {
			props = append(props, cdx.Property{Name: PropImageRepoTag, Value: tag})
		}
		for _, d := range t.RepoDigests {
			props = append(props, cdx.Property{Name: PropImageRepoDigest, Value: d})
		}
		if t.ManifestDigest != "" {
			props = append(props, cdx.Property{Name: PropImageManifestDigest, Value: t.ManifestDigest})
		}
		if t.Platform != "" {
			props = append(props, cdx.Property{Name: PropImagePlatform, Value: t.Platform})
		}
	case "rootfs", "filesystem", "sbom":
		// A folder or file on disk.
		c.Type = cdx.ComponentTypeFile
	default:
		c.Type = cdx.ComponentTypeApplication
	}
	if t.Kind == "" {
		props = props[1:]
	}
	if len(props) > 0 {
		c.Properties = &props
	}
	return c
}

func osComponent(o *inventory.OS) cdx.Component {
	ref := "os:" + o.Family
	if o.Version != "" {
		ref += "@" + o.Version
	}
	return cdx.Component{
		BOMRef:      ref,
		Type:        cdx.ComponentTypeOS,
		Name:        o.Family,
		Version:     o.Version,
		Description: o.PrettyName,
	}
}

func packageComponent(p *inventory.Package, purl, ref string) cdx.Component {
	c := cdx.Component{
		BOMRef:     ref,
		Type:       cdx.ComponentTypeLibrary,
		Name:       p.Name,
		Version:    p.Version,
		PackageURL: purl,
		Licenses:   licenses(p.Licenses),
	}
	var props []cdx.Property
	add := func(name, value string) {
		if value != "" {
			props = append(props, cdx.Property{Name: name, Value: value})
		}
	}
	add(PropPackageType, p.Type)
	add(PropPackageSourceName, p.SourceName)
	add(PropPackageSourceVersion, p.SourceVersion)
	add(PropPackageMaintainer, p.Maintainer)
	add(PropPackageModularity, p.Modularity)
	add(PropLocationPath, p.Location)
	if p.Layer != nil {
		add(PropLayerDiffID, p.Layer.DiffID)
		add(PropLayerCreatedBy, p.Layer.CreatedBy)
		add(PropLayerIndex, strconv.Itoa(p.Layer.Index))
	}
	if len(props) > 0 {
		c.Properties = &props
	}
	return c
}

// licenses maps licence strings to CycloneDX: an SPDX id becomes license.id, anything else
// license.name, and a lone valid SPDX expression becomes expression (CycloneDX does not allow
// an expression next to other licences, so an expression among several is kept as a name).
func licenses(ls []string) *cdx.Licenses {
	var out cdx.Licenses
	seen := make(map[string]bool)
	for _, l := range ls {
		l = strings.TrimSpace(l)
		if l == "" || seen[l] {
			continue
		}
		seen[l] = true
		if id, ok := report.SPDXLicenseID(l); ok {
			out = append(out, cdx.LicenseChoice{License: &cdx.License{ID: id}})
			continue
		}
		out = append(out, cdx.LicenseChoice{License: &cdx.License{Name: l}})
	}
	if len(out) == 1 && out[0].License.Name != "" {
		if expr, ok := report.SPDXExpression(out[0].License.Name); ok {
			out[0] = cdx.LicenseChoice{Expression: expr}
		}
	}
	if len(out) == 0 {
		return nil
	}
	return &out
}

// bomRefs gives each package its purl as bom-ref. Packages that share a purl (the same
// package recorded at two locations) get the purl plus "#" and a hash of what tells them
// apart, so every ref is unique and does not depend on which other packages are present.
func bomRefs(pkgs []inventory.Package, purls []string) []string {
	count := make(map[string]int)
	for _, p := range purls {
		count[p]++
	}
	refs := make([]string, len(pkgs))
	used := make(map[string]bool)
	for i := range pkgs {
		p := &pkgs[i]
		ref := purls[i]
		if ref == "" || count[ref] > 1 {
			id := p.Key()
			if p.Layer != nil {
				id += "\x00" + p.Layer.DiffID
			}
			base := ref
			if base == "" {
				base = "pkg:" + p.Type + "/" + p.Name
			}
			ref = base + "#" + shortHash(id, 12)
		}
		// Packages equal in everything Key covers are indistinguishable in the report;
		// number the repeats in (sorted) order.
		if used[ref] {
			n := 2
			for used[ref+"-"+strconv.Itoa(n)] {
				n++
			}
			ref += "-" + strconv.Itoa(n)
		}
		used[ref] = true
		refs[i] = ref
	}
	return refs
}

func shortHash(s string, n int) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])[:n]
}

// serialNumber derives a UUID (RFC 9562 version 8, the custom, hash-based kind) from a
// sha256 of the target's identity, the sorted component purls and, after a vulnerability
// scan (vulnIDs not nil), the sorted vulnerability ids, so that a BOM with vulnerabilities
// and one without are told apart.
func serialNumber(t inventory.Target, purls, vulnIDs []string) string {
	sorted := slices.Clone(purls)
	slices.Sort(sorted)
	h := sha256.New()
	fmt.Fprintf(h, "shipshape cyclonedx serial v1\x00%s\x00%s\x00%s\x00%s\x00", t.Kind, t.Name, t.ImageID, t.ManifestDigest)
	for _, p := range sorted {
		fmt.Fprintf(h, "%s\x00", p)
	}
	if vulnIDs != nil {
		fmt.Fprintf(h, "vulnerabilities\x00")
		ids := slices.Clone(vulnIDs)
		slices.Sort(ids)
		for _, id := range slices.Compact(ids) {
			fmt.Fprintf(h, "%s\x00", id)
		}
	}
	var u [16]byte
	copy(u[:], h.Sum(nil))
	u[6] = u[6]&0x0f | 0x80 // version 8
	u[8] = u[8]&0x3f | 0x80 // variant 10 (RFC 9562)
	x := hex.EncodeToString(u[:])
	return "urn:uuid:" + x[0:8] + "-" + x[8:12] + "-" + x[12:16] + "-" + x[16:20] + "-" + x[20:32]
}
