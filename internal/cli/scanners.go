package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/shipshape-dev/shipshape/internal/analyzer"
	"github.com/shipshape-dev/shipshape/internal/analyzer/all"
	"github.com/shipshape-dev/shipshape/internal/inventory"
	"github.com/shipshape-dev/shipshape/internal/license"
	"github.com/shipshape-dev/shipshape/internal/secret"
)

// secretFlags tune the secret scanner (--scanners secret) and the licence scanner
// (--scanners license).
type secretFlags struct {
	maxSize         int64
	includeBinaries bool
	licenseConfig   string
}

func (f *secretFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.Int64Var(&f.maxSize, "secret-max-size", secret.DefaultMaxSize, "largest file (bytes) the secret scanner reads; -1 for no limit (still bounded by --max-file-size)")
	fl.BoolVar(&f.includeBinaries, "secret-include-binaries", false, "also scan files that look binary (a NUL byte in the first 8 KiB) for secrets")
	fl.StringVar(&f.licenseConfig, "license-config", "", "YAML file overriding the licence categories and severities (see docs/licenses.md)")
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
	if hasScanner(f.scanners, "license") {
		set = append(set, all.Licenses()...)
	}
	return set
}

// applyLicenses fills inv.Licenses when licences are asked for: every package licence
// normalised to SPDX, every licence file classified, each with a category and severity
// (the gate then counts them like vulnerabilities, by severity).
func (f *imageFlags) applyLicenses(inv *inventory.Inventory) error {
	if !hasScanner(f.scanners, "license") {
		return nil
	}
	var cfg license.Config
	if f.secret.licenseConfig != "" {
		c, err := license.LoadConfig(f.secret.licenseConfig)
		if err != nil {
			return fmt.Errorf("--license-config: %w", err)
		}
		cfg = c
	}
	cl, err := license.NewClassifier(cfg)
	if err != nil {
		return fmt.Errorf("--license-config %s: %w", f.secret.licenseConfig, err)
	}
	inv.Licenses = cl.Findings(inv)
	if inv.Licenses == nil {
		inv.Licenses = []inventory.LicenseFinding{}
	}
	inv.SortChecks()
	return nil
}
