// Package sbomread turns an existing SBOM (CycloneDX JSON or SPDX 2.x JSON) into an
// inventory, so its packages can be matched without analysing any image.
package sbomread

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"

	"github.com/package-url/packageurl-go"

	"github.com/shipshape-dev/shipshape/internal/inventory"
)

// maxSize bounds the SBOM read into memory.
const maxSize = 256 << 20

// ReadFile reads the SBOM at path.
func ReadFile(path string) (*inventory.Inventory, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("opening the SBOM: %w", err)
	}
	defer f.Close()
	inv, err := Read(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	inv.Target = inventory.Target{Name: path, Kind: "sbom"}
	return inv, nil
}

// Read decodes a CycloneDX or SPDX JSON document.
func Read(r io.Reader) (*inventory.Inventory, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxSize+1))
	if err != nil {
		return nil, fmt.Errorf("reading the SBOM: %w", err)
	}
	if len(data) > maxSize {
		return nil, fmt.Errorf("the SBOM is larger than %d bytes", maxSize)
	}
	var probe struct {
		BOMFormat   string `json:"bomFormat"`
		SPDXVersion string `json:"spdxVersion"`
	}
	if err := json.Unmarshal(data, &probe); err != nil {
		return nil, fmt.Errorf("not a JSON SBOM (CycloneDX or SPDX JSON expected): %w", err)
	}
	switch {
	case probe.BOMFormat == "CycloneDX":
		return readCycloneDX(data)
	case strings.HasPrefix(probe.SPDXVersion, "SPDX-2"):
		return readSPDX(data)
	}
	return nil, errors.New("neither CycloneDX (bomFormat) nor SPDX 2.x (spdxVersion) JSON")
}

type cdxComponent struct {
	Type       string         `json:"type"`
	Name       string         `json:"name"`
	Version    string         `json:"version"`
	PURL       string         `json:"purl"`
	Components []cdxComponent `json:"components"`
	Properties []struct {
		Name  string `json:"name"`
		Value string `json:"value"`
	} `json:"properties"`
}

func readCycloneDX(data []byte) (*inventory.Inventory, error) {
	var bom struct {
		Metadata struct {
			Component *cdxComponent `json:"component"`
		} `json:"metadata"`
		Components []cdxComponent `json:"components"`
	}
	if err := json.Unmarshal(data, &bom); err != nil {
		return nil, fmt.Errorf("CycloneDX document: %w", err)
	}
	inv := &inventory.Inventory{Packages: []inventory.Package{}}
	var walk func(cs []cdxComponent)
	walk = func(cs []cdxComponent) {
		for _, c := range cs {
			if c.Type == "operating-system" && inv.OS == nil {
				inv.OS = &inventory.OS{Family: strings.ToLower(c.Name), Version: c.Version}
			}
			if c.PURL != "" {
				p, err := fromPURL(c.PURL)
				if err != nil {
					inv.Warnings = append(inv.Warnings, inventory.Warning{Message: fmt.Sprintf("component %s: %v", c.Name, err)})
				} else {
					for _, prop := range c.Properties {
						if prop.Name == "shipshape:location:0:path" {
							p.Location = prop.Value
						}
					}
					inv.Packages = append(inv.Packages, p)
				}
			}
			walk(c.Components)
		}
	}
	walk(bom.Components)
	finish(inv)
	return inv, nil
}

func readSPDX(data []byte) (*inventory.Inventory, error) {
	var doc struct {
		Packages []struct {
			Name           string `json:"name"`
			VersionInfo    string `json:"versionInfo"`
			PrimaryPurpose string `json:"primaryPackagePurpose"`
			ExternalRefs   []struct {
				Category string `json:"referenceCategory"`
				Type     string `json:"referenceType"`
				Locator  string `json:"referenceLocator"`
			} `json:"externalRefs"`
		} `json:"packages"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("SPDX document: %w", err)
	}
	inv := &inventory.Inventory{Packages: []inventory.Package{}}
	for _, sp := range doc.Packages {
		if sp.PrimaryPurpose == "OPERATING-SYSTEM" && inv.OS == nil {
			inv.OS = &inventory.OS{Family: strings.ToLower(sp.Name), Version: sp.VersionInfo}
		}
		for _, ref := range sp.ExternalRefs {
			if ref.Type != "purl" {
				continue
			}
			p, err := fromPURL(ref.Locator)
			if err != nil {
				inv.Warnings = append(inv.Warnings, inventory.Warning{Message: fmt.Sprintf("package %s: %v", sp.Name, err)})
				continue
			}
			inv.Packages = append(inv.Packages, p)
		}
	}
	finish(inv)
	return inv, nil
}

// finish derives the OS from distro qualifiers when the SBOM names none, and sorts.
func finish(inv *inventory.Inventory) {
	if inv.OS == nil {
		for _, p := range inv.Packages {
			if d := p.PURL; d != "" {
				if pu, err := packageurl.FromString(d); err == nil {
					if distro := pu.Qualifiers.Map()["distro"]; distro != "" {
						fam, ver, _ := strings.Cut(distro, "-")
						if fam == "redhat" {
							fam = "rhel"
						}
						inv.OS = &inventory.OS{Family: fam, Version: ver}
						break
					}
				}
			}
		}
	}
	inv.Sort()
}

// fromPURL maps a purl to an inventory package: the name in the form the ecosystem's
// advisories use (maven group:artifact, npm @scope/name, composer vendor/name, Go module
// path), and for OS packages the source package from the upstream qualifier.
func fromPURL(s string) (inventory.Package, error) {
	pu, err := packageurl.FromString(s)
	if err != nil {
		return inventory.Package{}, fmt.Errorf("bad purl %q: %w", s, err)
	}
	if pu.Version == "" {
		return inventory.Package{}, fmt.Errorf("purl %q has no version", s)
	}
	q := pu.Qualifiers.Map()
	p := inventory.Package{Type: pu.Type, Name: pu.Name, Version: pu.Version, PURL: s, Arch: q["arch"]}
	ns, _ := url.PathUnescape(pu.Namespace)
	switch pu.Type {
	case inventory.TypeMaven:
		if ns != "" {
			p.Name = ns + ":" + pu.Name
		}
	case inventory.TypeNpm, inventory.TypeComposer, inventory.TypeGolang:
		if ns != "" {
			p.Name = ns + "/" + pu.Name
		}
	case inventory.TypeDeb, inventory.TypeApk, inventory.TypeRPM:
		if up := q["upstream"]; up != "" {
			name, ver, _ := strings.Cut(up, "@")
			p.SourceName, p.SourceVersion = name, ver
		} else {
			p.SourceName = pu.Name
		}
		if p.SourceVersion == "" {
			p.SourceVersion = pu.Version
		}
		if pu.Type == inventory.TypeRPM {
			if e := q["epoch"]; e != "" && e != "0" {
				p.Version = e + ":" + pu.Version
			}
		}
	}
	return p, nil
}
