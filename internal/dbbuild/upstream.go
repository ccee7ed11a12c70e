package dbbuild

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/shipshape-dev/shipshape/internal/feed"
	"github.com/shipshape-dev/shipshape/internal/feed/alpine"
	"github.com/shipshape-dev/shipshape/internal/feed/cwe"
	"github.com/shipshape-dev/shipshape/internal/feed/debian"
	"github.com/shipshape-dev/shipshape/internal/feed/endoflife"
	"github.com/shipshape-dev/shipshape/internal/feed/epss"
	"github.com/shipshape-dev/shipshape/internal/feed/kev"
	"github.com/shipshape-dev/shipshape/internal/feed/osv"
	"github.com/shipshape-dev/shipshape/internal/feed/redhat"
	"github.com/shipshape-dev/shipshape/internal/feed/ubuntu"
)

// The upstream feeds `db build --from-upstream` fetches. Each URL becomes one source, so
// `db info` shows the date and size of every release and ecosystem on its own, and a
// source that could not be fetched under --allow-partial is visibly missing.
//
// NVD is not here: its API 2.0 is paged and slow without an API key. Give NVD pages with
// `--feed nvd=FOLDER` instead.
var (
	// upstreamOSV maps the OSV bucket's ecosystem folders to source names.
	upstreamOSV = []struct{ ecosystem, name string }{
		{"Go", "osv-go"},
		{"PyPI", "osv-pypi"},
		{"crates.io", "osv-crates.io"},
		{"RubyGems", "osv-rubygems"},
		{"Packagist", "osv-packagist"},
		{"npm", "osv-npm"},
		{"Maven", "osv-maven"},
		{"NuGet", "osv-nuget"},
	}
	// upstreamAlpine are the Alpine releases fetched: those supported at the end of 2024
	// (the snapshot shipped inside shipshape covers the older ones), and edge.
	upstreamAlpine = []string{"v3.17", "v3.18", "v3.19", "v3.20", "v3.21", "v3.22", "v3.23", "edge"}
	// upstreamDebian are the Debian codenames whose OVAL is fetched.
	upstreamDebian = []string{"buster", "bullseye", "bookworm", "trixie"}
	// upstreamEOL are the endoflife.date products whose release lifecycles are fetched.
	upstreamEOL = []string{"alpine", "debian", "ubuntu", "rhel", "almalinux", "rocky-linux"}
	// restrictedUbuntu are the Ubuntu codenames whose USN OVAL --include-restricted adds.
	restrictedUbuntu = []string{"jammy", "noble"}
)

const (
	osvBucket     = "https://osv-vulnerabilities.storage.googleapis.com/"
	alpineSecdb   = "https://secdb.alpinelinux.org/"
	debianOVAL    = "https://www.debian.org/security/oval/"
	debianTracker = "https://security-tracker.debian.org/tracker/data/json"
	cisaKEV       = "https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json"
	firstEPSS     = "https://epss.empiricalsecurity.com/epss_scores-current.csv.gz"
	mitreCWE      = "https://cwe.mitre.org/data/xml/cwec_latest.xml.zip"
	ubuntuOVAL    = "https://security-metadata.canonical.com/oval/"
	redhatOVAL9   = "https://security.access.redhat.com/data/oval/v2/RHEL9/rhel-9.oval.xml.bz2"
	endOfLife     = "https://endoflife.date/api/v1/products/"
)

// Upstream returns the redistributable upstream feeds, one Source per URL, with fresh
// parsers: OSV per ecosystem, the Alpine secdb, Debian OVAL and the Debian security
// tracker, CISA KEV, EPSS, the CWE catalog and release lifecycles from endoflife.date.
func Upstream() []Source {
	var out []Source
	for _, e := range upstreamOSV {
		out = append(out, upstreamSource(e.name, osv.New(), osvBucket+e.ecosystem+"/all.zip"))
	}
	for _, rel := range upstreamAlpine {
		for _, repo := range []string{"main", "community"} {
			out = append(out, upstreamSource("alpine-"+rel+"-"+repo, alpine.New(), alpineSecdb+rel+"/"+repo+".json"))
		}
	}
	for _, code := range upstreamDebian {
		out = append(out, upstreamSource("debian-oval-"+code, debian.New(), debianOVAL+"oval-definitions-"+code+".xml.bz2"))
	}
	out = append(out,
		upstreamSource("debian-tracker", debian.NewTracker(), debianTracker),
		upstreamSource("cisa-kev", kev.New(), cisaKEV),
		upstreamSource("first-epss", epss.New(), firstEPSS),
		upstreamSource("mitre-cwe", cwe.New(), mitreCWE),
	)
	for _, p := range upstreamEOL {
		out = append(out, upstreamSource("endoflife-"+p, endoflife.New(), endOfLife+p))
	}
	return out
}

// UpstreamRestricted returns the upstream feeds whose terms keep them out of the
// snapshot shipped with shipshape — Ubuntu's USN OVAL (GPL-3.0) and Red Hat's OVAL — for
// users who build them into their own DB (`--include-restricted`).
func UpstreamRestricted() []Source {
	var out []Source
	for _, code := range restrictedUbuntu {
		out = append(out, upstreamSource("ubuntu-oval-"+code, ubuntu.New(), ubuntuOVAL+"com.ubuntu."+code+".usn.oval.xml.bz2"))
	}
	return append(out, upstreamSource("redhat-oval-rhel9", redhat.New(), redhatOVAL9))
}

func upstreamSource(name string, f feed.Feed, u string) Source {
	s := Source{Name: name, Feed: f, Location: u, Origin: u}
	if in, ok := f.(interface{ Info() feed.Info }); ok {
		s.Licence = in.Info().Licence
	}
	return s
}

// IsURL reports whether a source location is an http(s) URL.
func IsURL(loc string) bool {
	return strings.HasPrefix(loc, "http://") || strings.HasPrefix(loc, "https://")
}

// FetchOptions tune Fetch.
type FetchOptions struct {
	// HTTPClient downloads; nil means a client with a 30-minute limit per download.
	HTTPClient *http.Client
	// Progress, when set, wraps each download to show its progress (name is the URL,
	// size the Content-Length or -1).
	Progress func(name string, size int64, r io.Reader) io.Reader
	// AllowPartial turns a source that cannot be fetched into a warning, and the source is
	// left out. Without it, any such source fails the fetch.
	AllowPartial bool
	// Parallel is how many downloads run at once; 0 means 4.
	Parallel int
	// Attempts is how often a download is tried when it fails in a way that may pass (a
	// network error, HTTP 408, 429 or 5xx, a body cut short); 0 means 3.
	Attempts int
	// RetryWait is the pause before the second attempt, doubled for each later one; 0
	// means 2 seconds.
	RetryWait time.Duration
}

// Fetch downloads every http(s) source into dir and returns the sources with those
// pointing at their downloaded files (the file keeps the URL's name, which the feed's
// Match sees, and Origin keeps the URL); other sources come back as they are. A source
// without a data date gets the download's Last-Modified time when its feed does not learn
// the date from the data.
//
// A download that fails — after retrying what may pass — fails Fetch with an error naming
// the source and URL, since a silently partial DB is worse than none. With
// opts.AllowPartial the source is dropped instead and a warning names it; Fetch still fails
// when not one URL source could be fetched.
func Fetch(ctx context.Context, sources []Source, dir string, opts FetchOptions) ([]Source, []string, error) {
	if opts.HTTPClient == nil {
		opts.HTTPClient = &http.Client{Timeout: 30 * time.Minute}
	}
	if opts.Parallel <= 0 {
		opts.Parallel = 4
	}
	if opts.Attempts <= 0 {
		opts.Attempts = 3
	}
	if opts.RetryWait <= 0 {
		opts.RetryWait = 2 * time.Second
	}
	fctx, cancel := context.WithCancel(ctx)
	defer cancel()

	out := make([]Source, len(sources))
	errs := make([]error, len(sources))
	sem := make(chan struct{}, opts.Parallel)
	var wg sync.WaitGroup
	for i, src := range sources {
		out[i] = src
		if !IsURL(src.Location) || src.Open != nil {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-fctx.Done():
				errs[i] = fctx.Err()
				return
			}
			defer func() { <-sem }()
			local, err := fetchSource(fctx, src, filepath.Join(dir, fmt.Sprintf("%03d", i)), opts)
			if err != nil {
				errs[i] = fmt.Errorf("fetching %s from %s: %w", src.name(), src.Location, err)
				if !opts.AllowPartial {
					cancel() // one failure fails the whole fetch: stop the others
				}
				return
			}
			out[i] = local
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}

	var kept []Source
	var warnings []string
	var failed []error
	urls, fetched := 0, 0
	for i, err := range errs {
		if IsURL(sources[i].Location) && sources[i].Open == nil {
			urls++
			if err == nil {
				fetched++
			}
		}
		switch {
		case err == nil:
			kept = append(kept, out[i])
		case errors.Is(err, context.Canceled):
			// Stopped because another source failed; that failure is the error.
		case opts.AllowPartial:
			warnings = append(warnings, err.Error()+"; left out of the DB (--allow-partial)")
		default:
			failed = append(failed, err)
		}
	}
	if len(failed) > 0 {
		return nil, nil, errors.Join(failed...)
	}
	if urls > 0 && fetched == 0 {
		return nil, warnings, fmt.Errorf("no source could be fetched:\n  %s", strings.Join(warnings, "\n  "))
	}
	return kept, warnings, nil
}

// fetchSource downloads src into dir and returns src pointing at the file.
func fetchSource(ctx context.Context, src Source, dir string, opts FetchOptions) (Source, error) {
	u, err := url.Parse(src.Location)
	if err != nil {
		return src, err
	}
	name := path.Base(u.Path)
	if name == "." || name == "/" || name == "" {
		name = "download"
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return src, err
	}
	file := filepath.Join(dir, name)
	var modified time.Time
	wait := opts.RetryWait
	for attempt := 1; ; attempt++ {
		modified, err = download(ctx, opts, src.Location, file)
		if err == nil || attempt >= opts.Attempts || !transient(ctx, err) {
			break
		}
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return src, ctx.Err()
		}
		wait *= 2
	}
	if err != nil {
		return src, err
	}
	local := src
	local.Location = file
	local.Open = nil
	if local.Origin == "" {
		local.Origin = src.Location
	}
	if _, learns := src.Feed.(dataDater); local.DataDate == "" && !learns && !modified.IsZero() {
		local.DataDate = modified.UTC().Format(time.RFC3339)
	}
	return local, nil
}

// retryable marks a download failure that may pass on another attempt.
type retryable struct{ err error }

func (e retryable) Error() string { return e.err.Error() }
func (e retryable) Unwrap() error { return e.err }

func transient(ctx context.Context, err error) bool {
	if ctx.Err() != nil {
		return false
	}
	var r retryable
	return errors.As(err, &r)
}

// download writes url's body to file and returns its Last-Modified time, if any. A body
// shorter than its Content-Length is an error.
func download(ctx context.Context, opts FetchOptions, url, file string) (time.Time, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return time.Time{}, err
	}
	req.Header.Set("User-Agent", "shipshape-db-build")
	resp, err := opts.HTTPClient.Do(req)
	if err != nil {
		return time.Time{}, retryable{err}
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		err := fmt.Errorf("HTTP %s", resp.Status)
		switch {
		case resp.StatusCode == http.StatusRequestTimeout, resp.StatusCode == http.StatusTooManyRequests, resp.StatusCode >= 500:
			return time.Time{}, retryable{err}
		}
		return time.Time{}, err
	}
	var r io.Reader = resp.Body
	if opts.Progress != nil {
		r = opts.Progress(url, resp.ContentLength, r)
	}
	f, err := os.Create(file)
	if err != nil {
		return time.Time{}, err
	}
	n, err := io.Copy(fileWriter{f}, r)
	if cerr := f.Close(); err == nil && cerr != nil {
		err = fileError{cerr}
	}
	var ferr fileError
	switch {
	case err == nil && resp.ContentLength >= 0 && n != resp.ContentLength:
		err = retryable{fmt.Errorf("got %d of %d bytes (cut short)", n, resp.ContentLength)}
	case err == nil:
	case ctx.Err() != nil:
		err = ctx.Err()
	case errors.As(err, &ferr):
		err = fmt.Errorf("writing %s: %w", file, ferr.err)
	case errors.Is(err, io.ErrUnexpectedEOF):
		err = retryable{fmt.Errorf("got %d of %d bytes (cut short): %w", n, resp.ContentLength, err)}
	default:
		err = retryable{fmt.Errorf("reading the body: %w", err)}
	}
	if err != nil {
		os.Remove(file)
		return time.Time{}, err
	}
	modified, _ := http.ParseTime(resp.Header.Get("Last-Modified"))
	return modified, nil
}

// fileWriter tells errors writing the download apart from errors reading it: only the
// latter are worth another attempt.
type fileWriter struct{ f *os.File }

func (w fileWriter) Write(p []byte) (int, error) {
	n, err := w.f.Write(p)
	if err != nil {
		err = fileError{err}
	}
	return n, err
}

type fileError struct{ err error }

func (e fileError) Error() string { return e.err.Error() }

// FetchAndBuild fetches the URL sources into a temporary folder next to out, then calls
// build — Build, or a wrapper that adds sources of its own — with the fetched list, and
// removes the folder. Fetch warnings come first in the summary's warnings. When nothing
// can be fetched (or, without opts.AllowPartial, when any one source cannot), build is not
// called and nothing is written to out.
func FetchAndBuild(ctx context.Context, out string, sources []Source, opts FetchOptions,
	build func(ctx context.Context, out string, sources []Source) (*Summary, error)) (*Summary, error) {
	needed := false
	for _, s := range sources {
		if IsURL(s.Location) && s.Open == nil {
			needed = true
		}
	}
	var warnings []string
	if needed {
		if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
			return nil, err
		}
		dir, err := os.MkdirTemp(filepath.Dir(out), ".shipshape-download-*")
		if err != nil {
			return nil, fmt.Errorf("creating a folder for the downloads: %w", err)
		}
		defer os.RemoveAll(dir)
		sources, warnings, err = Fetch(ctx, sources, dir, opts)
		if err != nil {
			return nil, err
		}
	}
	sum, err := build(ctx, out, sources)
	if err != nil {
		return nil, err
	}
	sum.Warnings = append(warnings, sum.Warnings...)
	return sum, nil
}
