package java

import (
	"path"
	"strings"
)

// identity is what a jar without pom.properties says about itself.
type identity struct {
	group, artifact, version string
}

// qualifiers are words that may follow a '-' inside a Maven version ("2.0-beta-3",
// "31.1-jre"), so they do not end the artifactId when a file name is split.
var qualifiers = map[string]bool{
	"alpha": true, "a": true, "beta": true, "b": true, "rc": true, "cr": true, "m": true,
	"milestone": true, "snapshot": true, "sp": true, "ga": true, "final": true,
	"release": true, "jre": true, "android": true, "incubating": true, "pre": true,
	"preview": true, "dev": true,
}

// SplitFileName splits a Java archive's file name into artifactId and version
// ("log4j-core-2.19.0.jar" → "log4j-core", "2.19.0"). The version starts at a '-' followed
// by a digit; when several do ("log4j-1.2-api-2.19.0.jar") it is the first one after which
// only version-like parts follow (digits, or the qualifiers of qualifiers). A name without
// such a '-' is all artifactId, with no version.
func SplitFileName(name string) (artifact, version string) {
	stem := strings.TrimSuffix(name, path.Ext(name))
	for i := 0; i+1 < len(stem); i++ {
		if stem[i] != '-' || stem[i+1] < '0' || stem[i+1] > '9' || i == 0 {
			continue
		}
		if versionLike(stem[i+1:]) {
			return stem[:i], stem[i+1:]
		}
	}
	return stem, ""
}

// versionLike reports whether the '-'-separated parts of v after the first are version
// parts: numbers or known qualifiers (possibly with a number, "rc1", "M2").
func versionLike(v string) bool {
	parts := strings.Split(v, "-")
	for i, p := range parts[1:] {
		if p == "" {
			return false
		}
		if p[0] >= '0' && p[0] <= '9' {
			continue
		}
		word := strings.ToLower(strings.TrimRight(p, "0123456789."))
		if qualifiers[word] {
			continue
		}
		// A word part is fine at the end ("1.0-foo" is a classifier-like suffix), but a word
		// followed by a numeric part means the artifactId goes on ("log4j-1.2-api-2.19.0").
		if i+2 < len(parts) {
			return false
		}
	}
	return true
}

// bundleName strips the OSGi directives from a Bundle-SymbolicName
// ("org.foo.bar;singleton:=true" → "org.foo.bar").
func bundleName(s string) string {
	if i := strings.IndexByte(s, ';'); i >= 0 {
		s = s[:i]
	}
	return strings.TrimSpace(s)
}

// groupFromSymbolicName learns the groupId from an OSGi Bundle-SymbolicName or a JPMS
// Automatic-Module-Name when that name ends with the artifactId: "org.mongodb.bson" and
// artifact "bson" give "org.mongodb"; "com.fasterxml.jackson.core.jackson-databind" and
// "jackson-databind" give "com.fasterxml.jackson.core". When it ends with the artifactId's
// '-' parts as '.' parts ("org.apache.logging.log4j.core", "log4j-core"), the group is the
// name up to and including the artifactId's first part ("org.apache.logging.log4j"), the
// common project-module naming.
func groupFromSymbolicName(sym, artifact string) string {
	if sym == "" || artifact == "" {
		return ""
	}
	if g, ok := strings.CutSuffix(sym, "."+artifact); ok && g != "" {
		return g
	}
	if strings.Contains(artifact, "-") {
		dotted := strings.ReplaceAll(artifact, "-", ".")
		if g, ok := strings.CutSuffix(sym, "."+dotted); ok && g != "" {
			first, _, _ := strings.Cut(artifact, "-")
			return g + "." + first
		}
	}
	return ""
}

// reverseDomain reports whether s looks like a Java package-style name ("org.apache").
func reverseDomain(s string) bool {
	if !strings.Contains(s, ".") || strings.HasPrefix(s, ".") || strings.HasSuffix(s, ".") {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// ownIdentity derives a jar's Maven coordinates from its manifest (nil when it has none)
// and its file name (none for *-sources.jar and *-javadoc.jar):
//
//   - artifactId: Implementation-Title when it is one lower-case word such as "spring-beans"
//     (distributions rename jars, titles stay); else the file name without its version;
//     when the name is all version (or empty), the last part of Bundle-SymbolicName.
//   - version: Implementation-Version, else Bundle-Version, else the file name's version,
//     else Specification-Version.
//   - groupId: from Bundle-SymbolicName, else Automatic-Module-Name (see
//     groupFromSymbolicName), else Implementation-Vendor-Id when it is a package-style
//     name; else unknown (empty).
func ownIdentity(m Manifest, base string) identity {
	stem := strings.ToLower(strings.TrimSuffix(base, path.Ext(base)))
	if strings.HasSuffix(stem, "-sources") || strings.HasSuffix(stem, "-javadoc") {
		return identity{} // source or API-doc jars, not code that runs
	}
	artifact, fileVersion := SplitFileName(base)
	if t := m.Get("Implementation-Title"); artifactToken(t) {
		artifact = t
	}
	sym := bundleName(m.Get("Bundle-SymbolicName"))
	if !hasLetter(artifact) && sym != "" {
		if i := strings.LastIndexByte(sym, '.'); i > 0 {
			artifact = sym[i+1:]
		} else {
			artifact = sym
		}
	}
	if !hasLetter(artifact) {
		return identity{}
	}
	id := identity{artifact: artifact}
	for _, v := range []string{m.Get("Implementation-Version"), m.Get("Bundle-Version"), fileVersion, m.Get("Specification-Version")} {
		if v != "" && !strings.ContainsAny(v, " \t") {
			id.version = v
			break
		}
	}
	id.group = groupFromSymbolicName(sym, artifact)
	if id.group == "" {
		id.group = groupFromSymbolicName(m.Get("Automatic-Module-Name"), artifact)
	}
	if id.group == "" {
		if v := m.Get("Implementation-Vendor-Id"); reverseDomain(v) {
			id.group = v
		}
	}
	return id
}

func hasLetter(s string) bool {
	for _, r := range s {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' {
			return true
		}
	}
	return false
}

// artifactToken reports whether s looks like an artifactId: a lower-case letter, then
// lower-case letters, digits, '-' and '_' ("spring-beans", not "Apache Log4j Core" nor
// "org.foo").
func artifactToken(s string) bool {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}
