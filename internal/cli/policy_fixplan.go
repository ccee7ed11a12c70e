package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/shipshape-dev/shipshape/internal/inventory"
	"github.com/shipshape-dev/shipshape/internal/policy"
	"github.com/shipshape-dev/shipshape/internal/source"
)

// fixPlanReport is the JSON form of --fix-plan.
type fixPlanReport struct {
	SchemaVersion int              `json:"schemaVersion"`
	Target        inventory.Target `json:"target"`
	Upgrades      []policy.Upgrade `json:"upgrades"`
	// Unfixable counts the findings (not suppressed) that no upgrade fixes yet.
	Unfixable int `json:"unfixable"`
}

// writeFixPlan writes the fix plan of inv as a table or JSON, to --output or stdout. With
// --base, the upgrades of packages from the base image's layers are marked.
func (g *globals) writeFixPlan(ctx context.Context, inv *inventory.Inventory, format string, p *policyFlags) error {
	if format != "json" && format != "table" {
		return fmt.Errorf("--fix-plan writes table or json, not %q", format)
	}
	plan := policy.FixPlan(inv)
	if plan == nil {
		plan = []policy.Upgrade{}
	}
	baseNote := ""
	if p.base != "" {
		n, err := g.baseLayers(ctx, p.base, p.imageFlags, inv)
		if err != nil {
			return fmt.Errorf("--base: %w", err)
		}
		policy.MarkBase(plan, n)
		baseNote = p.base
	}
	unfixable := 0
	for _, f := range inv.Vulnerabilities {
		if f.Suppressed == nil && f.FixedVersion == "" {
			unfixable++
		}
	}
	var buf bytes.Buffer
	switch format {
	case "json":
		enc := json.NewEncoder(&buf)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		if err := enc.Encode(fixPlanReport{SchemaVersion: 1, Target: inv.Target, Upgrades: plan, Unfixable: unfixable}); err != nil {
			return fmt.Errorf("writing the fix plan: %w", err)
		}
	default:
		writeFixPlanTable(&buf, inv, plan, unfixable, baseNote)
	}
	if g.output == "" || g.output == "-" {
		_, err := g.stdout.Write(buf.Bytes())
		return err
	}
	return writeFileAtomic(g.output, buf.Bytes())
}

func writeFixPlanTable(buf *bytes.Buffer, inv *inventory.Inventory, plan []policy.Upgrade, unfixable int, base string) {
	fmt.Fprintf(buf, "Fix plan for %s\n\n", inv.Target.Name)
	if len(plan) == 0 {
		fmt.Fprintln(buf, "No upgrade fixes any finding.")
	} else {
		tw := tabwriter.NewWriter(buf, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "PACKAGE\tINSTALLED\tUPGRADE TO\tFIXES\tSEVERITY\tRISK\tLAYER\tFINDINGS")
		fixes, inBase := 0, 0
		for _, u := range plan {
			fixes += len(u.Fixes)
			layer := layerCell(u.Layer)
			if u.BaseImage {
				inBase++
				layer = "base image: " + layer
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\t%s\t%s\n", u.PkgName, u.InstalledVersion, u.FixedVersion, len(u.Fixes),
				u.Severity, strconv.FormatFloat(u.Risk, 'f', 1, 64), layer, strings.Join(u.Fixes, ", "))
		}
		tw.Flush()
		fmt.Fprintf(buf, "\n%d upgrade(s) fix %d finding(s).", len(plan), fixes)
		if inBase > 0 {
			fmt.Fprintf(buf, " %d of them are in the base image %s: rebuild on a newer base.", inBase, base)
		}
	}
	if unfixable > 0 {
		fmt.Fprintf(buf, " %d finding(s) have no fix yet.", unfixable)
	}
	fmt.Fprintln(buf)
}

// layerCell names a layer by index and the start of its created_by.
func layerCell(l *inventory.LayerRef) string {
	if l == nil {
		return "-"
	}
	s := strconv.Itoa(l.Index)
	if cb := strings.Join(strings.Fields(l.CreatedBy), " "); cb != "" {
		if len(cb) > 40 {
			cb = cb[:37] + "..."
		}
		s += " " + cb
	}
	return s
}

// baseLayers opens the base image (only its manifest and config are read) and counts the
// bottom layers of inv that are the base's layers, by diffID. An image not built on the base
// gives a warning on stderr.
func (g *globals) baseLayers(ctx context.Context, ref string, f *imageFlags, inv *inventory.Inventory) (int, error) {
	if f == nil {
		f = &imageFlags{}
	}
	sopts, err := f.sourceOptions(g)
	if err != nil {
		return 0, err
	}
	img, err := source.Open(ctx, ref, sopts)
	if err != nil {
		return 0, err
	}
	defer img.Close()
	layers := slices.Clone(inv.Layers)
	slices.SortFunc(layers, func(a, b inventory.Layer) int { return a.Index - b.Index })
	n := 0
	for n < len(img.Layers) && n < len(layers) && img.Layers[n].DiffID != "" && img.Layers[n].DiffID == layers[n].DiffID {
		n++
	}
	if n < len(img.Layers) && !g.quiet {
		fmt.Fprintf(g.stderr, "warning: %s is not built on %s: they share %d of its %d layer(s)\n", inv.Target.Name, ref, n, len(img.Layers))
	}
	return n, nil
}
