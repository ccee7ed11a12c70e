package layer

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/shipshape-dev/shipshape/internal/analyzer"
)

// cacheFormat changes whenever Result's encoding or the walker's behaviour changes.
const cacheFormat = "shipshape-layer-cache/1"

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
	return filepath.Join(c.Dir, "layers", key[:2], key+".json")
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
	var r Result
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, false
	}
	return &r, true
}

// Put stores r under key atomically (write to a temporary file, then rename).
func (c *Cache) Put(key string, r *Result) error {
	if c == nil || c.Dir == "" {
		return nil
	}
	data, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("encoding layer cache entry: %w", err)
	}
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
