package table

import (
	"bytes"
	"errors"
	"flag"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shipshape-dev/shipshape/internal/inventory"
	"github.com/shipshape-dev/shipshape/internal/report"
	"github.com/shipshape-dev/shipshape/internal/report/reporttest"
)

var update = flag.Bool("update", false, "rewrite golden files")

func render(t *testing.T, inv *inventory.Inventory) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Write(&buf, inv, reporttest.Options(true)); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestWriteGolden(t *testing.T) {
	for _, f := range reporttest.Fixtures() {
		t.Run(f.Name, func(t *testing.T) {
			got := render(t, f.Inv)
			for i, line := range strings.Split(string(got), "\n") {
				if strings.TrimRight(line, " ") != line {
					t.Errorf("line %d has trailing spaces: %q", i+1, line)
				}
			}
			reporttest.Golden(t, filepath.Join("testdata", f.Name+".txt"), got, *update)
		})
	}
}

func TestDeterministic(t *testing.T) {
	for _, f := range reporttest.Fixtures() {
		t.Run(f.Name, func(t *testing.T) {
			first := render(t, f.Inv)
			if again := render(t, f.Inv); !bytes.Equal(first, again) {
				t.Fatal("two writes of the same inventory differ")
			}
			for seed := range uint64(5) {
				if got := render(t, reporttest.Shuffled(f.Inv, seed)); !bytes.Equal(first, got) {
					t.Fatalf("shuffled input (seed %d) changes the output", seed)
				}
			}
		})
	}
}

func TestLayerColumn(t *testing.T) {
	tests := []struct {
		name string
		in   *inventory.LayerRef
		want string
	}{
		{"none", nil, ""},
		{"no created_by", &inventory.LayerRef{Index: 0}, "0"},
		{"short", &inventory.LayerRef{Index: 2, CreatedBy: "COPY app /app"}, "2 COPY app /app"},
		{"long, cut at 40", &inventory.LayerRef{Index: 1, CreatedBy: "RUN /bin/sh -c apt-get update && apt-get install -y curl"},
			"1 RUN /bin/sh -c apt-get update && apt-get"},
		{"newlines and tabs collapsed", &inventory.LayerRef{Index: 3, CreatedBy: "RUN set -eux; \\\n\tapk add --no-cache curl"},
			"3 RUN set -eux; \\ apk add --no-cache curl"},
		{"runes, not bytes", &inventory.LayerRef{Index: 4, CreatedBy: strings.Repeat("é", 50)}, "4 " + strings.Repeat("é", 40)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := layer(tt.in); got != tt.want {
				t.Errorf("layer() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestCellsCannotBreakTheTable(t *testing.T) {
	inv := reporttest.Alpine()
	inv.Packages[0].Name = "evil\tname\nwith\x1b[31mescapes"
	inv.Packages[0].Version = ""
	out := string(render(t, inv))
	if strings.ContainsAny(out, "\t\x1b") {
		t.Errorf("control characters reach the output:\n%s", out)
	}
	if !strings.Contains(out, "evil name with [31mescapes") {
		t.Errorf("sanitised name missing:\n%s", out)
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestErrors(t *testing.T) {
	if err := Write(&bytes.Buffer{}, nil, report.Options{}); !errors.Is(err, report.ErrNilInventory) {
		t.Errorf("Write(nil) = %v, want ErrNilInventory", err)
	}
	if err := Write(failingWriter{}, reporttest.Debian(), report.Options{}); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("Write to a failing writer = %v, want the write error", err)
	}
}
