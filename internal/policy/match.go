package policy

import (
	"path"
	"slices"
	"strings"

	"github.com/package-url/packageurl-go"
)

// matchID reports whether id names the vulnerability with primary id fid or one of its
// aliases. Case is ignored (ids are upper case by convention, but people type them).
func matchID(id, fid string, aliases []string) bool {
	id = strings.TrimSpace(id)
	if id == "" {
		return false
	}
	if strings.EqualFold(id, fid) {
		return true
	}
	return slices.ContainsFunc(aliases, func(a string) bool { return strings.EqualFold(id, a) })
}

// purlPattern is a package URL to match packages against: type, namespace and name must be
// equal; version only when the pattern has one; and each qualifier the pattern gives must be
// present with the same value (so pkg:apk/alpine/zlib matches every zlib of any arch).
type purlPattern struct {
	raw string
	p   packageurl.PackageURL
}

func parsePURLPattern(s string) (purlPattern, error) {
	p, err := packageurl.FromString(strings.TrimSpace(s))
	if err != nil {
		return purlPattern{}, err
	}
	return purlPattern{raw: s, p: p}, nil
}

// purlCache remembers parsed package URLs during one Apply: the same few purls are matched
// against every ignore entry and VEX statement. A nil cache parses every time.
type purlCache map[string]parsedPURL

type parsedPURL struct {
	p   packageurl.PackageURL
	err error
}

func (c purlCache) parse(s string) (packageurl.PackageURL, error) {
	if c == nil {
		return packageurl.FromString(s)
	}
	if r, ok := c[s]; ok {
		return r.p, r.err
	}
	p, err := packageurl.FromString(s)
	c[s] = parsedPURL{p, err}
	return p, err
}

// matches reports whether the package URL s falls under the pattern. A purl that does not
// parse matches only a pattern written identically.
func (pp purlPattern) matches(s string, pc purlCache) bool {
	if s == "" {
		return false
	}
	q, err := pc.parse(s)
	if err != nil {
		return strings.TrimSpace(pp.raw) == s
	}
	p := pp.p
	if !strings.EqualFold(p.Type, q.Type) || !purlPartEqual(p.Type, p.Namespace, q.Namespace) || !purlPartEqual(p.Type, p.Name, q.Name) {
		return false
	}
	if p.Version != "" && p.Version != q.Version {
		return false
	}
	have := q.Qualifiers.Map()
	for _, kv := range p.Qualifiers {
		if have[kv.Key] != kv.Value {
			return false
		}
	}
	if p.Subpath != "" && p.Subpath != q.Subpath {
		return false
	}
	return true
}

// purlPartEqual compares a namespace or name: case-insensitively for the types whose
// specification says names are case-insensitive, exactly otherwise.
func purlPartEqual(typ, a, b string) bool {
	switch strings.ToLower(typ) {
	case "npm", "pypi", "golang", "github", "bitbucket", "deb", "apk", "composer", "nuget":
		return strings.EqualFold(a, b)
	}
	return a == b
}

// globMatch matches a slash-separated path against a pattern in which * and ? and [...] work
// within one path element (path.Match) and ** matches any number of elements, including
// none. Leading slashes and "./" are ignored on both sides, so "usr/lib/**" matches
// "/usr/lib/x/y". A malformed pattern matches nothing.
func globMatch(pattern, name string) bool {
	pattern = cleanGlobPath(pattern)
	name = cleanGlobPath(name)
	if pattern == "" {
		return false
	}
	steps := 0
	return globParts(strings.Split(pattern, "/"), strings.Split(name, "/"), &steps)
}

// maxGlobSteps bounds the work of one glob match so that a pattern full of ** cannot make
// a match take exponential time.
const maxGlobSteps = 100000

func globParts(pat, name []string, steps *int) bool {
	for len(pat) > 0 {
		if *steps++; *steps > maxGlobSteps {
			return false
		}
		if pat[0] == "**" {
			for len(pat) > 1 && pat[1] == "**" {
				pat = pat[1:]
			}
			if len(pat) == 1 {
				return true
			}
			for i := 0; i <= len(name); i++ {
				if *steps++; *steps > maxGlobSteps {
					return false
				}
				if globParts(pat[1:], name[i:], steps) {
					return true
				}
			}
			return false
		}
		if len(name) == 0 {
			return false
		}
		ok, err := path.Match(pat[0], name[0])
		if err != nil || !ok {
			return false
		}
		pat, name = pat[1:], name[1:]
	}
	return len(name) == 0
}

func cleanGlobPath(s string) string {
	s = strings.TrimSpace(s)
	for {
		switch {
		case strings.HasPrefix(s, "/"):
			s = s[1:]
		case strings.HasPrefix(s, "./"):
			s = s[2:]
		default:
			return strings.TrimSuffix(s, "/")
		}
	}
}
