// Package all holds the one explicit list of analyzers shipshape runs by default.
package all

import (
	"github.com/shipshape-dev/shipshape/internal/analyzer"
	"github.com/shipshape-dev/shipshape/internal/analyzer/apk"
	"github.com/shipshape-dev/shipshape/internal/analyzer/cargo"
	"github.com/shipshape-dev/shipshape/internal/analyzer/composer"
	"github.com/shipshape-dev/shipshape/internal/analyzer/dotnet"
	"github.com/shipshape-dev/shipshape/internal/analyzer/dpkg"
	"github.com/shipshape-dev/shipshape/internal/analyzer/gobinary"
	"github.com/shipshape-dev/shipshape/internal/analyzer/gomod"
	"github.com/shipshape-dev/shipshape/internal/analyzer/imagefiles"
	"github.com/shipshape-dev/shipshape/internal/analyzer/java"
	"github.com/shipshape-dev/shipshape/internal/analyzer/licensefiles"
	"github.com/shipshape-dev/shipshape/internal/analyzer/npm"
	"github.com/shipshape-dev/shipshape/internal/analyzer/osrelease"
	"github.com/shipshape-dev/shipshape/internal/analyzer/python"
	"github.com/shipshape-dev/shipshape/internal/analyzer/rpm"
	"github.com/shipshape-dev/shipshape/internal/analyzer/ruby"
	"github.com/shipshape-dev/shipshape/internal/analyzer/secretfiles"
	"github.com/shipshape-dev/shipshape/internal/secret"
)

// OS returns the analyzers that identify the operating system and its packages.
func OS() analyzer.Set {
	return analyzer.Set{
		osrelease.New(),
		dpkg.New(),
		apk.New(),
		rpm.New(),
	}
}

// Language returns the analyzers that find application dependencies.
func Language() analyzer.Set {
	return analyzer.Set{
		npm.New(),
		composer.New(),
		dotnet.New(),
		python.New(),
		ruby.New(),
		java.New(),
		gobinary.New(),
		gomod.New(),
		cargo.New(),
	}
}

// Default returns every analyzer a scan runs unless told otherwise.
func Default() analyzer.Set {
	return append(OS(), Language()...)
}

// Secrets returns the analyzers of the secret scanner. They are not in Default: a scan
// runs them only when asked for secrets (--scanners secret), and the per-layer cache key
// names every analyzer that ran, so results with and without them never mix.
func Secrets(opts secret.Options) analyzer.Set {
	return analyzer.Set{secretfiles.New(opts)}
}

// Misconfig returns the analyzers of layer-level misconfiguration checks (setuid files,
// package caches); scans add them when --scanners has misconfig.
func Misconfig() analyzer.Set {
	return analyzer.Set{imagefiles.New()}
}

// Licenses returns the analyzers of the licence scanner (--scanners license): licence files
// classified by their text. Package licences come from the package analyzers.
func Licenses() analyzer.Set {
	return analyzer.Set{licensefiles.New()}
}
