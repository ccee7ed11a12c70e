// Package license turns the licences packages declare (free text such as "GPLv2+",
// "ASL 2.0" or "MIT and BSD", Debian copyright short names, SPDX expressions) into SPDX
// identifiers and expressions, recognises licence texts (LICENSE, COPYING …) with
// google/licensecheck, sorts every licence into a category (forbidden, restricted,
// reciprocal, notice, permissive, unencumbered, unknown) with a severity, and turns an
// inventory's packages and licence files into licence findings. Categories and severities
// come from a built-in table that a YAML file can override.
package license

import (
	"regexp"
	"strings"
	"sync"

	"github.com/github/go-spdx/v2/spdxexp"
)

// aliases maps cleaned-up free-text licence names (lower case, see clean) to SPDX ids.
var aliases = map[string]string{
	"mit": "MIT", "mit license": "MIT", "the mit license": "MIT", "expat": "MIT", "mit/expat": "MIT", "mit-style": "MIT",
	"isc": "ISC", "isc license": "ISC",
	"bsd": "BSD-3-Clause", "bsd license": "BSD-3-Clause", "new bsd": "BSD-3-Clause", "new bsd license": "BSD-3-Clause",
	"modified bsd": "BSD-3-Clause", "revised bsd": "BSD-3-Clause", "bsd-3": "BSD-3-Clause", "bsd 3-clause": "BSD-3-Clause",
	"3-clause bsd": "BSD-3-Clause", "bsd-3-clause": "BSD-3-Clause", "bsd 3 clause": "BSD-3-Clause", "bsd3": "BSD-3-Clause",
	"simplified bsd": "BSD-2-Clause", "freebsd": "BSD-2-Clause", "bsd-2": "BSD-2-Clause", "bsd 2-clause": "BSD-2-Clause",
	"2-clause bsd": "BSD-2-Clause", "bsd-2-clause": "BSD-2-Clause", "bsd 2 clause": "BSD-2-Clause", "bsd2": "BSD-2-Clause",
	"bsd-4-clause": "BSD-4-Clause", "bsd with advertising": "BSD-4-Clause", "0bsd": "0BSD",
	"apache": "Apache-2.0", "apache license": "Apache-2.0", "apache software": "Apache-2.0", "apache software license": "Apache-2.0", "asl": "Apache-2.0",
	"zlib": "Zlib", "zlib/libpng": "Zlib", "libpng": "Libpng",
	"psf": "PSF-2.0", "python": "PSF-2.0", "python software foundation license": "PSF-2.0", "psfl": "PSF-2.0",
	"python-2.0": "Python-2.0",
	"openssl":    "OpenSSL", "ssleay": "OpenSSL",
	"artistic": "Artistic-1.0", "artistic license": "Artistic-1.0", "perl": "Artistic-1.0-Perl", "artistic-1.0-perl": "Artistic-1.0-Perl",
	"artistic 2.0": "Artistic-2.0", "artistic-2": "Artistic-2.0", "artistic2": "Artistic-2.0",
	"boost": "BSL-1.0", "boost software license": "BSL-1.0", "bsl-1.0": "BSL-1.0",
	"cc0": "CC0-1.0", "cc0 1.0 universal": "CC0-1.0", "cc0-1.0": "CC0-1.0",
	"unlicense": "Unlicense", "the unlicense": "Unlicense",
	"wtfpl": "WTFPL", "ruby": "Ruby", "postgresql": "PostgreSQL", "ncsa": "NCSA", "x11": "X11", "curl": "curl",
	"eclipse public license": "EPL-1.0", "epl": "EPL-1.0", "cddl": "CDDL-1.0",
	"lgpl": "LGPL-2.0-or-later", "gpl": "GPL-1.0-or-later", "agpl": "AGPL-3.0-only",
	"sspl": "SSPL-1.0", "server side public license": "SSPL-1.0",
	"mpl": "MPL-2.0", "mozilla public license": "MPL-2.0",
	"public domain": "LicenseRef-Public-Domain", "public-domain": "LicenseRef-Public-Domain", "pd": "LicenseRef-Public-Domain",
	"gpl+": "GPL-1.0-or-later", "lgpl+": "LGPL-2.0-or-later",
}

// versioned matches family names with a version: GPLv2+, GPL-2, LGPL 2.1 or later, AGPLv3,
// Apache 2.0, ASL 2.0, MPLv2.0, EPL-2.0, CC-BY-SA 4.0, CDDL 1.1, Artistic 2.0.
var versioned = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^(a?gpl|lgpl|gfdl|apache|asl|mpl|epl|cddl|cc[- ]by(?:[- ](?:sa|nd|nc|nc[- ]sa|nc[- ]nd))?|artistic|osl|afl|cpl)` +
		`(?: software)?(?: public)?(?: license| licence)?[- ,]*(?:version |ver\.? |v\.? ?|v)?(\d+(?:\.\d+)?)` +
		`(\+| or later| or newer| or any later version|-or-later|-only| only)?$`)
})

// families maps a family name of versioned to the SPDX id prefix.
var families = map[string]string{
	"gpl": "GPL", "agpl": "AGPL", "lgpl": "LGPL", "gfdl": "GFDL", "apache": "Apache", "asl": "Apache", "mpl": "MPL",
	"epl": "EPL", "cddl": "CDDL", "artistic": "Artistic", "osl": "OSL", "afl": "AFL", "cpl": "CPL",
}

// clean lower-cases a licence name and strips what carries no meaning: surrounding quotes
// and brackets, "the", trailing "license"/"licence", PyPI classifier prefixes.
func clean(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndex(s, "::"); i >= 0 { // "License :: OSI Approved :: MIT License"
		s = s[i+2:]
	}
	s = strings.Trim(s, " \t\"'`;,.")
	s = strings.ToLower(s)
	s = strings.Join(strings.Fields(s), " ")
	s = strings.TrimPrefix(s, "the ")
	for _, suf := range []string{" licenses", " license", " licence"} {
		if t, ok := strings.CutSuffix(s, suf); ok && t != "" {
			s = t
		}
	}
	return s
}

// mapOne maps one licence name (no AND/OR) to an SPDX id.
func mapOne(s string) (string, bool) {
	s = strings.TrimSpace(s)
	for len(s) > 1 && s[0] == '(' && s[len(s)-1] == ')' {
		s = strings.TrimSpace(s[1 : len(s)-1])
	}
	if s == "" {
		return "", false
	}
	if ok, id := spdxexp.ActiveLicense(s); ok {
		return id, true
	}
	c := clean(s)
	if id, ok := aliases[c]; ok {
		return id, true
	}
	if ok, id := spdxexp.ActiveLicense(c); ok {
		return id, true
	}
	// "GPL-2 with OpenSSL exception", "GPL-2.0 WITH Classpath-exception-2.0"
	if base, exc, ok := cutWord(c, " with "); ok {
		if id, ok := mapOne(base); ok {
			if eid, ok := exceptions[strings.TrimSpace(exc)]; ok {
				if valid, _ := spdxexp.ValidateLicenses([]string{id + " WITH " + eid}); valid {
					return id + " WITH " + eid, true
				}
			}
			// An exception the SPDX list lacks only grants more: the base licence stands.
			return id, true
		}
	}
	m := versioned().FindStringSubmatch(c)
	if m == nil {
		return "", false
	}
	fam, ver, suffix := m[1], m[2], m[3]
	if !strings.Contains(ver, ".") {
		ver += ".0"
	}
	var id string
	if p, ok := families[fam]; ok {
		id = p + "-" + ver
	} else { // cc-by, cc-by-sa …
		id = strings.ToUpper(strings.ReplaceAll(fam, " ", "-"))
		id = strings.Replace(id, "CC-BY", "CC-BY", 1) + "-" + ver
	}
	switch fam {
	case "gpl", "agpl", "lgpl", "gfdl":
		if strings.TrimSpace(suffix) == "" || strings.Contains(suffix, "only") {
			id += "-only"
		} else {
			id += "-or-later"
		}
	case "artistic":
		if ver == "1.0" {
			id = "Artistic-1.0"
		}
	}
	if ok, canon := spdxexp.ActiveLicense(id); ok {
		return canon, true
	}
	return "", false
}

// exceptions maps cleaned exception names to SPDX exception ids.
var exceptions = map[string]string{
	"openssl exception": "OpenSSL-exception", "openssl-exception": "OpenSSL-exception",
	"classpath exception": "Classpath-exception-2.0", "classpath-exception-2.0": "Classpath-exception-2.0",
	"gcc runtime library exception": "GCC-exception-3.1", "gcc-exception-3.1": "GCC-exception-3.1",
	"autoconf exception": "Autoconf-exception-generic", "bison exception": "Bison-exception-2.2",
	"font exception": "Font-exception-2.0", "llvm-exception": "LLVM-exception", "llvm exception": "LLVM-exception",
}

// asciiLower lower-cases ASCII letters only, so that byte offsets stay those of s.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + ('a' - 'A')
		}
	}
	return string(b)
}

// cutWord cuts s around the first sep (lower case) found case-insensitively.
func cutWord(s, sep string) (before, after string, ok bool) {
	i := strings.Index(asciiLower(s), sep)
	if i < 0 {
		return s, "", false
	}
	return s[:i], s[i+len(sep):], true
}

// splitFold splits s around every sep (lower case), case-insensitively.
func splitFold(s, sep string) []string {
	var out []string
	for {
		b, a, ok := cutWord(s, sep)
		if !ok {
			return append(out, s)
		}
		out = append(out, b)
		s = a
	}
}

// opSplit splits free text on the first kind of connective it uses: OR-like (" or ", " / ",
// " | ") or AND-like (" and ", ", ", " & ", "; "). "or later" is no connective.
func opSplit(s string) (parts []string, op string) {
	l := asciiLower(s)
	orLater := strings.Contains(l, " or later") || strings.Contains(l, " or any later") || strings.Contains(l, " or newer")
	for _, c := range []struct{ sep, op string }{
		{" or ", "OR"}, {" / ", "OR"}, {" | ", "OR"}, {" and ", "AND"}, {", ", "AND"}, {" & ", "AND"}, {"; ", "AND"},
	} {
		if c.sep == " or " && orLater {
			continue
		}
		if parts := splitFold(s, c.sep); len(parts) > 1 {
			return parts, c.op
		}
	}
	return []string{s}, ""
}

// Normalize returns the SPDX identifier or expression for a licence as a package declares
// it. ok is false when it maps to nothing known; the trimmed text comes back then.
func Normalize(s string) (expr string, ok bool) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > 512 {
		return s, false
	}
	// Already an SPDX expression (possibly with odd case): normalise it.
	if norm, invalid := spdxexp.ValidateAndNormalizeLicensesWithOptions([]string{s}, spdxexp.ValidateLicensesOptions{}); len(invalid) == 0 && len(norm) == 1 {
		return modernize(norm[0]), true
	}
	if id, ok := mapOne(s); ok {
		return id, true
	}
	parts, op := opSplit(s)
	if op == "" {
		return s, false
	}
	ids := make([]string, 0, len(parts))
	for _, p := range parts {
		id, ok := Normalize(p)
		if !ok {
			return s, false
		}
		if strings.Contains(id, " AND ") || strings.Contains(id, " OR ") {
			id = "(" + id + ")"
		}
		ids = append(ids, id)
	}
	return strings.Join(ids, " "+op+" "), true
}

// deprecatedGNU matches the deprecated GNU ids (GPL-2.0, GPL-2.0+, LGPL-2.1+ …).
var deprecatedGNU = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`\b((?:A|L)?GPL|GFDL)-(\d\.\d)(\+?)(?:[^-.\w+]|$)`)
})

// modernize replaces deprecated GNU ids in an expression by their -only/-or-later forms.
func modernize(expr string) string {
	re := deprecatedGNU()
	return re.ReplaceAllStringFunc(expr, func(m string) string {
		tail := ""
		if last := m[len(m)-1]; last == ' ' || last == ')' {
			tail, m = m[len(m)-1:], m[:len(m)-1]
		}
		if base, ok := strings.CutSuffix(m, "+"); ok {
			return base + "-or-later" + tail
		}
		return m + "-only" + tail
	})
}
