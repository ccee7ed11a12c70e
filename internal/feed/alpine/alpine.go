// Package alpine parses the Alpine Linux security database ("secdb",
// https://secdb.alpinelinux.org/): one JSON file per release and repository,
// v3.19/main.json, v3.19/community.json, edge/main.json ...
//
// A file lists source (origin) packages with their "secfixes": for each package version
// that fixed something, the ids it fixed. Each (package, id, version) becomes one
// vulndb.Affected in namespace "alpine:<release>" with the range "fixed in that
// version"; version "0" is Alpine's way of saying the package was never affected as
// Alpine builds it, which becomes a not-affected entry with no range. Only affected
// entries are emitted: what a vulnerability is, is left to NVD and the other feeds.
package alpine

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"regexp"
	"strings"
	"sync"

	"github.com/shipshape-dev/shipshape/internal/feed"
	"github.com/shipshape-dev/shipshape/internal/vulndb"
)

// Feed parses Alpine secdb files. It holds no state: one Feed may parse several files
// concurrently. The secdb carries no date of its own.
type Feed struct{}

var _ feed.Feed = (*Feed)(nil)

// New returns an Alpine secdb parser.
func New() *Feed { return &Feed{} }

// Name is "alpine-secdb".
func (f *Feed) Name() string { return "alpine-secdb" }

// Info describes the Alpine secdb for the DB's metadata and NOTICE. The secdb states no
// licence.
func (f *Feed) Info() feed.Info {
	return feed.Info{
		Licence:     "NOASSERTION",
		Attribution: "Alpine Linux security database (secdb), by the Alpine Linux project, https://secdb.alpinelinux.org/ (no licence stated).",
		// Per release and repository: <UpstreamURL>v3.19/main.json, .../community.json.
		UpstreamURL: "https://secdb.alpinelinux.org/",
	}
}

// Match accepts *.json files outside dot directories.
func (f *Feed) Match(name string) bool {
	name = trimCompression(name)
	for _, part := range strings.Split(path.Dir(name), "/") {
		if strings.HasPrefix(part, ".") && part != "." && part != ".." {
			return false
		}
	}
	return strings.EqualFold(path.Ext(name), ".json")
}

// secdb is one secdb file.
type secdb struct {
	DistroVersion string `json:"distroversion"`
	// Packages is nil when the file has no "packages" key: not a secdb file.
	Packages []json.RawMessage `json:"packages"`
}

type pkgEntry struct {
	Pkg struct {
		Name     string   `json:"name"`
		Secfixes secfixes `json:"secfixes"`
	} `json:"pkg"`
}

// secfixes keeps the secfixes object's entries in file order.
type secfixes []secfix

type secfix struct {
	version string
	ids     []string
}

func (s *secfixes) UnmarshalJSON(b []byte) error {
	*s = nil
	dec := json.NewDecoder(bytes.NewReader(b))
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if tok == nil { // null
		return nil
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return errors.New("secfixes is not an object")
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		version, _ := tok.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return err
		}
		// A list of strings; anything else (null, a bare string, numbers) is read leniently.
		var ids []string
		var list []json.RawMessage
		if json.Unmarshal(raw, &list) != nil {
			list = []json.RawMessage{raw}
		}
		for _, item := range list {
			var one string
			if json.Unmarshal(item, &one) == nil {
				ids = append(ids, one)
			}
		}
		*s = append(*s, secfix{version: strings.TrimSpace(version), ids: ids})
	}
	return nil
}

// Parse reads one secdb file. A package entry that does not decode is skipped; the file
// is an error when it is not a secdb file or none of its package entries could be read.
func (f *Feed) Parse(ctx context.Context, in feed.Input, emit func(vulndb.Record) error) error {
	var db secdb
	if err := json.NewDecoder(in.R).Decode(&db); err != nil {
		return fmt.Errorf("%s: %w", in.Name, err)
	}
	if db.Packages == nil {
		return fmt.Errorf("%s: not an Alpine secdb file: no packages", in.Name)
	}
	ns, err := namespace(db.DistroVersion, in.Name)
	if err != nil {
		return fmt.Errorf("%s: %w", in.Name, err)
	}
	var good, bad int
	var firstErr error
	for _, raw := range db.Packages {
		if err := ctx.Err(); err != nil {
			return err
		}
		var p pkgEntry
		if err := json.Unmarshal(raw, &p); err != nil {
			bad++
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		good++
		name := strings.TrimSpace(p.Pkg.Name)
		if name == "" {
			continue
		}
		rec := vulndb.Record{Affected: affected(ns, name, p.Pkg.Secfixes)}
		if len(rec.Affected) == 0 {
			continue
		}
		if err := emit(rec); err != nil {
			return fmt.Errorf("%s: %s: %w", in.Name, name, err)
		}
	}
	if good == 0 && bad > 0 {
		return fmt.Errorf("%s: no package entry could be read (%d malformed): %w", in.Name, bad, firstErr)
	}
	return nil
}

// affected lists one package's entries in file order, each (version, id) once.
func affected(ns, name string, fixes secfixes) []vulndb.Affected {
	var out []vulndb.Affected
	type key struct{ version, id string }
	seen := map[key]bool{}
	for _, fix := range fixes {
		if fix.version == "" {
			continue
		}
		for _, entry := range fix.ids {
			for _, id := range secfixIDs(entry) {
				k := key{fix.version, id}
				if seen[k] {
					continue
				}
				seen[k] = true
				a := vulndb.Affected{VulnID: id, Namespace: ns, Package: name}
				if fix.version == "0" {
					a.Status = vulndb.StatusNotAffected
				} else {
					a.Status = vulndb.StatusFixed
					a.Ranges = []vulndb.Range{{Type: "ECOSYSTEM", Fixed: fix.version}}
				}
				out = append(out, a)
			}
		}
	}
	return out
}

var (
	cvePattern = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^CVE[-_](\d{4})-(\d{4,})`) })
	// Other advisory ids: a letter prefix, dash-separated parts, a digit somewhere
	// (XSA-123, GHSA-xxxx-xxxx-xxxx, TALOS-2017-0488, GNUTLS-SA-2020-03-31,
	// wnpa-sec-2017-18, DW202402-001), or letters then digits (VSV00010).
	idPattern = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^(?:[A-Za-z]+[0-9]*(?:-[A-Za-z0-9]+)+|[A-Z]{2,}[0-9]{3,})$`)
	})
	hasDigit       = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`[0-9]`) })
	trailingPunct  = ",;:."
	leadingBracket = "(["
)

// secfixIDs returns the vulnerability ids in one secfixes entry. Entries are usually one CVE id
// but may hold several ids ("CVE-2016-10013 XSA-204") or words ("CVE-2018-14461 (LDP)",
// "CVE N/A ZBX-11023"): the entry is split on white space and only tokens that look like
// ids are kept. A CVE token keeps its well-formed start ("CVE-2017-17434-1" and
// "CVE-2021-35940.patch" are CVE-2017-17434 and CVE-2021-35940, "CVE_2019-2426" is
// CVE-2019-2426); CVE tokens without one ("CVE-????-?????", "CVE-46838") are dropped.
func secfixIDs(entry string) []string {
	var out []string
	for _, tok := range strings.Fields(entry) {
		if strings.ContainsAny(tok[:1], leadingBracket) {
			continue // a parenthesised remark
		}
		tok = strings.TrimRight(tok, trailingPunct)
		if strings.HasPrefix(strings.ToUpper(tok), "CVE") {
			if m := cvePattern().FindStringSubmatch(strings.ToUpper(tok)); m != nil {
				out = append(out, "CVE-"+m[1]+"-"+m[2])
			}
			continue
		}
		if idPattern().MatchString(tok) && hasDigit().MatchString(tok) {
			out = append(out, tok)
		}
	}
	return out
}

// namespace is "alpine:<release>" from the file's distroversion ("v3.19" -> alpine:3.19,
// "edge" -> alpine:edge), or from a "v3.19/" or "edge/" folder in the file's name when the
// file does not say.
func namespace(distroVersion, name string) (string, error) {
	if r, ok := release(distroVersion); ok {
		return "alpine:" + r, nil
	}
	if distroVersion == "" {
		parts := strings.Split(path.Dir(name), "/")
		for i := len(parts) - 1; i >= 0; i-- {
			if r, ok := release(parts[i]); ok {
				return "alpine:" + r, nil
			}
		}
	}
	return "", fmt.Errorf("no Alpine release: distroversion %q", distroVersion)
}

func release(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if strings.EqualFold(s, "edge") {
		return "edge", true
	}
	r := strings.TrimPrefix(s, "v")
	if r == "" || r[0] == '.' || r[len(r)-1] == '.' || !strings.Contains(r, ".") {
		return "", false
	}
	for _, c := range r {
		if (c < '0' || c > '9') && c != '.' {
			return "", false
		}
	}
	return r, true
}

// trimCompression drops a compression suffix from a file name.
func trimCompression(name string) string {
	for _, ext := range []string{".gz", ".bz2", ".xz", ".zst"} {
		if strings.HasSuffix(strings.ToLower(name), ext) {
			return name[:len(name)-len(ext)]
		}
	}
	return name
}
