// Package rego runs custom misconfiguration checks written in Rego (Open Policy Agent) on
// the same inputs the built-in checks see. It is used only when the user passes --checks:
// nothing here runs on the default path.
//
// A check is one Rego module (OPA v1 syntax) that defines
//
//	metadata := {"id": "ORG-001", "title": "...", "severity": "HIGH",
//	             "kind": "dockerfile", "resolution": "...", "references": ["..."]}
//	deny contains result if { ... }
//
// kind is dockerfile, compose, kubernetes or image-config and says which input the check
// gets. A deny result is a string (the message) or an object with msg and, optionally,
// startLine, endLine, object, code and path (a dotted path into the YAML document, turned into
// lines like the built-in checks' paths). input is the JSON encoding of the value the
// built-in checks of that kind see; docs/misconfig.md documents each shape.
package rego

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"

	"github.com/shipshape-dev/shipshape/internal/inventory"
	"github.com/shipshape-dev/shipshape/internal/misconfig"
)

// Kinds a custom check may apply to.
var Kinds = []string{inventory.CheckDockerfile, inventory.CheckCompose, inventory.CheckKubernetes, inventory.CheckImageConfig}

// Checks are loaded, compiled custom checks.
type Checks struct {
	checks []check
}

type check struct {
	file string
	kind string
	meta misconfig.Meta
	deny rego.PreparedEvalQuery
}

// maxFile bounds one .rego file.
const maxFile = 1 << 20

// Load reads every .rego file in paths (files or folders, searched recursively; files ending
// in _test.rego are skipped), compiles them together and checks each one's metadata.
func Load(ctx context.Context, paths []string) (*Checks, error) {
	files, err := regoFiles(paths)
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no .rego file in %s", strings.Join(paths, ", "))
	}
	modules := map[string]*ast.Module{}
	srcs := map[string]string{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("reading custom check: %w", err)
		}
		if len(data) > maxFile {
			return nil, fmt.Errorf("%s: %d bytes, above the %d-byte limit for a custom check", f, len(data), maxFile)
		}
		m, err := ast.ParseModuleWithOpts(f, string(data), ast.ParserOptions{RegoVersion: ast.RegoV1})
		if err != nil {
			return nil, fmt.Errorf("custom check %s is not valid Rego (v1 syntax): %w", f, err)
		}
		modules[f] = m
		srcs[f] = string(data)
	}
	c := &Checks{}
	seen := map[string]string{}
	for _, f := range files {
		pkg := modules[f].Package.Path.String()
		opts := []func(*rego.Rego){rego.Query(pkg + ".metadata")}
		for _, g := range files {
			opts = append(opts, rego.Module(g, srcs[g]))
		}
		rs, err := rego.New(opts...).Eval(ctx)
		if err != nil {
			return nil, fmt.Errorf("custom check %s: %w", f, err)
		}
		meta, kind, err := parseMetadata(rs)
		if err != nil {
			return nil, fmt.Errorf("custom check %s: %w (see docs/misconfig.md, custom checks)", f, err)
		}
		if prev, ok := seen[meta.ID]; ok {
			return nil, fmt.Errorf("custom checks %s and %s both use id %s", prev, f, meta.ID)
		}
		seen[meta.ID] = f
		denyOpts := []func(*rego.Rego){rego.Query(pkg + ".deny")}
		for _, g := range files {
			denyOpts = append(denyOpts, rego.Module(g, srcs[g]))
		}
		pq, err := rego.New(denyOpts...).PrepareForEval(ctx)
		if err != nil {
			return nil, fmt.Errorf("custom check %s: %w", f, err)
		}
		c.checks = append(c.checks, check{file: f, kind: kind, meta: meta, deny: pq})
	}
	slices.SortFunc(c.checks, func(a, b check) int { return strings.Compare(a.meta.ID, b.meta.ID) })
	return c, nil
}

func regoFiles(paths []string) ([]string, error) {
	var out []string
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("--checks: %w", err)
		}
		if !st.IsDir() {
			out = append(out, p)
			continue
		}
		err = filepath.WalkDir(p, func(full string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() && strings.HasSuffix(d.Name(), ".rego") && !strings.HasSuffix(d.Name(), "_test.rego") {
				out = append(out, full)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("--checks %s: %w", p, err)
		}
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

func parseMetadata(rs rego.ResultSet) (misconfig.Meta, string, error) {
	if len(rs) == 0 || len(rs[0].Expressions) == 0 {
		return misconfig.Meta{}, "", errors.New("it defines no metadata")
	}
	raw, err := json.Marshal(rs[0].Expressions[0].Value)
	if err != nil {
		return misconfig.Meta{}, "", err
	}
	var md struct {
		ID          string   `json:"id"`
		Title       string   `json:"title"`
		Severity    string   `json:"severity"`
		Kind        string   `json:"kind"`
		Description string   `json:"description"`
		Resolution  string   `json:"resolution"`
		References  []string `json:"references"`
	}
	if err := json.Unmarshal(raw, &md); err != nil {
		return misconfig.Meta{}, "", fmt.Errorf("metadata is not an object of strings: %w", err)
	}
	switch {
	case md.ID == "":
		return misconfig.Meta{}, "", errors.New("metadata has no id")
	case md.Title == "":
		return misconfig.Meta{}, "", errors.New("metadata has no title")
	case misconfig.SeverityRank(md.Severity) == 0:
		return misconfig.Meta{}, "", fmt.Errorf("metadata severity %q is not one of CRITICAL, HIGH, MEDIUM, LOW", md.Severity)
	case !slices.Contains(Kinds, md.Kind):
		return misconfig.Meta{}, "", fmt.Errorf("metadata kind %q is not one of %s", md.Kind, strings.Join(Kinds, ", "))
	}
	return misconfig.Meta{ID: md.ID, Title: md.Title, Severity: strings.ToUpper(md.Severity), Description: md.Description,
		Resolution: md.Resolution, References: md.References}, md.Kind, nil
}

// Len returns the number of checks loaded.
func (c *Checks) Len() int { return len(c.checks) }

// Eval runs the checks of kind on input (the value the built-in checks see).
func (c *Checks) Eval(ctx context.Context, kind, target string, input any) ([]misconfig.CustomResult, error) {
	var doc any
	raw, err := json.Marshal(input)
	if err != nil {
		return nil, fmt.Errorf("encoding the input of %s for Rego: %w", target, err)
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("encoding the input of %s for Rego: %w", target, err)
	}
	var out []misconfig.CustomResult
	for _, ch := range c.checks {
		if ch.kind != kind {
			continue
		}
		rs, err := ch.deny.Eval(ctx, rego.EvalInput(doc))
		if err != nil {
			out = append(out, misconfig.CustomResult{Meta: ch.meta, Err: fmt.Sprintf("%s: %v", ch.file, err)})
			continue
		}
		hits, err := hitsFrom(rs)
		if err != nil {
			out = append(out, misconfig.CustomResult{Meta: ch.meta, Err: fmt.Sprintf("%s: %v", ch.file, err)})
			continue
		}
		out = append(out, misconfig.CustomResult{Meta: ch.meta, Hits: hits})
	}
	return out, nil
}

func hitsFrom(rs rego.ResultSet) ([]misconfig.Hit, error) {
	if len(rs) == 0 || len(rs[0].Expressions) == 0 {
		return nil, nil
	}
	raw, err := json.Marshal(rs[0].Expressions[0].Value)
	if err != nil {
		return nil, err
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, fmt.Errorf("deny is not a set: %w", err)
	}
	var hits []misconfig.Hit
	for _, it := range items {
		var msg string
		if json.Unmarshal(it, &msg) == nil {
			hits = append(hits, misconfig.Hit{Message: msg})
			continue
		}
		var r struct {
			Msg       string `json:"msg"`
			StartLine int    `json:"startLine"`
			EndLine   int    `json:"endLine"`
			Object    string `json:"object"`
			Code      string `json:"code"`
			Path      string `json:"path"`
		}
		if err := json.Unmarshal(it, &r); err != nil {
			return nil, fmt.Errorf("a deny result is neither a string nor an object with msg: %s", it)
		}
		hits = append(hits, misconfig.Hit{Message: r.Msg, StartLine: r.StartLine, EndLine: r.EndLine, Object: r.Object, Code: r.Code, Path: r.Path})
	}
	slices.SortFunc(hits, func(a, b misconfig.Hit) int {
		if a.StartLine != b.StartLine {
			return a.StartLine - b.StartLine
		}
		return strings.Compare(a.Object+a.Message, b.Object+b.Message)
	})
	return hits, nil
}
