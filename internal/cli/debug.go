package cli

import (
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shipshape-dev/shipshape/internal/inventory"
	"github.com/shipshape-dev/shipshape/internal/layer"
)

// debugLog prints what each stage did and how long it took, for --debug.
type debugLog struct {
	w     io.Writer
	mu    sync.Mutex
	start sync.Map // layer index -> time.Time
	read  sync.Map // layer index -> *atomic.Int64
}

func (d *debugLog) printf(format string, args ...any) {
	d.mu.Lock()
	defer d.mu.Unlock()
	fmt.Fprintf(d.w, "debug: "+format+"\n", args...)
}

func (d *debugLog) Reader(i int, _ layer.Spec, r io.Reader) io.Reader {
	d.start.Store(i, time.Now())
	n := &atomic.Int64{}
	d.read.Store(i, n)
	return countReader{r: r, n: n}
}

func (d *debugLog) Done(i int, spec layer.Spec, cached bool, err error) {
	if cached {
		d.printf("layer %d %s: from the cache", i, inventory.ShortDigest(spec.DiffID))
		return
	}
	var took time.Duration
	if t, ok := d.start.Load(i); ok {
		took = time.Since(t.(time.Time))
	}
	var n int64
	if c, ok := d.read.Load(i); ok {
		n = c.(*atomic.Int64).Load()
	}
	status := "ok"
	if err != nil {
		status = err.Error()
	}
	d.printf("layer %d %s: read %s as stored in %s: %s", i, inventory.ShortDigest(spec.DiffID), human(n), took.Round(time.Millisecond), status)
}

// multiProgress hands layer events to several listeners.
type multiProgress []layer.Progress

func (m multiProgress) Reader(i int, spec layer.Spec, r io.Reader) io.Reader {
	for _, p := range m {
		r = p.Reader(i, spec, r)
	}
	return r
}

func (m multiProgress) Done(i int, spec layer.Spec, cached bool, err error) {
	for _, p := range m {
		p.Done(i, spec, cached, err)
	}
}
