package detect

// Correctness of matching against real data: for real Alpine root filesystems and real
// dpkg status databases, shipshape's whole pipeline (docker-archive -> source -> layer
// scanner with the default analyzers -> Match against a DB built from the embedded
// snapshot by shipshape's own feed parsers) must report exactly the (package,
// vulnerability, fixed version) set that an independent reading of the same feed files
// gives. The independent reading lives in this file: its own parsers for the apk installed
// database, the dpkg status file, the Alpine secdb JSON and the Debian OVAL XML, and for
// version order the real tools' answers, never internal/version:
//
//   - apk: the apk_2.12.14 column of apk-version-vectors.tsv.gz (what `apk version -t` of
//     apk-tools 2.12.14 said for 69,215 pairs). That table lacks most installed versions of
//     the rootfs other than 3.12.12 (busybox 1.36.1-r19 and apk-tools 2.14.4-r0 of 3.19.4
//     are in no pair), so a pair it lacks is decided by apkOrder below, a small comparator written here for the
//     plain version grammar only, which must first agree with every row of the table that
//     fits that grammar (tens of thousands) or the test fails. A pair neither can decide
//     fails the test. -apk-tsv-only makes every pair missing from the table fail instead.
//   - dpkg: `dpkg --compare-versions A lt B`, run at test time.
//
// Where shipshape's behaviour is a choice, the expectation follows it as documented:
// namespaceOf (OS packages are looked up by source package, then by binary name),
// installedVersion (a dpkg source-package lookup compares the source version), the feeds'
// status mapping (Alpine "0" is not-affected; Debian OVAL "earlier than 0" is affected with
// no fix) and enrich's merge (one finding per package and vulnerability, ids that alias one
// another being one vulnerability, with the highest fixed version of its rows).

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/klauspost/compress/zstd"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	analyzers "github.com/shipshape-dev/shipshape/internal/analyzer/all"
	"github.com/shipshape-dev/shipshape/internal/imagetest"
	"github.com/shipshape-dev/shipshape/internal/inventory"
	"github.com/shipshape-dev/shipshape/internal/layer"
	"github.com/shipshape-dev/shipshape/internal/source"
	"github.com/shipshape-dev/shipshape/internal/vulndb/snapshot"
)

var apkTSVOnly = flag.Bool("apk-tsv-only", false, "correctness tests: decide apk version order only from the apk-tools 2.12.14 table; a pair it lacks fails the test")

var mergedCVEs = flag.Bool("merged-cves", false, "correctness tests: expect the old transitive alias merging (distinct CVEs joined through an advisory naming several)")

const correctnessData = "testdata/correctness"

// tuple is what is compared: one reported (package, vulnerability, fixed version).
type tuple struct{ pkg, id, fixed string }

func (f tuple) String() string {
	fixed := f.fixed
	if fixed == "" {
		fixed = "(no fix)"
	}
	return f.pkg + " " + f.id + " " + fixed
}

// ---------------------------------------------------------------------------------------
// Alpine

func TestCorrectnessAlpine(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a DB from the embedded snapshot")
	}
	db := sharedSnapshotDB(t)
	order := loadApkOracle(t)
	secdb := readAlpineSecdb(t)
	// The DB also holds the Debian OVAL, whose records give CVE ids their aliases: those
	// merge Alpine findings too.
	ovals := loadDebianOVALs(t)

	// wantSize documents each expected set; the test recomputes it from the fixtures and
	// fails when the two differ. Each minirootfs is a late point release of its branch, so
	// little is left unfixed:
	//
	//	rootfs               secdb  tuples
	//	3.6.5 x86_64         v3.6   0  every secfix of its 13 packages' origins is older
	//	3.12.12 x86_64       v3.12  1  zlib CVE-2022-37434 1.2.12-r2
	//	3.16.9 x86_64        v3.16  2  busybox, ssl_client CVE-2023-42366 1.35.0-r18
	//	3.19.4 x86_64        v3.19  2  libcrypto3, libssl3 CVE-2024-9143 3.1.7-r1
	//	3.20.3 aarch64       v3.20  2  libcrypto3, libssl3 CVE-2024-9143 3.3.2-r1
	//	edge 20240923 x86_64 edge   2  libcrypto3, libssl3 CVE-2024-9143 3.3.2-r3
	cases := []struct {
		name, tarball, platform, release string
		wantSize                         int
	}{
		{"3.6.5", imagetest.AlpineRootfs("3.6.5", "x86_64"), "linux/amd64", "v3.6", 0},
		{"3.12.12", imagetest.AlpineRootfs("3.12.12", "x86_64"), "linux/amd64", "v3.12", 1},
		{"3.16.9", filepath.Join(correctnessData, "alpine-minirootfs-3.16.9-x86_64.tar.gz"), "linux/amd64", "v3.16", 2},
		{"3.19.4", imagetest.AlpineRootfs("3.19.4", "x86_64"), "linux/amd64", "v3.19", 2},
		{"3.20.3-aarch64", imagetest.AlpineRootfs("3.20.3", "aarch64"), "linux/arm64", "v3.20", 2},
		{"edge-20240923", filepath.Join(correctnessData, "alpine-minirootfs-20240923-x86_64.tar.gz"), "linux/amd64", "edge", 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rel, ok := secdb[c.release]
			if !ok {
				t.Fatalf("the embedded secdb has no %s", c.release)
			}
			pkgs := readApkInstalled(t, c.tarball)
			want, stats, ms := expectAlpine(t, pkgs, rel, order, ovals.aliases)
			t.Logf("%s: %d packages, %d secfix rows of their origins, %d pairs decided by the apk table and %d by apkOrder; expected %d findings",
				c.name, len(pkgs), stats.rows, stats.fromTable, stats.fromFallback, len(want))
			logMerges(t, ms)
			logSmall(t, want)
			checkSize(t, len(want), c.wantSize)

			layerOf, err := imagetest.LayerFromFile(c.tarball)
			if err != nil {
				t.Fatal(err)
			}
			img, err := imagetest.Image(c.platform, imagetest.Step{Layer: layerOf, CreatedBy: "ADD " + filepath.Base(c.tarball) + " /"})
			if err != nil {
				t.Fatal(err)
			}
			got := scanAndMatch(t, db, img, c.platform, "alpine:"+strings.TrimPrefix(c.release, "v"))
			compareFindings(t, got, want)
		})
	}
}

type apkPackage struct{ name, version, origin string }

// readApkInstalled reads lib/apk/db/installed from a rootfs tarball: records separated by
// blank lines, "P:" name, "V:" version, "o:" origin (the name when absent).
func readApkInstalled(t *testing.T, tarball string) []apkPackage {
	t.Helper()
	data := readTarMember(t, tarball, "lib/apk/db/installed")
	var out []apkPackage
	var cur apkPackage
	flush := func() {
		if cur.name != "" {
			if cur.origin == "" {
				cur.origin = cur.name
			}
			out = append(out, cur)
		}
		cur = apkPackage{}
	}
	for _, line := range strings.Split(string(data), "\n") {
		switch {
		case strings.TrimSpace(line) == "":
			flush()
		case strings.HasPrefix(line, "P:"):
			cur.name = line[2:]
		case strings.HasPrefix(line, "V:"):
			cur.version = line[2:]
		case strings.HasPrefix(line, "o:"):
			cur.origin = line[2:]
		}
	}
	flush()
	if len(out) == 0 {
		t.Fatalf("%s: no package in lib/apk/db/installed", tarball)
	}
	return out
}

func readTarMember(t *testing.T, tarball, member string) []byte {
	t.Helper()
	f, err := os.Open(tarball)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatalf("%s: %v", tarball, err)
	}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			t.Fatalf("%s: no %s", tarball, member)
		}
		if err != nil {
			t.Fatalf("%s: %v", tarball, err)
		}
		if strings.TrimPrefix(h.Name, "./") == member {
			b, err := io.ReadAll(tr)
			if err != nil {
				t.Fatalf("%s: %s: %v", tarball, member, err)
			}
			return b
		}
	}
}

// alpineFixes is one release's secdb: origin package -> id -> fixed versions ("0", which
// the feed turns into not-affected, is left out).
type alpineFixes map[string]map[string]map[string]bool

// readAlpineSecdb decodes every <release>/main.json and community.json of the embedded
// alpine-secdb.tar.gz generically (encoding/json into map[string]any).
func readAlpineSecdb(t *testing.T) map[string]alpineFixes {
	t.Helper()
	var file *snapshot.File
	for _, f := range snapshot.Files() {
		if f.Name == "alpine-secdb.tar.gz" {
			file = &f
		}
	}
	if file == nil {
		t.Fatal("the embedded snapshot has no alpine-secdb.tar.gz")
	}
	rc, err := file.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	zr, err := gzip.NewReader(rc)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]alpineFixes{}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		base := filepath.Base(h.Name)
		if base != "main.json" && base != "community.json" {
			continue
		}
		release := filepath.Base(filepath.Dir(h.Name))
		var doc map[string]any
		if err := json.NewDecoder(tr).Decode(&doc); err != nil {
			t.Fatalf("secdb %s: %v", h.Name, err)
		}
		if dv, _ := doc["distroversion"].(string); dv != release {
			t.Fatalf("secdb %s: distroversion %q is not its folder's release", h.Name, dv)
		}
		fixes := out[release]
		if fixes == nil {
			fixes = alpineFixes{}
			out[release] = fixes
		}
		pkgs, _ := doc["packages"].([]any)
		for _, p := range pkgs {
			pm, _ := p.(map[string]any)
			pkg, _ := pm["pkg"].(map[string]any)
			name, _ := pkg["name"].(string)
			name = strings.TrimSpace(name)
			sf, _ := pkg["secfixes"].(map[string]any)
			if name == "" {
				continue
			}
			for version, v := range sf {
				version = strings.TrimSpace(version)
				if version == "" || version == "0" {
					continue
				}
				var entries []string
				switch v := v.(type) {
				case string:
					entries = []string{v}
				case []any:
					for _, e := range v {
						if s, ok := e.(string); ok {
							entries = append(entries, s)
						}
					}
				}
				for _, e := range entries {
					for _, id := range alpineEntryIDs(e) {
						if fixes[name] == nil {
							fixes[name] = map[string]map[string]bool{}
						}
						if fixes[name][id] == nil {
							fixes[name][id] = map[string]bool{}
						}
						fixes[name][id][version] = true
					}
				}
			}
		}
	}
	return out
}

var (
	alpineCVE   = regexp.MustCompile(`^CVE[-_]([0-9]{4})-([0-9]{4,})`)
	alpineOther = regexp.MustCompile(`^([A-Za-z]+[0-9]*(-[A-Za-z0-9]+)+|[A-Z][A-Z]+[0-9][0-9][0-9]+)$`)
)

// alpineEntryIDs mirrors the rule internal/feed/alpine documents for one secfixes entry
// ("CVE-2016-10013 XSA-204", "CVE-2018-14461 (LDP)"), in this test's own code:
//   - split on white space; a token starting with '(' or '[' is a remark and dropped;
//   - trailing ',', ';', ':' and '.' are trimmed;
//   - a token starting with "CVE" in any case is kept only as the id CVE-YYYY-NNNN read
//     from its upper-cased start "CVE", '-' or '_', four digits, '-', four or more digits
//     (so "CVE-2017-17434-1" is CVE-2017-17434 and "CVE-????-?????" is dropped);
//   - any other token is kept as it is when it is letters (optionally digits) followed by
//     one or more "-part" groups of letters and digits, or two or more capitals then three
//     or more digits — and holds a digit (XSA-204, GHSA-xxxx-xxxx-xxxx, VSV00010).
func alpineEntryIDs(entry string) []string {
	var out []string
	for _, tok := range strings.Fields(entry) {
		if tok[0] == '(' || tok[0] == '[' {
			continue
		}
		tok = strings.TrimRight(tok, ",;:.")
		up := strings.ToUpper(tok)
		if strings.HasPrefix(up, "CVE") {
			if m := alpineCVE.FindStringSubmatch(up); m != nil {
				out = append(out, "CVE-"+m[1]+"-"+m[2])
			}
			continue
		}
		if alpineOther.MatchString(tok) && strings.ContainsAny(tok, "0123456789") {
			out = append(out, tok)
		}
	}
	return out
}

type alpineStats struct{ rows, fromTable, fromFallback int }

// expectAlpine lists what matching must find: for each installed package, the secfixes of
// its origin and (when it differs) of its own name; a row matches when the installed
// version is older than the fixed version. The matching rows are merged by groupHits.
func expectAlpine(t *testing.T, pkgs []apkPackage, fixes alpineFixes, order *apkOracle, aliases map[string][]string) (map[tuple]bool, alpineStats, mergeStats) {
	t.Helper()
	var st alpineStats
	var ms mergeStats
	want := map[tuple]bool{}
	for _, p := range pkgs {
		names := []string{p.origin}
		if p.name != p.origin {
			names = append(names, p.name)
		}
		var hits []hit
		for _, n := range names {
			for id, versions := range fixes[n] {
				for fixed := range versions {
					st.rows++
					c, fromTable := order.compare(t, p.version, fixed)
					if fromTable {
						st.fromTable++
					} else {
						st.fromFallback++
					}
					if c < 0 {
						hits = append(hits, hit{id, fixed})
					}
				}
			}
		}
		groups := groupHits(p.name, hits, aliases, &ms)
		for _, g := range groups {
			f := tuple{pkg: p.name, id: g.id}
			for _, fx := range g.fixes {
				if f.fixed == "" {
					f.fixed = fx
				} else if c, _ := order.compare(t, fx, f.fixed); c > 0 {
					f.fixed = fx
				}
			}
			want[f] = true
		}
	}
	return want, st, ms
}

// hit is one feed row (vulnerability id and fixed version, "" for none) that matches an
// installed package.
type hit struct{ id, fixed string }

// hitGroup is one expected finding of a package before its fixed version is chosen.
type hitGroup struct {
	id    string
	fixes []string // the distinct non-empty fixed versions of its rows
}

type mergeStats struct {
	// sameID counts ids with several matching rows of different fixed versions for one
	// package; aliased counts findings that merged several ids.
	sameID, aliased int
	// severalCVEs lists the findings that merged two or more distinct CVE ids, because
	// some advisory (a DSA, a GHSA) names all of them.
	severalCVEs []string
}

// groupHits merges one package's matching rows as detect documents it (enrich.go): one
// finding per vulnerability, where ids that alias one another are one vulnerability. Two
// rows belong together when their ids, each with the aliases the DB's records give it,
// share a name, and so on transitively; the finding is reported under the first CVE id of
// the group in sort order (else the first id), with the highest fixed version of its rows
// (chosen by the caller with the real tool's order), or none when no row has one.
//
// An advisory naming several CVEs (DSA-5055-1: CVE-2021-3995 and CVE-2021-3996) never
// joins them: it is folded into their findings when each has one, else reported alone.
// -merged-cves restores the earlier transitive rule, for comparison.
func groupHits(pkg string, hits []hit, aliases map[string][]string, st *mergeStats) []hitGroup {
	byID := map[string]map[string]bool{}
	for _, h := range hits {
		if byID[h.id] == nil {
			byID[h.id] = map[string]bool{}
		}
		if h.fixed != "" {
			byID[h.id][h.fixed] = true
		}
	}
	ids := make([]string, 0, len(byID))
	for id, fs := range byID {
		ids = append(ids, id)
		if len(fs) > 1 {
			st.sameID++
		}
	}
	sort.Strings(ids)
	names := func(id string) map[string]bool {
		m := map[string]bool{id: true}
		for _, a := range aliases[id] {
			m[a] = true
		}
		return m
	}
	overlap := func(a, b string) bool {
		nb := names(b)
		for n := range names(a) {
			if nb[n] {
				return true
			}
		}
		return false
	}
	// Connected components, by a small union-find.
	parent := map[string]string{}
	var find func(string) string
	find = func(x string) string {
		if parent[x] == x {
			return x
		}
		parent[x] = find(parent[x])
		return parent[x]
	}
	for _, id := range ids {
		parent[id] = id
	}
	isCVE := func(id string) bool { return strings.HasPrefix(id, "CVE-") }
	// The rule detect documents (groupAliases in enrich.go): two ids are one vulnerability
	// when one lists the other, or when each names exactly one CVE and it is the same; an
	// advisory naming several CVEs links nothing, and is left out (folded into its CVEs'
	// findings as an alias) when every CVE it names has a finding, else reported alone.
	namedCVEs := func(id string) []string {
		var out []string
		for n := range names(id) {
			if isCVE(n) {
				out = append(out, n)
			}
		}
		sort.Strings(out)
		return out
	}
	bundle := func(id string) bool { return len(namedCVEs(id)) > 1 }
	dropped := map[string]bool{}
	if !*mergedCVEs {
		single := map[string]bool{}
		for _, x := range ids {
			if !bundle(x) && len(namedCVEs(x)) == 1 {
				single[namedCVEs(x)[0]] = true
			}
		}
		for _, x := range ids {
			for _, y := range ids {
				if x >= y || bundle(x) || bundle(y) {
					continue
				}
				cx, cy := namedCVEs(x), namedCVEs(y)
				direct := false
				for _, a := range aliases[x] {
					direct = direct || a == y
				}
				for _, a := range aliases[y] {
					direct = direct || a == x
				}
				if direct || (len(cx) == 1 && len(cy) == 1 && cx[0] == cy[0]) {
					parent[find(x)] = find(y)
				}
			}
		}
		for _, x := range ids {
			if !bundle(x) {
				continue
			}
			all := true
			for _, c := range namedCVEs(x) {
				all = all && single[c]
			}
			if all {
				dropped[x] = true
				st.severalCVEs = append(st.severalCVEs, pkg+" "+x+" (folded into "+strings.Join(namedCVEs(x), "+")+")")
			}
		}
	} else {
		for _, x := range ids {
			for _, y := range ids {
				if x < y && overlap(x, y) {
					parent[find(x)] = find(y)
				}
			}
		}
	}
	members := map[string][]string{}
	for _, id := range ids {
		if dropped[id] {
			continue
		}
		r := find(id)
		members[r] = append(members[r], id)
	}
	var out []hitGroup
	for _, ms := range members {
		sort.Strings(ms)
		g := hitGroup{id: ms[0]}
		for _, id := range ms {
			if strings.HasPrefix(id, "CVE-") {
				g.id = id
				break
			}
		}
		seen := map[string]bool{}
		for _, id := range ms {
			for f := range byID[id] {
				if !seen[f] {
					seen[f] = true
					g.fixes = append(g.fixes, f)
				}
			}
		}
		sort.Strings(g.fixes)
		if len(ms) > 1 {
			st.aliased++
			cves := 0
			for _, id := range ms {
				if isCVE(id) {
					cves++
				}
			}
			if cves > 1 {
				st.severalCVEs = append(st.severalCVEs, pkg+" "+strings.Join(ms, "+"))
			}
		}
		out = append(out, g)
	}
	return out
}

// apkOracle answers "how does apk order a and b".
type apkOracle struct {
	table map[[2]string]int
	// verified counts the table rows apkOrder was checked against.
	verified int
}

var apkOracleOnce struct {
	sync.Once
	o   *apkOracle
	err error
}

func loadApkOracle(t *testing.T) *apkOracle {
	t.Helper()
	apkOracleOnce.Do(func() {
		apkOracleOnce.o, apkOracleOnce.err = readApkTable(filepath.Join(correctnessData, "apk-version-vectors.tsv.gz"))
	})
	if apkOracleOnce.err != nil {
		t.Fatal(apkOracleOnce.err)
	}
	t.Logf("apk order: %d pairs from apk-tools 2.12.14; apkOrder agrees with all %d of them that fit its grammar", len(apkOracleOnce.o.table), apkOracleOnce.o.verified)
	return apkOracleOnce.o
}

// readApkTable reads the apk_2.12.14 column and checks apkOrder against every row it can
// decide.
func readApkTable(path string) (*apkOracle, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	o := &apkOracle{table: map[[2]string]int{}}
	sc := bufio.NewScanner(zr)
	col := -1
	var disagree []string
	for line := 0; sc.Scan(); line++ {
		fields := strings.Split(sc.Text(), "\t")
		if line == 0 {
			for i, h := range fields {
				if h == "apk_2.12.14" {
					col = i
				}
			}
			if col < 2 {
				return nil, fmt.Errorf("%s: no apk_2.12.14 column in the header %q", path, sc.Text())
			}
			continue
		}
		if len(fields) <= col {
			return nil, fmt.Errorf("%s:%d: %d columns", path, line+1, len(fields))
		}
		var c int
		switch fields[col] {
		case "<":
			c = -1
		case "=":
			c = 0
		case ">":
			c = 1
		default:
			return nil, fmt.Errorf("%s:%d: order %q", path, line+1, fields[col])
		}
		a, b := fields[0], fields[1]
		o.table[[2]string{a, b}] = c
		if mine, ok := apkOrder(a, b); ok {
			o.verified++
			if mine != c && len(disagree) < 10 {
				disagree = append(disagree, fmt.Sprintf("%s vs %s: apk %s, apkOrder %d", a, b, fields[col], mine))
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(disagree) > 0 {
		return nil, fmt.Errorf("the test's apkOrder disagrees with apk-tools 2.12.14, so it cannot stand in for it: %s", strings.Join(disagree, "; "))
	}
	if o.verified < 10000 {
		return nil, fmt.Errorf("apkOrder was checked against only %d rows of %s", o.verified, path)
	}
	return o, nil
}

// compare orders a and b as apk-tools 2.12.14 does; fromTable says whether apk's own
// answer was in the table.
func (o *apkOracle) compare(t *testing.T, a, b string) (c int, fromTable bool) {
	t.Helper()
	if c, ok := o.table[[2]string{a, b}]; ok {
		return c, true
	}
	if c, ok := o.table[[2]string{b, a}]; ok {
		return -c, true
	}
	if *apkTSVOnly {
		t.Fatalf("the apk version table has no pair %q, %q (-apk-tsv-only)", a, b)
	}
	c, ok := apkOrder(a, b)
	if !ok {
		t.Fatalf("the apk version table has no pair %q, %q and apkOrder cannot read one of them: extend the table with `apk version -t` of apk-tools 2.12.14", a, b)
	}
	return c, false
}

// apkPlain is the version grammar apkOrder reads: numbers joined by dots (none after the
// first with a leading zero, whose ordering apk treats specially), an optional letter,
// suffixes with optional numbers, an optional -rN revision.
var apkPlain = regexp.MustCompile(`^[0-9]+(\.([1-9][0-9]*|0))*[a-z]?(_(alpha|beta|pre|rc|cvs|svn|git|hg|p)[0-9]*)*(-r[0-9]+)?$`)

// Kinds of the parts of a version, in the order apk ranks them when two versions differ
// in kind at the same place: the version whose part comes later in this list is the
// older one (1.2 < 1.2-r1 < 1.2.1), except that a pre-release suffix makes its version
// the older one (1.2_rc1 < 1.2).
const (
	apkNum = iota
	apkLetter
	apkSuffix
	apkSuffixNum
	apkRev
	apkEnd
)

var apkSuffixRank = map[string]int{"alpha": -4, "beta": -3, "pre": -2, "rc": -1, "cvs": 0, "svn": 1, "git": 2, "hg": 3, "p": 4}

type apkPart struct {
	kind int
	num  string // digits without leading zeros (numbers, suffix numbers, revisions)
	rank int    // letter byte or suffix rank
}

func apkParts(v string) []apkPart {
	var out []apkPart
	digits := func() string {
		i := 0
		for i < len(v) && v[i] >= '0' && v[i] <= '9' {
			i++
		}
		d := strings.TrimLeft(v[:i], "0")
		v = v[i:]
		return d
	}
	out = append(out, apkPart{kind: apkNum, num: digits()})
	for len(v) > 0 {
		switch {
		case v[0] == '.':
			v = v[1:]
			out = append(out, apkPart{kind: apkNum, num: digits()})
		case v[0] >= 'a' && v[0] <= 'z':
			out = append(out, apkPart{kind: apkLetter, rank: int(v[0])})
			v = v[1:]
		case v[0] == '_':
			v = v[1:]
			i := 0
			for i < len(v) && v[i] >= 'a' && v[i] <= 'z' {
				i++
			}
			out = append(out, apkPart{kind: apkSuffix, rank: apkSuffixRank[v[:i]]})
			v = v[i:]
			if len(v) > 0 && v[0] >= '0' && v[0] <= '9' {
				out = append(out, apkPart{kind: apkSuffixNum, num: digits()})
			}
		case strings.HasPrefix(v, "-r"):
			v = v[2:]
			out = append(out, apkPart{kind: apkRev, num: digits()})
		default:
			return nil
		}
	}
	return append(out, apkPart{kind: apkEnd})
}

// apkOrder compares two versions of the plain grammar; ok is false for anything else.
func apkOrder(a, b string) (int, bool) {
	if !apkPlain.MatchString(a) || !apkPlain.MatchString(b) {
		return 0, false
	}
	pa, pb := apkParts(a), apkParts(b)
	for i := 0; ; i++ {
		x, y := pa[i], pb[i]
		if x.kind != y.kind {
			switch {
			case x.kind == apkSuffix && x.rank < 0:
				return -1, true
			case y.kind == apkSuffix && y.rank < 0:
				return 1, true
			case x.kind > y.kind:
				return -1, true
			default:
				return 1, true
			}
		}
		if x.kind == apkEnd {
			return 0, true
		}
		if c := x.rank - y.rank; c != 0 {
			return sign(c), true
		}
		if c := len(x.num) - len(y.num); c != 0 {
			return sign(c), true
		}
		if c := strings.Compare(x.num, y.num); c != 0 {
			return c, true
		}
	}
}

func sign(n int) int {
	switch {
	case n < 0:
		return -1
	case n > 0:
		return 1
	}
	return 0
}

// ---------------------------------------------------------------------------------------
// Debian

func TestCorrectnessDebian(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a DB from the embedded snapshot")
	}
	dpkg := newDpkgOracle(t)
	db := sharedSnapshotDB(t)
	ovals := loadDebianOVALs(t)

	// wantSize documents each expected set and wantFixed the part of it with a fixed
	// version; the test recomputes both from the fixtures and fails when they differ. The
	// OVAL is of 2023-07-14 and the status files of 2026, so every fix it names is older
	// than what is installed: the real files give only unfixed vulnerabilities ("DPKG is
	// earlier than 0"), and their fixed part is empty. The derived case puts six source
	// packages of the bullseye file back to versions Debian released as fixes (see
	// olderStatus: coreutils, util-linux, apt, bash, bzip2 and dpkg, with bsdutils keeping
	// an epoch its source version lacks, so comparing the binary version would miss six of
	// its findings), so that fixed-version matching is checked on real versions too.
	//
	//	status                            OVAL      tuples  fixed  unfixed
	//	bookworm-minbase (88 packages)    bookworm      51      0       51
	//	bookworm-plus (136)               bookworm      82      0       82
	//	bookworm-multilayer-final (127)   bookworm      62      0       62
	//	bullseye-minbase (96)             bullseye      79      0       79
	//	bullseye-minbase, 6 sources older bullseye     153     74       79
	cases := []struct {
		name, status, release, osRelease string
		// derive rewrites the status into an older one (see olderStatus).
		derive              bool
		wantSize, wantFixed int
	}{
		{"bookworm-minbase", "status.bookworm-minbase", "bookworm", "os-release.debian-12", false, 51, 0},
		{"bookworm-plus", "status.bookworm-plus", "bookworm", "os-release.debian-12", false, 82, 0},
		{"bookworm-multilayer-final", "status.bookworm-multilayer-final", "bookworm", "os-release.debian-12", false, 62, 0},
		{"bullseye-minbase", "status.bullseye-minbase", "bullseye", "os-release.debian-11", false, 79, 0},
		{"bullseye-minbase-older", "status.bullseye-minbase", "bullseye", "os-release.debian-11", true, 153, 74},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, err := os.ReadFile(filepath.Join(correctnessData, c.status))
			if err != nil {
				t.Fatal(err)
			}
			osRelease, err := os.ReadFile(filepath.Join(correctnessData, c.osRelease))
			if err != nil {
				t.Fatal(err)
			}
			oval := ovals.releases[c.release]
			if c.derive {
				var rewritten []string
				status, rewritten = olderStatus(t, status, oval)
				t.Logf("rewritten to older versions: %s", strings.Join(rewritten, ", "))
			}
			pkgs := readDpkgStatus(t, status)
			want, fixedCount, ms := expectDebian(t, pkgs, oval, ovals.aliases, dpkg)
			t.Logf("%s: %d installed packages; expected %d findings (%d with a fixed version, %d unfixed)",
				c.name, len(pkgs), len(want), fixedCount, len(want)-fixedCount)
			logMerges(t, ms)
			checkSize(t, len(want), c.wantSize)
			if fixedCount != c.wantFixed && *mergedCVEs { // the case table counts the -merged-cves expectation
				t.Errorf("the expectation has %d findings with a fixed version, the case table says %d", fixedCount, c.wantFixed)
			}
			if c.derive && fixedCount == 0 {
				t.Errorf("the derived case must exercise fixed-version comparisons, but expects no finding with a fixed version")
			}

			dirs := []imagetest.File{{Name: "etc/", Type: tar.TypeDir}, {Name: "usr/", Type: tar.TypeDir}, {Name: "usr/lib/", Type: tar.TypeDir},
				{Name: "var/", Type: tar.TypeDir}, {Name: "var/lib/", Type: tar.TypeDir}, {Name: "var/lib/dpkg/", Type: tar.TypeDir}}
			files := append(dirs,
				imagetest.File{Name: "etc/os-release", Type: tar.TypeSymlink, Linkname: "../usr/lib/os-release", Mode: 0o777},
				imagetest.File{Name: "usr/lib/os-release", Body: string(osRelease)},
				imagetest.File{Name: "var/lib/dpkg/status", Body: string(status)})
			l, err := imagetest.LayerFromFiles(files)
			if err != nil {
				t.Fatal(err)
			}
			img, err := imagetest.Image("linux/amd64", imagetest.Step{Layer: l, CreatedBy: "debootstrap --variant=minbase " + c.release})
			if err != nil {
				t.Fatal(err)
			}
			got := scanAndMatch(t, db, img, "linux/amd64", oval.namespace)
			compareFindings(t, got, want)
		})
	}
}

type debPackage struct {
	name, version, source, sourceVersion string
}

// readDpkgStatus reads the installed packages of a dpkg status file: paragraphs separated
// by blank lines; Package, Version, Source ("name" or "name (version)"), Status. A package
// whose Status state (its third word) is not-installed or config-files has no files on
// disk and is left out, as the dpkg analyzer documents.
func readDpkgStatus(t *testing.T, data []byte) []debPackage {
	t.Helper()
	out := parseDpkgParagraphs(string(data))
	if len(out) == 0 {
		t.Fatal("no installed package in the status file")
	}
	return out
}

func parseDpkgParagraphs(data string) []debPackage {
	var out []debPackage
	for _, para := range strings.Split(data, "\n\n") {
		fields := map[string]string{}
		for _, line := range strings.Split(para, "\n") {
			if line == "" || line[0] == ' ' || line[0] == '\t' {
				continue
			}
			k, v, ok := strings.Cut(line, ":")
			if !ok {
				continue
			}
			if _, dup := fields[k]; !dup {
				fields[k] = strings.TrimSpace(v)
			}
		}
		if fields["Package"] == "" {
			continue
		}
		if st := strings.Fields(fields["Status"]); len(st) == 3 && (st[2] == "not-installed" || st[2] == "config-files") {
			continue
		}
		p := debPackage{name: fields["Package"], version: fields["Version"], source: fields["Package"], sourceVersion: fields["Version"]}
		if src := fields["Source"]; src != "" {
			name, rest, hasVersion := strings.Cut(src, "(")
			p.source = strings.TrimSpace(name)
			if hasVersion {
				p.sourceVersion = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), ")"))
			}
		}
		out = append(out, p)
	}
	return out
}

// debianRow is one "<package> DPKG is earlier than <evr>" test of one definition.
type debianRow struct {
	id    string
	fixed string // "" when the evr is 0: not fixed (yet)
}

type debianOVAL struct {
	namespace string
	rows      map[string][]debianRow // source package -> rows
	// aliases are the aliases of each id whose definition gave a row (of any release): a
	// CVE definition's other CVE references, an advisory's CVE references.
	aliases map[string][]string
}

// debianOVALs is the whole Debian OVAL of the snapshot.
type debianOVALs struct {
	releases map[string]*debianOVAL
	// aliases of every id, over all releases: the DB's vulnerability records.
	aliases map[string][]string
}

var debianOVALsOnce struct {
	sync.Once
	o *debianOVALs
}

// loadDebianOVALs reads the three OVAL files once for all tests.
func loadDebianOVALs(t *testing.T) *debianOVALs {
	t.Helper()
	debianOVALsOnce.Do(func() {
		o := &debianOVALs{releases: map[string]*debianOVAL{}, aliases: map[string][]string{}}
		for _, rel := range []string{"bookworm", "bullseye", "buster"} {
			r := readDebianOVAL(t, rel)
			o.releases[rel] = r
			for id, as := range r.aliases {
				if prev, ok := o.aliases[id]; ok && strings.Join(prev, " ") != strings.Join(as, " ") {
					// The DB keeps one record per (id, source), so shipshape would see only one
					// of them: the expectation would depend on build order.
					t.Fatalf("%s has aliases %v in one OVAL file and %v in %s: decide which detect should use first", id, prev, as, rel)
				}
				o.aliases[id] = as
			}
		}
		debianOVALsOnce.o = o
	})
	if debianOVALsOnce.o == nil {
		t.Fatal("reading the Debian OVAL failed in an earlier test")
	}
	return debianOVALsOnce.o
}

var (
	debCVE      = regexp.MustCompile(`^CVE-[0-9]{4}-[0-9]{4,}$`)
	debAdvisory = regexp.MustCompile(`^D[SL]A-[0-9]+(-[0-9]+)?$`)
	debPlatform = regexp.MustCompile(`Debian GNU/Linux ([0-9]+)`)
	debRelease  = regexp.MustCompile(`^Debian (GNU/Linux )?([0-9]+)(\.[0-9]+)? is installed$`)
)

// readDebianOVAL reads the embedded oval-definitions-<release>.xml.zst with a walk of its
// own over the XML tokens. Per definition it takes, as internal/feed/debian documents:
//   - the id: the title's first word when it is a CVE id or a DSA/DLA id, else the first
//     CVE reference (a definition with neither is dropped);
//   - the release: the first platform "Debian GNU/Linux N", else a criterion "Debian N is
//     installed", else the file's; only rows of the file's own release are kept here;
//   - for each criterion naming a dpkginfo test: the package (the test's object name, or
//     the only product of the metadata when the name is empty or "None") and the version
//     of its "less than" state, "0:" dropped; version 0 means not fixed.
func readDebianOVAL(t *testing.T, release string) *debianOVAL {
	t.Helper()
	name := "oval-definitions-" + release + ".xml.zst"
	var file *snapshot.File
	for _, f := range snapshot.Files() {
		if f.Name == name {
			file = &f
		}
	}
	if file == nil {
		t.Fatalf("the embedded snapshot has no %s", name)
	}
	rc, err := file.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	zr, err := zstd.NewReader(rc)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	number := map[string]string{"bookworm": "12", "bullseye": "11", "buster": "10"}[release]

	type def struct {
		title, release, product string
		products                int
		cves                    []string
		tests                   []string
		installed               string
	}
	var (
		defs    []def
		cur     *def
		tests   = map[string][2]string{} // dpkginfo test -> object, state
		objects = map[string]string{}
		states  = map[string]string{}
		elem    string // the dpkginfo_* element being read
		elemID  string
		text    strings.Builder
		capture bool
		op      string
	)
	attr := func(se xml.StartElement, name string) string {
		for _, a := range se.Attr {
			if a.Name.Local == name {
				return a.Value
			}
		}
		return ""
	}
	dec := xml.NewDecoder(bufio.NewReaderSize(zr, 1<<20))
	for {
		tok, err := dec.RawToken()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			switch local := tok.Name.Local; {
			case local == "definition":
				defs = append(defs, def{})
				cur = &defs[len(defs)-1]
			case cur != nil && (local == "title" || local == "platform" || local == "product"):
				text.Reset()
				capture = true
			case cur != nil && local == "reference":
				if strings.EqualFold(attr(tok, "source"), "CVE") {
					cur.cves = append(cur.cves, strings.TrimSpace(attr(tok, "ref_id")))
				}
			case cur != nil && local == "criterion":
				if m := debRelease.FindStringSubmatch(strings.TrimSpace(attr(tok, "comment"))); m != nil && cur.installed == "" {
					cur.installed = m[2]
				}
				cur.tests = append(cur.tests, attr(tok, "test_ref"))
			case local == "dpkginfo_test" || local == "dpkginfo_object" || local == "dpkginfo_state":
				elem, elemID = local, attr(tok, "id")
			case elem == "dpkginfo_test" && local == "object":
				v := tests[elemID]
				v[0] = attr(tok, "object_ref")
				tests[elemID] = v
			case elem == "dpkginfo_test" && local == "state":
				v := tests[elemID]
				v[1] = attr(tok, "state_ref")
				tests[elemID] = v
			case elem == "dpkginfo_object" && local == "name":
				text.Reset()
				capture = true
			case elem == "dpkginfo_state" && local == "evr":
				op = attr(tok, "operation")
				text.Reset()
				capture = true
			}
		case xml.CharData:
			if capture {
				text.Write(tok)
			}
		case xml.EndElement:
			capture = false
			switch local := tok.Name.Local; {
			case local == "definition":
				cur = nil
			case cur != nil && local == "title":
				cur.title = text.String()
			case cur != nil && local == "platform":
				if m := debPlatform.FindStringSubmatch(text.String()); m != nil && cur.release == "" {
					cur.release = m[1]
				}
			case cur != nil && local == "product":
				cur.product = strings.TrimSpace(text.String())
				cur.products++
			case elem == "dpkginfo_object" && local == "name":
				objects[elemID] = strings.TrimSpace(text.String())
			case elem == "dpkginfo_state" && local == "evr":
				if strings.EqualFold(strings.TrimSpace(op), "less than") {
					states[elemID] = strings.TrimSpace(text.String())
				}
			case local == elem:
				elem = ""
			}
		}
	}
	o := &debianOVAL{namespace: "debian:" + number, rows: map[string][]debianRow{}, aliases: map[string][]string{}}
	seen := map[[3]string]bool{}
	for _, d := range defs {
		var cves []string
		for _, c := range d.cves {
			if debCVE.MatchString(c) {
				cves = append(cves, c)
			}
		}
		id := ""
		var aliases []string
		words := strings.Fields(d.title)
		switch {
		case len(words) > 0 && debCVE.MatchString(words[0]):
			id = words[0]
			for _, c := range cves {
				if c != id {
					aliases = append(aliases, c)
				}
			}
		case len(words) > 0 && debAdvisory.MatchString(words[0]):
			id, aliases = words[0], cves
		case len(cves) > 0:
			id, aliases = cves[0], cves[1:]
		}
		if id == "" {
			continue
		}
		rel := d.release
		if rel == "" {
			rel = d.installed
		}
		if rel == "" {
			rel = number
		}
		for _, ref := range d.tests {
			tst, ok := tests[ref]
			if !ok {
				continue
			}
			pkg := objects[tst[0]]
			if (pkg == "" || pkg == "None") && d.products == 1 {
				pkg = d.product
			}
			evr, ok := states[tst[1]]
			if pkg == "" || pkg == "None" || !ok || evr == "" {
				continue
			}
			fixed := strings.TrimPrefix(evr, "0:")
			if fixed == "0" {
				fixed = ""
			}
			as := append([]string{}, aliases...)
			sort.Strings(as)
			o.aliases[id] = as
			if rel != number {
				continue
			}
			k := [3]string{id, pkg, fixed}
			if seen[k] {
				continue
			}
			seen[k] = true
			o.rows[pkg] = append(o.rows[pkg], debianRow{id: id, fixed: fixed})
		}
	}
	if len(o.rows) == 0 {
		t.Fatalf("%s: no dpkginfo row read", name)
	}
	return o
}

// expectDebian lists what matching must find: for each installed binary package, the rows
// of its source package (compared with the source version) and, when its name differs, of
// its own name (compared with its version). An unfixed row always matches. The matching
// rows are merged by groupHits.
func expectDebian(t *testing.T, pkgs []debPackage, oval *debianOVAL, aliases map[string][]string, dpkg *dpkgOracle) (map[tuple]bool, int, mergeStats) {
	t.Helper()
	type check struct {
		inst string
		row  debianRow
	}
	checks := make([][]check, len(pkgs))
	var pairs [][2]string
	for i, p := range pkgs {
		lookups := [][2]string{{p.source, p.sourceVersion}}
		if p.name != p.source {
			lookups = append(lookups, [2]string{p.name, p.version})
		}
		for _, l := range lookups {
			for _, r := range oval.rows[l[0]] {
				checks[i] = append(checks[i], check{l[1], r})
				if r.fixed != "" {
					pairs = append(pairs, [2]string{l[1], r.fixed})
				}
			}
		}
	}
	dpkg.resolve(t, pairs)
	var ms mergeStats
	groups := make([][]hitGroup, len(pkgs))
	pairs = nil
	for i := range pkgs {
		var hits []hit
		for _, c := range checks[i] {
			if c.row.fixed == "" || dpkg.less(c.inst, c.row.fixed) {
				hits = append(hits, hit{c.row.id, c.row.fixed})
			}
		}
		groups[i] = groupHits(pkgs[i].name, hits, aliases, &ms)
		for _, g := range groups[i] {
			for _, a := range g.fixes {
				for _, b := range g.fixes {
					if a != b {
						pairs = append(pairs, [2]string{a, b})
					}
				}
			}
		}
	}
	dpkg.resolve(t, pairs)
	want := map[tuple]bool{}
	fixedCount := 0
	for i, p := range pkgs {
		for _, g := range groups[i] {
			f := tuple{pkg: p.name, id: g.id}
			for _, fx := range g.fixes {
				if f.fixed == "" || dpkg.less(f.fixed, fx) {
					f.fixed = fx
				}
			}
			if f.fixed != "" {
				fixedCount++
			}
			want[f] = true
		}
	}
	return want, fixedCount, ms
}

// logMerges says how often the expectation had to merge rows.
func logMerges(t *testing.T, ms mergeStats) {
	t.Helper()
	if ms.aliased > 0 {
		t.Logf("%d expected findings merge ids that alias one another", ms.aliased)
	}
	if len(ms.severalCVEs) > 0 {
		sort.Strings(ms.severalCVEs)
		t.Logf("%d of them merge distinct CVE ids through an advisory that names several (as detect does; -distinct-cves expects them apart): %s",
			len(ms.severalCVEs), strings.Join(ms.severalCVEs, ", "))
	}
	if ms.sameID > 0 {
		// detect keeps the first matching row of an id per source, so this would make the
		// reported fixed version depend on row order: say so if the data ever has it.
		t.Logf("%d (package, id) pairs matched rows with different fixed versions; the expectation takes the highest", ms.sameID)
	}
}

// olderStatus rewrites a status file so that a handful of source packages are at older,
// real versions: the version Debian released to fix the median (by CVE number) of the
// source's fixed OVAL rows. Six sources with at least five such rows are picked: first
// those with a binary package whose version is not the source version (an epoch of its
// own, a binNMU suffix), then the others by name. Each binary package of a picked source
// keeps its shape around the new source version V: "1:2.36.1-8+deb11u2" of source version
// "2.36.1-8+deb11u2" becomes "1:V", "8.32-4+b1" of "8.32-4" becomes "V+b1", and its Source
// field names V when the binary version differs from it. That checks that matching
// compares the source version for source-package rows (installedVersion). It returns the
// new file and what was rewritten.
func olderStatus(t *testing.T, status []byte, oval *debianOVAL) ([]byte, []string) {
	t.Helper()
	pkgs := readDpkgStatus(t, status)
	sources := map[string]bool{}
	shaped := map[string]bool{}
	for _, p := range pkgs {
		sources[p.source] = true
		if p.version != p.sourceVersion {
			shaped[p.source] = true
		}
	}
	var names []string
	for s := range sources {
		names = append(names, s)
	}
	sort.Slice(names, func(i, j int) bool {
		if shaped[names[i]] != shaped[names[j]] {
			return shaped[names[i]]
		}
		return names[i] < names[j]
	})
	older := map[string]string{}
	var picked []string
	for _, s := range names {
		var rows []debianRow
		for _, r := range oval.rows[s] {
			if r.fixed != "" && debCVE.MatchString(r.id) {
				rows = append(rows, r)
			}
		}
		if len(rows) < 5 {
			continue
		}
		sort.Slice(rows, func(i, j int) bool { return cveLess(rows[i].id, rows[j].id) })
		r := rows[len(rows)/2]
		older[s] = r.fixed
		picked = append(picked, fmt.Sprintf("%s %s (the fix of %s)", s, r.fixed, r.id))
		if len(older) == 6 {
			break
		}
	}
	if len(older) == 0 {
		t.Fatal("no source package of the status file has five fixed OVAL rows")
	}
	var b strings.Builder
	for _, para := range strings.SplitAfter(string(status), "\n\n") {
		ps := readDpkgStatusLenient(para)
		v, ok := "", false
		if ps != nil {
			v, ok = older[ps.source]
		}
		if !ok {
			b.WriteString(para)
			continue
		}
		binVersion := v
		if i := strings.Index(ps.version, ps.sourceVersion); i >= 0 && ps.version != ps.sourceVersion {
			binVersion = ps.version[:i] + v + ps.version[i+len(ps.sourceVersion):]
		}
		for _, l := range strings.SplitAfter(para, "\n") {
			switch {
			case strings.HasPrefix(l, "Version: "):
				l = "Version: " + binVersion + "\n"
			case strings.HasPrefix(l, "Source: "):
				l = "Source: " + ps.source + "\n"
				if binVersion != v {
					l = "Source: " + ps.source + " (" + v + ")\n"
				}
			}
			b.WriteString(l)
		}
		if binVersion != v {
			picked = append(picked, fmt.Sprintf("%s %s", ps.name, binVersion))
		}
	}
	return []byte(b.String()), picked
}

// readDpkgStatusLenient reads one paragraph, or returns nil when it is no package.
func readDpkgStatusLenient(para string) *debPackage {
	if !strings.Contains(para, "Package:") {
		return nil
	}
	ps := parseDpkgParagraphs(para)
	if len(ps) != 1 {
		return nil
	}
	return &ps[0]
}

// cveLess orders CVE ids by year, then number.
func cveLess(a, b string) bool {
	pa, pb := strings.Split(a, "-"), strings.Split(b, "-")
	ya, _ := strconv.Atoi(pa[1])
	yb, _ := strconv.Atoi(pb[1])
	if ya != yb {
		return ya < yb
	}
	na, _ := strconv.Atoi(pa[2])
	nb, _ := strconv.Atoi(pb[2])
	return na < nb
}

// dpkgOracle asks `dpkg --compare-versions` and remembers the answers.
type dpkgOracle struct {
	mu      sync.Mutex
	answers map[[2]string]bool
	calls   int
}

func newDpkgOracle(t *testing.T) *dpkgOracle {
	t.Helper()
	if _, err := exec.LookPath("dpkg"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("dpkg is not installed: the Debian correctness test needs `dpkg --compare-versions`")
		}
		t.Skip("dpkg is not installed: the Debian correctness test needs `dpkg --compare-versions`")
	}
	return &dpkgOracle{answers: map[[2]string]bool{}}
}

// resolve asks dpkg about every pair not asked yet: one shell per worker reads the pairs
// and runs dpkg --compare-versions for each (dpkg compares one pair per run).
func (o *dpkgOracle) resolve(t *testing.T, pairs [][2]string) {
	t.Helper()
	o.mu.Lock()
	defer o.mu.Unlock()
	var todo [][2]string
	queued := map[[2]string]bool{}
	for _, p := range pairs {
		if _, ok := o.answers[p]; ok || queued[p] {
			continue
		}
		for _, v := range p {
			if v == "" || strings.ContainsAny(v, " \t\n\"'\\$`") {
				t.Fatalf("version %q cannot be passed to dpkg", v)
			}
		}
		queued[p] = true
		todo = append(todo, p)
	}
	if len(todo) == 0 {
		return
	}
	const workers = 4
	var wg sync.WaitGroup
	results := make([][]bool, workers)
	errs := make([]error, workers)
	for w := 0; w < workers; w++ {
		var in bytes.Buffer
		var part [][2]string
		for i := w; i < len(todo); i += workers {
			part = append(part, todo[i])
			fmt.Fprintf(&in, "%s %s\n", todo[i][0], todo[i][1])
		}
		if len(part) == 0 {
			continue
		}
		wg.Add(1)
		go func(w int, in []byte, n int) {
			defer wg.Done()
			cmd := exec.Command("sh", "-c", `while read -r a b; do dpkg --compare-versions "$a" lt "$b"; echo $?; done`)
			cmd.Stdin = bytes.NewReader(in)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			if err != nil {
				errs[w] = fmt.Errorf("dpkg --compare-versions: %v: %s", err, stderr.String())
				return
			}
			codes := strings.Fields(string(out))
			if len(codes) != n {
				errs[w] = fmt.Errorf("dpkg --compare-versions: %d answers for %d pairs: %s", len(codes), n, stderr.String())
				return
			}
			res := make([]bool, n)
			for i, c := range codes {
				switch c {
				case "0":
					res[i] = true
				case "1":
				default:
					errs[w] = fmt.Errorf("dpkg --compare-versions exited %s (invalid version?): %s", c, stderr.String())
					return
				}
			}
			results[w] = res
		}(w, in.Bytes(), len(part))
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	for w := 0; w < workers; w++ {
		for j, r := range results[w] {
			o.answers[todo[w+j*workers]] = r
		}
	}
	o.calls += len(todo)
}

func (o *dpkgOracle) less(a, b string) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	r, ok := o.answers[[2]string{a, b}]
	if !ok {
		panic(fmt.Sprintf("dpkg was not asked about %q < %q", a, b))
	}
	return r
}

// ---------------------------------------------------------------------------------------
// shipshape's side, and the comparison

// scanAndMatch runs shipshape's pipeline on img as the CLI does: the image is written as a
// docker-archive, opened by source.Open, scanned layer by layer with the default analyzers
// and matched against db. It fails the test on any warning, and on findings outside
// namespace.
func scanAndMatch(t *testing.T, db Source, img v1.Image, platform, namespace string) map[tuple]bool {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	archive := filepath.Join(dir, "image.tar")
	if err := imagetest.WriteDockerArchive(archive, "shipshape.test/correctness:latest", img); err != nil {
		t.Fatal(err)
	}
	src, err := source.Open(ctx, archive, source.Options{Platform: platform, TempDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	specs := make([]layer.Spec, len(src.Layers))
	for i, l := range src.Layers {
		specs[i] = layer.Spec{DiffID: l.DiffID, Digest: l.Digest, Size: l.Size, CreatedBy: l.CreatedBy, Open: l.Open}
	}
	sc := &layer.Scanner{Walker: &layer.Walker{Analyzers: analyzers.Default()}, Parallel: 2}
	inv, err := sc.ScanImage(ctx, specs)
	if err != nil {
		t.Fatalf("scanning: %v", err)
	}
	if ns, ok := OSNamespace(inv.OS); !ok || ns != namespace {
		t.Fatalf("the OS found (%+v) maps to namespace %q, want %q", inv.OS, ns, namespace)
	}
	res, err := Match(ctx, db, inv, Options{})
	if err != nil {
		t.Fatalf("matching: %v", err)
	}
	for _, w := range append(append([]inventory.Warning{}, inv.Warnings...), res.Warnings...) {
		t.Errorf("unexpected warning: %s", w)
	}
	got := map[tuple]bool{}
	for _, f := range res.Findings {
		if f.Namespace != namespace {
			t.Errorf("%s %s: namespace %q, want %q", f.PkgName, f.ID, f.Namespace, namespace)
		}
		k := tuple{f.PkgName, f.ID, f.FixedVersion}
		if got[k] {
			t.Errorf("reported twice: %s", k)
		}
		got[k] = true
	}
	return got
}

// compareFindings fails the test with the tuples that differ.
func compareFindings(t *testing.T, got, want map[tuple]bool) {
	t.Helper()
	var missing, extra []string
	for f := range want {
		if !got[f] {
			missing = append(missing, f.String())
		}
	}
	for f := range got {
		if !want[f] {
			extra = append(extra, f.String())
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	if len(missing) > 0 {
		t.Errorf("%d expected findings shipshape did not report (package id fixed-version):\n  %s", len(missing), strings.Join(missing, "\n  "))
	}
	if len(extra) > 0 {
		t.Errorf("%d findings shipshape reported that the feed files do not support (package id fixed-version):\n  %s", len(extra), strings.Join(extra, "\n  "))
	}
}

// logSmall lists a small expected set.
func logSmall(t *testing.T, want map[tuple]bool) {
	t.Helper()
	if len(want) == 0 || len(want) > 12 {
		return
	}
	var ss []string
	for f := range want {
		ss = append(ss, f.String())
	}
	sort.Strings(ss)
	t.Logf("expected: %s", strings.Join(ss, "; "))
}

// checkSize compares an expected set's size with the size the case table states.
func checkSize(t *testing.T, got, stated int) {
	t.Helper()
	if !*mergedCVEs {
		return // the table is for detect's merge rule
	}
	if got != stated {
		t.Errorf("the expectation computed from the fixtures has %d findings, the case table says %d: if a fixture or the snapshot changed on purpose, update wantSize", got, stated)
	}
}
