// Command osv-scanner-compare checks shipshape's PyPI and crates.io findings against
// osv-scanner's (a peer scanner, used as a yardstick only) on the same lock files and the
// same OSV data, and prints every difference.
//
//	go run ./scripts/osv-scanner-compare [-osv-scanner PATH] [-keep DIR] [LOCKFILE...]
//
// The OSV data is the embedded snapshot's (internal/vulndb/snapshot/data): the PyPA
// advisory database (OSV in YAML) and the RustSec OSV export. osv-scanner v2.6.0 runs
// offline (--offline --local-db-path DIR): DIR/osv-scalibr/PyPI/all.zip and
// DIR/osv-scalibr/crates.io/all.zip are built here from those files (each record as JSON,
// withdrawn ones included: both tools are given the same records), with an empty all.zip
// for every other ecosystem. shipshape runs as `shipshape fs` with a DB built by
// `shipshape db build --feed osv:pypa=... --feed osv:rustsec=...` from the same files.
//
// Without arguments the lock files are the Python analyzer's fixtures
// (internal/analyzer/python/testdata/lock), the Cargo.lock fixtures of
// internal/analyzer/cargo/testdata when there are any, and testdata/Cargo.lock next to
// this file. Each is copied alone into a folder under the name the tools expect.
//
// Compared per lock file: the packages each tool read (name in the ecosystem's normal
// form, version), and the set of (package, version, advisory id) where an advisory id is
// the id of an OSV record in the data; for shipshape, which reports ids that alias one
// another as one finding, every record id among a finding's id and aliases counts. The
// exit status is 1 when anything differs, 2 on errors. Two kinds of difference are
// accepted and listed apart: requirements not pinned with == (osv-scanner takes a >= bound
// as the version; shipshape reports only pins) and a Cargo.lock's local crates (no
// source; osv-scanner lists them, shipshape does not). The last result is in result.txt.
package main

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

const osvScannerVersion = "2.6.0"

// emptyEcosystems get an empty all.zip so that osv-scanner does not refuse a target that
// mentions them.
var emptyEcosystems = []string{"Go", "npm", "Maven", "NuGet", "Packagist", "RubyGems", "Pub", "Hex",
	"Hackage", "CRAN", "SwiftURL", "GitHub Actions", "ConanCenter", "Bioconductor", "Debian", "Alpine", "Ubuntu"}

// source is one OSV data file and the ecosystem its records are for.
type source struct {
	name, file, ecosystem string
}

func main() {
	osvScanner := flag.String("osv-scanner", defaultOSVScanner(), "osv-scanner v"+osvScannerVersion+" binary")
	keep := flag.String("keep", "", "work in this folder and keep it (default: a temporary folder, removed)")
	verbose := flag.Bool("v", false, "list every finding, not only the differences")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: go run ./scripts/osv-scanner-compare [flags] [LOCKFILE...]\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	code, err := run(*osvScanner, *keep, *verbose, flag.Args())
	if err != nil {
		fmt.Fprintln(os.Stderr, "osv-scanner-compare:", err)
		os.Exit(2)
	}
	os.Exit(code)
}

func defaultOSVScanner() string {
	if p := os.Getenv("OSV_SCANNER"); p != "" {
		return p
	}
	if p, err := exec.LookPath("osv-scanner"); err == nil {
		return p
	}
	return "/work/peers/bin/osv-scanner"
}

func repoRoot() (string, error) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}").Output()
	if err != nil {
		return "", fmt.Errorf("finding the module root with go list (run from inside the repository): %w", err)
	}
	return strings.TrimSpace(string(out)), nil
}

func run(osvScanner, keep string, verbose bool, lockfiles []string) (int, error) {
	root, err := repoRoot()
	if err != nil {
		return 0, err
	}
	out, err := exec.Command(osvScanner, "--version").CombinedOutput()
	if err != nil {
		return 0, fmt.Errorf("running %s --version: %w (install osv-scanner v%s, or pass -osv-scanner)", osvScanner, err, osvScannerVersion)
	}
	if !strings.Contains(string(out), "osv-scanner version: "+osvScannerVersion) {
		return 0, fmt.Errorf("%s is not osv-scanner v%s:\n%s", osvScanner, osvScannerVersion, out)
	}
	work := keep
	if work == "" {
		if work, err = os.MkdirTemp("", "osv-scanner-compare-*"); err != nil {
			return 0, err
		}
		defer os.RemoveAll(work)
	} else if err := os.MkdirAll(work, 0o755); err != nil {
		return 0, err
	}
	if len(lockfiles) == 0 {
		if lockfiles, err = defaultLockfiles(root); err != nil {
			return 0, err
		}
	}
	data := filepath.Join(root, "internal/vulndb/snapshot/data")
	sources := []source{
		{"pypa", filepath.Join(data, "pypa-osv.tar.gz"), "PyPI"},
		{"rustsec", filepath.Join(data, "rustsec-osv.tar.gz"), "crates.io"},
	}

	// The OSV DB for osv-scanner, and the set of record ids per ecosystem.
	dbDir := filepath.Join(work, "osvdb")
	recordIDs := map[string]map[string]bool{}
	for _, s := range sources {
		ids, err := writeEcosystemZip(s, filepath.Join(dbDir, "osv-scalibr", s.ecosystem, "all.zip"))
		if err != nil {
			return 0, err
		}
		recordIDs[s.ecosystem] = ids
		fmt.Printf("OSV data: %s: %d %s records\n", filepath.Base(s.file), len(ids), s.ecosystem)
	}
	for _, e := range emptyEcosystems {
		if err := writeZip(filepath.Join(dbDir, "osv-scalibr", e, "all.zip"), nil); err != nil {
			return 0, err
		}
	}

	// shipshape and its DB from the same files.
	shipshape := filepath.Join(work, "shipshape")
	if out, err := runIn(root, "go", "build", "-o", shipshape, "./cmd/shipshape"); err != nil {
		return 0, fmt.Errorf("building shipshape: %w\n%s", err, out)
	}
	shipDB := filepath.Join(work, "shipshape.db")
	args := []string{"db", "build", "-q", "-o", shipDB, "--cache-dir", filepath.Join(work, "cache")}
	for _, s := range sources {
		args = append(args, "--feed", "osv:"+s.name+"="+s.file)
	}
	if out, err := runIn(work, shipshape, args...); err != nil {
		return 0, fmt.Errorf("shipshape db build: %w\n%s", err, out)
	}

	differ := false
	fmt.Printf("\n%-62s %8s %8s %8s %8s  %s\n", "lock file", "pkgs", "osv", "ship", "common", "verdict")
	var details []string
	for i, lf := range lockfiles {
		dir := filepath.Join(work, "targets", fmt.Sprint(i))
		name := canonicalName(lf)
		if name == "" {
			return 0, fmt.Errorf("%s: not a lock file this script knows (poetry.lock, Pipfile.lock, uv.lock, requirements*.txt, Cargo.lock)", lf)
		}
		if err := copyFile(lf, filepath.Join(dir, name)); err != nil {
			return 0, err
		}
		osvPkgs, osvHits, err := runOSVScanner(osvScanner, dbDir, filepath.Join(dir, name))
		if err != nil {
			return 0, fmt.Errorf("%s: %w", lf, err)
		}
		shipPkgs, shipHits, err := runShipshape(shipshape, shipDB, filepath.Join(work, "cache"), dir, recordIDs)
		if err != nil {
			return 0, fmt.Errorf("%s: %w", lf, err)
		}
		rel, _ := filepath.Rel(root, lf)
		if rel == "" || strings.HasPrefix(rel, "..") {
			rel = lf
		}
		pOnlyOSV, pOnlyShip, _ := diff(osvPkgs, shipPkgs)
		fOnlyOSV, fOnlyShip, common := diff(osvHits, shipHits)
		var accepted []string
		if name == "requirements.txt" {
			pinned, err := pinnedRequirements(lf)
			if err != nil {
				return 0, err
			}
			pOnlyOSV, accepted = splitAccepted(pOnlyOSV, pinned, accepted)
			fOnlyOSV, accepted = splitAccepted(fOnlyOSV, pinned, accepted)
		}
		if name == "Cargo.lock" {
			local, err := localCrates(lf)
			if err != nil {
				return 0, err
			}
			var keep []string
			for _, e := range pOnlyOSV {
				if local[e] {
					accepted = append(accepted, e)
				} else {
					keep = append(keep, e)
				}
			}
			pOnlyOSV = keep
		}
		verdict := "equal"
		if len(pOnlyOSV)+len(pOnlyShip)+len(fOnlyOSV)+len(fOnlyShip) > 0 {
			verdict = "DIFFERENT"
			differ = true
		} else if len(accepted) > 0 {
			verdict = "equal (accepted)"
		}
		fmt.Printf("%-62s %8d %8d %8d %8d  %s\n", rel, len(osvPkgs), len(osvHits), len(shipHits), len(common), verdict)
		add := func(what string, list []string) {
			if len(list) > 0 {
				details = append(details, fmt.Sprintf("%s: %s (%d):\n    %s", rel, what, len(list), strings.Join(list, "\n    ")))
			}
		}
		add("packages only osv-scanner read", pOnlyOSV)
		add("packages only shipshape read", pOnlyShip)
		add("findings only osv-scanner reports", fOnlyOSV)
		add("findings only shipshape reports", fOnlyShip)
		switch name {
		case "requirements.txt":
			add("accepted: osv-scanner reads requirements not pinned with == (a >= bound as the version, or none); shipshape reports only pinned ones", accepted)
		case "Cargo.lock":
			add("accepted: local crates (no source: the workspace's own members and path dependencies), which osv-scanner lists and shipshape does not report", accepted)
		}
		if verbose {
			add("findings both report", common)
		}
	}
	if len(details) > 0 {
		fmt.Println()
		fmt.Println(strings.Join(details, "\n"))
	}
	if differ {
		return 1, nil
	}
	return 0, nil
}

func runIn(dir, name string, args ...string) ([]byte, error) {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	return cmd.CombinedOutput()
}

// defaultLockfiles lists the Python analyzer's lock fixtures, the cargo analyzer's
// Cargo.lock fixtures if any, and this script's own Cargo.lock.
func defaultLockfiles(root string) ([]string, error) {
	var out []string
	for _, n := range []string{"poetry.lock", "poetry-2.lock", "Pipfile.lock", "uv.lock", "requirements.txt", "requirements-dev.txt", "requirements-freeze.txt"} {
		out = append(out, filepath.Join(root, "internal/analyzer/python/testdata/lock", n))
	}
	cargo := filepath.Join(root, "internal/analyzer/cargo/testdata")
	_ = filepath.WalkDir(cargo, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if d.IsDir() && d.Name() == "fuzz" {
			return filepath.SkipDir
		}
		if !d.IsDir() && canonicalName(p) == "Cargo.lock" {
			out = append(out, p)
		}
		return nil
	})
	out = append(out, filepath.Join(root, "scripts/osv-scanner-compare/testdata/Cargo.lock"))
	for _, p := range out {
		if _, err := os.Stat(p); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// canonicalName is the file name the tools recognise for a lock file fixture named
// loosely ("poetry-2.lock", "Cargo.v3.lock", "cargo-v4.lock").
func canonicalName(p string) string {
	base := path.Base(filepath.ToSlash(p))
	lower := strings.ToLower(base)
	switch {
	case strings.HasPrefix(lower, "requirements") && strings.HasSuffix(lower, ".txt"):
		return "requirements.txt"
	case strings.HasPrefix(lower, "poetry") && strings.HasSuffix(lower, ".lock"):
		return "poetry.lock"
	case strings.HasPrefix(lower, "pipfile") && strings.HasSuffix(lower, ".lock"):
		return "Pipfile.lock"
	case strings.HasPrefix(lower, "uv") && strings.HasSuffix(lower, ".lock"):
		return "uv.lock"
	case strings.HasPrefix(lower, "cargo") && strings.HasSuffix(lower, ".lock"):
		return "Cargo.lock"
	}
	return ""
}

func copyFile(from, to string) error {
	data, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		return err
	}
	return os.WriteFile(to, data, 0o644)
}

// writeEcosystemZip turns every OSV record (YAML or JSON) of a tar.gz into a JSON member
// of a zip, as the OSV bucket's all.zip holds them, and returns the record ids.
func writeEcosystemZip(s source, dst string) (map[string]bool, error) {
	f, err := os.Open(s.file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s.file, err)
	}
	type member struct {
		name string
		data []byte
	}
	var members []member
	ids := map[string]bool{}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", s.file, err)
		}
		ext := path.Ext(h.Name)
		if h.Typeflag != tar.TypeReg || (ext != ".yaml" && ext != ".yml" && ext != ".json") {
			continue
		}
		raw, err := io.ReadAll(tr)
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", s.file, h.Name, err)
		}
		var rec map[string]any
		if ext == ".json" {
			err = json.Unmarshal(raw, &rec)
		} else {
			var doc yaml.Node
			if err = yaml.Unmarshal(raw, &doc); err == nil {
				rec, _ = fromNode(&doc).(map[string]any)
			}
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", s.file, h.Name, err)
		}
		id, _ := rec["id"].(string)
		if id == "" || rec["affected"] == nil {
			continue // README and the like
		}
		js, err := json.Marshal(rec)
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", s.file, h.Name, err)
		}
		ids[id] = true
		members = append(members, member{id + ".json", js})
	}
	sort.Slice(members, func(i, j int) bool { return members[i].name < members[j].name })
	m := map[string][]byte{}
	var names []string
	for _, x := range members {
		m[x.name] = x.data
		names = append(names, x.name)
	}
	return ids, writeZipOrdered(dst, names, m)
}

// fromNode turns a YAML node into a JSON-encodable value with OSV's types: scalars keep
// their text as strings (an unquoted version like 1.10 must not become the number 1.1, and
// timestamps are already RFC 3339), except booleans and nulls.
func fromNode(n *yaml.Node) any {
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil
		}
		return fromNode(n.Content[0])
	case yaml.AliasNode:
		return fromNode(n.Alias)
	case yaml.MappingNode:
		m := map[string]any{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			m[n.Content[i].Value] = fromNode(n.Content[i+1])
		}
		return m
	case yaml.SequenceNode:
		l := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			l = append(l, fromNode(c))
		}
		return l
	}
	switch n.Tag {
	case "!!null":
		return nil
	case "!!bool":
		return n.Value == "true" || n.Value == "True" || n.Value == "TRUE"
	}
	return n.Value
}

func writeZip(dst string, members map[string][]byte) error {
	var names []string
	for n := range members {
		names = append(names, n)
	}
	sort.Strings(names)
	return writeZipOrdered(dst, names, members)
}

func writeZipOrdered(dst string, names []string, members map[string][]byte) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, n := range names {
		w, err := zw.Create(n)
		if err != nil {
			return err
		}
		if _, err := w.Write(members[n]); err != nil {
			return err
		}
	}
	if err := zw.Close(); err != nil {
		return err
	}
	return os.WriteFile(dst, buf.Bytes(), 0o644)
}

var separators = regexp.MustCompile(`[-_.]+`)

// normName is a package name in its ecosystem's normal form (PEP 503 for PyPI).
func normName(ecosystem, name string) string {
	if strings.EqualFold(ecosystem, "PyPI") || ecosystem == "pypi" {
		return separators.ReplaceAllString(strings.ToLower(name), "-")
	}
	return name
}

func ecoKey(e string) string {
	switch strings.ToLower(e) {
	case "pypi":
		return "PyPI"
	case "crates.io", "cargo":
		return "crates.io"
	}
	return e
}

// runOSVScanner scans one lock file and returns its packages ("eco name@version") and
// findings ("eco name@version id").
func runOSVScanner(bin, dbDir, lockfile string) (map[string]bool, map[string]bool, error) {
	cmd := exec.Command(bin, "scan", "source", "--offline", "--local-db-path", dbDir, "--format", "json",
		"--all-packages", "--verbosity", "error", "-L", lockfile)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && !(errors.As(err, &ee) && ee.ExitCode() == 1) { // 1: vulnerabilities found
		return nil, nil, fmt.Errorf("osv-scanner: %w\n%s", err, stderr.String())
	}
	var rep struct {
		Results []struct {
			Packages []struct {
				Package struct {
					Name, Version, Ecosystem string
				} `json:"package"`
				Vulnerabilities []struct {
					ID string `json:"id"`
				} `json:"vulnerabilities"`
			} `json:"packages"`
		} `json:"results"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		return nil, nil, fmt.Errorf("osv-scanner JSON: %w\n%s", err, stderr.String())
	}
	pkgs, hits := map[string]bool{}, map[string]bool{}
	for _, r := range rep.Results {
		for _, p := range r.Packages {
			eco := ecoKey(p.Package.Ecosystem)
			k := eco + " " + normName(eco, p.Package.Name) + "@" + p.Package.Version
			pkgs[k] = true
			for _, v := range p.Vulnerabilities {
				hits[k+" "+v.ID] = true
			}
		}
	}
	return pkgs, hits, nil
}

// runShipshape scans a folder and returns its language packages and findings in the same
// form as runOSVScanner, a finding counting once for each record id among its id and
// aliases.
func runShipshape(bin, db, cache, dir string, recordIDs map[string]map[string]bool) (map[string]bool, map[string]bool, error) {
	cmd := exec.Command(bin, "fs", dir, "-f", "json", "-q", "--db", db, "--cache-dir", cache, "--skip-db-update")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, nil, fmt.Errorf("shipshape fs: %w\n%s", err, stderr.String())
	}
	var rep struct {
		Packages []struct {
			Type, Name, Version string
		} `json:"packages"`
		Vulnerabilities []struct {
			ID, PkgType, PkgName, InstalledVersion, Namespace string
			Aliases                                           []string
		} `json:"vulnerabilities"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		return nil, nil, fmt.Errorf("shipshape JSON: %w", err)
	}
	pkgs, hits := map[string]bool{}, map[string]bool{}
	for _, p := range rep.Packages {
		eco := ecoKey(p.Type)
		pkgs[eco+" "+normName(eco, p.Name)+"@"+p.Version] = true
	}
	for _, v := range rep.Vulnerabilities {
		eco := ecoKey(v.Namespace)
		k := eco + " " + normName(eco, v.PkgName) + "@" + v.InstalledVersion
		for _, id := range append([]string{v.ID}, v.Aliases...) {
			if recordIDs[eco][id] {
				hits[k+" "+id] = true
			}
		}
	}
	return pkgs, hits, nil
}

var pinnedLine = regexp.MustCompile(`^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*===?\s*([^\s;,*]+)\s*(;.*|\\)?$`)

// pinnedRequirements returns "PyPI name@version" for every requirement of a requirements
// file pinned with == or === (comments and per-line options removed; a rough reading, for
// sorting differences only).
func pinnedRequirements(file string) (map[string]bool, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	out := map[string]bool{}
	for _, l := range strings.Split(string(data), "\n") {
		if i := strings.Index(l, " #"); i >= 0 {
			l = l[:i]
		}
		if i := strings.Index(l, " --"); i >= 0 {
			l = l[:i]
		}
		if m := pinnedLine.FindStringSubmatch(l); m != nil {
			out["PyPI "+normName("PyPI", m[1])+"@"+m[3]] = true
		}
	}
	return out, nil
}

// localCrates returns "crates.io name@version" for every [[package]] of a Cargo.lock
// without a source line: crates of the workspace itself or path dependencies.
func localCrates(file string) (map[string]bool, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	out := map[string]bool{}
	for _, block := range strings.Split(string(data), "[[package]]") {
		var name, version string
		source := false
		for _, l := range strings.Split(block, "\n") {
			k, v, ok := strings.Cut(l, " = ")
			if !ok {
				continue
			}
			v = strings.Trim(strings.TrimSpace(v), `"`)
			switch strings.TrimSpace(k) {
			case "name":
				name = v
			case "version":
				version = v
			case "source":
				source = true
			}
		}
		if name != "" && !source {
			out["crates.io "+name+"@"+version] = true
		}
	}
	return out, nil
}

// splitAccepted moves the entries ("eco name@version[ id]") whose package is not pinned in
// the requirements file to accepted.
func splitAccepted(list []string, pinned map[string]bool, accepted []string) ([]string, []string) {
	var keep []string
	for _, e := range list {
		f := strings.Fields(e)
		if len(f) >= 2 && !pinned[f[0]+" "+f[1]] {
			accepted = append(accepted, e)
			continue
		}
		keep = append(keep, e)
	}
	return keep, accepted
}

// diff returns what only a has, what only b has, and what both have, sorted.
func diff(a, b map[string]bool) (onlyA, onlyB, both []string) {
	for k := range a {
		if b[k] {
			both = append(both, k)
		} else {
			onlyA = append(onlyA, k)
		}
	}
	for k := range b {
		if !a[k] {
			onlyB = append(onlyB, k)
		}
	}
	sort.Strings(onlyA)
	sort.Strings(onlyB)
	sort.Strings(both)
	return onlyA, onlyB, both
}
