package dpkg

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/shipshape-dev/shipshape/internal/inventory"
)

// ErrNotStatus is returned when a claimed status file holds nothing that looks like a dpkg
// database: no paragraph has a Package, Version or Status field.
var ErrNotStatus = errors.New("not a dpkg status file")

// maxWarnings caps the warnings for one file, so a file of binary junk yields a short
// report rather than thousands of lines.
const maxWarnings = 20

// checkEvery is how many lines pass between two checks of the context.
const checkEvery = 4096

// stanza collects what matters about one paragraph of a status file.
type stanza struct {
	line    int               // line number of its first line
	fields  map[string]string // the fields in wantedFields, by lower-case name; first one wins
	known   bool              // it has a Package, Version or Status field
	bad     int               // lines that are neither a field nor a continuation
	badLine int               // the first such line
	long    int               // lines dropped for being longer than maxLine
}

var wantedFields = map[string]bool{
	"package": true, "version": true, "status": true, "source": true,
	"architecture": true, "maintainer": true,
}

// status is the parse state of one status file.
type status struct {
	pkgs     []inventory.Package
	warnings []string
	dropped  int  // warnings left out past maxWarnings
	known    bool // some stanza had a dpkg field
	content  bool // the file has a non-blank line
}

func (s *status) warn(format string, args ...any) {
	if len(s.warnings) >= maxWarnings {
		s.dropped++
		return
	}
	s.warnings = append(s.warnings, fmt.Sprintf(format, args...))
}

// parseStatus reads a dpkg status database, or one file of a distroless status.d folder,
// and returns the packages whose files are on disk.
//
// The file is a list of RFC 822-style paragraphs ("stanzas") separated by blank lines;
// continuation lines start with a space or tab. A paragraph that cannot be read is skipped
// with a warning naming its line; the rest of the file is still read. An error is returned
// only when the input cannot be read, or when it has content but no paragraph looks like a
// dpkg entry at all (ErrNotStatus).
func parseStatus(ctx context.Context, r io.Reader) ([]inventory.Package, []string, error) {
	lr := newLineReader(r)
	s := &status{}
	var cur *stanza
	inField := false // a continuation line is valid here
	for {
		if lr.n%checkEvery == 0 {
			if err := ctx.Err(); err != nil {
				return nil, nil, fmt.Errorf("reading dpkg status: %w", err)
			}
		}
		line, tooLong, err := lr.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, nil, fmt.Errorf("reading dpkg status at line %d: %w", lr.n+1, err)
		}
		if !tooLong && isBlank(line) {
			if cur != nil {
				s.finish(cur)
				cur = nil
			}
			inField = false
			continue
		}
		s.content = true
		if cur == nil {
			cur = &stanza{line: lr.n, fields: map[string]string{}}
		}
		switch {
		case tooLong:
			cur.long++
			// The dropped line may have been a field; let its continuation lines pass.
			inField = true
		case line[0] == ' ' || line[0] == '\t':
			if !inField {
				cur.addBad(lr.n)
			}
		case line[0] == '#':
			// Comment lines are allowed in deb822 files; dpkg never writes them.
		default:
			name, value, ok := splitField(line)
			if !ok {
				cur.addBad(lr.n)
				inField = false
				continue
			}
			inField = true
			key := strings.ToLower(name)
			if !wantedFields[key] {
				continue
			}
			if key == "package" || key == "version" || key == "status" {
				cur.known = true
			}
			if _, dup := cur.fields[key]; !dup {
				cur.fields[key] = value
			}
		}
	}
	if cur != nil {
		s.finish(cur)
	}
	if s.content && !s.known {
		return nil, nil, fmt.Errorf("%w: no paragraph has a Package, Version or Status field (is the file damaged or of another format?)", ErrNotStatus)
	}
	if s.dropped > 0 {
		s.warnings = append(s.warnings, fmt.Sprintf("%d more problems in this file not shown", s.dropped))
	}
	return s.pkgs, s.warnings, nil
}

func (st *stanza) addBad(n int) {
	if st.bad == 0 {
		st.badLine = n
	}
	st.bad++
}

// Advice appended to warnings about a damaged database.
const damaged = "the dpkg database in the image may be damaged; `dpkg -l` run in the image shows dpkg's own view of it"

// finish turns a complete stanza into a package, or into a warning.
func (s *status) finish(st *stanza) {
	if st.known {
		s.known = true
	}
	name, version := st.fields["package"], st.fields["version"]
	if !st.known {
		s.warn("paragraph at line %d is not a dpkg entry (no Package, Version or Status field); skipped (%s)", st.line, damaged)
		return
	}
	if !installed(st.fields["status"]) {
		return
	}
	label := fmt.Sprintf("paragraph at line %d", st.line)
	if validToken(name) {
		label += fmt.Sprintf(" (package %q)", name)
	}
	switch {
	case name == "":
		s.warn("%s has no Package field; skipped (%s)", label, damaged)
		return
	case !validToken(name):
		s.warn("%s has an invalid Package field %q; skipped (%s)", label, clip(name), damaged)
		return
	case version == "":
		s.warn("%s has no Version field; skipped (%s)", label, damaged)
		return
	case !validToken(version):
		s.warn("%s has an invalid Version field %q; skipped (%s)", label, clip(version), damaged)
		return
	}
	if st.bad > 0 {
		s.warn("%s has %d malformed line(s), the first at line %d; they were ignored and the package kept (%s)", label, st.bad, st.badLine, damaged)
	}
	if st.long > 0 {
		s.warn("%s has %d line(s) longer than %d bytes; they were ignored and the package kept (%s)", label, st.long, maxLine, damaged)
	}
	if v, ok := st.fields["status"]; ok && len(strings.Fields(v)) != 3 {
		s.warn("%s has a Status field %q that is not \"want flag state\"; the package was kept (%s)", label, clip(v), damaged)
	}
	p := inventory.Package{
		Type:       inventory.TypeDeb,
		Name:       name,
		Version:    version,
		Arch:       clean(st.fields["architecture"]),
		Maintainer: clean(st.fields["maintainer"]),
	}
	p.SourceName, p.SourceVersion = parseSource(st.fields["source"], name, version)
	s.pkgs = append(s.pkgs, p)
}

// installed reports whether a package with the given Status field has its files on disk.
//
// Status is "want flag state", e.g. "install ok installed" or "deinstall ok config-files".
// A paragraph without Status (every distroless status.d file) is installed.
//
// The decision is made on the state word alone, and only "not-installed" (nothing on
// disk) and "config-files" (only configuration files left after a removal) are skipped.
// Every other state — installed, unpacked, half-configured, half-installed,
// triggers-awaited, triggers-pending — leaves the package's programs and libraries on disk,
// so their vulnerabilities are real and the package is kept. This matches trivy on every
// common case: trivy drops a package when the want word is "deinstall" or "purge", which
// also drops removed packages ("deinstall ok config-files"), but it would also drop a
// package merely selected for removal and still fully installed ("deinstall ok
// installed"), which we keep, and it keeps "install ok not-installed" (an installation
// that never unpacked), which we drop.
func installed(status string) bool {
	f := strings.Fields(status)
	if len(f) != 3 {
		return true
	}
	switch f[2] {
	case "not-installed", "config-files":
		return false
	}
	return true
}

// parseSource reads a Source field, "name" or "name (version)". When the field is absent the
// source package has the binary package's name, and when it gives no version the source
// version is the binary version, as dpkg-query's ${source:Package} and ${source:Version} do.
func parseSource(src, name, version string) (string, string) {
	srcName, srcVersion := src, ""
	if i := strings.IndexByte(src, '('); i >= 0 {
		srcName, srcVersion = src[:i], src[i+1:]
		if j := strings.IndexByte(srcVersion, ')'); j >= 0 {
			srcVersion = srcVersion[:j]
		}
	}
	if f := strings.Fields(srcName); len(f) > 0 {
		srcName = f[0]
	} else {
		srcName = ""
	}
	srcVersion = strings.TrimSpace(srcVersion)
	if !validToken(srcName) {
		srcName = name
	}
	if !validToken(srcVersion) {
		srcVersion = version
	}
	return srcName, srcVersion
}

// splitField splits "Name: value" into its parts. A field name is printable ASCII without
// spaces or colons and may not start with '-' (deb822).
func splitField(line []byte) (name, value string, ok bool) {
	i := bytes.IndexByte(line, ':')
	if i <= 0 || line[0] == '-' {
		return "", "", false
	}
	for _, c := range line[:i] {
		if c <= ' ' || c > '~' {
			return "", "", false
		}
	}
	return string(line[:i]), strings.TrimSpace(string(line[i+1:])), true
}

// isBlank reports whether a line separates paragraphs: empty or only spaces and tabs.
func isBlank(line []byte) bool {
	for _, c := range line {
		if c != ' ' && c != '\t' {
			return false
		}
	}
	return true
}

// validToken reports whether s can be a package name or version: non-empty valid UTF-8
// without spaces or control characters. dpkg itself is stricter; this only keeps junk out.
func validToken(s string) bool {
	if s == "" || !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			return false
		}
	}
	return true
}

// clean makes a free-text value safe to report: valid UTF-8, no control characters.
func clean(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, s)
}

// clip shortens a value quoted in a warning.
func clip(s string) string {
	const n = 64
	s = clean(s)
	if len(s) > n {
		// Cut on a rune boundary.
		i := n
		for i > 0 && !utf8.RuneStart(s[i]) {
			i--
		}
		s = s[:i] + "…"
	}
	return s
}
