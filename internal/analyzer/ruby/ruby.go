// Package ruby finds the Ruby gems of a layer or a source tree: the gemspecs RubyGems
// writes for installed gems (specifications/*.gemspec, default gems under
// specifications/default/) and Bundler's Gemfile.lock.
package ruby

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"sort"
	"strings"

	"github.com/package-url/packageurl-go"

	"github.com/shipshape-dev/shipshape/internal/analyzer"
	"github.com/shipshape-dev/shipshape/internal/inventory"
)

// Analyzer reads installed gemspecs and Gemfile.lock. It holds no state and is safe for
// concurrent use.
type Analyzer struct{}

var _ analyzer.Analyzer = (*Analyzer)(nil)

// New returns the Ruby analyzer.
func New() *Analyzer { return &Analyzer{} }

// Name implements analyzer.Analyzer.
func (*Analyzer) Name() string { return "ruby" }

// Version implements analyzer.Analyzer.
func (*Analyzer) Version() int { return 2 }

// isGemspec reports whether p is a gemspec RubyGems installed: a .gemspec directly in a
// specifications folder or in its default/ subfolder (default gems, shipped with Ruby).
func isGemspec(p string) bool {
	if !strings.HasSuffix(p, ".gemspec") {
		return false
	}
	dir := path.Dir(p)
	if path.Base(dir) == "default" {
		dir = path.Dir(dir)
	}
	return path.Base(dir) == "specifications"
}

// Claims implements analyzer.Analyzer.
func (*Analyzer) Claims(p string, info fs.FileInfo) bool {
	if info != nil && info.IsDir() {
		return false
	}
	if path.Base(p) == "Gemfile.lock" {
		return !analyzer.InsideInstalledPackage(p)
	}
	return isGemspec(p)
}

// Analyze implements analyzer.Analyzer.
func (*Analyzer) Analyze(ctx context.Context, in analyzer.Input) (analyzer.Facts, error) {
	if err := ctx.Err(); err != nil {
		return analyzer.Facts{}, err
	}
	data, err := io.ReadAll(in.Content)
	if err != nil {
		return analyzer.Facts{}, fmt.Errorf("reading %s: %w", in.Path, err)
	}
	var (
		pkgs     []inventory.Package
		warnings []string
	)
	if path.Base(in.Path) == "Gemfile.lock" {
		pkgs, warnings, err = ParseGemfileLock(data)
	} else {
		var p inventory.Package
		p, err = ParseGemspec(data)
		pkgs = []inventory.Package{p}
	}
	if err != nil {
		return analyzer.Facts{}, fmt.Errorf("ruby: %s: %w", in.Path, err)
	}
	return analyzer.Facts{Packages: pkgs, PackageType: inventory.TypeGem, Warnings: warnings}, nil
}

// PURL returns pkg:gem/name@version, with a platform qualifier for a platform-specific
// gem (anything but "ruby").
func PURL(name, version, platform string) string {
	var q packageurl.Qualifiers
	if platform != "" && platform != "ruby" {
		q = packageurl.QualifiersFromMap(map[string]string{"platform": platform})
	}
	return packageurl.NewPackageURL(packageurl.TypeGem, "", name, version, q, "").ToString()
}

func gem(name, version, platform string) inventory.Package {
	return inventory.Package{Type: inventory.TypeGem, Name: name, Version: version, PURL: PURL(name, version, platform)}
}

// validName reports whether s can be a gem name: RubyGems allows letters, digits, '.',
// '-' and '_'.
func validName(s string) bool {
	if s == "" || len(s) > 200 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// validVersion reports whether s looks like a RubyGems version: it starts with a digit and
// holds only letters, digits, '.' and '-'.
func validVersion(s string) bool {
	if s == "" || s[0] < '0' || s[0] > '9' || len(s) > 200 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-') {
			return false
		}
	}
	return true
}

var errNotGemspec = errors.New("no gem name and version found: not a gemspec RubyGems wrote (Gem::Specification.new with s.name and s.version)")

// ParseGemspec reads an installed gemspec, the Ruby file RubyGems writes under
// specifications/ (its "# stub:" header line and the s.name, s.version, s.platform,
// s.license(s) assignments). The file is read as text, never evaluated.
func ParseGemspec(data []byte) (inventory.Package, error) {
	var name, version, platform string
	var licenses []string
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(strings.TrimRight(line, "\r"))
		if rest, ok := strings.CutPrefix(line, "# stub:"); ok {
			f := strings.Fields(rest)
			if len(f) >= 2 && name == "" && version == "" {
				name, version = f[0], f[1]
				if len(f) >= 3 {
					platform = f[2]
				}
			}
			continue
		}
		attr, value, ok := assignment(line)
		if !ok {
			continue
		}
		strs := stringLiterals(value)
		switch attr {
		case "name":
			if len(strs) > 0 {
				name = strs[0]
			}
		case "version":
			if len(strs) > 0 {
				version = strs[0]
			}
		case "platform":
			if len(strs) > 0 {
				platform = strs[0]
			}
		case "license", "licenses":
			if licenses == nil {
				licenses = strs
			}
		}
	}
	if name == "" || version == "" {
		return inventory.Package{}, errNotGemspec
	}
	if !validName(name) || !validVersion(version) {
		return inventory.Package{}, fmt.Errorf("gem name %q or version %q is not valid: %w", trunc(name), trunc(version), errNotGemspec)
	}
	p := gem(name, version, platform)
	p.Licenses = licenses
	return p, nil
}

func trunc(s string) string {
	if len(s) > 60 {
		s = s[:60] + "…"
	}
	return strings.ToValidUTF8(s, "?")
}

// assignment matches "<var>.<attr> = <value>" where var is a Ruby identifier, and returns
// attr and value.
func assignment(line string) (attr, value string, ok bool) {
	dot := strings.IndexByte(line, '.')
	if dot <= 0 {
		return "", "", false
	}
	for i := 0; i < dot; i++ {
		c := line[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return "", "", false
		}
	}
	rest := line[dot+1:]
	eq := strings.IndexByte(rest, '=')
	if eq <= 0 || strings.HasPrefix(rest[eq:], "==") || strings.HasPrefix(rest[eq:], "=>") {
		return "", "", false
	}
	attr = strings.TrimSpace(rest[:eq])
	return attr, strings.TrimSpace(rest[eq+1:]), true
}

// stringLiterals returns the Ruby string literals of s in order: "double" (with
// backslash escapes kept literal except \" and \\), 'single', and %q<...>, %q{...},
// %q(...), %q[...], %Q and % forms.
func stringLiterals(s string) []string {
	var out []string
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\'':
			var b strings.Builder
			j := i + 1
			for ; j < len(s) && s[j] != c; j++ {
				if s[j] == '\\' && j+1 < len(s) {
					j++
				}
				b.WriteByte(s[j])
			}
			if j >= len(s) {
				return out
			}
			out = append(out, b.String())
			i = j
		case c == '%' && i+1 < len(s):
			j := i + 1
			if s[j] == 'q' || s[j] == 'Q' {
				j++
			}
			if j >= len(s) {
				return out
			}
			closer, ok := map[byte]byte{'<': '>', '{': '}', '(': ')', '[': ']'}[s[j]]
			if !ok {
				continue
			}
			k := strings.IndexByte(s[j+1:], closer)
			if k < 0 {
				return out
			}
			out = append(out, s[j+1:j+1+k])
			i = j + 1 + k
		case c == '#':
			return out // a comment
		}
	}
	return out
}

// ParseGemfileLock reads Bundler's Gemfile.lock. Every gem under "specs:" of the GEM, GIT
// and PATH sections is reported once per name and version (platform variants of one
// version collapse into one package); gems named under DEPENDENCIES are direct, the others
// transitive. Bundler does not record groups in the lock file, so Dev is never set.
func ParseGemfileLock(data []byte) ([]inventory.Package, []string, error) {
	var (
		section  string
		inSpecs  bool
		specs    []inventory.Package
		direct   = map[string]bool{}
		warnings []string
		sections int
	)
	for n, line := range strings.Split(string(data), "\n") {
		line = strings.TrimRight(line, "\r")
		if strings.TrimSpace(line) == "" {
			continue
		}
		indent := len(line) - len(strings.TrimLeft(line, " "))
		if indent == 0 {
			section, inSpecs = strings.TrimSpace(line), false
			sections++
			continue
		}
		switch section {
		case "GEM", "GIT", "PATH", "PLUGIN SOURCE":
			if indent == 2 {
				inSpecs = strings.TrimSpace(line) == "specs:"
				continue
			}
			if indent != 4 || !inSpecs || section == "PLUGIN SOURCE" {
				continue // remote:, revision:, a spec's own dependencies (6 spaces)
			}
			name, version, platform, ok := nameVersion(strings.TrimSpace(line))
			if !ok || version == "" {
				warnings = append(warnings, fmt.Sprintf("line %d: %q is not \"name (version)\"; skipped", n+1, trunc(strings.TrimSpace(line))))
				continue
			}
			specs = append(specs, gem(name, version, platform))
		case "DEPENDENCIES":
			if indent != 2 {
				continue
			}
			name, _, _, _ := nameVersion(strings.TrimSuffix(strings.TrimSpace(line), "!"))
			if name != "" {
				direct[name] = true
			}
		}
	}
	if sections == 0 || (len(specs) == 0 && len(direct) == 0 && !strings.Contains(string(data), "BUNDLED WITH")) {
		return nil, nil, errors.New("not a Gemfile.lock: no GEM, DEPENDENCIES or BUNDLED WITH section")
	}
	sort.SliceStable(specs, func(i, j int) bool {
		if specs[i].Name != specs[j].Name {
			return specs[i].Name < specs[j].Name
		}
		return specs[i].Version < specs[j].Version
	})
	out := specs[:0]
	for i, p := range specs {
		if i > 0 && out[len(out)-1].Name == p.Name && out[len(out)-1].Version == p.Version {
			continue
		}
		p.Dependency = inventory.DependencyTransitive
		if direct[p.Name] {
			p.Dependency = inventory.DependencyDirect
		}
		p.PURL = PURL(p.Name, p.Version, "") // one package for every platform variant
		out = append(out, p)
	}
	return out, warnings, nil
}

// nameVersion splits "name (version)" or "name (version-platform)" as Bundler writes
// spec lines; a bare "name" has no version. ok is false when the name is not valid.
func nameVersion(s string) (name, version, platform string, ok bool) {
	name, rest, hasParen := strings.Cut(s, " (")
	name = strings.TrimSpace(name)
	if !validName(name) {
		return "", "", "", false
	}
	if !hasParen {
		return name, "", "", true
	}
	rest, closed := strings.CutSuffix(rest, ")")
	if !closed {
		return "", "", "", false
	}
	version, platform, _ = strings.Cut(rest, "-")
	if !validVersion(version) {
		return name, "", "", false
	}
	return name, version, platform, true
}
