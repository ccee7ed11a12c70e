package layer

import (
	"context"
	"errors"
	"fmt"
	"io"

	"golang.org/x/sync/errgroup"

	"github.com/shipshape-dev/shipshape/internal/inventory"
)

// Spec describes one layer to scan, bottom (index 0) first.
type Spec struct {
	DiffID    string
	Digest    string
	Size      int64
	CreatedBy string
	// Open returns the layer stream as stored: gzip, zstd or plain tar.
	Open func(ctx context.Context) (io.ReadCloser, error)
}

// Progress hears about layers as they are scanned. Implementations must be safe for
// concurrent use.
type Progress interface {
	// Reader wraps a layer's raw stream to report bytes read.
	Reader(index int, spec Spec, r io.Reader) io.Reader
	Done(index int, spec Spec, cached bool, err error)
}

// Scanner scans images layer by layer, in parallel, with a per-layer cache.
type Scanner struct {
	Walker   *Walker
	Cache    *Cache
	Parallel int
	Progress Progress
}

// LayerError reports a layer that could not be read in full.
type LayerError struct {
	Index  int
	DiffID string
	Err    error
}

func (e *LayerError) Error() string {
	return fmt.Sprintf("layer %d (%s): %v", e.Index, inventory.ShortDigest(e.DiffID), e.Err)
}

func (e *LayerError) Unwrap() error { return e.Err }

// ScanImage walks every layer once (cached layers not at all) and merges the results. It
// returns the inventory with whatever could be read, and an error joining every layer that
// failed; each such failure is also a warning in the inventory.
func (s *Scanner) ScanImage(ctx context.Context, specs []Spec) (*inventory.Inventory, error) {
	results := make([]*Result, len(specs))
	layers := make([]inventory.Layer, len(specs))
	errs := make([]error, len(specs))
	g, gctx := errgroup.WithContext(ctx)
	par := s.Parallel
	if par <= 0 {
		par = 1
	}
	g.SetLimit(par)
	for i, sp := range specs {
		layers[i] = inventory.Layer{Index: i, DiffID: sp.DiffID, Digest: sp.Digest, Size: sp.Size, CreatedBy: sp.CreatedBy}
		g.Go(func() error {
			res, cached, err := s.scanLayer(gctx, i, sp)
			results[i] = res
			layers[i].Cached = cached
			if err != nil {
				errs[i] = &LayerError{Index: i, DiffID: sp.DiffID, Err: err}
			}
			if s.Progress != nil {
				s.Progress.Done(i, sp, cached, err)
			}
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	inv := Merge(layers, results)
	for i, err := range errs {
		if err != nil {
			inv.Warnings = append(inv.Warnings, inventory.Warning{Layer: specs[i].DiffID, Message: fmt.Sprintf("layer %d could not be read in full, its packages may be missing: %v", i, errors.Unwrap(err))})
		}
	}
	inv.Sort()
	return inv, errors.Join(errs...)
}

func (s *Scanner) scanLayer(ctx context.Context, i int, sp Spec) (*Result, bool, error) {
	key := ""
	if sp.DiffID != "" {
		key = Key(sp.DiffID, s.Walker.Analyzers)
		if r, ok := s.Cache.Get(key); ok {
			return r, true, nil
		}
	}
	rc, err := sp.Open(ctx)
	if err != nil {
		return &Result{}, false, fmt.Errorf("opening layer: %w", err)
	}
	defer rc.Close()
	var r io.Reader = rc
	if s.Progress != nil {
		r = s.Progress.Reader(i, sp, r)
	}
	res, err := s.Walker.WalkTar(ctx, r)
	if err != nil {
		return res, false, err
	}
	if key != "" {
		if perr := s.Cache.Put(key, res); perr != nil {
			res.Warnings = append(res.Warnings, inventory.Warning{Message: fmt.Sprintf("layer cache not written: %v", perr)})
		}
	}
	return res, false, nil
}

// ScanDir scans a folder on disk as a single layer.
func (s *Scanner) ScanDir(ctx context.Context, root string) (*inventory.Inventory, error) {
	res, err := s.Walker.WalkDir(ctx, root)
	if res == nil {
		return nil, err
	}
	inv := Merge([]inventory.Layer{{Index: 0}}, []*Result{res})
	inv.Layers = nil
	for i := range inv.Packages {
		inv.Packages[i].Layer = nil
	}
	for i := range inv.Secrets {
		inv.Secrets[i].Layer = nil
	}
	for i := range inv.Misconfigurations {
		inv.Misconfigurations[i].Layer = nil
	}
	for i := range inv.Licenses {
		inv.Licenses[i].Layer = nil
	}
	return inv, err
}
