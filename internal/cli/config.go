package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/spf13/cobra"

	"github.com/shipshape-dev/shipshape/internal/analyzer"
	"github.com/shipshape-dev/shipshape/internal/analyzer/all"
	"github.com/shipshape-dev/shipshape/internal/inventory"
	"github.com/shipshape-dev/shipshape/internal/misconfig"
	"github.com/shipshape-dev/shipshape/internal/misconfig/configfile"
	"github.com/shipshape-dev/shipshape/internal/misconfig/imageconfig"
	"github.com/shipshape-dev/shipshape/internal/policy"
	"github.com/shipshape-dev/shipshape/internal/policy/regopolicy"
)

// configFlags are the flags of the config command.
type configFlags struct {
	checks        []string
	severities    []string
	exitCode      int
	includePassed bool
	ignoreFile    string
	regoPolicies  []string
	// pol holds the loaded ignore file and Rego policies (policyFlags.load).
	pol policyFlags
}

func (f *configFlags) validate() error {
	for _, s := range f.severities {
		if misconfig.SeverityRank(strings.TrimSpace(s)) == 0 && !strings.EqualFold(strings.TrimSpace(s), misconfig.Unknown) {
			return fmt.Errorf("unknown severity %q in --severity (choose from %s)", s, strings.Join(misconfig.Severities, ","))
		}
	}
	if f.exitCode == ExitError {
		return fmt.Errorf("--exit-code %d is the code for errors; choose another (e.g. 1)", ExitError)
	}
	f.pol = policyFlags{ignoreFile: f.ignoreFile, regoFiles: f.regoPolicies}
	return f.pol.load()
}

func newConfigCmd(g *globals) *cobra.Command {
	f := &configFlags{}
	cmd := &cobra.Command{
		Use:   "config PATH...",
		Short: "Check Dockerfiles, compose files and Kubernetes manifests for misconfigurations",
		Long: `Check configuration files for misconfigurations. Each PATH is a file or a folder; folders
are searched for Dockerfiles (Dockerfile, Containerfile, *.Dockerfile, Dockerfile.*), compose files
and Kubernetes manifests (YAML with apiVersion and kind), skipping .git and node_modules.
A file named explicitly is recognised by its name or content.

Each failure names the check, its severity, the offending lines and how to fix it; every check is
listed in docs/misconfig.md. --checks adds custom checks written in Rego, which see the same
input as the built-in checks.`,
		Example: `  shipshape config Dockerfile docker-compose.yml k8s/
  shipshape config --severity HIGH,CRITICAL --exit-code 1 .
  shipshape config --checks ./my-checks/ .
  shipshape config --format json -o misconfig.json .`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := f.validate(); err != nil {
				return err
			}
			ctx, cancel := g.withTimeout(cmd.Context())
			defer cancel()
			opts := configfile.Options{}
			if len(f.checks) > 0 {
				c, err := loadCustomChecks(ctx, f.checks)
				if err != nil {
					return err
				}
				opts.Custom = c
			}
			return g.runConfig(ctx, args, f, opts)
		},
	}
	fl := cmd.Flags()
	fl.StringSliceVar(&f.checks, "checks", nil, "folder or .rego file of custom checks (repeatable); see docs/misconfig.md for the input shapes")
	fl.StringSliceVar(&f.severities, "severity", nil, "report only these severities (CRITICAL,HIGH,MEDIUM,LOW,UNKNOWN); default all")
	fl.IntVar(&f.exitCode, "exit-code", 0, "exit with this code when any misconfiguration is reported (after --severity)")
	fl.BoolVar(&f.includePassed, "include-passed", false, "also report the checks that passed")
	fl.StringVar(&f.ignoreFile, "ignorefile", "", "ignore file (docs/ci.md): its misconfigurations entries suppress failed checks, which then stay in the report and no longer count for --exit-code (default: "+policy.DefaultIgnoreFile+" in the working folder, when there is one)")
	fl.StringArrayVar(&f.regoPolicies, "policy", nil, "Rego policy evaluated over the JSON result; its deny messages fail the --exit-code gate (repeatable; docs/ci.md)")
	return cmd
}

func (g *globals) runConfig(ctx context.Context, paths []string, f *configFlags, opts configfile.Options) error {
	targets, findErr := configfile.Find(ctx, paths, opts)
	res, err := configfile.Scan(ctx, targets, opts)
	if err != nil {
		return errors.Join(findErr, err)
	}
	inv := &inventory.Inventory{
		Target:            inventory.Target{Name: strings.Join(paths, " "), Kind: "config"},
		Packages:          []inventory.Package{},
		Misconfigurations: misconfig.Filter(res, f.severities, f.includePassed),
	}
	if inv.Misconfigurations == nil {
		inv.Misconfigurations = []inventory.Misconfiguration{}
	}
	if err := g.applyPolicy(inv, &f.pol); err != nil {
		return errors.Join(findErr, err)
	}
	if err := g.evalRegoPolicy(ctx, inv, &f.pol); err != nil {
		return errors.Join(findErr, err)
	}
	failed, broken := regopolicy.Denied(inv.Policy), 0
	for _, m := range inv.Misconfigurations {
		switch m.Status {
		case inventory.CheckFail:
			if m.Suppressed == nil {
				failed++
			}
		case inventory.CheckError:
			broken++
			inv.Warnings = append(inv.Warnings, inventory.Warning{Path: m.Target, Message: m.Message})
		}
	}
	if !g.quiet {
		for _, w := range inv.Warnings {
			fmt.Fprintf(g.stderr, "warning: %s\n", w)
		}
		if len(targets) == 0 && findErr == nil {
			fmt.Fprintf(g.stderr, "warning: no Dockerfile, compose file or Kubernetes manifest found in %s\n", strings.Join(paths, ", "))
		}
	}
	var werr error
	if g.format == "table" {
		werr = g.writeMisconfigTable(inv, len(targets))
	} else {
		werr = g.writeReport(inv, g.format)
	}
	if werr != nil {
		return errors.Join(werr, findErr)
	}
	if findErr != nil {
		return findErr
	}
	if broken > 0 {
		return &exitError{code: ExitError, err: fmt.Errorf("%d file(s) could not be checked (see the warnings)", broken)}
	}
	if f.exitCode != 0 && failed > 0 {
		return &exitError{code: f.exitCode}
	}
	return nil
}

// writeMisconfigTable prints misconfigurations grouped by file. It is the config command's
// table until the table report renders misconfigurations itself.
func (g *globals) writeMisconfigTable(inv *inventory.Inventory, files int) error {
	var b bytes.Buffer
	writeMisconfigs(&b, inv.Misconfigurations, files)
	if g.output == "" || g.output == "-" {
		_, err := g.stdout.Write(b.Bytes())
		return err
	}
	return writeFileAtomic(g.output, b.Bytes())
}

func writeMisconfigs(w io.Writer, ms []inventory.Misconfiguration, files int) {
	type group struct {
		target, kind string
		items        []inventory.Misconfiguration
	}
	var groups []*group
	for _, m := range ms {
		if len(groups) == 0 || groups[len(groups)-1].target != m.Target || groups[len(groups)-1].kind != m.Kind {
			groups = append(groups, &group{target: m.Target, kind: m.Kind})
		}
		groups[len(groups)-1].items = append(groups[len(groups)-1].items, m)
	}
	counts := map[string]int{}
	suppressed := 0
	for _, m := range ms {
		switch {
		case m.Status == inventory.CheckFail && m.Suppressed != nil:
			suppressed++
		case m.Status == inventory.CheckFail:
			counts[m.Severity]++
		}
	}
	var parts []string
	total := 0
	for _, s := range misconfig.Severities {
		if counts[s] > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", s, counts[s]))
			total += counts[s]
		}
	}
	fmt.Fprintf(w, "%d file(s) checked, %d misconfiguration(s)", files, total)
	if len(parts) > 0 {
		fmt.Fprintf(w, ": %s", strings.Join(parts, ", "))
	}
	if suppressed > 0 {
		fmt.Fprintf(w, " (%d more suppressed)", suppressed)
	}
	fmt.Fprintln(w)
	for _, gr := range groups {
		fmt.Fprintf(w, "\n%s (%s)\n", gr.target, gr.kind)
		for _, m := range gr.items {
			loc := ""
			if m.StartLine > 0 {
				loc = fmt.Sprintf(" line %d", m.StartLine)
				if m.EndLine > m.StartLine {
					loc = fmt.Sprintf(" lines %d-%d", m.StartLine, m.EndLine)
				}
			}
			obj := ""
			if m.Object != "" {
				obj = " [" + m.Object + "]"
			}
			status := m.Severity
			if m.Status != inventory.CheckFail {
				status = strings.ToUpper(m.Status)
			}
			if m.Suppressed != nil {
				status = "IGNORED"
			}
			fmt.Fprintf(w, "  %-8s %-11s %s%s%s\n", status, m.ID, m.Title, obj, loc)
			if sp := m.Suppressed; sp != nil {
				fmt.Fprintf(w, "  %-8s %-11s suppressed by %s: %s\n", "", "", sp.Source, sp.Reason)
			}
			if m.Message != "" {
				fmt.Fprintf(w, "  %-8s %-11s %s\n", "", "", m.Message)
			}
			if m.Status == inventory.CheckFail && m.Resolution != "" {
				fmt.Fprintf(w, "  %-8s %-11s fix: %s\n", "", "", m.Resolution)
			}
		}
	}
}

// withMisconfig adds the layer-level misconfiguration analyzers when they were asked for.
func (f *imageFlags) withMisconfig(base analyzer.Set) analyzer.Set {
	if !hasScanner(f.scanners, "misconfig") {
		return base
	}
	return append(append(analyzer.Set{}, base...), all.Misconfig()...)
}

// registerChecks adds --checks to the image and folder scan commands.
func (f *vulnFlags) registerChecks(cmd *cobra.Command) {
	cmd.Flags().StringSliceVar(&f.checks, "checks", nil, "custom Rego checks (file or folder, repeatable) run with --scanners misconfig; see docs/misconfig.md")
}

// loadScanChecks loads --checks for an image or folder scan.
func loadScanChecks(ctx context.Context, f *imageFlags, v *vulnFlags) error {
	if len(v.checks) == 0 {
		return nil
	}
	if !hasScanner(v.scanners, "misconfig") {
		return fmt.Errorf("--checks needs --scanners misconfig")
	}
	c, err := loadCustomChecks(ctx, v.checks)
	if err != nil {
		return err
	}
	f.custom = c
	return nil
}

// imageMisconfig runs the image-config checks (the layer checks ran with the analyzers),
// and the custom image-config checks on the same input.
func (g *globals) imageMisconfig(inv *inventory.Inventory, ref string, cfg *v1.ConfigFile, f *imageFlags) {
	if !hasScanner(f.scanners, "misconfig") {
		return
	}
	inv.Misconfigurations = append(inv.Misconfigurations, imageconfig.Scan(ref, cfg)...)
	if f.custom != nil && cfg != nil {
		// No context reaches here (callers keep this signature); one evaluation is bounded.
		res, err := f.custom.Eval(context.Background(), inventory.CheckImageConfig, ref, &imageconfig.Image{Name: ref, Config: cfg})
		if err != nil {
			inv.Warnings = append(inv.Warnings, inventory.Warning{Message: fmt.Sprintf("custom checks on the image config: %v", err)})
		}
		inv.Misconfigurations = append(inv.Misconfigurations, misconfig.FromCustom(ref, res, nil)...)
	}
}

// dirMisconfig checks the Dockerfiles, compose files and manifests of a source tree.
func (g *globals) dirMisconfig(ctx context.Context, inv *inventory.Inventory, dir, kind string, f *imageFlags) {
	if !hasScanner(f.scanners, "misconfig") || kind != "filesystem" {
		return
	}
	opts := configfile.Options{Custom: f.custom}
	targets, err := configfile.Find(ctx, []string{dir}, opts)
	if err != nil {
		inv.Warnings = append(inv.Warnings, inventory.Warning{Path: dir, Message: fmt.Sprintf("looking for configuration files: %v", err)})
	}
	res, err := configfile.Scan(ctx, targets, opts)
	if err != nil {
		inv.Warnings = append(inv.Warnings, inventory.Warning{Path: dir, Message: fmt.Sprintf("checking configuration files: %v", err)})
	}
	for i := range res {
		if rel, err := filepath.Rel(dir, res[i].Target); err == nil {
			res[i].Target = filepath.ToSlash(rel)
		}
	}
	inv.Misconfigurations = append(inv.Misconfigurations, res...)
	if inv.Misconfigurations == nil {
		inv.Misconfigurations = []inventory.Misconfiguration{}
	}
}

// finishMisconfig keeps the failed checks of the asked severities (and the checks that could
// not run, as warnings too), folds per-file package-cache results and sorts.
func finishMisconfig(inv *inventory.Inventory, v *vulnFlags) {
	if v == nil || !hasScanner(v.scanners, "misconfig") {
		return
	}
	for _, m := range inv.Misconfigurations {
		if m.Status == inventory.CheckError {
			inv.Warnings = append(inv.Warnings, inventory.Warning{Path: m.Target, Message: m.ID + ": " + m.Message})
		}
	}
	ms := imageconfig.Summarize(misconfig.Filter(inv.Misconfigurations, v.severities, false))
	if ms == nil {
		ms = []inventory.Misconfiguration{}
	}
	inv.Misconfigurations = ms
	inv.SortChecks()
}
