package analyzer

import (
	"path"
	"strings"
)

// Ownable reports whether a file an OS package installs could be where a language analyzer
// finds a package: Python metadata, jars, package.json, gemspecs, .NET deps files, lockfiles
// and programs in bin, sbin and libexec folders and in Go toolchains' pkg/tool folders (Go
// and Rust binaries). OS analyzers record
// only such files in Facts.Owns, so the per-layer cache does not hold every file of every
// package. p is relative to the root, slash separated, without a leading slash.
func Ownable(p string) bool {
	base := path.Base(p)
	switch base {
	case "METADATA", "PKG-INFO", "package.json", "installed.json", "composer.lock", "Cargo.lock",
		"go.mod", "packages.config", "packages.lock.json", "pom.properties", "pom.xml",
		// Lock files a distribution ships inside its packages (Debian's node-nanoid carries the
		// upstream pnpm-lock.yaml of its development setup).
		"package-lock.json", "yarn.lock", "pnpm-lock.yaml", "Gemfile.lock", "poetry.lock",
		"Pipfile.lock", "uv.lock", "gradle.lockfile", "requirements.txt":
		return true
	}
	switch path.Ext(base) {
	case ".jar", ".war", ".ear", ".gemspec", ".egg-info", ".dist-info", ".json":
		if path.Ext(base) != ".json" || strings.HasSuffix(base, ".deps.json") {
			return true
		}
	}
	for _, dir := range []string{"bin/", "sbin/", "libexec/", "pkg/tool/"} {
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

// InsideInstalledPackage reports whether p (relative, slash separated) lies inside another
// package's installed files: node_modules, Python site-packages or dist-packages, an
// installed gem's folder (…/gems/<gem>-<version>/…), Debian's node module folders
// (usr/share/nodejs, usr/lib/nodejs), a Go toolchain's tree, or usr/share/doc. A lock file or build
// manifest there (Ruby 3.1's typeprof gem ships a package-lock.json, React Native modules an
// Android pom.xml) is that package's own development setup, not what is installed, so the
// lock-file analyzers leave it alone.
func InsideInstalledPackage(p string) bool {
	// Debian's node modules and Go toolchains' source trees hold their projects' development
	// lock files (node-nanoid's pnpm-lock.yaml, Go's own package-lock.json for wasm tests).
	for _, dir := range []string{"usr/share/doc/", "usr/share/nodejs/", "usr/lib/nodejs/"} {
		if strings.HasPrefix(p, dir) {
			return true
		}
	}
	if InGoRoot(p) {
		return true
	}
	parts := strings.Split(p, "/")
	for i, part := range parts[:len(parts)-1] {
		switch part {
		case "node_modules", "site-packages", "dist-packages":
			return true
		case "gems":
			if i+2 < len(parts) {
				next := parts[i+1]
				if j := strings.LastIndexByte(next, '-'); j > 0 && j+1 < len(next) && next[j+1] >= '0' && next[j+1] <= '9' {
					return true
				}
			}
		}
	}
	return false
}

// InGoRoot reports whether p lies in a Go toolchain's tree (Debian's usr/share/go-1.N and
// usr/lib/go-1.N, or /usr/local/go): its go.mod and lock files belong to Go's own packages
// and test programs, and the standard library is reported from Go programs as stdlib.
func InGoRoot(p string) bool {
	if strings.HasPrefix(p, "usr/local/go/") {
		return true
	}
	for _, dir := range []string{"usr/share/go-", "usr/lib/go-"} {
		if rest, ok := strings.CutPrefix(p, dir); ok && rest != "" && rest[0] >= '0' && rest[0] <= '9' {
			return true
		}
	}
	return false
}
