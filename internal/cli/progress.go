package cli

import (
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shipshape-dev/shipshape/internal/layer"
)

// progress draws one status line on a terminal while layers are read. On anything that is
// not a terminal (CI logs, pipes) it draws nothing.
type progress struct {
	w       io.Writer
	mu      sync.Mutex
	bytes   atomic.Int64
	total   atomic.Int64
	done    atomic.Int32
	layers  atomic.Int32
	stop    chan struct{}
	stopped chan struct{}
	once    sync.Once
}

func newProgress(w io.Writer) layer.Progress {
	if !isTerminal(w) || os.Getenv("CI") != "" {
		return nil
	}
	p := &progress{w: w, stop: make(chan struct{}), stopped: make(chan struct{})}
	go p.loop()
	return p
}

type countReader struct {
	r io.Reader
	n *atomic.Int64
}

func (c countReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.n.Add(int64(n))
	return n, err
}

func (p *progress) Reader(_ int, spec layer.Spec, r io.Reader) io.Reader {
	p.layers.Add(1)
	p.total.Add(spec.Size)
	return countReader{r: r, n: &p.bytes}
}

func (p *progress) Done(int, layer.Spec, bool, error) { p.done.Add(1) }

func (p *progress) loop() {
	defer close(p.stopped)
	t := time.NewTicker(150 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			p.mu.Lock()
			fmt.Fprint(p.w, "\r\033[K")
			p.mu.Unlock()
			return
		case <-t.C:
			p.draw()
		}
	}
}

func (p *progress) draw() {
	p.mu.Lock()
	defer p.mu.Unlock()
	read, total := p.bytes.Load(), p.total.Load()
	line := fmt.Sprintf("\r\033[Kreading layers: %d done, %s", p.done.Load(), human(read))
	if total > 0 {
		pct := float64(read) / float64(total) * 100
		if pct > 100 {
			pct = 100
		}
		width := 24
		fill := int(pct / 100 * float64(width))
		bar := make([]byte, width)
		for i := range bar {
			if i < fill {
				bar[i] = '='
			} else {
				bar[i] = ' '
			}
		}
		line = fmt.Sprintf("\r\033[K[%s] %3.0f%% %s / %s, %d layer(s) done", bar, pct, human(read), human(total), p.done.Load())
	}
	fmt.Fprint(p.w, line)
}

func (p *progress) finish() {
	p.once.Do(func() {
		close(p.stop)
		<-p.stopped
	})
}

func human(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
