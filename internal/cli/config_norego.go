//go:build norego

package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/shipshape-dev/shipshape/internal/misconfig/configfile"
)

// loadCustomChecks fails: this binary was built with -tags norego, without Open Policy Agent.
func loadCustomChecks(_ context.Context, paths []string) (configfile.Custom, error) {
	return nil, fmt.Errorf("--checks %s: this shipshape was built without Rego support (-tags norego); use a build without that tag", strings.Join(paths, ","))
}
