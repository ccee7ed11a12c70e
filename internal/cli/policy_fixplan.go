package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/shipshape-dev/shipshape/internal/inventory"
	"github.com/shipshape-dev/shipshape/internal/policy"
)

// fixPlanReport is the JSON form of --fix-plan.
type fixPlanReport struct {
	SchemaVersion int              `json:"schemaVersion"`
	Target        inventory.Target `json:"target"`
	Upgrades      []policy.Upgrade `json:"upgrades"`
	// Unfixable counts the findings (not suppressed) that no upgrade fixes yet.
	Unfixable int `json:"unfixable"`
}

// writeFixPlan writes the fix plan of inv as a table or JSON, to --output or stdout.
func (g *globals) writeFixPlan(inv *inventory.Inventory, format string) error {
	plan := policy.FixPlan(inv)
	if plan == nil {
		plan = []policy.Upgrade{}
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
	case "table":
		writeFixPlanTable(&buf, inv, plan, unfixable)
	default:
		return fmt.Errorf("--fix-plan writes table or json, not %q", format)
	}
	if g.output == "" || g.output == "-" {
		_, err := g.stdout.Write(buf.Bytes())
		return err
	}
	return writeFileAtomic(g.output, buf.Bytes())
}

func writeFixPlanTable(buf *bytes.Buffer, inv *inventory.Inventory, plan []policy.Upgrade, unfixable int) {
	fmt.Fprintf(buf, "Fix plan for %s\n\n", inv.Target.Name)
	if len(plan) == 0 {
		fmt.Fprintln(buf, "No upgrade fixes any finding.")
	} else {
		tw := tabwriter.NewWriter(buf, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "PACKAGE\tINSTALLED\tUPGRADE TO\tFIXES\tSEVERITY\tRISK\tLAYER\tFINDINGS")
		fixes := 0
		for _, u := range plan {
			fixes += len(u.Fixes)
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\t%s\t%s\n", u.PkgName, u.InstalledVersion, u.FixedVersion, len(u.Fixes),
				u.Severity, strconv.FormatFloat(u.Risk, 'f', 1, 64), layerCell(u.Layer), strings.Join(u.Fixes, ", "))
		}
		tw.Flush()
		fmt.Fprintf(buf, "\n%d upgrade(s) fix %d finding(s).", len(plan), fixes)
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
