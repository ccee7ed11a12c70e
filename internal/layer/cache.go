package layer

import (
	"bytes"
	"crypto/sha256"
	"encoding/gob"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/shipshape-dev/shipshape/internal/analyzer"
)

// cacheFormat changes whenever Result's encoding or the walker's behaviour changes.
// Entries are gob-encoded: decoding is about three times faster than JSON for the
// thousands of file facts of a big layer, and a warm scan is mostly decoding.
const cacheFormat = "shipshape-layer-cache/2"

// Cache stores per-layer results on disk, keyed by the layer's diffID and the names and
// versions of the analyzers that ran, so a layer shared by many images is analysed once.
// A nil *Cache caches nothing.
type Cache struct {
	Dir string
}

// Key returns the cache key for a layer analysed by set.
func Key(diffID string, set analyzer.Set) string {
	names := make([]string, 0, len(set))
	for _, a := range set {
		names = append(names, a.Name()+"@"+strconv.Itoa(a.Version()))
	}
	sort.Strings(names)
	sum := sha256.Sum256([]byte(cacheFormat + "\n" + diffID + "\n" + strings.Join(names, ",")))
	return hex.EncodeToString(sum[:])
}

func (c *Cache) file(key string) string {
	return filepath.Join(c.Dir, "layers", key[:2], key+".gob")
}

// Get returns the cached result for key, if any. A corrupt entry counts as a miss.
func (c *Cache) Get(key string) (*Result, bool) {
	if c == nil || c.Dir == "" {
		return nil, false
	}
	data, err := os.ReadFile(c.file(key))
	if err != nil {
		return nil, false
	}
	r, err := decodeResult(data)
	if err != nil {
		return nil, false
	}
	return r, true
}

// decodeResult decodes a cache entry; damage of any kind (a panic inside gob included)
// is an error.
func decodeResult(data []byte) (r *Result, err error) {
	defer func() {
		if p := recover(); p != nil {
			r, err = nil, fmt.Errorf("damaged layer cache entry: %v", p)
		}
	}()
	var e cacheEntry
	if err := gob.NewDecoder(bytes.NewReader(data)).Decode(&e); err != nil {
		return nil, err
	}
	if e.Result == nil {
		return nil, fmt.Errorf("damaged layer cache entry: no result")
	}
	for _, z := range e.ZeroEpochs {
		if z.File >= len(e.Result.Files) || z.Package >= len(e.Result.Files[z.File].Facts.Packages) {
			return nil, fmt.Errorf("damaged layer cache entry: epoch of a package it does not hold")
		}
		zero := 0
		e.Result.Files[z.File].Facts.Packages[z.Package].Epoch = &zero
	}
	return e.Result, nil
}

// cacheEntry is what a cache file holds. gob does not keep a pointer to a zero value (it
// decodes as nil), so the packages with an explicit epoch 0 (rpm headers with EPOCH 0,
// which purls and reports tell apart from no epoch) are listed beside the result.
type cacheEntry struct {
	Result     *Result
	ZeroEpochs []packageRef
}

type packageRef struct{ File, Package int }

func newCacheEntry(r *Result) cacheEntry {
	e := cacheEntry{Result: r}
	for i := range r.Files {
		for j, p := range r.Files[i].Facts.Packages {
			if p.Epoch != nil && *p.Epoch == 0 {
				e.ZeroEpochs = append(e.ZeroEpochs, packageRef{i, j})
			}
		}
	}
	return e
}

// Put stores r under key atomically (write to a temporary file, then rename).
func (c *Cache) Put(key string, r *Result) error {
	if c == nil || c.Dir == "" {
		return nil
	}
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(newCacheEntry(r)); err != nil {
		return fmt.Errorf("encoding layer cache entry: %w", err)
	}
	data := buf.Bytes()
	dst := c.file(key)
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return fmt.Errorf("creating cache folder: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(dst), ".tmp-*")
	if err != nil {
		return fmt.Errorf("writing layer cache: %w", err)
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return fmt.Errorf("writing layer cache: %w", err)
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("writing layer cache: %w", err)
	}
	if err := os.Rename(tmp.Name(), dst); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("writing layer cache: %w", err)
	}
	return nil
}
