// Package compose checks Compose files for misconfigurations. The file is loaded with
// compose-spec/compose-go (interpolation, normalisation, short and long syntax) into a
// Compose value, the input every check (built-in or Rego) sees; line numbers come from a
// yaml.v3 node tree of the same file.
package compose

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	interp "github.com/compose-spec/compose-go/v2/interpolation"
	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/template"
	"github.com/compose-spec/compose-go/v2/types"
	"go.yaml.in/yaml/v3"

	"github.com/shipshape-dev/shipshape/internal/inventory"
	"github.com/shipshape-dev/shipshape/internal/misconfig"
)

// Compose is a loaded Compose file. Its JSON encoding is the input of Rego checks: path and
// project, the compose-go model (services as a map keyed by name, compose field names).
type Compose struct {
	Path    string         `json:"path"`
	Project *types.Project `json:"project"`
	// Doc locates results in the file.
	Doc misconfig.Doc `json:"-"`
}

// Services returns the services sorted by name.
func (c *Compose) Services() []types.ServiceConfig {
	out := make([]types.ServiceConfig, 0, len(c.Project.Services))
	for name, s := range c.Project.Services {
		s.Name = name
		out = append(out, s)
	}
	slices.SortFunc(out, func(a, b types.ServiceConfig) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// Looks reports whether data looks like a Compose file: a YAML mapping with a services
// mapping whose entries are mappings, and no Kubernetes apiVersion/kind.
func Looks(data []byte) bool {
	var top map[string]yaml.Node
	if err := yaml.Unmarshal(data, &top); err != nil || top == nil {
		return false
	}
	if _, ok := top["apiVersion"]; ok {
		return false
	}
	s, ok := top["services"]
	return ok && s.Kind == yaml.MappingNode && len(s.Content) >= 2 && s.Content[1].Kind == yaml.MappingNode
}

// Parse loads a Compose file. Variables are substituted with their defaults (${X:-d}) or
// left empty, never from the environment, so results do not depend on the machine.
// include and extends are not followed: only the file itself is checked.
func Parse(ctx context.Context, path string, data []byte) (*Compose, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, fmt.Errorf("%s: not valid YAML: %w", path, err)
	}
	var dict map[string]any
	if err := root.Decode(&dict); err != nil {
		return nil, fmt.Errorf("%s: not a Compose file (the top level must be a mapping): %w", path, err)
	}
	if dict == nil {
		return nil, fmt.Errorf("%s: empty Compose file", path)
	}
	// "version" is obsolete and only makes compose-go print a warning.
	delete(dict, "version")
	abs, err := filepath.Abs(path)
	if err != nil {
		abs = path
	}
	details := types.ConfigDetails{
		WorkingDir:  filepath.Dir(abs),
		ConfigFiles: []types.ConfigFile{{Filename: abs, Config: dict}},
		Environment: types.Mapping{},
	}
	proj, err := load(ctx, details)
	if err != nil {
		return nil, fmt.Errorf("%s: not a valid Compose file: %w", path, err)
	}
	return &Compose{Path: path, Project: proj, Doc: misconfig.Doc{Root: &root, Lines: strings.Split(string(data), "\n")}}, nil
}

// load runs compose-go's loader; a panic inside it (seen on inputs the schema would reject)
// becomes an error.
func load(ctx context.Context, details types.ConfigDetails) (proj *types.Project, err error) {
	defer func() {
		if r := recover(); r != nil {
			proj, err = nil, fmt.Errorf("the compose loader failed on this file (%v)", r)
		}
	}()
	return loader.LoadWithContext(ctx, details, func(o *loader.Options) {
		o.SetProjectName("shipshape", true)
		o.SkipConsistencyCheck = true
		o.SkipInclude = true
		o.SkipExtends = true
		o.SkipResolveEnvironment = true
		o.SkipResolveLabels = true
		o.ResolvePaths = false
		o.Interpolate = &interp.Options{
			Substitute: template.Substitute,
			// Every variable is "set to empty", so ${X:-default} gives the default and no
			// warning about unset variables is printed.
			LookupValue: func(string) (string, bool) { return "", true },
		}
	})
}

// Scan loads and checks one Compose file. A file that cannot be loaded gives one error result.
func Scan(ctx context.Context, path string, data []byte) []inventory.Misconfiguration {
	c, err := Parse(ctx, path, data)
	if err != nil {
		return []inventory.Misconfiguration{misconfig.ParseError(inventory.CheckCompose, path, err)}
	}
	return misconfig.Run(inventory.CheckCompose, path, c, Checks(), c.Doc.Locate)
}

// key returns the path of a service's attribute for locating it in the file.
func key(service string, attr ...string) string {
	p := `services["` + service + `"]`
	for _, a := range attr {
		if strings.HasPrefix(a, "[") {
			p += a
		} else {
			p += "." + a
		}
	}
	return p
}
