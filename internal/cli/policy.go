package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/spf13/cobra"

	"github.com/shipshape-dev/shipshape/internal/inventory"
	"github.com/shipshape-dev/shipshape/internal/policy"
	"github.com/shipshape-dev/shipshape/internal/policy/regopolicy"
	"github.com/shipshape-dev/shipshape/internal/report"
	"github.com/shipshape-dev/shipshape/internal/report/jsonreport"
)

// policyFlags are the flags that decide which findings count: ignore files, VEX, order and
// the fix plan. They come with the vulnerability flags.
type policyFlags struct {
	ignoreFile string
	vex        []string
	vexOut     string
	sortBy     string
	fixPlan    bool
	base       string
	// imageFlags, when set, are the image command's flags, used to open --base.
	imageFlags *imageFlags

	regoFiles []string

	// loaded by load
	ignores []*policy.IgnoreFile
	vexDocs []*policy.VEXDocument
	rego    *regopolicy.Policies
}

func (p *policyFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&p.ignoreFile, "ignorefile", "", "ignore file: shipshape YAML (*.yaml, *.yml) or a plain id list like .trivyignore (default: "+policy.DefaultIgnoreFile+" in the working folder, when there is one)")
	fl.StringArrayVar(&p.vex, "vex", nil, "VEX document (OpenVEX, CycloneDX or CSAF JSON) whose not_affected and fixed statements suppress findings (repeatable)")
	fl.StringVar(&p.vexOut, "vex-out", "", "write the ignore file's decisions about the findings as an OpenVEX document to this file")
	fl.StringVar(&p.sortBy, "sort-by", "", "order vulnerability findings by severity, risk, epss or package (default: the report's own order)")
	fl.StringArrayVar(&p.regoFiles, "policy", nil, "Rego policy (file or folder; repeatable) evaluated over the JSON result: its deny messages fail the --exit-code gate, warn messages are reported (examples/policies)")
	fl.BoolVar(&p.fixPlan, "fix-plan", false, "print, instead of the findings, the smallest upgrade per package that fixes its findings (table or json)")
	fl.StringVar(&p.base, "base", "", "with --fix-plan: the base image the scanned image is built on; upgrades of packages from its layers say so")
}

// load validates the flags and reads the ignore file and VEX documents, so that a broken
// policy file fails the command before anything is scanned.
func (p *policyFlags) load() error {
	if p.sortBy != "" {
		if _, err := policy.FindingOrder(p.sortBy); err != nil {
			return fmt.Errorf("--sort-by: %w", err)
		}
	}
	if p.base != "" && !p.fixPlan {
		return errors.New("--base goes with --fix-plan (to compare with a base image, use `shipshape compare BASE IMAGE --ignore-base`)")
	}
	p.ignores, p.vexDocs, p.rego = nil, nil, nil
	if len(p.regoFiles) > 0 {
		r, err := regopolicy.Load(context.Background(), p.regoFiles)
		if err != nil {
			return fmt.Errorf("%w (fix the policy, or leave out --policy)", err)
		}
		p.rego = r
	}
	name := p.ignoreFile
	if name == "" {
		if _, err := os.Stat(policy.DefaultIgnoreFile); err == nil {
			name = policy.DefaultIgnoreFile
		} else if !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("looking for %s: %w", policy.DefaultIgnoreFile, err)
		}
	}
	if name != "" {
		f, err := policy.LoadIgnoreFile(name)
		if err != nil {
			return fmt.Errorf("--ignorefile: %w (fix the file, or pass --ignorefile with another one)", err)
		}
		p.ignores = append(p.ignores, f)
	}
	for _, v := range p.vex {
		d, err := policy.LoadVEX(v)
		if err != nil {
			return fmt.Errorf("--vex: %w", err)
		}
		p.vexDocs = append(p.vexDocs, d)
	}
	return nil
}

// applyPolicy marks suppressed findings, computes risk, orders the findings for the
// writers, and writes --vex-out.
func (g *globals) applyPolicy(inv *inventory.Inventory, p *policyFlags) error {
	res := policy.Apply(inv, policy.Options{Ignore: p.ignores, VEX: p.vexDocs, Now: g.now})
	g.debugf("policy: %d finding(s) suppressed, %d expired ignore entr(y/ies)", res.Suppressed, res.Expired)
	if p.sortBy != "" {
		order, err := policy.FindingOrder(p.sortBy)
		if err != nil {
			return err
		}
		g.findingOrder = order
	}
	if p.vexOut != "" {
		var buf bytes.Buffer
		if err := policy.WriteOpenVEX(&buf, inv, p.ignores, policy.VEXOutOptions{Now: g.now}); err != nil {
			return fmt.Errorf("--vex-out: %w", err)
		}
		if err := writeFileAtomic(p.vexOut, buf.Bytes()); err != nil {
			return fmt.Errorf("--vex-out: %w", err)
		}
	}
	return nil
}

// evalRegoPolicy runs the --policy files over the JSON report of inv and records their
// messages in inv.Policy, printing them unless --quiet.
func (g *globals) evalRegoPolicy(ctx context.Context, inv *inventory.Inventory, p *policyFlags) error {
	if p.rego == nil {
		return nil
	}
	doc, err := jsonreport.New(inv, report.Options{ToolName: "shipshape", ToolVersion: Version()})
	if err != nil {
		return err
	}
	res, err := p.rego.Eval(ctx, doc)
	if err != nil {
		return fmt.Errorf("evaluating --policy: %w", err)
	}
	inv.Policy = res
	if !g.quiet {
		for _, r := range res {
			fmt.Fprintf(g.stderr, "policy %s: %s (%s)\n", r.Rule, r.Message, r.Policy)
		}
	}
	g.debugf("policy: %d deny and %d warn message(s)", regopolicy.Denied(res), len(res)-regopolicy.Denied(res))
	return nil
}

// gateCount counts the findings that fail the --exit-code gate.
func gateCount(inv *inventory.Inventory, v *vulnFlags) policy.GateCount {
	return policy.Gate{Severities: v.severities}.Count(inv)
}
