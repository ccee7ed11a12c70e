package dpkg

import (
	"bufio"
	"context"
	"io"
	"strings"

	"github.com/shipshape-dev/shipshape/internal/analyzer"
)

// parseFileList reads a var/lib/dpkg/info/<pkg>.list file (one absolute path per line) and
// returns the paths, relative and without the leading slash, that analyzer.Ownable keeps.
func parseFileList(ctx context.Context, r io.Reader) ([]string, error) {
	var out []string
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for n := 0; sc.Scan(); n++ {
		if n%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		p := strings.TrimPrefix(strings.TrimSpace(sc.Text()), "/")
		if p == "" || p == "." {
			continue
		}
		if analyzer.Ownable(p) {
			out = append(out, p)
		}
	}
	return out, sc.Err()
}
