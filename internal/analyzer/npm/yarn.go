package npm

import (
	"bufio"
	"bytes"
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/shipshape-dev/shipshape/internal/inventory"
)

// ParseYarnLock reads a yarn.lock: the classic v1 format ("# yarn lockfile v1", blocks
// headed by `"name@range", name@range:` with an indented `version "x"` line) or the berry
// (yarn 2+) YAML format (blocks keyed by "name@npm:range" with a `resolution` and a
// `version`). Berry entries resolved through workspace:, link:, portal:, file: or patch:
// are skipped: the first four are local code, and a patch: entry repeats a package that
// is listed on its own under npm:. yarn.lock records neither direct nor dev dependencies.
func ParseYarnLock(data []byte) ([]inventory.Package, []string, error) {
	if isBerry(data) {
		return parseBerry(data)
	}
	return parseYarnV1(data)
}

func isBerry(data []byte) bool {
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for sc.Scan() {
		l := strings.TrimSpace(sc.Text())
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		return strings.HasPrefix(l, "__metadata:")
	}
	return false
}

// yarnName returns the package name of one header spec: "@scope/name@^1" -> "@scope/name".
func yarnName(spec string) string {
	spec = strings.Trim(strings.TrimSpace(spec), `"`)
	if at := strings.LastIndex(spec, "@"); at > 0 {
		return spec[:at]
	}
	return ""
}

func parseYarnV1(data []byte) ([]inventory.Package, []string, error) {
	var (
		pkgs     []inventory.Package
		warnings []string
		name     string
		header   int
		version  string
		blocks   int
	)
	flush := func() {
		if header != 0 {
			if name == "" || version == "" {
				warnings = append(warnings, fmt.Sprintf("yarn.lock entry at line %d has no name or version; skipped", header))
			} else if !strings.HasPrefix(version, "0.0.0-use.local") {
				pkgs = append(pkgs, newPackage(name, version))
			}
		}
		name, version, header = "", "", 0
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64*1024), 4<<20)
	lineNo := 0
	for sc.Scan() {
		lineNo++
		line := strings.TrimRight(sc.Text(), "\r")
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			continue
		}
		if line[0] != ' ' && line[0] != '\t' {
			flush()
			if !strings.HasSuffix(trimmed, ":") {
				continue
			}
			blocks++
			header = lineNo
			first, _, _ := strings.Cut(strings.TrimSuffix(trimmed, ":"), ",")
			name = yarnName(first)
			continue
		}
		if header == 0 {
			continue
		}
		// Only the block's own fields (two-space indent), not nested dependency lists.
		if strings.HasPrefix(line, "  ") && !strings.HasPrefix(line, "   ") {
			if v, ok := strings.CutPrefix(trimmed, "version "); ok {
				version = strings.Trim(strings.TrimSpace(v), `"`)
			}
		}
	}
	flush()
	if err := sc.Err(); err != nil {
		return nil, nil, fmt.Errorf("reading yarn.lock at line %d: %w", lineNo, err)
	}
	if blocks == 0 && len(bytes.TrimSpace(data)) > 0 && !bytes.Contains(data, []byte("yarn lockfile")) {
		return nil, nil, fmt.Errorf("not a yarn.lock: no entry of the form `name@range:`")
	}
	return sortPackages(pkgs), warnings, nil
}

type berryEntry struct {
	Version    string `yaml:"version"`
	Resolution string `yaml:"resolution"`
}

func parseBerry(data []byte) ([]inventory.Package, []string, error) {
	var doc map[string]yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, nil, fmt.Errorf("not a yarn berry lock file: %w", err)
	}
	var (
		pkgs     []inventory.Package
		warnings []string
	)
	for key, node := range doc {
		if key == "__metadata" {
			continue
		}
		var e berryEntry
		if err := node.Decode(&e); err != nil {
			warnings = append(warnings, fmt.Sprintf("yarn.lock entry %q: %v; skipped", key, err))
			continue
		}
		res := e.Resolution
		if res == "" {
			first, _, _ := strings.Cut(key, ",")
			res = strings.TrimSpace(first)
		}
		var at int
		if strings.HasPrefix(res, "@") {
			// scoped: the protocol separator is the first @ after the scope
			if i := strings.Index(res[1:], "@"); i >= 0 {
				at = i + 1
			} else {
				at = -1
			}
		} else {
			at = strings.Index(res, "@")
		}
		if at <= 0 {
			warnings = append(warnings, fmt.Sprintf("yarn.lock entry %q has no resolution of the form name@protocol:ref; skipped", key))
			continue
		}
		name, ref := res[:at], res[at+1:]
		protocol, _, _ := strings.Cut(ref, ":")
		if protocol != "npm" {
			continue // workspace:, link:, portal:, file:, patch:, git and tarball sources
		}
		if e.Version == "" {
			warnings = append(warnings, fmt.Sprintf("yarn.lock entry %q has no version; skipped", key))
			continue
		}
		pkgs = append(pkgs, newPackage(name, e.Version))
	}
	return sortPackages(pkgs), warnings, nil
}
