// Package cwe reads the names of MITRE's Common Weakness Enumeration
// (https://cwe.mitre.org/): one vulndb.CWE{ID: "CWE-79", Name: ...} per entry, so that
// reports can say what a CWE id means.
//
// Two forms are read:
//   - the JSON dictionary (cwe-dictionary.json): an object keyed by the numeric id, each
//     value the weakness as converted from MITRE's XML, with its XML attributes under
//     "attr" ({"79": {"attr": {"@_ID": "79", "@_Name": "Improper Neutralization ..."}, ...}});
//   - MITRE's own XML catalog (cwec_v4.15.xml inside cwec_latest.xml.zip): the ID and Name
//     attributes of its Weakness, Category and View elements.
package cwe

import (
	"bufio"
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/shipshape-dev/shipshape/internal/feed"
	"github.com/shipshape-dev/shipshape/internal/vulndb"
)

// Feed parses CWE catalogs. It holds no state: one Feed may parse several files
// concurrently.
type Feed struct{}

var _ feed.Feed = (*Feed)(nil)

// New returns a CWE catalog parser.
func New() *Feed { return &Feed{} }

// Name is "cwe".
func (f *Feed) Name() string { return "cwe" }

// Info describes the CWE catalog for the DB's metadata and NOTICE. MITRE's terms of use
// allow free use and redistribution with the copyright notice.
func (f *Feed) Info() feed.Info {
	return feed.Info{
		Licence: "CWE Terms of Use (https://cwe.mitre.org/about/termsofuse.html)",
		Attribution: "Common Weakness Enumeration (CWE™), Copyright © The MITRE Corporation, https://cwe.mitre.org/. " +
			"CWE is a trademark of The MITRE Corporation.",
		UpstreamURL: "https://cwe.mitre.org/data/xml/cwec_latest.xml.zip",
	}
}

// Match accepts *.json and *.xml files outside dot directories.
func (f *Feed) Match(name string) bool {
	name = trimCompression(name)
	for _, part := range strings.Split(path.Dir(name), "/") {
		if strings.HasPrefix(part, ".") && part != "." && part != ".." {
			return false
		}
	}
	switch strings.ToLower(path.Ext(name)) {
	case ".json", ".xml":
		return true
	}
	return false
}

// Parse reads one catalog, JSON or XML by its first byte. An entry without a numeric id or
// a name is skipped; the file is an error when none could be read.
func (f *Feed) Parse(ctx context.Context, in feed.Input, emit func(vulndb.Record) error) error {
	br := bufio.NewReaderSize(in.R, 64<<10)
	first, err := firstByte(br)
	if err != nil {
		if err == io.EOF {
			return fmt.Errorf("%s: empty file", in.Name)
		}
		return fmt.Errorf("%s: %w", in.Name, err)
	}
	p := parser{ctx: ctx, name: in.Name, emit: emit}
	switch first {
	case '{':
		err = p.json(br)
	case '<':
		err = p.xml(br)
	default:
		err = fmt.Errorf("%s: neither a JSON nor an XML CWE catalog", in.Name)
	}
	if err != nil {
		return err
	}
	if p.good == 0 {
		return fmt.Errorf("%s: no CWE entry could be read (%d without an id or a name)", in.Name, p.bad)
	}
	return nil
}

type parser struct {
	ctx       context.Context
	name      string
	emit      func(vulndb.Record) error
	good, bad int
}

// add emits one entry, or counts it as unreadable.
func (p *parser) add(id, name string) error {
	if err := p.ctx.Err(); err != nil {
		return err
	}
	id = strings.TrimPrefix(strings.TrimSpace(id), "CWE-")
	name = strings.Join(strings.Fields(name), " ")
	if !numeric(id) || name == "" {
		p.bad++
		return nil
	}
	p.good++
	c := &vulndb.CWE{ID: "CWE-" + id, Name: name}
	if err := p.emit(vulndb.Record{CWE: c}); err != nil {
		return fmt.Errorf("%s: %s: %w", p.name, c.ID, err)
	}
	return nil
}

// jsonEntry is the part of a dictionary value that is read.
type jsonEntry struct {
	Attr struct {
		ID   json.RawMessage `json:"@_ID"`
		Name string          `json:"@_Name"`
	} `json:"attr"`
}

// json streams the dictionary object, one entry at a time.
func (p *parser) json(r io.Reader) error {
	dec := json.NewDecoder(r)
	if _, err := dec.Token(); err != nil { // {
		return fmt.Errorf("%s: %w", p.name, err)
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return fmt.Errorf("%s: %w", p.name, err)
		}
		key, _ := tok.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return fmt.Errorf("%s: entry %q: %w", p.name, key, err)
		}
		var e jsonEntry
		if json.Unmarshal(raw, &e) != nil {
			p.bad++
			continue
		}
		// The id is the attribute (a string, or a number) or else the key.
		id := strings.Trim(string(e.Attr.ID), `"`)
		if id == "" || id == "null" {
			id = key
		}
		if err := p.add(id, e.Attr.Name); err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != nil { // }
		return fmt.Errorf("%s: %w", p.name, err)
	}
	return nil
}

// xml streams MITRE's catalog; the contents of each entry are skipped.
func (p *parser) xml(r io.Reader) error {
	dec := xml.NewDecoder(r)
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: %w", p.name, err)
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		switch se.Name.Local {
		case "Weakness", "Category", "View":
		default:
			continue
		}
		var id, name string
		for _, a := range se.Attr {
			switch a.Name.Local {
			case "ID":
				id = a.Value
			case "Name":
				name = a.Value
			}
		}
		if err := p.add(id, name); err != nil {
			return err
		}
		if err := dec.Skip(); err != nil {
			return fmt.Errorf("%s: %w", p.name, err)
		}
	}
}

func numeric(s string) bool {
	if s == "" || len(s) > 9 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func firstByte(br *bufio.Reader) (byte, error) {
	for {
		b, err := br.ReadByte()
		if err != nil {
			return 0, err
		}
		switch b {
		case ' ', '\t', '\r', '\n':
			continue
		case 0xEF: // UTF-8 byte order mark
			if next, err := br.Peek(2); err == nil && next[0] == 0xBB && next[1] == 0xBF {
				_, _ = br.Discard(2)
				continue
			}
		}
		return b, br.UnreadByte()
	}
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
