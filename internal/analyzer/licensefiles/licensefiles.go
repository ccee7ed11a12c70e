// Package licensefiles adapts licence-text classification (internal/license, with
// google/licensecheck) to the analyzer contract: it claims licence files (LICENSE, LICENCE,
// COPYING …) and reports the licences they hold as analyzer.Facts.LicenseFiles.
package licensefiles

import (
	"context"
	"fmt"
	"io"
	"io/fs"

	"github.com/shipshape-dev/shipshape/internal/analyzer"
	"github.com/shipshape-dev/shipshape/internal/inventory"
	"github.com/shipshape-dev/shipshape/internal/license"
)

// maxSize is the largest licence file read; licence texts are far smaller.
const maxSize = 1 << 20

// Analyzer classifies licence files.
type Analyzer struct{}

// New returns the licence-file analyzer.
func New() *Analyzer { return &Analyzer{} }

// Name implements analyzer.Analyzer.
func (*Analyzer) Name() string { return "license-file" }

// Version implements analyzer.Analyzer.
func (*Analyzer) Version() int { return 1 }

// Sparse implements analyzer.Sparse.
func (*Analyzer) Sparse() bool { return true }

// Claims implements analyzer.Analyzer.
func (*Analyzer) Claims(p string, info fs.FileInfo) bool {
	return info != nil && info.Mode().IsRegular() && info.Size() > 0 && info.Size() <= maxSize && license.IsLicenseFile(p)
}

// Analyze implements analyzer.Analyzer.
func (*Analyzer) Analyze(ctx context.Context, in analyzer.Input) (analyzer.Facts, error) {
	data, err := io.ReadAll(io.LimitReader(in.Content, maxSize))
	if err != nil {
		return analyzer.Facts{}, fmt.Errorf("reading %s: %w", in.Path, err)
	}
	var facts analyzer.Facts
	for _, c := range license.ClassifyText(data) {
		facts.LicenseFiles = append(facts.LicenseFiles, inventory.LicenseFinding{License: c.ID, Confidence: c.Confidence})
	}
	return facts, nil
}
