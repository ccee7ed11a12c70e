package java_test

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/shipshape-dev/shipshape/internal/analyzer"
	"github.com/shipshape-dev/shipshape/internal/analyzer/dpkg"
	"github.com/shipshape-dev/shipshape/internal/analyzer/java"
	"github.com/shipshape-dev/shipshape/internal/inventory"
	"github.com/shipshape-dev/shipshape/internal/layer"
)

// TestImageLayers walks a two-layer image: the base installs Debian's libyaml-snake-java
// (real dpkg status stanza, file list and jar), the top adds a war holding log4j-core.
// The Debian jar is marked as owned by the deb; the nested jar keeps its location inside
// the war and is attributed to the top layer.
func TestImageLayers(t *testing.T) {
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join("testdata", filepath.FromSlash(name)))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	layerTar := func(files map[string][]byte) []byte {
		var names []string
		for n := range files {
			names = append(names, n)
		}
		sort.Strings(names)
		var buf bytes.Buffer
		tw := tar.NewWriter(&buf)
		for _, n := range names {
			if err := tw.WriteHeader(&tar.Header{Name: n, Mode: 0o644, Size: int64(len(files[n])), Typeflag: tar.TypeReg}); err != nil {
				t.Fatal(err)
			}
			if _, err := tw.Write(files[n]); err != nil {
				t.Fatal(err)
			}
		}
		if err := tw.Close(); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	var war bytes.Buffer
	zw := zip.NewWriter(&war)
	w, err := zw.Create("WEB-INF/lib/log4j-core-2.19.0.jar")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(read("log4j-core-2.19.0.jar")); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	base := layerTar(map[string][]byte{
		"var/lib/dpkg/status":                       read("owned/status"),
		"var/lib/dpkg/info/libyaml-snake-java.list": read("owned/libyaml-snake-java.list"),
		"usr/share/java/snakeyaml.jar":              read("snakeyaml-1.33.jar"),
	})
	top := layerTar(map[string][]byte{"srv/shop.war": war.Bytes()})

	walker := &layer.Walker{Analyzers: analyzer.Set{dpkg.New(), java.New()}}
	var results []*layer.Result
	for _, l := range [][]byte{base, top} {
		res, err := walker.WalkTar(context.Background(), bytes.NewReader(l))
		if err != nil {
			t.Fatal(err)
		}
		results = append(results, res)
	}
	inv := layer.Merge([]inventory.Layer{{Index: 0, DiffID: "sha256:base"}, {Index: 1, DiffID: "sha256:top"}}, results)
	var got []string
	for _, p := range inv.Packages {
		got = append(got, strings.Join([]string{p.PURL, p.Location, p.Layer.DiffID, p.OwnedBy}, " "))
	}
	want := []string{
		"pkg:deb/debian/libyaml-snake-java@1.33-2?arch=all&upstream=snakeyaml /var/lib/dpkg/status sha256:base ",
		"pkg:maven/org.apache.logging.log4j/log4j-core@2.19.0 /srv/shop.war:WEB-INF/lib/log4j-core-2.19.0.jar sha256:top ",
		"pkg:maven/org.yaml/snakeyaml@1.33 /usr/share/java/snakeyaml.jar sha256:base pkg:deb/debian/libyaml-snake-java@1.33-2?arch=all&upstream=snakeyaml",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("packages\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
