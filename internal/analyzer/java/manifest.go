package java

import (
	"bytes"
	"strings"
)

// Manifest is the main section of a jar's META-INF/MANIFEST.MF. Attribute names are
// case-insensitive, as the jar specification says; keys are stored in lower case.
type Manifest map[string]string

// Get returns the value of attribute name (any case), trimmed.
func (m Manifest) Get(name string) string {
	return strings.TrimSpace(m[strings.ToLower(name)])
}

// maxManifestAttrs bounds the number of attributes kept from one manifest.
const maxManifestAttrs = 4096

// ParseManifest reads the main section of a manifest: "Name: value" lines, continued on
// lines that start with one space, up to the first blank line. Lines that are not
// attributes are ignored; it never fails, since a jar with a damaged manifest is still a jar.
func ParseManifest(data []byte) Manifest {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	m := Manifest{}
	var key string
	var val strings.Builder
	flush := func() {
		if key != "" && len(m) < maxManifestAttrs {
			if _, dup := m[key]; !dup {
				m[key] = val.String()
			}
		}
		key = ""
		val.Reset()
	}
	for len(data) > 0 {
		var line []byte
		i := bytes.IndexAny(data, "\r\n")
		if i < 0 {
			line, data = data, nil
		} else {
			line = data[:i]
			if data[i] == '\r' && i+1 < len(data) && data[i+1] == '\n' {
				i++
			}
			data = data[i+1:]
		}
		if len(line) == 0 {
			if key != "" || len(m) > 0 {
				break // end of the main section
			}
			continue
		}
		if line[0] == ' ' {
			if key != "" {
				val.Write(line[1:])
			}
			continue
		}
		flush()
		colon := bytes.IndexByte(line, ':')
		if colon <= 0 {
			continue
		}
		name := strings.TrimSpace(string(line[:colon]))
		if name == "" || strings.ContainsAny(name, " \t") {
			continue
		}
		key = strings.ToLower(name)
		val.Write(bytes.TrimPrefix(line[colon+1:], []byte(" ")))
	}
	flush()
	return m
}
