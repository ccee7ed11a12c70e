// Package regopolicy evaluates a user's Rego policies (--policy, Open Policy Agent) over the
// JSON result of a scan: every loaded module's deny and warn rules, with input the document
// `--format json` writes. A deny message fails the gate. It runs only when --policy is given.
//
// A policy is one Rego module (OPA v1 syntax) in any package that defines
//
//	deny contains msg if { ... }   # msg: a string, or an object with a "msg" string
//	warn contains msg if { ... }
//
// Either rule may be missing. examples/policies holds policies for the rules registries
// usually enforce (no critical vulnerabilities, no root user, approved registries only).
package regopolicy

import (
	"cmp"
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
)

// Rules evaluated in every module.
const (
	Deny = "deny"
	Warn = "warn"
)

// maxFile bounds one .rego file.
const maxFile = 1 << 20

// Policies are loaded, compiled policies.
type Policies struct {
	queries []query
}

type query struct {
	file, rule string
	q          rego.PreparedEvalQuery
}

// Load reads the .rego files in paths (files, or folders searched recursively without
// *_test.rego), compiles them together and prepares each module's deny and warn rules.
// Errors name the file and, for Rego errors, the line.
func Load(ctx context.Context, paths []string) (*Policies, error) {
	files, err := regoFiles(paths)
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("--policy %s: no .rego file there", strings.Join(paths, ", "))
	}
	srcs := map[string]string{}
	pkgs := map[string]ast.Ref{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("--policy: %w", err)
		}
		if len(data) > maxFile {
			return nil, fmt.Errorf("--policy %s: %d bytes, above the %d-byte limit for a policy", f, len(data), maxFile)
		}
		m, err := ast.ParseModuleWithOpts(f, string(data), ast.ParserOptions{RegoVersion: ast.RegoV1})
		if err != nil {
			return nil, fmt.Errorf("--policy %s is not valid Rego (v1 syntax): %w", f, err)
		}
		srcs[f] = string(data)
		pkgs[f] = m.Package.Path
	}
	p := &Policies{}
	for _, f := range files {
		rules, err := definedRules(f, srcs[f])
		if err != nil {
			return nil, err
		}
		for _, rule := range rules {
			opts := []func(*rego.Rego){rego.Query(pkgs[f].String() + "." + rule)}
			for _, g := range files {
				opts = append(opts, rego.Module(g, srcs[g]))
			}
			pq, err := rego.New(opts...).PrepareForEval(ctx)
			if err != nil {
				return nil, fmt.Errorf("--policy %s: %w", f, err)
			}
			p.queries = append(p.queries, query{file: f, rule: rule, q: pq})
		}
	}
	if len(p.queries) == 0 {
		return nil, fmt.Errorf("--policy %s: no module defines a deny or warn rule", strings.Join(files, ", "))
	}
	return p, nil
}

// definedRules lists which of deny and warn the module defines.
func definedRules(file, src string) ([]string, error) {
	m, err := ast.ParseModuleWithOpts(file, src, ast.ParserOptions{RegoVersion: ast.RegoV1})
	if err != nil {
		return nil, fmt.Errorf("--policy %s is not valid Rego (v1 syntax): %w", file, err)
	}
	var out []string
	for _, rule := range []string{Deny, Warn} {
		for _, r := range m.Rules {
			if r.Head.Name.String() == rule || (len(r.Head.Reference) > 0 && r.Head.Reference[0].Value.String() == rule) {
				out = append(out, rule)
				break
			}
		}
	}
	return out, nil
}

func regoFiles(paths []string) ([]string, error) {
	var out []string
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("--policy: %w", err)
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
			return nil, fmt.Errorf("--policy %s: %w", p, err)
		}
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// Eval runs every policy on report (the JSON report as a Go value, or anything that
// encodes to it) and returns the messages, sorted by policy, rule and message.
func (p *Policies) Eval(ctx context.Context, report any) ([]inventory.PolicyResult, error) {
	raw, err := json.Marshal(report)
	if err != nil {
		return nil, fmt.Errorf("encoding the result for the policies: %w", err)
	}
	var input any
	if err := json.Unmarshal(raw, &input); err != nil {
		return nil, fmt.Errorf("encoding the result for the policies: %w", err)
	}
	out := []inventory.PolicyResult{}
	var errs []error
	for _, q := range p.queries {
		rs, err := q.q.Eval(ctx, rego.EvalInput(input))
		if err != nil {
			errs = append(errs, fmt.Errorf("policy %s, rule %s: %w", q.file, q.rule, err))
			continue
		}
		msgs, err := messages(rs)
		if err != nil {
			errs = append(errs, fmt.Errorf("policy %s, rule %s: %w", q.file, q.rule, err))
			continue
		}
		for _, m := range msgs {
			out = append(out, inventory.PolicyResult{Policy: q.file, Rule: q.rule, Message: m})
		}
	}
	slices.SortFunc(out, func(a, b inventory.PolicyResult) int {
		return cmp.Or(strings.Compare(a.Policy, b.Policy), strings.Compare(a.Rule, b.Rule), strings.Compare(a.Message, b.Message))
	})
	return slices.Compact(out), errors.Join(errs...)
}

// messages turns a deny/warn set into strings: each element a string, or an object with a
// "msg" string.
func messages(rs rego.ResultSet) ([]string, error) {
	var out []string
	for _, r := range rs {
		for _, e := range r.Expressions {
			set, ok := e.Value.([]any)
			if !ok {
				return nil, fmt.Errorf("the rule is %T, want a set of messages (deny contains msg if ...)", e.Value)
			}
			for _, v := range set {
				switch m := v.(type) {
				case string:
					out = append(out, m)
				case map[string]any:
					s, ok := m["msg"].(string)
					if !ok {
						return nil, errors.New(`a message object has no "msg" string`)
					}
					out = append(out, s)
				default:
					return nil, fmt.Errorf("a message is %T, want a string or an object with msg", v)
				}
			}
		}
	}
	return out, nil
}

// Denied counts the deny messages in rs.
func Denied(rs []inventory.PolicyResult) int {
	n := 0
	for _, r := range rs {
		if r.Rule == Deny {
			n++
		}
	}
	return n
}
