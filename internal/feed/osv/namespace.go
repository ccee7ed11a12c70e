package osv

import (
	"strings"
)

// languageNamespaces maps OSV ecosystem names (compared case-insensitively) of language
// package managers to shipshape namespaces.
var languageNamespaces = map[string]string{
	"go":        "go",
	"npm":       "npm",
	"pypi":      "pypi",
	"crates.io": "crates.io",
	"rubygems":  "rubygems",
	"packagist": "packagist",
	"maven":     "maven",
	"nuget":     "nuget",
}

// distroNamespaces maps the distribution part of an OSV "<Distro>:<release>[:...]"
// ecosystem to the distro part of a shipshape "<distro>:<release>" namespace, with how
// the release is written.
var distroNamespaces = map[string]struct {
	distro  string
	release func(fields []string) (string, bool)
}{
	// Debian:12
	"debian": {"debian", func(f []string) (string, bool) { return f[0], isNumeric(f[0]) }},
	// Alpine:v3.19
	"alpine": {"alpine", func(f []string) (string, bool) {
		r := strings.TrimPrefix(f[0], "v")
		return r, isNumeric(r)
	}},
	// Ubuntu:22.04:LTS, Ubuntu:24.10. Ubuntu Pro (ESM) ecosystems, Ubuntu:Pro:18.04:LTS,
	// list fixes only subscribers get: they are not read into the plain release.
	"ubuntu": {"ubuntu", func(f []string) (string, bool) { return f[0], isNumeric(f[0]) }},
}

// Namespace returns the shipshape namespace of an OSV ecosystem: the lower-case name of a
// language ecosystem (Go -> go, PyPI -> pypi, crates.io -> crates.io ...), or
// "<distro>:<release>" for a distribution (Debian:12 -> debian:12, Alpine:v3.19 ->
// alpine:3.19, Ubuntu:22.04:LTS -> ubuntu:22.04). ok is false for ecosystems shipshape
// does not match against (Hex, Pub, Linux, OSS-Fuzz, Ubuntu Pro, a distro without a
// release ...).
func Namespace(ecosystem string) (ns string, ok bool) {
	e := strings.TrimSpace(ecosystem)
	if ns, ok := languageNamespaces[strings.ToLower(e)]; ok {
		return ns, true
	}
	name, rest, found := strings.Cut(e, ":")
	if !found {
		return "", false
	}
	d, known := distroNamespaces[strings.ToLower(strings.TrimSpace(name))]
	if !known {
		return "", false
	}
	fields := strings.Split(rest, ":")
	for i := range fields {
		fields[i] = strings.TrimSpace(fields[i])
	}
	release, ok := d.release(fields)
	if !ok {
		return "", false
	}
	return d.distro + ":" + release, true
}

// isNumeric reports whether s is a release number like "12", "3.19" or "22.04".
func isNumeric(s string) bool {
	if s == "" || s[0] == '.' || s[len(s)-1] == '.' {
		return false
	}
	for _, r := range s {
		if (r < '0' || r > '9') && r != '.' {
			return false
		}
	}
	return true
}
