package layer

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/shipshape-dev/shipshape/internal/analyzer/all"
)

// TestCacheRoundTrip: a layer result read back from the cache is the result that was
// stored, field for field — including rpm packages with an explicit epoch 0 (perl-IO in the
// CentOS 8 database), which gob alone would turn into "no epoch".
func TestCacheRoundTrip(t *testing.T) {
	root := t.TempDir()
	copyIn := func(src, rel string, gunzip bool) {
		t.Helper()
		data, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		if gunzip {
			zr, err := gzip.NewReader(bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			if data, err = io.ReadAll(zr); err != nil {
				t.Fatal(err)
			}
		}
		writeFile(t, root, rel, data)
	}
	copyIn("../analyzer/rpm/testdata/Packages.centos8-modularitylabel.bdb.gz", "var/lib/rpm/Packages", true)
	copyIn("../analyzer/dpkg/testdata/status.bookworm-minbase", "var/lib/dpkg/status", false)
	copyIn("../analyzer/apk/testdata/installed.alpine-3.19.4", "lib/apk/db/installed", false)
	copyIn("../analyzer/npm/testdata/package-lock-v3.json", "app/package-lock.json", false)

	w := &Walker{Analyzers: all.Default()}
	res, err := w.WalkDir(context.Background(), root)
	if err != nil {
		t.Fatal(err)
	}
	zeroEpochs := 0
	for _, f := range res.Files {
		for _, p := range f.Facts.Packages {
			if p.Epoch != nil && *p.Epoch == 0 {
				zeroEpochs++
			}
		}
	}
	if zeroEpochs == 0 {
		t.Fatal("the fixture has no package with an explicit epoch 0; the test would prove nothing")
	}
	c := &Cache{Dir: t.TempDir()}
	key := Key("sha256:roundtrip", w.Analyzers)
	if err := c.Put(key, res); err != nil {
		t.Fatal(err)
	}
	got, ok := c.Get(key)
	if !ok {
		t.Fatal("cache miss right after Put")
	}
	want, _ := json.Marshal(res)
	have, _ := json.Marshal(got)
	if !bytes.Equal(want, have) {
		t.Errorf("the cached result differs from the stored one (%d vs %d bytes of JSON)", len(have), len(want))
	}

	// A damaged entry is a miss, never a panic.
	entry := c.file(key)
	data, _ := os.ReadFile(entry)
	for _, cut := range []int{0, 1, len(data) / 2, len(data) - 1} {
		if err := os.WriteFile(entry, data[:cut], 0o644); err != nil {
			t.Fatal(err)
		}
		if _, ok := c.Get(key); ok {
			t.Errorf("an entry cut to %d bytes was a hit", cut)
		}
	}
	if err := os.WriteFile(entry, bytes.Repeat([]byte{0xff}, 64), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, ok := c.Get(filepath.Base(key)); ok {
		t.Error("garbage was a hit")
	}
}

func BenchmarkCacheGet(b *testing.B) {
	res := &Result{}
	data, err := os.ReadFile("../analyzer/dpkg/testdata/status.bookworm-minbase")
	if err != nil {
		b.Fatal(err)
	}
	root := b.TempDir()
	for i := 0; i < 20; i++ {
		writeFile(b, root, filepath.Join("var/lib/dpkg", "status"), data)
		writeFile(b, root, filepath.Join("srv", string(rune('a'+i)), "package-lock.json"), mustRead(b, "../analyzer/npm/testdata/package-lock-v3.json"))
	}
	w := &Walker{Analyzers: all.Default()}
	if res, err = w.WalkDir(context.Background(), root); err != nil {
		b.Fatal(err)
	}
	c := &Cache{Dir: b.TempDir()}
	key := Key("sha256:bench", w.Analyzers)
	if err := c.Put(key, res); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, ok := c.Get(key); !ok {
			b.Fatal("miss")
		}
	}
}

func mustRead(tb testing.TB, p string) []byte {
	tb.Helper()
	data, err := os.ReadFile(p)
	if err != nil {
		tb.Fatal(err)
	}
	return data
}
