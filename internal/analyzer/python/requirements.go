package python

import (
	"fmt"
	"strings"

	"github.com/shipshape-dev/shipshape/internal/inventory"
)

// maxNamed is how many unpinned requirements a warning names before it only counts.
const maxNamed = 10

// ParseRequirements reads a pip requirements file. Only requirements pinned to one version
// ("name==1.2.3", "name[extra]===1.2.3", with or without environment markers and per-line
// options such as --hash) are reported: any other requirement says what may be installed,
// not what is, and is named in one warning instead. Options lines (-r, -c, -e, -i,
// --index-url, ...), URLs and local paths are skipped: they name no PyPI version.
// Comments (a '#' at the start or after white space) and line continuations ('\' at the
// end of a line) follow pip's rules.
func ParseRequirements(data []byte) ([]inventory.Package, []string, error) {
	if !isText(data) {
		return nil, nil, fmt.Errorf("not a requirements file: it holds binary data")
	}
	var (
		pkgs     []inventory.Package
		unpinned []string
		editable int
	)
	// Editors on Windows often start the file with a UTF-8 byte order mark.
	for _, line := range logicalLines(strings.TrimPrefix(string(data), "\ufeff")) {
		line = stripComment(line)
		if line == "" {
			continue
		}
		if strings.HasPrefix(line, "-") {
			if strings.HasPrefix(line, "-e") || strings.HasPrefix(line, "--editable") {
				editable++
			}
			continue
		}
		name, version, ok := parseRequirement(line)
		switch {
		case ok:
			pkgs = append(pkgs, pkg(name, version))
		case name != "":
			unpinned = append(unpinned, name)
		default:
			unpinned = append(unpinned, quote(line))
		}
	}
	var warnings []string
	if len(unpinned) > 0 {
		named := unpinned
		more := ""
		if len(named) > maxNamed {
			named, more = named[:maxNamed], fmt.Sprintf(" and %d more", len(unpinned)-maxNamed)
		}
		warnings = append(warnings, fmt.Sprintf("%d requirement(s) not pinned with == are not reported: %s%s (pin them, or scan the lock file or the installed packages)",
			len(unpinned), strings.Join(named, ", "), more))
	}
	if editable > 0 {
		warnings = append(warnings, fmt.Sprintf("%d editable requirement(s) (-e) are not reported: they name a folder or URL, not a PyPI version", editable))
	}
	return sortPackages(pkgs), warnings, nil
}

// isText reports whether data has no NUL byte.
func isText(data []byte) bool {
	for _, c := range data {
		if c == 0 {
			return false
		}
	}
	return true
}

// logicalLines splits a requirements file into lines, joining a line that ends with a
// backslash to the next.
func logicalLines(s string) []string {
	var out []string
	var cur strings.Builder
	for _, l := range strings.Split(s, "\n") {
		l = strings.TrimRight(l, "\r")
		if strings.HasSuffix(l, "\\") {
			cur.WriteString(strings.TrimSuffix(l, "\\"))
			cur.WriteString(" ")
			continue
		}
		cur.WriteString(l)
		out = append(out, cur.String())
		cur.Reset()
	}
	if cur.Len() > 0 {
		out = append(out, cur.String())
	}
	return out
}

// stripComment removes a comment (a '#' at the start or after white space) and trims.
func stripComment(l string) string {
	for i := 0; i < len(l); i++ {
		if l[i] == '#' && (i == 0 || l[i-1] == ' ' || l[i-1] == '\t') {
			l = l[:i]
			break
		}
	}
	return strings.TrimSpace(l)
}

// parseRequirement reads one PEP 508 requirement line. It returns the name whenever the
// line starts with one, and the version and ok true only when the requirement pins one
// version with == (without a wildcard) or ===.
func parseRequirement(line string) (name, version string, ok bool) {
	// Per-requirement options (--hash, --config-settings, ...) come after the specifier.
	if i := strings.Index(line, " --"); i >= 0 {
		line = line[:i]
	}
	if i := strings.Index(line, "\t--"); i >= 0 {
		line = line[:i]
	}
	// Environment markers.
	if i := strings.IndexByte(line, ';'); i >= 0 {
		line = line[:i]
	}
	line = strings.TrimSpace(line)
	end := 0
	for end < len(line) {
		c := line[end]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' {
			end++
			continue
		}
		break
	}
	name = line[:end]
	rest := strings.TrimSpace(line[end:])
	if !validName(name) || strings.HasPrefix(rest, ":") || strings.HasPrefix(rest, "/") {
		return "", "", false // a URL or a path, not a requirement
	}
	if strings.HasPrefix(rest, "[") {
		i := strings.IndexByte(rest, ']')
		if i < 0 {
			return name, "", false
		}
		rest = strings.TrimSpace(rest[i+1:])
	}
	if strings.HasPrefix(rest, "@") || strings.Contains(rest, "://") {
		return name, "", false // a direct reference (URL or path)
	}
	// A version specifier may be wrapped in parentheses (an old PEP 345 form).
	rest = strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(rest, "("), ")"))
	if rest == "" {
		return name, "", false
	}
	for _, spec := range strings.Split(rest, ",") {
		spec = strings.TrimSpace(spec)
		var v string
		switch {
		case strings.HasPrefix(spec, "==="):
			v = strings.TrimSpace(spec[3:])
		case strings.HasPrefix(spec, "=="):
			v = strings.TrimSpace(spec[2:])
			if strings.Contains(v, "*") {
				v = ""
			}
		}
		if v != "" && !strings.ContainsAny(v, " \t<>=!~,") {
			return name, v, true
		}
	}
	return name, "", false
}
