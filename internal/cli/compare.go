package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/shipshape-dev/shipshape/internal/inventory"
	"github.com/shipshape-dev/shipshape/internal/policy"
)

func newCompareCmd(g *globals) *cobra.Command {
	f := &imageFlags{}
	v := &vulnFlags{}
	var ignoreBase bool
	cmd := &cobra.Command{
		Use:   "compare OLD NEW",
		Short: "Show what changed between two images: packages added, removed, upgraded; vulnerabilities new and fixed",
		Long: `Scan OLD and NEW (anything "shipshape image" accepts, or root filesystem folders) and print
what changed: packages added, removed, upgraded and downgraded, and vulnerabilities new in NEW
and fixed since OLD. A finding is the same on both sides when its id and package name are.
--ignore-base leaves out what comes from the bottom layers the two images share (found by
layer diffIDs), e.g. to see only what your own layers change on top of a common base.
With --exit-code N, exits N when NEW has new findings that pass the gate (--severity, not
suppressed by --ignorefile or --vex). --format is table (default) or json.`,
		Example: `  shipshape compare app-1.0.tar app-1.1.tar
  shipshape compare alpine:3.19 app:latest --ignore-base --severity HIGH,CRITICAL --exit-code 1
  shipshape compare old.tar new.tar -f json -o diff.json`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := v.validate(); err != nil {
				return err
			}
			if v.policy.fixPlan || v.policy.vexOut != "" {
				return errors.New("compare does not take --fix-plan or --vex-out; run them on one image")
			}
			if g.format != "table" && g.format != "json" {
				return fmt.Errorf("compare writes table or json, not %q", g.format)
			}
			ctx, cancel := g.withTimeout(cmd.Context())
			defer cancel()
			old, err := g.scanForCompare(ctx, args[0], f, v)
			if err != nil {
				return err
			}
			new, err := g.scanForCompare(ctx, args[1], f, v)
			if err != nil {
				return err
			}
			c := policy.Compare(old, new, policy.CompareOptions{IgnoreBase: ignoreBase})
			if ignoreBase && c.SharedLayers == 0 && !g.quiet {
				fmt.Fprintf(g.stderr, "warning: %s and %s share no layers; --ignore-base leaves nothing out\n", args[0], args[1])
			}
			var buf bytes.Buffer
			if g.format == "json" {
				enc := json.NewEncoder(&buf)
				enc.SetIndent("", "  ")
				enc.SetEscapeHTML(false)
				if err := enc.Encode(c); err != nil {
					return fmt.Errorf("writing the comparison: %w", err)
				}
			} else {
				writeComparisonTable(&buf, c, old, new, v.enabled())
			}
			if g.output == "" || g.output == "-" {
				if _, err := g.stdout.Write(buf.Bytes()); err != nil {
					return err
				}
			} else if err := writeFileAtomic(g.output, buf.Bytes()); err != nil {
				return err
			}
			if v.exitCode != 0 {
				gate := policy.Gate{Severities: v.severities}
				if gate.Count(&inventory.Inventory{Vulnerabilities: c.Vulnerabilities.Added}).Total() > 0 {
					return &exitError{code: v.exitCode}
				}
			}
			return nil
		},
	}
	f.register(cmd)
	v.register(cmd)
	cmd.Flags().BoolVar(&ignoreBase, "ignore-base", false, "leave out packages and findings of the bottom layers OLD and NEW share")
	return cmd
}

// scanForCompare scans one side: a folder (not an OCI layout) as a root filesystem, anything
// else as an image; then matches vulnerabilities and applies the policy. Warnings go to
// stderr, prefixed with the reference.
func (g *globals) scanForCompare(ctx context.Context, ref string, f *imageFlags, v *vulnFlags) (*inventory.Inventory, error) {
	var inv *inventory.Inventory
	var err error
	if st, serr := os.Stat(ref); serr == nil && st.IsDir() && !isLayout(ref) {
		inv, err = g.scanDir(ctx, ref, "rootfs", f)
	} else {
		inv, err = g.scanImage(ctx, ref, f)
	}
	if err != nil {
		return nil, err
	}
	if v.enabled() {
		if err := g.matchVulns(ctx, inv, v); err != nil {
			return nil, fmt.Errorf("%s: %w", ref, err)
		}
	}
	policy.Apply(inv, policy.Options{Ignore: v.policy.ignores, VEX: v.policy.vexDocs, Now: g.now})
	if !g.quiet {
		for _, w := range inv.Warnings {
			fmt.Fprintf(g.stderr, "warning: %s: %s\n", ref, w)
		}
	}
	return inv, nil
}

func targetLine(t inventory.Target, layers int) string {
	s := t.Name
	var extra []string
	if t.ImageID != "" {
		extra = append(extra, "image "+inventory.ShortDigest(t.ImageID))
	}
	if layers > 0 {
		extra = append(extra, fmt.Sprintf("%d layer(s)", layers))
	}
	if len(extra) > 0 {
		s += " (" + strings.Join(extra, ", ") + ")"
	}
	return s
}

func writeComparisonTable(buf *bytes.Buffer, c *policy.Comparison, old, new *inventory.Inventory, vulns bool) {
	fmt.Fprintf(buf, "OLD: %s\nNEW: %s\n", targetLine(c.Old, len(old.Layers)), targetLine(c.New, len(new.Layers)))
	if c.SharedLayers > 0 {
		note := ""
		if c.IgnoreBase {
			note = "; what they hold is left out (--ignore-base)"
		}
		fmt.Fprintf(buf, "Shared base: %d layer(s)%s\n", c.SharedLayers, note)
	}
	p := c.Packages
	fmt.Fprintf(buf, "\nPackages: %d added, %d removed, %d upgraded, %d downgraded, %d unchanged\n",
		len(p.Added), len(p.Removed), len(p.Upgraded), len(p.Downgraded), p.Unchanged)
	if len(p.Added)+len(p.Removed)+len(p.Upgraded)+len(p.Downgraded) > 0 {
		tw := tabwriter.NewWriter(buf, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "CHANGE\tTYPE\tNAME\tOLD\tNEW")
		for _, x := range p.Added {
			fmt.Fprintf(tw, "added\t%s\t%s\t-\t%s\n", x.Type, x.Name, x.Version)
		}
		for _, x := range p.Removed {
			fmt.Fprintf(tw, "removed\t%s\t%s\t%s\t-\n", x.Type, x.Name, x.Version)
		}
		for _, x := range p.Upgraded {
			fmt.Fprintf(tw, "upgraded\t%s\t%s\t%s\t%s\n", x.Type, x.Name, x.From, x.To)
		}
		for _, x := range p.Downgraded {
			fmt.Fprintf(tw, "downgraded\t%s\t%s\t%s\t%s\n", x.Type, x.Name, x.From, x.To)
		}
		tw.Flush()
	}
	if !vulns {
		return
	}
	d := c.Vulnerabilities
	fmt.Fprintf(buf, "\nVulnerabilities: %d new, %d fixed, %d unchanged\n", len(d.Added), len(d.Fixed), d.Unchanged)
	if len(d.Added)+len(d.Fixed) > 0 {
		tw := tabwriter.NewWriter(buf, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "CHANGE\tID\tSEVERITY\tRISK\tPACKAGE\tVERSION\tFIXED IN\tNOTE")
		row := func(change string, f inventory.Finding) {
			note := ""
			if f.Suppressed != nil {
				note = "suppressed (" + f.Suppressed.Kind + ")"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%.1f\t%s\t%s\t%s\t%s\n", change, f.ID, f.Severity, f.Risk, f.PkgName, f.InstalledVersion,
				dash(f.FixedVersion), note)
		}
		for _, f := range d.Added {
			row("new", f)
		}
		for _, f := range d.Fixed {
			row("fixed", f)
		}
		tw.Flush()
	}
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
