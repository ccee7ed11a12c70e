package java

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/shipshape-dev/shipshape/internal/inventory"
)

type pomCoords struct {
	GroupID    string `xml:"groupId"`
	ArtifactID string `xml:"artifactId"`
	Version    string `xml:"version"`
}

type pomDependency struct {
	pomCoords
	Scope string `xml:"scope"`
}

type pomProject struct {
	XMLName xml.Name `xml:"project"`
	pomCoords
	Parent     pomCoords `xml:"parent"`
	Properties struct {
		Entries []struct {
			XMLName xml.Name
			Value   string `xml:",chardata"`
		} `xml:",any"`
	} `xml:"properties"`
	Management struct {
		Dependencies []pomDependency `xml:"dependencies>dependency"`
	} `xml:"dependencyManagement"`
	Dependencies []pomDependency `xml:"dependencies>dependency"`
}

// pomSkipListMax is how many skipped dependencies a warning names.
const pomSkipListMax = 5

// ParsePom reads the dependencies a pom.xml declares (not those of its parent or build
// plugins, nor transitive ones, which need a Maven resolver and a repository). A
// dependency's version is its literal <version>, or the one its <dependencyManagement> entry
// in the same pom gives; ${...} references are resolved from the pom's <properties> and
// project/parent coordinates (${project.version} and the like). Dependencies whose version
// cannot be learned from the pom alone (it comes from a parent, a BOM or the command line,
// or is a version range) are skipped and named in one warning. Scope test marks Dev; every
// package is a direct dependency.
func ParsePom(data []byte) ([]inventory.Package, []string, error) {
	dec := xml.NewDecoder(bytes.NewReader(data))
	dec.CharsetReader = charsetReader
	var proj pomProject
	if err := dec.Decode(&proj); err != nil {
		return nil, nil, fmt.Errorf("not a Maven pom.xml: %w", err)
	}
	r := newPomResolver(&proj)
	managed := map[string]string{}
	for _, d := range proj.Management.Dependencies {
		g, a := r.resolve(d.GroupID), r.resolve(d.ArtifactID)
		if v := r.resolve(d.Version); g != "" && a != "" && v != "" {
			if _, dup := managed[g+":"+a]; !dup {
				managed[g+":"+a] = v
			}
		}
	}
	var (
		pkgs               []inventory.Package
		unresolved, ranges []string
		unnamed            int
	)
	for _, d := range proj.Dependencies {
		g, a := r.resolve(d.GroupID), r.resolve(d.ArtifactID)
		if g == "" || a == "" {
			unnamed++
			continue
		}
		v := r.resolve(d.Version)
		if strings.TrimSpace(d.Version) == "" {
			v = managed[g+":"+a]
		}
		switch {
		case v == "":
			unresolved = append(unresolved, g+":"+a)
			continue
		case strings.HasPrefix(v, "[") || strings.HasPrefix(v, "("):
			ranges = append(ranges, g+":"+a+" "+v)
			continue
		}
		p := newPackage(g, a, v)
		p.Dev = strings.EqualFold(strings.TrimSpace(d.Scope), "test")
		p.Dependency = inventory.DependencyDirect
		pkgs = append(pkgs, p)
	}
	var warnings []string
	if len(unresolved) > 0 {
		warnings = append(warnings, fmt.Sprintf("%s skipped: their versions are not set in this pom (they come from a parent pom, a BOM or properties defined elsewhere): %s",
			dependencies(len(unresolved)), listSome(unresolved)))
	}
	if len(ranges) > 0 {
		warnings = append(warnings, fmt.Sprintf("%s skipped: version ranges need a Maven resolver: %s", dependencies(len(ranges)), listSome(ranges)))
	}
	if unnamed > 0 {
		warnings = append(warnings, fmt.Sprintf("%s skipped: no resolvable groupId or artifactId", dependencies(unnamed)))
	}
	return pkgs, warnings, nil
}

func dependencies(n int) string {
	if n == 1 {
		return "1 dependency"
	}
	return fmt.Sprintf("%d dependencies", n)
}

func listSome(list []string) string {
	if len(list) <= pomSkipListMax {
		return strings.Join(list, ", ")
	}
	return strings.Join(list[:pomSkipListMax], ", ") + fmt.Sprintf(" and %d more", len(list)-pomSkipListMax)
}

// pomResolver expands ${...} references with what one pom defines.
type pomResolver struct {
	props map[string]string
}

func newPomResolver(p *pomProject) *pomResolver {
	props := map[string]string{}
	for _, e := range p.Properties.Entries {
		if _, dup := props[e.XMLName.Local]; !dup {
			props[e.XMLName.Local] = strings.TrimSpace(e.Value)
		}
	}
	group := firstNonEmpty(p.GroupID, p.Parent.GroupID)
	version := firstNonEmpty(p.Version, p.Parent.Version)
	builtin := map[string]string{
		"project.groupId": group, "pom.groupId": group, "groupId": group,
		"project.artifactId": p.ArtifactID, "pom.artifactId": p.ArtifactID, "artifactId": p.ArtifactID,
		"project.version": version, "pom.version": version, "version": version,
		"project.parent.groupId": p.Parent.GroupID, "parent.groupId": p.Parent.GroupID,
		"project.parent.version": p.Parent.Version, "parent.version": p.Parent.Version,
	}
	for k, v := range builtin {
		if _, set := props[k]; !set && strings.TrimSpace(v) != "" {
			props[k] = strings.TrimSpace(v)
		}
	}
	return &pomResolver{props: props}
}

// maxPomExpansions bounds property expansion (references to references, cycles).
const maxPomExpansions = 32

// resolve expands the references in s; it returns "" when one cannot be resolved.
func (r *pomResolver) resolve(s string) string {
	s = strings.TrimSpace(s)
	for range maxPomExpansions {
		start := strings.Index(s, "${")
		if start < 0 {
			return s
		}
		end := strings.IndexByte(s[start:], '}')
		if end < 0 {
			return ""
		}
		v, ok := r.props[s[start+2:start+end]]
		if !ok || len(s)+len(v) > 4096 {
			return ""
		}
		s = s[:start] + v + s[start+end+1:]
	}
	return ""
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if v = strings.TrimSpace(v); v != "" {
			return v
		}
	}
	return ""
}

// charsetReader accepts the encodings poms declare besides UTF-8: ISO-8859-1 (Latin-1) is
// converted, US-ASCII and UTF-8 aliases pass through.
func charsetReader(charset string, in io.Reader) (io.Reader, error) {
	switch strings.ToLower(charset) {
	case "utf-8", "utf8", "us-ascii", "ascii":
		return in, nil
	case "iso-8859-1", "iso8859-1", "latin1", "latin-1", "windows-1252", "cp1252":
		data, err := io.ReadAll(in)
		if err != nil {
			return nil, err
		}
		out := make([]byte, 0, len(data))
		for _, b := range data {
			out = utf8.AppendRune(out, rune(b))
		}
		return bytes.NewReader(out), nil
	}
	return nil, fmt.Errorf("unsupported encoding %q (re-save the pom as UTF-8)", charset)
}
