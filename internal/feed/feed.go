// Package feed defines the contract of the upstream-format parsers: each turns one file of
// a vulnerability feed (OSV, Alpine secdb, Debian OVAL, NVD, EPSS, KEV, ...) into vulndb
// records. The parsers themselves live in the subpackages, one per format.
package feed

import (
	"context"
	"io"

	"github.com/shipshape-dev/shipshape/internal/vulndb"
)

// Input is one file of a feed: its name (the path inside an archive or folder, slash
// separated, or the file name) and its content, already decompressed when the file was
// .gz, .bz2, .xz or .zst.
type Input struct {
	Name string
	R    io.Reader
}

// A Feed turns one upstream format into DB records.
type Feed interface {
	// Name is the format's id as used in `db build --feed NAME=PATH`, e.g. "osv".
	Name() string
	// Match reports whether a file (by its name inside the feed's archive or folder) is
	// one this parser reads; others are skipped. It does no I/O.
	Match(name string) bool
	// Parse reads one file and emits its records. A malformed entry inside an otherwise
	// good file is skipped and reported through the returned error only if nothing could
	// be read; parsers wrap errors with the input name.
	Parse(ctx context.Context, in Input, emit func(vulndb.Record) error) error
}

// Info describes a feed for the DB's metadata and the NOTICE file.
type Info struct {
	// Licence is the data's licence, e.g. "CC-BY-4.0".
	Licence string
	// Attribution is the line NOTICE carries for the data.
	Attribution string
	// UpstreamURL is where `db build --from-upstream` fetches the data.
	UpstreamURL string
}
