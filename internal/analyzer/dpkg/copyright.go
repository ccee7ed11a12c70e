package dpkg

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
)

// maxLicenseName is the longest licence short name kept; real ones are a few words.
const maxLicenseName = 200

// parseCopyright returns the licence short names of a machine-readable (DEP-5) copyright
// file, sorted and without duplicates. A file in any other format yields none and no error:
// most Debian packages still ship free-form copyright files, and reading licences out of
// prose is the licence classifier's job, not this parser's.
//
// A DEP-5 file is a list of deb822 paragraphs whose first (header) paragraph has a Format
// field naming the copyright-format specification
// (https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/, or one of the older
// DEP-5 draft URLs some packages still carry). The first line of every License field is a
// short name or an expression of them, such as "GPL-2+ or Artistic" or
// "GPL-2+ or AFL-2.1, and Expat"; expressions are split on "or", "and", "and/or" and commas.
// "with ... exception" stays part of the name.
func parseCopyright(ctx context.Context, r io.Reader) ([]string, error) {
	lr := newLineReader(r)
	header := true // still in the first paragraph
	started := false
	dep5 := false
	seen := map[string]bool{}
	for {
		if lr.n%checkEvery == 0 {
			if err := ctx.Err(); err != nil {
				return nil, fmt.Errorf("reading copyright file: %w", err)
			}
		}
		line, tooLong, err := lr.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("reading copyright file at line %d: %w", lr.n+1, err)
		}
		if tooLong {
			started = true
			continue
		}
		if isBlank(line) {
			if started && header {
				if !dep5 {
					return nil, nil
				}
				header = false
			}
			continue
		}
		started = true
		if line[0] == ' ' || line[0] == '\t' || line[0] == '#' {
			continue
		}
		name, value, ok := splitField(line)
		if !ok {
			continue
		}
		switch strings.ToLower(name) {
		case "format", "format-specification":
			if header && isDEP5Format(value) {
				dep5 = true
			}
		case "license":
			for _, l := range splitLicense(value) {
				seen[l] = true
			}
		}
	}
	if !dep5 || len(seen) == 0 {
		return nil, nil
	}
	out := make([]string, 0, len(seen))
	for l := range seen {
		out = append(out, l)
	}
	sort.Strings(out)
	return out, nil
}

// isDEP5Format reports whether a Format field names the machine-readable copyright format.
func isDEP5Format(v string) bool {
	v = strings.ToLower(v)
	return strings.Contains(v, "copyright-format") || strings.Contains(v, "/dep5")
}

// splitLicense splits the first line of a License field into short names.
func splitLicense(v string) []string {
	var out []string
	for _, part := range strings.Split(v, ",") {
		var words []string
		flush := func() {
			if name := strings.Join(words, " "); validLicense(name) {
				out = append(out, name)
			}
			words = words[:0]
		}
		for _, w := range strings.Fields(part) {
			switch strings.ToLower(w) {
			case "or", "and", "and/or":
				flush()
			default:
				words = append(words, w)
			}
		}
		flush()
	}
	return out
}

// validLicense keeps junk out: a name is non-empty, short, valid UTF-8 and has no control
// characters.
func validLicense(s string) bool {
	return s != "" && len(s) <= maxLicenseName && s == clean(s)
}
