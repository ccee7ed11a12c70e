package cli

import (
	"strings"

	"github.com/spf13/cobra"

	"github.com/shipshape-dev/shipshape/internal/analyzer"
	"github.com/shipshape-dev/shipshape/internal/analyzer/all"
	"github.com/shipshape-dev/shipshape/internal/secret"
)

// secretFlags tune the secret scanner (--scanners secret).
type secretFlags struct {
	maxSize         int64
	includeBinaries bool
}

func (f *secretFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.Int64Var(&f.maxSize, "secret-max-size", secret.DefaultMaxSize, "largest file (bytes) the secret scanner reads; -1 for no limit (still bounded by --max-file-size)")
	fl.BoolVar(&f.includeBinaries, "secret-include-binaries", false, "also scan files that look binary (a NUL byte in the first 8 KiB) for secrets")
}

func (f *secretFlags) options() secret.Options {
	return secret.Options{MaxSize: f.maxSize, IncludeBinaries: f.includeBinaries}
}

// hasScanner reports whether name is among the --scanners values.
func hasScanner(scanners []string, name string) bool {
	for _, s := range scanners {
		if strings.EqualFold(strings.TrimSpace(s), name) {
			return true
		}
	}
	return false
}

// analyzers returns the analyzers the scan runs: the default ones, plus the secret
// analyzer when secrets are asked for.
func (f *imageFlags) analyzers() analyzer.Set {
	set := all.Default()
	if hasScanner(f.scanners, "secret") {
		set = append(set, all.Secrets(f.secret.options())...)
	}
	return set
}
