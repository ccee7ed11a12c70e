package rpm

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/binary"
	"fmt"
	"strings"
)

// go-rpmdb v0.1.1 reads each format in a goroutine of its own, where a panic cannot be
// recovered, and trusts the offsets it finds: on damaged input it can index out of range,
// loop forever on an overflow chain or on a string without its NUL, allocate gigabytes,
// or print to stdout. The checks in this file walk the structure the way go-rpmdb will, on
// the bytes in memory, and refuse any file on which it would misbehave. Every real
// database passes them: they only ask for what rpm itself requires of its databases and
// headers.
//
// What is left to go-rpmdb is the header's finer consistency (regions, types of known
// tags). When it rejects a header, ListPackages returns early and its reader goroutine
// stays blocked on an unbuffered channel for good: one goroutine (and for SQLite one open
// connection to the deleted temporary copy) leaks per such database. Fixing that needs a
// change in go-rpmdb (draining or cancelling the channel).

const (
	ndbHeaderMagic = 'R' | 'p'<<8 | 'm'<<16 | 'P'<<24
	ndbSlotMagic   = 'S' | 'l'<<8 | 'o'<<16 | 't'<<24
	ndbBlobMagic   = 'B' | 'l'<<8 | 'b'<<16 | 'S'<<24
	ndbMaxPages    = 2048 // go-rpmdb's own limit on slot pages
	ndbPageSize    = 4096
	ndbSlotSize    = 16
	ndbBlobHead    = 16

	bdbHashMagic     = 0x00061561
	bdbPageHeader    = 26
	bdbHashOffSize   = 12
	bdbHashUnsorted  = 2 // hash page type of BerkeleyDB before 4.6 (CentOS 5)
	bdbHOffPage      = 3 // hash item stored on overflow pages
	bdbOverflowPage  = 7
	bdbHashMetaPage  = 8
	bdbHashPage      = 13
	bdbMetaReadBytes = 512 // go-rpmdb reads this much to parse the metadata page

	headerMaxBytes = 256 << 20 // rpm's limit on one header
)

func le32(b []byte) uint32 { return binary.LittleEndian.Uint32(b) }
func be32(b []byte) uint32 { return binary.BigEndian.Uint32(b) }

// check tells the format of data and checks its structure (for SQLite only the signature:
// checkSQLite needs the file on disk).
func check(data []byte) (format, error) {
	f, err := sniff(data)
	if err != nil {
		return 0, err
	}
	switch f {
	case formatBDB:
		err = walkBDB(data, checkHeader)
	case formatNDB:
		err = walkNDB(data, checkHeader)
	}
	if err != nil {
		return 0, fmt.Errorf("%w (%s): %w", ErrCorrupt, f, err)
	}
	return f, nil
}

// walkNDB checks an NDB Packages.db: a 32-byte header, slot pages of 16-byte slots, and
// for each used slot a blob (16-byte header, then an rpm header) at 16 * its block offset,
// which it hands to fn.
func walkNDB(data []byte, fn func(header []byte) error) error {
	if len(data) < 32 {
		return fmt.Errorf("file of %d bytes is shorter than the 32-byte NDB header", len(data))
	}
	version, npages := le32(data[4:]), le32(data[12:])
	switch {
	case version != 0:
		return fmt.Errorf("NDB version %d is not supported", version)
	case npages == 0 || npages > ndbMaxPages:
		return fmt.Errorf("NDB header gives %d slot pages (want 1 to %d)", npages, ndbMaxPages)
	case int64(npages)*ndbPageSize > int64(len(data)):
		return fmt.Errorf("file of %d bytes is truncated: its %d slot pages need %d", len(data), npages, int64(npages)*ndbPageSize)
	}
	var total int64
	for off := int64(32); off < int64(npages)*ndbPageSize; off += ndbSlotSize {
		slot := data[off : off+ndbSlotSize]
		if le32(slot) != ndbSlotMagic {
			return fmt.Errorf("bad magic in slot at offset %d", off)
		}
		pkg, blk := le32(slot[4:]), int64(le32(slot[8:]))
		if pkg == 0 {
			continue
		}
		start := blk * ndbBlobHead
		if start+ndbBlobHead > int64(len(data)) {
			return fmt.Errorf("package %d: blob offset %d is past the end of the file", pkg, start)
		}
		head := data[start : start+ndbBlobHead]
		if le32(head) != ndbBlobMagic || le32(head[4:]) != pkg {
			return fmt.Errorf("package %d: no blob at offset %d", pkg, start)
		}
		n := int64(le32(head[12:]))
		if start+ndbBlobHead+n > int64(len(data)) {
			return fmt.Errorf("package %d: blob of %d bytes at offset %d runs past the end of the file", pkg, n, start)
		}
		// Blobs never share bytes in a real database; the bound keeps the work linear.
		if total += n; total > int64(len(data)) {
			return fmt.Errorf("package %d: blobs add up to more than the file", pkg)
		}
		if err := fn(data[start+ndbBlobHead : start+ndbBlobHead+n]); err != nil {
			return fmt.Errorf("package %d: %w", pkg, err)
		}
	}
	return nil
}

var bdbPageSizes = map[uint32]bool{512: true, 1024: true, 2048: true, 4096: true, 8192: true, 16384: true, 32768: true, 65536: true}

// walkBDB checks a BerkeleyDB hash database as go-rpmdb reads it: every page from 0 to
// the metadata's last page in turn; on hash pages, each value item that lives on overflow
// pages (HOFFPAGE) is gathered along its chain of overflow pages and handed to fn.
func walkBDB(data []byte, fn func(header []byte) error) error {
	var meta [bdbMetaReadBytes]byte
	copy(meta[:], data)
	var order binary.ByteOrder = binary.LittleEndian
	if be32(meta[12:]) == bdbHashMagic && le32(meta[12:]) != bdbHashMagic {
		order = binary.BigEndian
	}
	pageSize, last := order.Uint32(meta[20:]), order.Uint32(meta[32:])
	switch {
	case meta[24] != 0:
		return fmt.Errorf("encrypted BerkeleyDB (algorithm %d) is not supported", meta[24])
	case meta[25] != bdbHashMetaPage:
		return fmt.Errorf("first page has type %d, not a hash metadata page", meta[25])
	case !bdbPageSizes[pageSize]:
		return fmt.Errorf("page size %d is not a BerkeleyDB page size", pageSize)
	}
	ps := int64(pageSize)
	filePages := int64(len(data)) / ps
	if int64(last) >= filePages {
		return fmt.Errorf("file of %d bytes is truncated: the database has %d pages of %d bytes", len(data), int64(last)+1, ps)
	}
	page := func(n int64) []byte { return data[n*ps : (n+1)*ps] }
	used := make([]bool, filePages) // overflow pages already part of a chain
	for n := int64(0); n <= int64(last); n++ {
		p := page(n)
		if t := p[25]; t != bdbHashPage && t != bdbHashUnsorted {
			continue
		}
		entries := int64(order.Uint16(p[20:]))
		if entries%2 != 0 {
			return fmt.Errorf("hash page %d has an odd number of entries (%d)", n, entries)
		}
		if bdbPageHeader+2*entries > ps {
			return fmt.Errorf("hash page %d: %d entries do not fit in the page", n, entries)
		}
		// Entries come in key/value pairs; only values matter.
		for k := int64(1); k < entries; k += 2 {
			at := int64(order.Uint16(p[bdbPageHeader+2*k:]))
			if at >= ps {
				return fmt.Errorf("hash page %d: entry %d points past the page", n, k)
			}
			if p[at] != bdbHOffPage {
				continue
			}
			// go-rpmdb adds 16-bit offsets in 16 bits.
			if at+bdbHashOffSize > ps || at+bdbHashOffSize > 0xffff {
				return fmt.Errorf("hash page %d: entry %d runs past the page", n, k)
			}
			blob, err := bdbChain(data, page, used, int64(order.Uint32(p[at+4:])), ps, filePages, order)
			if err != nil {
				return fmt.Errorf("hash page %d, entry %d: %w", n, k, err)
			}
			if err := fn(blob); err != nil {
				return fmt.Errorf("hash page %d, entry %d: %w", n, k, err)
			}
		}
	}
	return nil
}

// bdbChain gathers the value stored on the chain of overflow pages starting at first.
func bdbChain(data []byte, page func(int64) []byte, used []bool, first, ps, filePages int64, order binary.ByteOrder) ([]byte, error) {
	var blob []byte
	for n := first; n != 0; {
		// go-rpmdb computes the page's offset in 32 bits.
		if n >= filePages || n*ps >= 1<<32 {
			return nil, fmt.Errorf("overflow page %d is past the end of the file", n)
		}
		if used[n] {
			return nil, fmt.Errorf("overflow page %d is used twice (a loop or a shared chain)", n)
		}
		used[n] = true
		p := page(n)
		if p[25] != bdbOverflowPage {
			return nil, fmt.Errorf("page %d in an overflow chain has type %d", n, p[25])
		}
		next := int64(order.Uint32(p[16:]))
		if next == 0 {
			end := bdbPageHeader + int64(order.Uint16(p[22:]))
			if end > ps || end > 0xffff { // go-rpmdb adds these in 16 bits
				return nil, fmt.Errorf("overflow page %d claims more bytes than the page holds", n)
			}
			blob = append(blob, p[bdbPageHeader:end]...)
		} else {
			blob = append(blob, p[bdbPageHeader:]...)
		}
		n = next
	}
	return blob, nil
}

// rpm header value types, and the byte size of the fixed-size ones.
const (
	typeString      = 6
	typeStringArray = 8
	typeI18NString  = 9
	typeMax         = 9

	tagHeaderImage      = 61
	tagHeaderSignatures = 62
	tagHeaderImmutable  = 63
)

var typeSize = [typeMax + 1]int64{0, 1, 1, 2, 4, 8, -1, 1, -1, -1}

// checkHeader checks an rpm header blob (as stored in a database: index length, data
// length, index entries, data) the way rpm's own hdrblobInit/hdrblobVerifyInfo do: the
// sizes fit the blob, and the entries (after the region tag) point at data in increasing,
// non-overlapping order, strings being NUL-terminated inside the data.
func checkHeader(b []byte) error {
	if len(b) < 8 {
		return fmt.Errorf("rpm header of %d bytes is too short", len(b))
	}
	il, dl := int64(int32(be32(b))), int64(int32(be32(b[4:])))
	if il < 1 || dl < 0 {
		return fmt.Errorf("rpm header has %d index entries and %d data bytes", il, dl)
	}
	dataStart := 8 + 16*il
	dataEnd := dataStart + dl
	if dataEnd > int64(len(b)) || dataEnd >= headerMaxBytes {
		return fmt.Errorf("rpm header of %d index entries and %d data bytes does not fit its %d bytes", il, dl, len(b))
	}
	entry := func(i int64) (tag int32, typ uint32, off int64, count int64) {
		e := b[8+16*i:]
		return int32(be32(e)), be32(e[4:]), int64(int32(be32(e[8:]))), int64(be32(e[12:]))
	}
	first := int64(0)
	if tag, _, _, _ := entry(0); tag == tagHeaderImage || tag == tagHeaderSignatures || tag == tagHeaderImmutable {
		first = 1 // the region tag points at the trailer, at the end of its data
	}
	var end int64
	for i := first; i < il; i++ {
		tag, typ, off, count := entry(i)
		if typ > typeMax {
			return fmt.Errorf("rpm header entry %d (tag %d) has type %d", i, tag, typ)
		}
		if off < end || off > dl {
			return fmt.Errorf("rpm header entry %d (tag %d) has offset %d, out of order or outside the data", i, tag, off)
		}
		var length int64
		switch typ {
		case typeString, typeStringArray, typeI18NString:
			if typ == typeString && count != 1 {
				return fmt.Errorf("rpm header entry %d (tag %d) is a string of count %d", i, tag, count)
			}
			pos := dataStart + off
			for c := count; c > 0; c-- {
				if pos >= dataEnd {
					return fmt.Errorf("rpm header entry %d (tag %d) runs past the data", i, tag)
				}
				nul := bytes.IndexByte(b[pos:dataEnd], 0)
				if nul < 0 {
					return fmt.Errorf("rpm header entry %d (tag %d) has an unterminated string", i, tag)
				}
				pos += int64(nul) + 1
			}
			length = pos - dataStart - off
		default:
			length = typeSize[typ] * count
		}
		end = off + length
		if length <= 0 || end > dl {
			return fmt.Errorf("rpm header entry %d (tag %d) has %d bytes at offset %d, outside the data", i, tag, length, off)
		}
	}
	return nil
}

// checkSQLite checks an rpmdb.sqlite before go-rpmdb runs "SELECT blob FROM Packages" on
// it: Packages must be a plain table whose blob column is stored, not computed (a view or
// a generated column could make the query run forever), and every blob an rpm header.
func checkSQLite(ctx context.Context, path string) (err error) {
	defer func() {
		if err != nil && ctx.Err() != nil {
			err = ctx.Err()
		} else if err != nil {
			err = fmt.Errorf("%w (SQLite): %w", ErrCorrupt, err)
		}
	}()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		return err
	}
	defer db.Close()
	var kind, schema sql.NullString
	err = db.QueryRowContext(ctx, `SELECT type, sql FROM sqlite_master WHERE name = 'Packages' COLLATE NOCASE`).Scan(&kind, &schema)
	if err == sql.ErrNoRows {
		return fmt.Errorf("no Packages table")
	}
	if err != nil {
		return err
	}
	if kind.String != "table" || bytes.HasPrefix(bytes.ToUpper(bytes.TrimSpace([]byte(schema.String))), []byte("CREATE VIRTUAL")) {
		return fmt.Errorf("the Packages table is a %s, not a plain table", kind.String)
	}
	rows, err := db.QueryContext(ctx, `SELECT name, hidden FROM pragma_table_xinfo('Packages')`)
	if err != nil {
		return err
	}
	found := false
	for rows.Next() {
		var name string
		var hidden int
		if err := rows.Scan(&name, &hidden); err != nil {
			rows.Close()
			return err
		}
		if strings.EqualFold(name, "blob") {
			found = hidden == 0
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if !found {
		return fmt.Errorf("the Packages table has no stored blob column")
	}
	rows, err = db.QueryContext(ctx, `SELECT blob FROM Packages`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for n := 1; rows.Next(); n++ {
		var blob []byte
		if err := rows.Scan(&blob); err != nil {
			return fmt.Errorf("row %d: %w", n, err)
		}
		if err := checkHeader(blob); err != nil {
			return fmt.Errorf("row %d: %w", n, err)
		}
	}
	return rows.Err()
}
