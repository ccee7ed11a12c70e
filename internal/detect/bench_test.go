package detect

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/shipshape-dev/shipshape/internal/analyzer"
	"github.com/shipshape-dev/shipshape/internal/analyzer/dpkg"
	"github.com/shipshape-dev/shipshape/internal/dbbuild"
	"github.com/shipshape-dev/shipshape/internal/feed/all"
	"github.com/shipshape-dev/shipshape/internal/inventory"
	"github.com/shipshape-dev/shipshape/internal/vulndb"
	"github.com/shipshape-dev/shipshape/internal/vulndb/snapshot"
)

// BenchmarkMatch1000 and BenchmarkMatch1000Worst match an inventory of 1,000 Debian packages (the real bookworm
// status fixture, repeated) against the embedded Debian OVAL data.
func BenchmarkMatch1000(b *testing.B) { benchMatch(b, false) }

// BenchmarkMatch1000Worst lowers every version to 0, so every advisory of every source
// package matches: the most work matching can do per package.
func BenchmarkMatch1000Worst(b *testing.B) { benchMatch(b, true) }

func benchMatch(b *testing.B, lower bool) {
	dir := b.TempDir()
	path := filepath.Join(dir, "bench.db")
	var srcs []dbbuild.Source
	feeds := all.ByName()
	for _, f := range snapshot.Files() {
		if f.Feed == "debian-oval" {
			srcs = append(srcs, dbbuild.Source{Name: f.Source, Feed: feeds[f.Feed], Location: f.Name, Open: f.Open})
		}
	}
	if _, err := dbbuild.Build(context.Background(), path, srcs, dbbuild.Options{Now: time.Now}); err != nil {
		b.Fatal(err)
	}
	db, err := vulndb.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	data, err := os.ReadFile(filepath.Join("..", "analyzer", "dpkg", "testdata", "status.bookworm-minbase"))
	if err != nil {
		b.Fatal(err)
	}
	facts, err := dpkg.New().Analyze(context.Background(), analyzer.Input{Path: "var/lib/dpkg/status", Content: bytes.NewReader(data)})
	if err != nil {
		b.Fatal(err)
	}
	inv := &inventory.Inventory{OS: &inventory.OS{Family: "debian", Version: "12"}}
	for len(inv.Packages) < 1000 {
		for _, p := range facts.Packages {
			if len(inv.Packages) == 1000 {
				break
			}
			if lower {
				p.Version, p.SourceVersion = "0", "0"
			}
			inv.Packages = append(inv.Packages, p)
		}
	}
	b.ResetTimer()
	var n int
	for i := 0; i < b.N; i++ {
		res, err := Match(context.Background(), db, inv, Options{})
		if err != nil {
			b.Fatal(err)
		}
		n = len(res.Findings)
	}
	b.ReportMetric(float64(n), "findings")
}
