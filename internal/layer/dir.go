package layer

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/shipshape-dev/shipshape/internal/inventory"
)

// WalkDir runs the analyzers over a folder on disk as if it were one layer. Symbolic links
// are never followed, so links pointing outside the folder or in loops are harmless.
func (w *Walker) WalkDir(ctx context.Context, root string) (*Result, error) {
	lim := w.Limits.withDefaults()
	st, err := os.Stat(root)
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", root, err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("%s is not a folder", root)
	}
	res := &Result{}
	err = filepath.WalkDir(root, func(full string, d fs.DirEntry, err error) error {
		if cerr := ctx.Err(); cerr != nil {
			return cerr
		}
		rel, rerr := filepath.Rel(root, full)
		if rerr != nil {
			return rerr
		}
		p := filepath.ToSlash(rel)
		if err != nil {
			res.Warnings = append(res.Warnings, inventory.Warning{Path: "/" + p, Message: fmt.Sprintf("cannot read: %v", err)})
			if d != nil && d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		info, ierr := d.Info()
		if ierr != nil {
			res.Warnings = append(res.Warnings, inventory.Warning{Path: "/" + p, Message: fmt.Sprintf("cannot stat: %v", ierr)})
			return nil
		}
		claimers := w.Analyzers.Claimers(p, info)
		if len(claimers) == 0 {
			return nil
		}
		f, oerr := os.Open(full)
		if oerr != nil {
			res.Warnings = append(res.Warnings, inventory.Warning{Path: "/" + p, Message: fmt.Sprintf("cannot open: %v", oerr)})
			return nil
		}
		defer f.Close()
		res.Files = append(res.Files, w.analyze(ctx, p, info, f, info.Size(), claimers, lim, res)...)
		return nil
	})
	res.sort()
	if err != nil {
		return res, fmt.Errorf("walking %s: %w", root, err)
	}
	return res, nil
}
