// Package configfile finds configuration files (Dockerfiles, compose files, Kubernetes
// manifests) among files and folders, tells their kind by name and content, and runs the
// built-in checks of that kind, plus any custom checks, on each.
package configfile

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/shipshape-dev/shipshape/internal/inventory"
	"github.com/shipshape-dev/shipshape/internal/misconfig"
	"github.com/shipshape-dev/shipshape/internal/misconfig/compose"
	"github.com/shipshape-dev/shipshape/internal/misconfig/dockerfile"
	"github.com/shipshape-dev/shipshape/internal/misconfig/kubernetes"
)

// MaxFileSize is the largest file read as a configuration file.
const MaxFileSize = 4 << 20

// Custom checks run on the same parsed input as the built-in checks of a kind.
type Custom interface {
	// Eval runs the custom checks for kind (inventory.CheckDockerfile, ...) on input, the
	// value the built-in checks see, and returns one result per check and hit.
	Eval(ctx context.Context, kind, target string, input any) ([]misconfig.CustomResult, error)
}

// Options tune a scan.
type Options struct {
	// Custom, when set, adds custom checks (Rego).
	Custom Custom
	// SkipDirs are folder names never entered in a walk; nil means DefaultSkipDirs.
	SkipDirs []string
}

// DefaultSkipDirs are folders a walk does not enter.
var DefaultSkipDirs = []string{".git", ".hg", ".svn", "node_modules", ".terraform", ".venv", "__pycache__"}

// Detect returns the kind of a file from its name and, failing that, its content:
// inventory.CheckDockerfile, CheckCompose, CheckKubernetes, or "" for none of them.
func Detect(path string, data []byte) string {
	base := strings.ToLower(filepath.Base(path))
	if dockerfileName(base) {
		return inventory.CheckDockerfile
	}
	ext := filepath.Ext(base)
	if ext == ".yaml" || ext == ".yml" || ext == ".json" || ext == "" {
		if k := yamlKind(data); k != "" {
			return k
		}
	}
	if ext == "" && looksLikeDockerfile(data) {
		return inventory.CheckDockerfile
	}
	return ""
}

func dockerfileName(base string) bool {
	for _, n := range []string{"dockerfile", "containerfile"} {
		if base == n || strings.HasPrefix(base, n+".") || strings.HasSuffix(base, "."+n) {
			return !strings.HasSuffix(base, ".dockerignore") && !strings.HasSuffix(base, ".md")
		}
	}
	return false
}

// looksLikeDockerfile reports whether the first instruction is FROM (after comments and
// global ARGs).
func looksLikeDockerfile(data []byte) bool {
	for _, line := range strings.Split(string(data[:min(len(data), 64<<10)]), "\n") {
		l := strings.TrimSpace(line)
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		w := strings.ToUpper(strings.Fields(l)[0])
		if w == "ARG" {
			continue
		}
		return w == "FROM"
	}
	return false
}

// yamlKind looks at the top-level keys of a YAML or JSON file.
func yamlKind(data []byte) string {
	if len(data) == 0 || bytes.IndexByte(data[:min(len(data), 8<<10)], 0) >= 0 {
		return ""
	}
	if misconfigKubernetes(data) {
		return inventory.CheckKubernetes
	}
	if misconfigCompose(data) {
		return inventory.CheckCompose
	}
	return ""
}

// Target is one file to check.
type Target struct {
	Path string
	Kind string
}

// Find walks paths (files or folders) and returns the configuration files in them, sorted.
// A file named on the command line whose kind cannot be told is an error; files found in a
// folder are skipped silently when they are not configuration files.
func Find(ctx context.Context, paths []string, opts Options) ([]Target, error) {
	skip := opts.SkipDirs
	if skip == nil {
		skip = DefaultSkipDirs
	}
	var out []Target
	var errs []error
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", p, err))
			continue
		}
		if !st.IsDir() {
			data, err := readFile(p)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			k := Detect(p, data)
			if k == "" {
				errs = append(errs, fmt.Errorf("%s: not a Dockerfile, compose file or Kubernetes manifest (name it Dockerfile, *.Dockerfile, compose.yaml, or give a YAML file with apiVersion and kind)", p))
				continue
			}
			out = append(out, Target{Path: p, Kind: k})
			continue
		}
		err = filepath.WalkDir(p, func(full string, d fs.DirEntry, err error) error {
			if cerr := ctx.Err(); cerr != nil {
				return cerr
			}
			if err != nil {
				return nil // unreadable entries are skipped
			}
			if d.IsDir() {
				if full != p && slices.Contains(skip, d.Name()) {
					return fs.SkipDir
				}
				return nil
			}
			if !d.Type().IsRegular() || !candidate(d.Name()) {
				return nil
			}
			info, err := d.Info()
			if err != nil || info.Size() > MaxFileSize {
				return nil
			}
			data, err := readFile(full)
			if err != nil {
				return nil
			}
			if k := Detect(full, data); k != "" {
				out = append(out, Target{Path: full, Kind: k})
			}
			return nil
		})
		if err != nil {
			errs = append(errs, fmt.Errorf("walking %s: %w", p, err))
		}
	}
	slices.SortFunc(out, func(a, b Target) int { return strings.Compare(a.Path, b.Path) })
	return slices.Compact(out), errors.Join(errs...)
}

// candidate is the cheap name test a walk applies before reading a file.
func candidate(name string) bool {
	l := strings.ToLower(name)
	if dockerfileName(l) {
		return true
	}
	switch filepath.Ext(l) {
	case ".yaml", ".yml":
		return true
	}
	return false
}

func readFile(p string) ([]byte, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if st.Size() > MaxFileSize {
		return nil, fmt.Errorf("%s: %d bytes, above the %d-byte limit for configuration files", p, st.Size(), MaxFileSize)
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", p, err)
	}
	if len(data) > MaxFileSize {
		return nil, fmt.Errorf("%s: above the %d-byte limit for configuration files", p, MaxFileSize)
	}
	return data, nil
}

// hasDockerignore reports whether the build context next to a Dockerfile has a
// .dockerignore (or the Dockerfile-specific <name>.dockerignore).
func hasDockerignore(path string) bool {
	dir := filepath.Dir(path)
	for _, n := range []string{".dockerignore", filepath.Base(path) + ".dockerignore"} {
		if _, err := os.Stat(filepath.Join(dir, n)); err == nil {
			return true
		}
	}
	return false
}

// Scan checks every target and returns all results (pass, fail and error), sorted.
func Scan(ctx context.Context, targets []Target, opts Options) ([]inventory.Misconfiguration, error) {
	var out []inventory.Misconfiguration
	for _, t := range targets {
		if err := ctx.Err(); err != nil {
			return out, err
		}
		data, err := readFile(t.Path)
		if err != nil {
			out = append(out, misconfig.ParseError(t.Kind, t.Path, err))
			continue
		}
		out = append(out, ScanFile(ctx, t.Path, t.Kind, data, hasDockerignore(t.Path), opts)...)
	}
	inv := inventory.Inventory{Misconfigurations: out}
	inv.SortChecks()
	return inv.Misconfigurations, nil
}

// ScanFile checks one file of a known kind.
func ScanFile(ctx context.Context, path, kind string, data []byte, dockerignore bool, opts Options) []inventory.Misconfiguration {
	var (
		input  any
		out    []inventory.Misconfiguration
		locate func(misconfig.Hit) misconfig.Hit
	)
	switch kind {
	case inventory.CheckDockerfile:
		d, err := dockerfile.Parse(path, data, dockerignore)
		if err != nil {
			return []inventory.Misconfiguration{misconfig.ParseError(kind, path, err)}
		}
		out = misconfig.Run(kind, path, d, dockerfile.Checks(), nil)
		input = d
		locate = func(h misconfig.Hit) misconfig.Hit { return misconfig.WithCode(d.Lines, h) }
	default:
		var err error
		out, input, locate, err = scanYAML(ctx, path, kind, data)
		if err != nil {
			return []inventory.Misconfiguration{misconfig.ParseError(kind, path, err)}
		}
	}
	if opts.Custom != nil {
		out = append(out, runCustom(ctx, opts.Custom, kind, path, input, locate)...)
	}
	return out
}

func runCustom(ctx context.Context, c Custom, kind, path string, input any, locate func(misconfig.Hit) misconfig.Hit) []inventory.Misconfiguration {
	res, err := c.Eval(ctx, kind, path, input)
	if err != nil {
		e := misconfig.ParseError(inventory.CheckRego, path, err)
		e.ID, e.Title = "SS-REGO", "Custom checks could not be evaluated"
		return []inventory.Misconfiguration{e}
	}
	return misconfig.FromCustom(path, res, locate)
}

func misconfigKubernetes(data []byte) bool { return kubernetes.Looks(data) }
func misconfigCompose(data []byte) bool    { return compose.Looks(data) }

// scanYAML parses a compose file or manifest and runs its built-in checks.
func scanYAML(ctx context.Context, path, kind string, data []byte) ([]inventory.Misconfiguration, any, func(misconfig.Hit) misconfig.Hit, error) {
	switch kind {
	case inventory.CheckCompose:
		c, err := compose.Parse(ctx, path, data)
		if err != nil {
			return nil, nil, nil, err
		}
		return misconfig.Run(kind, path, c, compose.Checks(), c.Doc.Locate), c, c.Doc.Locate, nil
	case inventory.CheckKubernetes:
		m, err := kubernetes.Parse(path, data)
		if err != nil {
			return nil, nil, nil, err
		}
		return misconfig.Run(kind, path, m, kubernetes.Checks(), m.Locate), m, m.Locate, nil
	}
	return nil, nil, nil, fmt.Errorf("%s: unknown configuration kind %q", path, kind)
}
