//go:build !norego

package cli

import (
	"context"

	"github.com/shipshape-dev/shipshape/internal/misconfig/configfile"
	"github.com/shipshape-dev/shipshape/internal/misconfig/rego"
)

// loadCustomChecks loads Rego checks from files and folders. Building with -tags norego
// leaves Open Policy Agent (about 19 MB) out of the binary and --checks then fails.
func loadCustomChecks(ctx context.Context, paths []string) (configfile.Custom, error) {
	c, err := rego.Load(ctx, paths)
	if err != nil {
		return nil, err
	}
	return c, nil
}
