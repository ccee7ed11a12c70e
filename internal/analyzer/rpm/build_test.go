package rpm

// Builders of small rpm databases for tests: an rpm header from tags, and the three
// storage formats around a list of headers. They follow the layouts documented in rpm
// (lib/header.c, lib/backend/ndb/rpmpkg.c, lib/backend/sqlite.c) and BerkeleyDB
// (dbinc/db_page.h); the real databases in testdata are what the analyzer is checked
// against, these only make hostile variants and small fuzz seeds.

import (
	"bytes"
	"compress/gzip"
	"database/sql"
	"encoding/binary"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// rpm header tags used by the tests.
const (
	tagName            = 1000
	tagVersion         = 1001
	tagRelease         = 1002
	tagEpoch           = 1003
	tagVendor          = 1011
	tagLicense         = 1014
	tagArch            = 1022
	tagSourceRPM       = 1044
	tagModularityLabel = 5096

	typeBin   = 7
	typeInt32 = 4
)

type tagValue struct {
	tag   int32
	typ   uint32
	count uint32
	data  []byte
}

func str(tag int32, s string) tagValue {
	return tagValue{tag: tag, typ: typeString, count: 1, data: append([]byte(s), 0)}
}

func i32(tag int32, v int32) tagValue {
	return tagValue{tag: tag, typ: typeInt32, count: 1, data: binary.BigEndian.AppendUint32(nil, uint32(v))}
}

// buildHeader lays out a region-less (v3-style) header: entries in the order given, each
// value aligned to its type's size.
func buildHeader(tags ...tagValue) []byte {
	var index, data []byte
	for _, t := range tags {
		if sz := typeSize[t.typ]; sz > 1 {
			for int64(len(data))%sz != 0 {
				data = append(data, 0)
			}
		}
		index = binary.BigEndian.AppendUint32(index, uint32(t.tag))
		index = binary.BigEndian.AppendUint32(index, t.typ)
		index = binary.BigEndian.AppendUint32(index, uint32(len(data)))
		index = binary.BigEndian.AppendUint32(index, t.count)
		data = append(data, t.data...)
	}
	out := binary.BigEndian.AppendUint32(nil, uint32(len(tags)))
	out = binary.BigEndian.AppendUint32(out, uint32(len(data)))
	return append(append(out, index...), data...)
}

// buildNDB stores headers in an NDB Packages.db with one slot page.
func buildNDB(headers [][]byte) []byte {
	le := binary.LittleEndian
	out := make([]byte, ndbPageSize)
	le.PutUint32(out[0:], ndbHeaderMagic)
	le.PutUint32(out[8:], 1) // generation
	le.PutUint32(out[12:], 1)
	for off := 32; off < ndbPageSize; off += ndbSlotSize {
		le.PutUint32(out[off:], ndbSlotMagic)
	}
	for i, h := range headers {
		slot := out[32+i*ndbSlotSize:]
		start := len(out)
		le.PutUint32(slot[4:], uint32(i+1))
		le.PutUint32(slot[8:], uint32(start/ndbBlobHead))
		blob := make([]byte, ndbBlobHead, ndbBlobHead+len(h)+16)
		le.PutUint32(blob[0:], ndbBlobMagic)
		le.PutUint32(blob[4:], uint32(i+1))
		le.PutUint32(blob[12:], uint32(len(h)))
		blob = append(blob, h...)
		for len(blob)%ndbBlobHead != 0 {
			blob = append(blob, 0)
		}
		le.PutUint32(slot[12:], uint32(len(blob)/ndbBlobHead))
		out = append(out, blob...)
	}
	return out
}

// buildBDB stores headers in a BerkeleyDB hash database: page 0 the metadata, page 1 one
// hash page holding a key and an off-page (HOFFPAGE) value per header, then each header's
// chain of overflow pages.
func buildBDB(headers [][]byte, pageSize int, order binary.ByteOrder) []byte {
	pages := [][]byte{make([]byte, pageSize), make([]byte, pageSize)}
	newPage := func(typ byte) []byte {
		p := make([]byte, pageSize)
		order.PutUint32(p[8:], uint32(len(pages)))
		p[25] = typ
		pages = append(pages, p)
		return p
	}
	hash := pages[1]
	order.PutUint32(hash[8:], 1)
	hash[25] = bdbHashPage
	order.PutUint16(hash[20:], uint16(2*len(headers)))
	top := pageSize // items grow down from the end of the page
	for i, h := range headers {
		key := []byte{1, byte(i + 1), 0, 0, 0} // H_KEYDATA: the package's instance number
		top -= len(key)
		copy(hash[top:], key)
		order.PutUint16(hash[bdbPageHeader+4*i:], uint16(top))
		first := uint32(len(pages))
		for rest := h; ; {
			p := newPage(bdbOverflowPage)
			n := copy(p[bdbPageHeader:], rest)
			order.PutUint16(p[22:], uint16(n))
			rest = rest[n:]
			if len(rest) == 0 {
				break
			}
			order.PutUint32(p[16:], uint32(len(pages))) // next
		}
		top -= bdbHashOffSize
		item := hash[top:]
		item[0] = bdbHOffPage
		order.PutUint32(item[4:], first)
		order.PutUint32(item[8:], uint32(len(h)))
		order.PutUint16(hash[bdbPageHeader+4*i+2:], uint16(top))
	}
	meta := pages[0]
	order.PutUint32(meta[12:], bdbHashMagic)
	order.PutUint32(meta[16:], 9) // version
	order.PutUint32(meta[20:], uint32(pageSize))
	meta[25] = bdbHashMetaPage
	order.PutUint32(meta[32:], uint32(len(pages)-1))
	return bytes.Join(pages, nil)
}

// buildSQLite stores headers in an rpmdb.sqlite whose Packages table is made by schema
// (rpm's own when empty).
func buildSQLite(t testing.TB, headers [][]byte, schema string) []byte {
	t.Helper()
	if schema == "" {
		schema = `CREATE TABLE Packages (hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB NOT NULL)`
	}
	path := filepath.Join(t.TempDir(), nameSQLite)
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(schema); err != nil {
		t.Fatal(err)
	}
	for _, h := range headers {
		if _, err := db.Exec(`INSERT INTO Packages (blob) VALUES (?)`, h); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// headersOf returns the header blobs of a BerkeleyDB or NDB database.
func headersOf(t testing.TB, data []byte) [][]byte {
	t.Helper()
	var out [][]byte
	collect := func(h []byte) error {
		out = append(out, bytes.Clone(h))
		return nil
	}
	f, err := sniff(data)
	if err != nil {
		t.Fatal(err)
	}
	switch f {
	case formatBDB:
		err = walkBDB(data, collect)
	case formatNDB:
		err = walkNDB(data, collect)
	default:
		t.Fatalf("headersOf: %s", f)
	}
	if err != nil {
		t.Fatal(err)
	}
	return out
}

var (
	fixtureMu    sync.Mutex
	fixtureCache = map[string][]byte{}
)

// fixture returns the decompressed testdata/<name>.gz, shared between tests: do not modify it.
func fixture(t testing.TB, name string) []byte {
	t.Helper()
	fixtureMu.Lock()
	defer fixtureMu.Unlock()
	if data, ok := fixtureCache[name]; ok {
		return data
	}
	f, err := os.Open(filepath.Join("testdata", name+".gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	data, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	fixtureCache[name] = data
	return data
}
