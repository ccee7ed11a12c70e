// Package analyzer defines the contract between the layer walker and the code that turns
// files into facts (packages, OS identity), and holds the one explicit list of analyzers.
package analyzer

import (
	"context"
	"io"
	"io/fs"

	"github.com/shipshape-dev/shipshape/internal/inventory"
)

// An Analyzer turns the files it claims into facts about one layer.
type Analyzer interface {
	// Name is a short stable id, e.g. "dpkg".
	Name() string
	// Version changes whenever the analyzer's output for the same input changes;
	// it is part of the per-layer cache key.
	Version() int
	// Claims is a cheap check on the path (relative to the root, no leading slash, slash
	// separated) and file info; it must do no I/O.
	Claims(path string, info fs.FileInfo) bool
	// Analyze reads one claimed file.
	Analyze(ctx context.Context, in Input) (Facts, error)
}

// RandomAccess is implemented by analyzers that read their input at offsets (executables:
// headers, section tables and one section) rather than whole. When every analyzer that
// claims a file on disk is one, the walker hands them the open file (an io.ReaderAt as
// well as an io.Reader) instead of reading it into memory; for layer streams, which can
// only be read in order, they still get the file's bytes.
type RandomAccess interface {
	Analyzer
	ReadsAt()
}

// Input is one claimed file. Content holds at most the walker's size cap.
type Input struct {
	// Path is relative to the root, slash separated, without a leading slash.
	Path    string
	Info    fs.FileInfo
	Content io.Reader
}

// Facts is what an analyzer learned from one file.
type Facts struct {
	// Packages found in the file; Location and Layer are filled in by the walker. A package
	// found inside an archive may set Location to "/" + the file's path + ":" + its path in
	// the archive ("/app.war:WEB-INF/lib/x.jar"); the walker keeps such a location.
	Packages []inventory.Package `json:"packages,omitempty"`
	// OS is set by analyzers that identify the operating system.
	OS *inventory.OS `json:"os,omitempty"`
	// Licenses maps a package name (of PackageType) to licences found for it in a
	// side file, such as a dpkg machine-readable copyright file.
	Licenses    map[string][]string `json:"licenses,omitempty"`
	PackageType string              `json:"packageType,omitempty"`
	// Owns maps the name of an OS package (of PackageType) to the files it installed that
	// could hold a language package (see Ownable), so that a language package installed by
	// an OS package can be attributed to it.
	Owns map[string][]string `json:"owns,omitempty"`
	// Secrets and Misconfigurations found in the file. Unlike packages they are kept from
	// every layer, even when a later layer deletes or replaces the file.
	Secrets []inventory.Secret `json:"secrets,omitempty"`
	// LicenseFiles are the licences recognised in a licence file (LICENSE, COPYING …); the
	// merge keeps those of visible files, with the file's path and layer.
	LicenseFiles      []inventory.LicenseFinding   `json:"licenseFiles,omitempty"`
	Misconfigurations []inventory.Misconfiguration `json:"misconfigurations,omitempty"`
	// Warnings are problems that did not stop the analysis of this file.
	Warnings []string `json:"warnings,omitempty"`
}

// Empty reports whether the facts carry nothing.
func (f Facts) Empty() bool {
	return len(f.Packages) == 0 && f.OS == nil && len(f.Licenses) == 0 && len(f.Warnings) == 0 &&
		len(f.Secrets) == 0 && len(f.Misconfigurations) == 0 && len(f.Owns) == 0 && len(f.LicenseFiles) == 0
}

// Sparse is implemented by analyzers that claim many files and find something in few (such
// as the secret scanner). The walker keeps no record of a file in which a sparse analyzer
// found nothing, so such a file shadows nothing in lower layers on that analyzer's account.
type Sparse interface {
	Sparse() bool
}

// IsSparse reports whether a is a Sparse analyzer that says so.
func IsSparse(a Analyzer) bool {
	s, ok := a.(Sparse)
	return ok && s.Sparse()
}

// Set is an ordered list of analyzers.
type Set []Analyzer

// Claimers returns the analyzers in s that claim path.
func (s Set) Claimers(path string, info fs.FileInfo) []Analyzer {
	var out []Analyzer
	for _, a := range s {
		if a.Claims(path, info) {
			out = append(out, a)
		}
	}
	return out
}
