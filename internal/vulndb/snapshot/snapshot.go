// Package snapshot embeds a copy of the redistributable vulnerability feeds in the binary,
// so the first scan works offline: with no DB on disk, one is built from these files.
// Only feeds whose licences allow redistribution are here; NOTICE carries attributions.
package snapshot

import (
	"bytes"
	"embed"
	"fmt"
	"io"
)

//go:embed data/*
var files embed.FS

// File is one embedded feed file.
type File struct {
	// Feed is the parser that reads it (a feed.Feed name) and Source the name the DB
	// stores its records under.
	Feed, Source string
	// Name is the file name under data/; its extension says how to unpack it.
	Name string
	// DataDate is the date the upstream data is as of.
	DataDate string
	Licence  string
	Origin   string
}

// Open returns the file's content.
func (f File) Open() (io.ReadCloser, error) {
	data, err := files.ReadFile("data/" + f.Name)
	if err != nil {
		return nil, fmt.Errorf("embedded snapshot file %s: %w", f.Name, err)
	}
	return io.NopCloser(bytes.NewReader(data)), nil
}

// Files lists the snapshot, in build order.
func Files() []File {
	return []File{
		{Feed: "alpine-secdb", Source: "alpine-secdb", Name: "alpine-secdb.tar.gz", DataDate: "2024-12-31", Licence: "Alpine secdb (no licence stated)", Origin: "https://secdb.alpinelinux.org/"},
		{Feed: "debian-oval", Source: "debian-oval", Name: "oval-definitions-bookworm.xml.zst", DataDate: "2023-07-14", Licence: "Debian", Origin: "https://www.debian.org/security/oval/oval-definitions-bookworm.xml.bz2"},
		{Feed: "debian-oval", Source: "debian-oval", Name: "oval-definitions-bullseye.xml.zst", DataDate: "2023-07-14", Licence: "Debian", Origin: "https://www.debian.org/security/oval/oval-definitions-bullseye.xml.bz2"},
		{Feed: "debian-oval", Source: "debian-oval", Name: "oval-definitions-buster.xml.zst", DataDate: "2023-07-14", Licence: "Debian", Origin: "https://www.debian.org/security/oval/oval-definitions-buster.xml.bz2"},
		{Feed: "osv", Source: "go-vulndb", Name: "go-vulndb-osv.tar.gz", DataDate: "2026-11-05", Licence: "CC-BY-4.0", Origin: "https://vuln.go.dev (golang.org/x/vulndb)"},
		{Feed: "osv", Source: "pypa", Name: "pypa-osv.tar.gz", DataDate: "2026-07-23", Licence: "CC-BY-4.0", Origin: "https://github.com/pypa/advisory-database"},
		{Feed: "osv", Source: "rustsec", Name: "rustsec-osv.tar.gz", DataDate: "2026-08-21", Licence: "CC0-1.0", Origin: "https://github.com/rustsec/advisory-db"},
		{Feed: "osv", Source: "ghsa", Name: "ghsa.tar.gz", DataDate: "2026-11-26", Licence: "CC-BY-4.0", Origin: "https://github.com/github/advisory-database (30 hand-picked records)"},
		{Feed: "rubysec", Source: "rubysec", Name: "rubysec.tar.gz", DataDate: "2026-08-18", Licence: "public domain", Origin: "https://github.com/rubysec/ruby-advisory-db"},
		{Feed: "friendsofphp", Source: "friendsofphp", Name: "friendsofphp.tar.gz", DataDate: "2026-08-06", Licence: "Unlicense", Origin: "https://github.com/FriendsOfPHP/security-advisories"},
		{Feed: "nodejs-security-wg", Source: "nodejs-security-wg", Name: "nodejs-security-wg.tar.gz", DataDate: "2026-04-01", Licence: "MIT", Origin: "https://github.com/nodejs/security-wg"},
		{Feed: "kev", Source: "kev", Name: "kev.tar.gz", DataDate: "2025-08-25", Licence: "CC0-1.0", Origin: "https://www.cisa.gov/known-exploited-vulnerabilities-catalog"},
		{Feed: "endoflife", Source: "endoflife", Name: "endoflife.tar.gz", DataDate: "2026-11-27", Licence: "Apache-2.0", Origin: "release lifecycles of Debian, Alpine, Ubuntu and RHEL from the distributions' release pages, in endoflife.date's API v1 format (README.md in the archive)"},
		{Feed: "cwe", Source: "cwe", Name: "cwe-dictionary.json.gz", DataDate: "2024-07-16", Licence: "MITRE CWE terms of use", Origin: "https://cwe.mitre.org/data/ (CWE 4.15)"},
	}
}

// DataDate is the date of the oldest data in the snapshot.
func DataDate() string {
	oldest := ""
	for _, f := range Files() {
		if oldest == "" || f.DataDate < oldest {
			oldest = f.DataDate
		}
	}
	return oldest
}
