package java_test

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/shipshape-dev/shipshape/internal/analyzer"
	"github.com/shipshape-dev/shipshape/internal/analyzer/java"
	"github.com/shipshape-dev/shipshape/internal/layer"
)

// fatJar builds a Spring Boot style jar: copies sets of the real fixture jars under
// BOOT-INF/lib, stored (not compressed) as Spring Boot stores them, or deflated as a war
// built by Maven holds them.
func fatJar(b *testing.B, copies int, method uint16) []byte {
	b.Helper()
	names := []string{"log4j-core-2.19.0.jar", "jackson-databind-2.14.0.jar", "httpclient-osgi-4.5.14.jar", "bson-3.6.3.jar", "snakeyaml-1.33.jar", "spring3-beans-3.x.jar"}
	var jars [][]byte
	for _, n := range names {
		data, err := os.ReadFile(filepath.Join("testdata", n))
		if err != nil {
			b.Fatal(err)
		}
		jars = append(jars, data)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for c := range copies {
		for i, n := range names {
			w, err := zw.CreateHeader(&zip.FileHeader{Name: fmt.Sprintf("BOOT-INF/lib/%d/%s", c, n), Method: method})
			if err != nil {
				b.Fatal(err)
			}
			if _, err := w.Write(jars[i]); err != nil {
				b.Fatal(err)
			}
		}
	}
	if err := zw.Close(); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

func tarOf(b *testing.B, name string, data []byte) []byte {
	b.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(data)), Typeflag: tar.TypeReg}); err != nil {
		b.Fatal(err)
	}
	if _, err := tw.Write(data); err != nil {
		b.Fatal(err)
	}
	if err := tw.Close(); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

// BenchmarkFatJar measures a ~100 MB fat jar (90 nested jars): the analyzer alone on bytes
// in memory, and the whole layer walk (tar read, the walker's read of the claimed file,
// analysis) against a walk that claims nothing (the floor: reading the tar).
func BenchmarkFatJar(b *testing.B) {
	for _, m := range []struct {
		name   string
		method uint16
	}{{"stored", zip.Store}, {"deflated", zip.Deflate}} {
		jar := fatJar(b, 15, m.method)
		layerTar := tarOf(b, "app/app.jar", jar)
		b.Run("analyze/"+m.name, func(b *testing.B) {
			a := java.New()
			b.SetBytes(int64(len(jar)))
			b.ReportAllocs()
			for b.Loop() {
				f, err := a.Analyze(context.Background(), analyzer.Input{Path: "app/app.jar", Content: bytes.NewReader(jar)})
				if err != nil || len(f.Packages) != 15*11 {
					b.Fatalf("%d packages, %v", len(f.Packages), err)
				}
			}
		})
		for _, w := range []struct {
			name string
			set  analyzer.Set
		}{{"walk-floor", analyzer.Set{}}, {"walk-java", analyzer.Set{java.New()}}} {
			b.Run(w.name+"/"+m.name, func(b *testing.B) {
				walker := &layer.Walker{Analyzers: w.set}
				b.SetBytes(int64(len(layerTar)))
				b.ReportAllocs()
				for b.Loop() {
					if _, err := walker.WalkTar(context.Background(), bytes.NewReader(layerTar)); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
