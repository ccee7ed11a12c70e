package analyzer

import (
	"path"
	"strings"
)

// Ownable reports whether a file an OS package installs could be where a language analyzer
// finds a package: Python metadata, jars, package.json, gemspecs, .NET deps files, lockfiles
// and programs in bin, sbin and libexec folders (Go and Rust binaries). OS analyzers record
// only such files in Facts.Owns, so the per-layer cache does not hold every file of every
// package. p is relative to the root, slash separated, without a leading slash.
func Ownable(p string) bool {
	base := path.Base(p)
	switch base {
	case "METADATA", "PKG-INFO", "package.json", "installed.json", "composer.lock", "Cargo.lock",
		"go.mod", "packages.config", "packages.lock.json", "pom.properties", "pom.xml":
		return true
	}
	switch path.Ext(base) {
	case ".jar", ".war", ".ear", ".gemspec", ".egg-info", ".dist-info", ".json":
		if path.Ext(base) != ".json" || strings.HasSuffix(base, ".deps.json") {
			return true
		}
	}
	for _, dir := range []string{"bin/", "sbin/", "libexec/"} {
		if strings.HasPrefix(p, dir) || strings.Contains(p, "/"+dir) {
			return true
		}
	}
	return false
}

// OwnedPath turns a package Location ("/usr/share/java/x.jar", or a nested
// "/app.war:WEB-INF/lib/x.jar") into the path an OS package would list: relative, without
// the part inside an archive.
func OwnedPath(location string) string {
	p := strings.TrimPrefix(location, "/")
	if i := strings.Index(p, ":"); i > 0 {
		p = p[:i]
	}
	return p
}
