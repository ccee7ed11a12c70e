package python

import (
	"bufio"
	"bytes"
	"errors"
	"strings"

	"github.com/shipshape-dev/shipshape/internal/inventory"
)

// maxLicenseField is the longest License header kept as a licence name; longer values
// (and multi-line ones) are the licence's full text, which some projects paste there.
const maxLicenseField = 120

// header is one "Key: value" field of a core metadata file.
type header struct {
	key   string // lower case
	value string
	lines int // physical lines, continuations included
}

// readHeaders returns the header fields of an RFC 822-style core metadata file (METADATA,
// PKG-INFO): everything before the first empty line. Continuation lines start with a
// space or a tab.
func readHeaders(data []byte) []header {
	var out []header
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		if strings.TrimSpace(line) == "" {
			break
		}
		if line[0] == ' ' || line[0] == '\t' {
			if len(out) > 0 {
				h := &out[len(out)-1]
				h.value += "\n" + strings.TrimSpace(line)
				h.lines++
			}
			continue
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		out = append(out, header{key: strings.ToLower(strings.TrimSpace(k)), value: strings.TrimSpace(v), lines: 1})
	}
	return out
}

// ParseMetadata reads a core metadata file (a wheel's .dist-info/METADATA, an
// .egg-info/PKG-INFO, or an .egg-info file) and returns the distribution it describes.
// Licences come from License-Expression (PEP 639) when present, else from a short
// one-line License field, else from the "License ::" classifiers.
func ParseMetadata(data []byte) (inventory.Package, error) {
	var (
		name, version, expr, lic string
		licLines                 int
		classifiers              []string
	)
	for _, h := range readHeaders(data) {
		switch h.key {
		case "name":
			if name == "" {
				name = h.value
			}
		case "version":
			if version == "" {
				version = h.value
			}
		case "license-expression":
			expr = h.value
		case "license":
			lic, licLines = h.value, h.lines
		case "classifier":
			if rest, ok := strings.CutPrefix(h.value, "License ::"); ok {
				parts := strings.Split(rest, "::")
				last := strings.TrimSpace(parts[len(parts)-1])
				if last != "" && last != "OSI Approved" {
					classifiers = append(classifiers, last)
				}
			}
		}
	}
	if name == "" || version == "" {
		return inventory.Package{}, errors.New("no Name or Version field: not Python core metadata (METADATA or PKG-INFO); check the file is not truncated")
	}
	if !validName(name) {
		return inventory.Package{}, errors.New("the Name field " + quote(name) + " is not a valid distribution name")
	}
	p := pkg(name, version)
	switch {
	case expr != "":
		p.Licenses = []string{expr}
	case lic != "" && licLines == 1 && len(lic) <= maxLicenseField && !strings.EqualFold(lic, "UNKNOWN"):
		p.Licenses = []string{lic}
	default:
		seen := map[string]bool{}
		for _, c := range classifiers {
			if !seen[c] {
				seen[c] = true
				p.Licenses = append(p.Licenses, c)
			}
		}
	}
	return p, nil
}

// quote shortens and quotes s for an error message.
func quote(s string) string {
	if len(s) > 60 {
		s = s[:60] + "…"
	}
	return "\"" + strings.ToValidUTF8(s, "?") + "\""
}
