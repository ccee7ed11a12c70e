package osrelease

import (
	"bytes"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/shipshape-dev/shipshape/internal/inventory"
)

// maxText is the longest free-text value (NAME, PRETTY_NAME) kept.
const maxText = 256

// parseOSRelease reads an os-release file (os-release(5)): lines of KEY=value, where value
// may be quoted with single or double quotes and may hold backslash escapes, and lines
// starting with '#' are comments. It returns nil when the file has no usable ID.
func parseOSRelease(data []byte) *inventory.OS {
	vars := map[string]string{}
	for len(data) > 0 {
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		l := strings.TrimSpace(string(line))
		if l == "" || l[0] == '#' {
			continue
		}
		key, value, ok := strings.Cut(l, "=")
		if !ok || !validKey(key) {
			continue
		}
		// As in a shell, a later assignment wins.
		vars[key] = unquote(strings.TrimSpace(value))
	}
	id := strings.ToLower(strings.TrimSpace(vars["ID"]))
	if !validID(id) {
		return nil
	}
	o := &inventory.OS{
		Family:     id,
		Name:       text(vars["NAME"]),
		Version:    token(vars["VERSION_ID"]),
		Codename:   token(vars["VERSION_CODENAME"]),
		PrettyName: text(vars["PRETTY_NAME"]),
	}
	for _, like := range strings.Fields(strings.ToLower(vars["ID_LIKE"])) {
		if validID(like) {
			o.IDLike = append(o.IDLike, like)
		}
	}
	if o.Codename == "" {
		o.Codename = token(vars["UBUNTU_CODENAME"])
	}
	if o.Codename == "" && debianLike(o) {
		// Older Debian releases (8 "jessie" and before) and some derivatives give the code
		// name only inside VERSION, as in VERSION="8 (jessie)".
		o.Codename = codenameFromVersion(vars["VERSION"])
	}
	return o
}

func debianLike(o *inventory.OS) bool {
	if o.Family == "debian" {
		return true
	}
	for _, l := range o.IDLike {
		if l == "debian" {
			return true
		}
	}
	return false
}

// codenameFromVersion returns "bookworm" for "12 (bookworm)". Only a single lower-case word
// is taken, so that Ubuntu's "22.04.3 LTS (Jammy Jellyfish)" gives nothing.
func codenameFromVersion(v string) string {
	open := strings.LastIndexByte(v, '(')
	if open < 0 {
		return ""
	}
	name, _, ok := strings.Cut(v[open+1:], ")")
	if !ok || name == "" || len(name) > 32 {
		return ""
	}
	for i := 0; i < len(name); i++ {
		if name[i] < 'a' || name[i] > 'z' {
			return ""
		}
	}
	return name
}

// unquote evaluates a shell-style value: text in single quotes is taken as it is, in double
// quotes a backslash escapes one of " \ $ `, and outside quotes a backslash escapes any
// character. Quoted and unquoted parts may follow each other, as in a shell. Unlike a
// shell, unquoted spaces are kept, as systemd does, since some files are written carelessly.
// An unterminated quote runs to the end of the line.
func unquote(v string) string {
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		switch c := v[i]; c {
		case '\'':
			rest := v[i+1:]
			j := strings.IndexByte(rest, '\'')
			if j < 0 {
				b.WriteString(rest)
				return b.String()
			}
			b.WriteString(rest[:j])
			i += j + 1
		case '"':
			for i++; i < len(v) && v[i] != '"'; i++ {
				if v[i] == '\\' && i+1 < len(v) && strings.IndexByte("\"\\$`", v[i+1]) >= 0 {
					i++
				}
				b.WriteByte(v[i])
			}
		case '\\':
			if i+1 < len(v) {
				i++
				b.WriteByte(v[i])
			}
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// validKey reports whether k is a shell variable name.
func validKey(k string) bool {
	if k == "" {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if c == '_' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || i > 0 && c >= '0' && c <= '9' {
			continue
		}
		return false
	}
	return true
}

// validID reports whether s is an os-release ID: lower-case letters, digits, '.', '_', '-'.
func validID(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-' {
			continue
		}
		return false
	}
	return true
}

// token returns s trimmed when it is a plausible single-word value (a version or code
// name), or "" for junk.
func token(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > 64 || !utf8.ValidString(s) {
		return ""
	}
	for _, r := range s {
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			return ""
		}
	}
	return s
}

// text returns a free-text value made safe for reports: trimmed, valid UTF-8, without
// control characters, and not absurdly long.
func text(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, strings.ToValidUTF8(s, "\uFFFD"))
	s = strings.TrimSpace(s)
	if len(s) > maxText {
		i := maxText
		for i > 0 && !utf8.RuneStart(s[i]) {
			i--
		}
		s = strings.TrimSpace(s[:i])
	}
	return s
}

// redhatNames maps the product name at the start of a redhat-release style line to its
// os-release ID. More specific names come first.
var redhatNames = []struct{ prefix, family string }{
	{"red hat enterprise linux", "rhel"},
	{"centos", "centos"}, // "CentOS Linux", "CentOS Stream"
	{"rocky linux", "rocky"},
	{"almalinux", "almalinux"},
	{"fedora", "fedora"},
	{"oracle linux", "ol"},
	{"amazon linux", "amzn"}, // etc/system-release: "Amazon Linux release 2 (Karoo)"
}

// parseRedHatRelease reads a line such as "CentOS Linux release 7.9.2009 (Core)",
// "Red Hat Enterprise Linux release 9.2 (Plow)" or "AlmaLinux release 9.3 (Shamrock Pampas
// Cat)". It returns nil for a line it does not recognise.
func parseRedHatRelease(line string) *inventory.OS {
	line = text(line)
	lower := asciiLower(line) // same byte offsets as line, unlike strings.ToLower
	i := strings.Index(lower, " release ")
	if i <= 0 {
		return nil
	}
	name := strings.TrimSpace(line[:i])
	fields := strings.Fields(line[i+len(" release "):])
	if len(fields) == 0 || !isVersion(fields[0], false) {
		return nil
	}
	for _, n := range redhatNames {
		if strings.HasPrefix(lower, n.prefix) {
			return &inventory.OS{Family: n.family, Name: name, Version: fields[0], PrettyName: line}
		}
	}
	return nil
}

// asciiLower lower-cases ASCII letters only, so byte offsets stay those of s.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
