package dbbuild

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shipshape-dev/shipshape/internal/vulndb"
)

// fakeUpstream serves the sample files at the production URLs: its client's transport
// sends every request to the test server, keeping the path and the Host header, so the
// URLs Upstream() returns are fetched unchanged.
type fakeUpstream struct {
	srv      *httptest.Server
	files    map[string][]byte // production URL -> body
	modified time.Time         // Last-Modified of every file

	mu     sync.Mutex
	broken map[string]string // URL -> "404", "short" (Content-Length beyond the body) or "503-once"
	hits   map[string]int
}

func newFakeUpstream(t *testing.T) *fakeUpstream {
	t.Helper()
	f := &fakeUpstream{
		files:    upstreamSamples(t),
		modified: time.Date(2026, 11, 20, 6, 0, 0, 0, time.UTC),
		broken:   map[string]string{},
		hits:     map[string]int{},
	}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeUpstream) serve(w http.ResponseWriter, r *http.Request) {
	u := "https://" + r.Host + r.URL.Path
	f.mu.Lock()
	f.hits[u]++
	hits, mode := f.hits[u], f.broken[u]
	f.mu.Unlock()
	body, ok := f.files[u]
	switch {
	case !ok || mode == "404":
		http.NotFound(w, r)
		return
	case mode == "503-once" && hits == 1:
		http.Error(w, "try again", http.StatusServiceUnavailable)
		return
	}
	size := len(body)
	if mode == "short" {
		size += 1000
	}
	w.Header().Set("Content-Length", strconv.Itoa(size))
	w.Header().Set("Last-Modified", f.modified.Format(http.TimeFormat))
	w.Write(body)
}

func (f *fakeUpstream) breakURL(u, mode string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.broken[u] = mode
}

func (f *fakeUpstream) requests(u string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.hits[u]
}

func (f *fakeUpstream) client() *http.Client {
	target, _ := url.Parse(f.srv.URL)
	return &http.Client{Transport: toServer{target: target, next: f.srv.Client().Transport}}
}

// toServer rewrites each request's scheme and host to the test server's; the Host header
// keeps the production host, which the server uses to find the file.
type toServer struct {
	target *url.URL
	next   http.RoundTripper
}

func (t toServer) RoundTrip(req *http.Request) (*http.Response, error) {
	r := req.Clone(req.Context())
	r.URL.Scheme, r.URL.Host = t.target.Scheme, t.target.Host
	r.Host = req.URL.Host
	return t.next.RoundTrip(r)
}

// upstreamSamples maps every production URL of Upstream() and UpstreamRestricted() to
// real sample data in the same format (see testdata/upstream/README.md).
func upstreamSamples(t *testing.T) map[string][]byte {
	t.Helper()
	feeds := filepath.Join("..", "feed")
	osvData := filepath.Join(feeds, "osv", "testdata")
	ghsa := ghsaByEcosystem(t, filepath.Join(osvData, "ghsa"), filepath.Join("testdata", "upstream", "ghsa"))
	glob := func(pattern string) []string {
		m, err := filepath.Glob(pattern)
		if err != nil || len(m) == 0 {
			t.Fatalf("no sample files %s", pattern)
		}
		return m
	}
	s := map[string][]byte{
		osvBucket + "Go/all.zip":        zipFiles(t, glob(filepath.Join(osvData, "go", "*.json"))),
		osvBucket + "PyPI/all.zip":      zipFiles(t, append(glob(filepath.Join(osvData, "pypa", "*.yaml")), ghsa["PyPI"]...)),
		osvBucket + "crates.io/all.zip": zipFiles(t, glob(filepath.Join(osvData, "rustsec", "*.json"))),
		osvBucket + "RubyGems/all.zip":  zipFiles(t, ghsa["RubyGems"]),
		osvBucket + "Packagist/all.zip": zipFiles(t, ghsa["Packagist"]),
		osvBucket + "npm/all.zip":       zipFiles(t, ghsa["npm"]),
		osvBucket + "Maven/all.zip":     zipFiles(t, ghsa["Maven"]),
		osvBucket + "NuGet/all.zip":     zipFiles(t, ghsa["NuGet"]),

		debianOVAL + "oval-definitions-buster.xml.bz2":   readFile(t, filepath.Join("testdata", "upstream", "oval-definitions-buster.excerpt.xml.bz2")),
		debianOVAL + "oval-definitions-bullseye.xml.bz2": readFile(t, filepath.Join(feeds, "debian", "testdata", "oval-definitions-bullseye.excerpt.xml.bz2")),
		debianOVAL + "oval-definitions-bookworm.xml.bz2": readFile(t, filepath.Join(feeds, "debian", "testdata", "oval-definitions-bookworm.excerpt.xml.bz2")),
		// No trixie OVAL sample exists: the bookworm excerpt stands in. The parser takes the
		// release from the definitions, so its records land in debian:12.
		debianOVAL + "oval-definitions-trixie.xml.bz2": readFile(t, filepath.Join(feeds, "debian", "testdata", "oval-definitions-bookworm.excerpt.xml.bz2")),
		debianTracker: readFile(t, filepath.Join(feeds, "debian", "testdata", "tracker-vunnel-sample.json")),

		cisaKEV:   gunzip(t, readFile(t, filepath.Join(feeds, "kev", "testdata", "known_exploited_vulnerabilities.json.gz"))),
		firstEPSS: gzipBytes(t, readFile(t, filepath.Join(feeds, "epss", "testdata", "example-1.csv"))),
		// MITRE's zip holds cwec_vX.Y.xml; no real XML catalog is at hand, so the zip holds
		// the real dictionary excerpt in JSON, which the cwe feed reads as well.
		mitreCWE: zipBytes(t, map[string][]byte{"cwe-dictionary-excerpt.json": gunzip(t, readFile(t, filepath.Join(feeds, "cwe", "testdata", "cwe-dictionary-excerpt.json.gz")))}),

		ubuntuOVAL + "com.ubuntu.jammy.usn.oval.xml.bz2": readFile(t, filepath.Join(feeds, "ubuntu", "testdata", "com.ubuntu.jammy.usn.oval.excerpt.xml.bz2")),
		ubuntuOVAL + "com.ubuntu.noble.usn.oval.xml.bz2": readFile(t, filepath.Join(feeds, "ubuntu", "testdata", "com.ubuntu.noble.usn.oval.excerpt.xml.bz2")),
		redhatOVAL9: readFile(t, filepath.Join(feeds, "redhat", "testdata", "com.redhat.rhsa-RHEL9.excerpt.xml.bz2")),
	}
	for _, rel := range upstreamAlpine {
		for _, repo := range []string{"main", "community"} {
			sample := rel
			if rel == "v3.22" || rel == "v3.23" {
				// Stand-ins: the project's secdb data predates these releases; the v3.21
				// files land in alpine:3.21 (the parser reads the release from the file).
				sample = "v3.21"
			}
			s[alpineSecdb+rel+"/"+repo+".json"] = readFile(t, filepath.Join("testdata", "upstream", "alpine", sample, repo+".json"))
		}
	}
	for _, p := range upstreamEOL {
		sample := p
		if p == "almalinux" || p == "rocky-linux" {
			// Stand-ins: the RHEL lifecycle, which the parser files under the product's family.
			sample = "rhel"
		}
		s[endOfLife+p] = readFile(t, filepath.Join(feeds, "endoflife", "testdata", sample))
	}
	return s
}

// ghsaByEcosystem sorts GHSA advisory files by the ecosystem of their first package.
func ghsaByEcosystem(t *testing.T, dirs ...string) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, dir := range dirs {
		files, _ := filepath.Glob(filepath.Join(dir, "GHSA-*.json"))
		for _, f := range files {
			var adv struct {
				Affected []struct {
					Package struct{ Ecosystem string } `json:"package"`
				} `json:"affected"`
			}
			if err := json.Unmarshal(readFile(t, f), &adv); err != nil || len(adv.Affected) == 0 {
				t.Fatalf("%s: %v", f, err)
			}
			eco := adv.Affected[0].Package.Ecosystem
			out[eco] = append(out[eco], f)
		}
	}
	return out
}

func readFile(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// zipFiles zips files flat, by base name, as the OSV bucket's all.zip is laid out.
func zipFiles(t *testing.T, files []string) []byte {
	t.Helper()
	if len(files) == 0 {
		t.Fatal("no files to zip")
	}
	m := map[string][]byte{}
	for _, f := range files {
		m[filepath.Base(f)] = readFile(t, f)
	}
	return zipBytes(t, m)
}

func zipBytes(t *testing.T, files map[string][]byte) []byte {
	t.Helper()
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, n := range names {
		w, err := zw.Create(n)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(files[n])
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func gunzip(t *testing.T, data []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func gzipBytes(t *testing.T, data []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(data)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func allUpstream() []Source { return append(Upstream(), UpstreamRestricted()...) }

func upstreamNamed(t *testing.T, name string) Source {
	t.Helper()
	for _, s := range allUpstream() {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("no upstream source %s", name)
	return Source{}
}

// fetchOpts fetches from the fake upstream, with short pauses between attempts.
func fetchOpts(f *fakeUpstream) FetchOptions {
	return FetchOptions{HTTPClient: f.client(), RetryWait: time.Millisecond}
}

func buildWith(opts Options) func(context.Context, string, []Source) (*Summary, error) {
	return func(ctx context.Context, out string, srcs []Source) (*Summary, error) {
		return Build(ctx, out, srcs, opts)
	}
}

func TestUpstreamList(t *testing.T) {
	var names []string
	seen := map[string]bool{}
	for _, s := range allUpstream() {
		names = append(names, s.Name)
		if seen[s.Name] || seen[s.Location] {
			t.Errorf("%s (%s) is listed twice", s.Name, s.Location)
		}
		seen[s.Name], seen[s.Location] = true, true
		if !strings.HasPrefix(s.Location, "https://") || s.Origin != s.Location || s.Licence == "" || s.Feed == nil {
			t.Errorf("%+v: want an https URL as location and origin, a licence and a feed", s)
		}
		// Build hands the URL's file name to the feed (compressed files by their inner
		// name, zip files member by member).
		base := path.Base(s.Location)
		for _, ext := range []string{".bz2", ".gz"} {
			base = strings.TrimSuffix(base, ext)
		}
		if !strings.HasSuffix(base, ".zip") && !s.Feed.Match(base) {
			t.Errorf("%s: feed %s does not read %q, the file name of %s", s.Name, s.Feed.Name(), base, s.Location)
		}
	}
	want := []string{
		"osv-go", "osv-pypi", "osv-crates.io", "osv-rubygems", "osv-packagist", "osv-npm", "osv-maven", "osv-nuget",
		"alpine-v3.17-main", "alpine-v3.17-community", "alpine-v3.18-main", "alpine-v3.18-community",
		"alpine-v3.19-main", "alpine-v3.19-community", "alpine-v3.20-main", "alpine-v3.20-community",
		"alpine-v3.21-main", "alpine-v3.21-community", "alpine-v3.22-main", "alpine-v3.22-community",
		"alpine-v3.23-main", "alpine-v3.23-community", "alpine-edge-main", "alpine-edge-community",
		"debian-oval-buster", "debian-oval-bullseye", "debian-oval-bookworm", "debian-oval-trixie",
		"debian-tracker", "cisa-kev", "first-epss", "mitre-cwe",
		"endoflife-alpine", "endoflife-debian", "endoflife-ubuntu", "endoflife-rhel", "endoflife-almalinux", "endoflife-rocky-linux",
		"ubuntu-oval-jammy", "ubuntu-oval-noble", "redhat-oval-rhel9",
	}
	if strings.Join(names, " ") != strings.Join(want, " ") {
		t.Errorf("upstream sources:\n got %v\nwant %v", names, want)
	}
	for _, s := range Upstream() {
		if strings.HasPrefix(s.Name, "ubuntu-") || strings.HasPrefix(s.Name, "redhat-") {
			t.Errorf("%s is restricted data but in Upstream()", s.Name)
		}
	}
	// Each call gives fresh parsers: feeds that learn their data's date keep state.
	if upstreamNamed(t, "cisa-kev").Feed == upstreamNamed(t, "cisa-kev").Feed {
		t.Error("Upstream() shares parser instances between calls")
	}
}

// TestFetchAndBuildUpstream fetches every production URL from the fake upstream and
// builds a DB: every source is in the metadata with records, its URL as origin, and a
// known record of each sample can be looked up.
func TestFetchAndBuildUpstream(t *testing.T) {
	f := newFakeUpstream(t)
	srcs := allUpstream()
	for _, s := range srcs {
		if _, ok := f.files[s.Location]; !ok {
			t.Fatalf("no sample for %s", s.Location)
		}
	}
	out := filepath.Join(t.TempDir(), "db", "shipshape.db")
	var progressed sync.Map
	opts := fetchOpts(f)
	opts.Progress = func(name string, size int64, r io.Reader) io.Reader {
		progressed.Store(name, size)
		return r
	}
	sum, err := FetchAndBuild(context.Background(), out, srcs, opts, buildWith(Options{}))
	if err != nil {
		t.Fatal(err)
	}
	if len(sum.Warnings) != 0 {
		t.Errorf("warnings: %v", sum.Warnings)
	}
	for _, s := range srcs {
		if n := f.requests(s.Location); n != 1 {
			t.Errorf("%s requested %d times, want once", s.Location, n)
		}
		if size, ok := progressed.Load(s.Location); !ok || size.(int64) != int64(len(f.files[s.Location])) {
			t.Errorf("progress for %s: size %v (reported %v), want %d", s.Location, size, ok, len(f.files[s.Location]))
		}
	}
	left, _ := filepath.Glob(filepath.Join(filepath.Dir(out), ".shipshape-*"))
	if len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}

	db, err := vulndb.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	meta := map[string]vulndb.SourceInfo{}
	for _, si := range db.Meta().Sources {
		meta[si.Name] = si
	}
	if len(meta) != len(srcs) {
		t.Errorf("DB has %d sources, want %d: %+v", len(meta), len(srcs), db.Meta().Sources)
	}
	for _, s := range srcs {
		si, ok := meta[s.Name]
		switch {
		case !ok:
			t.Errorf("source %s missing from the DB metadata", s.Name)
		case si.Records == 0:
			t.Errorf("source %s has no records", s.Name)
		case si.Origin != s.Location:
			t.Errorf("source %s: origin %q, want %q", s.Name, si.Origin, s.Location)
		case si.Licence == "":
			t.Errorf("source %s: no licence", s.Name)
		}
	}
	// Feeds that date their own data keep that date; the others take Last-Modified.
	for name, want := range map[string]string{
		"cisa-kev":          "2025-08-25T17:04:19.9796Z",
		"first-epss":        "2025-02-20",
		"alpine-v3.19-main": "2026-11-20T06:00:00Z",
		"osv-go":            "2026-11-20T06:00:00Z",
	} {
		if got := meta[name].DataDate; got != want {
			t.Errorf("%s: data date %q, want %q", name, got, want)
		}
	}

	ctx := context.Background()
	affected := []struct{ source, ns, pkg, id string }{
		{"osv-go", "go", "github.com/goharbor/harbor", "GO-2024-2916"},
		{"osv-pypi", "pypi", "pyyaml", "GHSA-8q59-q68h-6hv4"},
		{"osv-crates.io", "crates.io", "cap-primitives", "RUSTSEC-2024-0445"},
		{"osv-rubygems", "rubygems", "nokogiri", "GHSA-crjr-9rc5-ghw8"},
		{"osv-packagist", "packagist", "guzzlehttp/guzzle", "GHSA-25mq-v84q-4j7r"},
		{"osv-npm", "npm", "lodash", "GHSA-29mw-wpgm-hmr9"},
		{"osv-maven", "maven", "org.springframework:spring-beans", "GHSA-36p3-wjmg-h94x"},
		{"osv-nuget", "nuget", "newtonsoft.json", "GHSA-5crp-9r3c-p9vr"},
		{"alpine-v3.17-main", "alpine:3.17", "openssl", "CVE-2023-3446"},
		{"alpine-v3.17-community", "alpine:3.17", "go", "CVE-2018-6574"},
		{"alpine-v3.18-main", "alpine:3.18", "openssl", "CVE-2024-9143"},
		{"alpine-v3.18-community", "alpine:3.18", "go", "CVE-2018-6574"},
		{"alpine-v3.19-main", "alpine:3.19", "openssl", "CVE-2024-9143"},
		{"alpine-v3.19-community", "alpine:3.19", "go", "CVE-2018-6574"},
		{"alpine-v3.20-main", "alpine:3.20", "openssl", "CVE-2024-9143"},
		{"alpine-v3.20-community", "alpine:3.20", "go", "CVE-2018-6574"},
		{"alpine-v3.21-main", "alpine:3.21", "openssl", "CVE-2024-9143"},
		{"alpine-v3.21-community", "alpine:3.21", "go", "CVE-2018-6574"},
		{"alpine-edge-main", "alpine:edge", "openssl", "CVE-2024-9143"},
		{"alpine-edge-community", "alpine:edge", "go", "CVE-2018-6574"},
		{"debian-oval-buster", "debian:10", "openssl", "CVE-2023-0286"},
		{"debian-oval-bullseye", "debian:11", "openssl", "CVE-2023-0286"},
		{"debian-oval-bookworm", "debian:12", "openssl", "CVE-2023-0286"},
		{"debian-tracker", "debian:13", "sope", "CVE-2025-53603"},
		{"ubuntu-oval-jammy", "ubuntu:22.04", "openssl", "CVE-2022-1292"},
		{"ubuntu-oval-noble", "ubuntu:24.04", "libexpat1", "CVE-2024-45490"},
		{"redhat-oval-rhel9", "rhel:9", "gzip", "CVE-2022-1271"},
	}
	for _, c := range affected {
		as, err := db.Affected(ctx, c.ns, c.pkg)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, a := range as {
			found = found || a.VulnID == c.id
		}
		if !found {
			t.Errorf("%s: %s is not recorded for %s in %s (got %d entries)", c.source, c.id, c.pkg, c.ns, len(as))
		}
	}
	if k, err := db.KEV(ctx, []string{"CVE-2025-48384"}); err != nil || k["CVE-2025-48384"].VendorProject != "Git" {
		t.Errorf("cisa-kev: CVE-2025-48384 = %+v, %v", k, err)
	}
	if e, err := db.EPSS(ctx, []string{"CVE-1999-0001"}); err != nil || e["CVE-1999-0001"].Score != 0.00383 {
		t.Errorf("first-epss: CVE-1999-0001 = %+v, %v", e, err)
	}
	if c, err := db.CWENames(ctx, []string{"CWE-79"}); err != nil || !strings.Contains(c["CWE-79"], "Cross-site Scripting") {
		t.Errorf("mitre-cwe: CWE-79 = %q, %v", c["CWE-79"], err)
	}
	for ns, eol := range map[string]string{"debian:11": "2026-08-31", "alpine:3.16": "2024-05-23", "ubuntu:22.04": "2027-06-01",
		"rhel:9": "2032-05-31", "almalinux:9": "2032-05-31", "rocky:8": "2029-05-31"} {
		if r, err := db.Release(ctx, ns); err != nil || r == nil || r.EOL != eol {
			t.Errorf("endoflife: %s = %+v, %v; want end of life %s", ns, r, err, eol)
		}
	}
}

func TestFetchFailureFailsTheBuild(t *testing.T) {
	f := newFakeUpstream(t)
	bad := osvBucket + "npm/all.zip"
	f.breakURL(bad, "404")
	dir := t.TempDir()
	out := filepath.Join(dir, "shipshape.db")
	built := false
	_, err := FetchAndBuild(context.Background(), out, Upstream(), fetchOpts(f), func(ctx context.Context, out string, srcs []Source) (*Summary, error) {
		built = true
		return Build(ctx, out, srcs, Options{})
	})
	if err == nil || !strings.Contains(err.Error(), bad) || !strings.Contains(err.Error(), "404") || !strings.Contains(err.Error(), "osv-npm") {
		t.Fatalf("error %v, want one naming osv-npm, %s and the 404", err, bad)
	}
	if built {
		t.Error("the build ran although a source could not be fetched")
	}
	if n := f.requests(bad); n != 1 {
		t.Errorf("a 404 was requested %d times; it is not worth retrying", n)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("a DB file was left at %s (%v)", out, err)
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Errorf("files left in the output folder: %v", left)
	}
}

func TestAllowPartial(t *testing.T) {
	f := newFakeUpstream(t)
	bad := alpineSecdb + "v3.20/community.json"
	f.breakURL(bad, "404")
	out := filepath.Join(t.TempDir(), "shipshape.db")
	opts := fetchOpts(f)
	opts.AllowPartial = true
	sum, err := FetchAndBuild(context.Background(), out, Upstream(), opts, buildWith(Options{}))
	if err != nil {
		t.Fatal(err)
	}
	if len(sum.Warnings) != 1 || !strings.Contains(sum.Warnings[0], bad) || !strings.Contains(sum.Warnings[0], "alpine-v3.20-community") {
		t.Errorf("warnings %q, want one naming %s", sum.Warnings, bad)
	}
	if len(sum.Sources) != len(Upstream())-1 {
		t.Errorf("%d sources built, want %d", len(sum.Sources), len(Upstream())-1)
	}
	for _, si := range sum.Sources {
		if si.Name == "alpine-v3.20-community" {
			t.Error("the source that failed is in the DB")
		}
	}
}

func TestAllowPartialNothingFetched(t *testing.T) {
	f := newFakeUpstream(t)
	srcs := Upstream()[:2]
	for _, s := range srcs {
		f.breakURL(s.Location, "404")
	}
	// A local source beside them does not make a DB of it.
	srcs = append(srcs, testSources(t)[0])
	out := filepath.Join(t.TempDir(), "shipshape.db")
	opts := fetchOpts(f)
	opts.AllowPartial = true
	_, err := FetchAndBuild(context.Background(), out, srcs, opts, buildWith(Options{}))
	if err == nil || !strings.Contains(err.Error(), "no source could be fetched") || !strings.Contains(err.Error(), srcs[1].Location) {
		t.Fatalf("error %v, want one saying nothing was fetched", err)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("a DB file was left at %s", out)
	}
}

func TestFetchCutShort(t *testing.T) {
	f := newFakeUpstream(t)
	bad := cisaKEV
	f.breakURL(bad, "short")

	srcs := []Source{upstreamNamed(t, "osv-go"), upstreamNamed(t, "cisa-kev")}
	out := filepath.Join(t.TempDir(), "shipshape.db")
	opts := fetchOpts(f)
	opts.Attempts = 2
	_, err := FetchAndBuild(context.Background(), out, srcs, opts, buildWith(Options{}))
	if err == nil || !strings.Contains(err.Error(), bad) || !strings.Contains(err.Error(), "cut short") {
		t.Fatalf("error %v, want a cut-short download of %s", err, bad)
	}
	if n := f.requests(bad); n != 2 {
		t.Errorf("cut-short download tried %d times, want 2", n)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("a DB file was left at %s", out)
	}
}

func TestFetchRetriesTransientErrors(t *testing.T) {
	f := newFakeUpstream(t)
	flaky := firstEPSS
	f.breakURL(flaky, "503-once")
	out := filepath.Join(t.TempDir(), "shipshape.db")
	sum, err := FetchAndBuild(context.Background(), out, []Source{upstreamNamed(t, "first-epss")}, fetchOpts(f), buildWith(Options{}))
	if err != nil {
		t.Fatal(err)
	}
	if n := f.requests(flaky); n != 2 {
		t.Errorf("requested %d times, want 2 (a 503, then the file)", n)
	}
	if len(sum.Sources) != 1 || sum.Sources[0].Records == 0 {
		t.Errorf("sources %+v", sum.Sources)
	}
}

// TestFetchKeepsLocalSources: files, folders and embedded sources pass through Fetch as
// they are, mixed with URLs.
func TestFetchKeepsLocalSources(t *testing.T) {
	f := newFakeUpstream(t)
	local := testSources(t)[0]
	embedded := Source{Name: "embedded", Feed: local.Feed, Location: "https://example.invalid/x.json", Open: func() (io.ReadCloser, error) {
		return io.NopCloser(strings.NewReader("")), nil
	}}
	srcs := []Source{local, Upstream()[0], embedded}
	got, warnings, err := Fetch(context.Background(), srcs, t.TempDir(), fetchOpts(f))
	if err != nil || len(warnings) != 0 {
		t.Fatal(err, warnings)
	}
	if len(got) != 3 || got[0].Location != local.Location || got[2].Location != embedded.Location || got[2].Open == nil {
		t.Errorf("local or embedded sources changed: %+v", got)
	}
	if got[1].Location == srcs[1].Location || filepath.Base(got[1].Location) != "all.zip" || got[1].Origin != srcs[1].Location {
		t.Errorf("URL source not fetched to a local all.zip: %+v", got[1])
	}
	if f.requests("https://example.invalid/x.json") != 0 {
		t.Error("a source with Open was fetched")
	}
}
