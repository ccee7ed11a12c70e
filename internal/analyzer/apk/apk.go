// Package apk finds the Alpine (and Wolfi, Chainguard) packages installed in a layer by
// reading the apk installed database, lib/apk/db/installed.
package apk

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"strings"

	"github.com/shipshape-dev/shipshape/internal/analyzer"
	"github.com/shipshape-dev/shipshape/internal/inventory"
)

// installedPath is the apk installed database, relative to the root.
const installedPath = "lib/apk/db/installed"

// Analyzer reads the apk installed database. It holds no state and is safe for concurrent use.
type Analyzer struct{}

var _ analyzer.Analyzer = (*Analyzer)(nil)

// New returns the apk analyzer.
func New() *Analyzer { return &Analyzer{} }

// Name implements analyzer.Analyzer.
func (*Analyzer) Name() string { return "apk" }

// Version implements analyzer.Analyzer.
func (*Analyzer) Version() int { return 4 }

// Claims implements analyzer.Analyzer: lib/apk/db/installed, when it is not a directory.
func (*Analyzer) Claims(p string, info fs.FileInfo) bool {
	return p == installedPath && (info == nil || !info.IsDir())
}

// Analyze implements analyzer.Analyzer. A record without a name (P:) or a version (V:) is
// skipped with a warning naming its line; the file is an error only when it holds text but
// not one line that looks like an apk database field.
func (*Analyzer) Analyze(ctx context.Context, in analyzer.Input) (analyzer.Facts, error) {
	if err := ctx.Err(); err != nil {
		return analyzer.Facts{}, err
	}
	data, err := io.ReadAll(in.Content)
	if err != nil {
		return analyzer.Facts{}, fmt.Errorf("reading apk database %s: %w", in.Path, err)
	}
	pkgs, owns, warnings, err := parse(data)
	if err != nil {
		return analyzer.Facts{}, fmt.Errorf("apk database %s: %w", in.Path, err)
	}
	return analyzer.Facts{Packages: pkgs, PackageType: inventory.TypeApk, Owns: owns, Warnings: warnings}, nil
}

// ErrNotInstalledDB is returned by Parse for text with no line of the form "X:value".
var ErrNotInstalledDB = fmt.Errorf("not an apk installed database: no line of the form \"X:value\" (a one-letter field name and a colon)")

// Parse reads an apk installed database: records separated by blank lines, each made of
// "X:value" lines where X is a one-letter field name. It returns the packages in file
// order and warnings about records it skipped. The error is ErrNotInstalledDB when data
// holds something other than white space and not one field line.
//
// Fields used: P name, V version, A arch, o origin (the source package; defaults to the
// name), L licence, m maintainer; F (folder) and R (file) lines give the files a package
// installed (see parse). Other repeated fields within a record (Z, a, ...) are
// ignored; a repeated P, V, A, o, L or m keeps its last value, as apk itself does.
func Parse(data []byte) ([]inventory.Package, []string, error) {
	pkgs, _, warnings, err := parse(data)
	return pkgs, warnings, err
}

// parse is Parse that also returns, per package name, the files it installed (F: folder
// and R: file lines) that analyzer.Ownable keeps.
func parse(data []byte) ([]inventory.Package, map[string][]string, []string, error) {
	var (
		owns     map[string][]string
		pkgs     []inventory.Package
		warnings []string
		rec      record
		fields   int // lines of the form X:value seen in the whole file
		other    int // non-blank lines that are not fields
		lineNo   int
	)
	flush := func() {
		if rec.start == 0 {
			return
		}
		if p, warn := rec.pkg(); warn != "" {
			warnings = append(warnings, warn)
		} else {
			pkgs = append(pkgs, p)
			if len(rec.files) > 0 {
				if owns == nil {
					owns = map[string][]string{}
				}
				owns[p.Name] = append(owns[p.Name], rec.files...)
			}
		}
		rec = record{}
	}
	for len(data) > 0 {
		lineNo++
		var line []byte
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			line, data = data, nil
		}
		line = bytes.TrimSuffix(line, []byte{'\r'})
		if len(bytes.TrimSpace(line)) == 0 {
			flush()
			continue
		}
		if rec.start == 0 {
			rec.start = lineNo
		}
		if len(line) < 2 || line[1] != ':' || !isFieldName(line[0]) {
			other++
			continue
		}
		fields++
		value := string(line[2:])
		switch line[0] {
		case 'P':
			rec.name = value
		case 'V':
			rec.version = value
		case 'A':
			rec.arch = value
		case 'o':
			rec.origin = value
		case 'L':
			rec.license = value
		case 'm':
			rec.maintainer = value
		case 'F':
			rec.dir = value
		case 'R':
			f := value
			if rec.dir != "" {
				f = rec.dir + "/" + value
			}
			if analyzer.Ownable(f) {
				rec.files = append(rec.files, f)
			}
		}
	}
	flush()
	if len(pkgs) == 0 && fields == 0 && other > 0 {
		return nil, nil, nil, ErrNotInstalledDB
	}
	if len(warnings) > maxWarnings {
		n := len(warnings) - maxWarnings
		warnings = append(warnings[:maxWarnings:maxWarnings], fmt.Sprintf("%d more records skipped for the same reason", n))
	}
	return pkgs, owns, warnings, nil
}

// maxWarnings caps the warnings of one file, so a damaged database cannot flood a report.
const maxWarnings = 20

func isFieldName(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// record is one package stanza while it is being read.
type record struct {
	start                                            int // line number of its first line; 0 when empty
	name, version, arch, origin, license, maintainer string
	dir                                              string   // the last F: line
	files                                            []string // ownable files (F:/R:)
}

// pkg turns the record into a package, or returns a warning when it lacks a name or version.
func (r *record) pkg() (inventory.Package, string) {
	var missing []string
	if r.name == "" {
		missing = append(missing, "P (name)")
	}
	if r.version == "" {
		missing = append(missing, "V (version)")
	}
	if len(missing) > 0 {
		what := "record"
		if r.name != "" {
			what = fmt.Sprintf("record for %q", r.name)
		}
		return inventory.Package{}, fmt.Sprintf("%s starting at line %d has no %s field; skipped", what, r.start, strings.Join(missing, " or "))
	}
	origin := r.origin
	if origin == "" {
		origin = r.name
	}
	return inventory.Package{
		Type:          inventory.TypeApk,
		Name:          r.name,
		Version:       r.version,
		Arch:          r.arch,
		SourceName:    origin,
		SourceVersion: r.version,
		Licenses:      SplitLicense(r.license),
		Maintainer:    r.maintainer,
	}, ""
}

// SplitLicense splits an apk L: field into licence identifiers, in the order they appear,
// without duplicates. The field is either an SPDX expression ("MIT AND BSD-2-Clause",
// "(MIT OR Apache-2.0)") or, in older packages, a space-separated list ("MIT BSD GPL2+").
// The operators AND and OR (any case) and parentheses are dropped, so the result lists
// every licence the package mentions but no longer says whether they all apply or one may
// be chosen; "X WITH Y" is kept as one entry, since the exception belongs to its licence.
// Identifiers are not normalised here (internal/license does that).
func SplitLicense(s string) []string {
	isOperator := func(w string) bool {
		return strings.EqualFold(w, "AND") || strings.EqualFold(w, "OR") || strings.EqualFold(w, "WITH")
	}
	words := strings.Fields(strings.NewReplacer("(", " ", ")", " ").Replace(s))
	var terms []string
	afterTerm := false // the previous word was an identifier
	for i := 0; i < len(words); i++ {
		w := words[i]
		if !isOperator(w) {
			terms = append(terms, w)
			afterTerm = true
			continue
		}
		// "X WITH Y" stays one entry; a WITH with no identifier on either side is dropped.
		if strings.EqualFold(w, "WITH") && afterTerm && i+1 < len(words) && !isOperator(words[i+1]) {
			terms[len(terms)-1] += " WITH " + words[i+1]
			i++
		}
		afterTerm = false
	}
	var out []string
	seen := make(map[string]bool, len(terms))
	for _, t := range terms {
		if !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	return out
}
