package licensefiles_test

import (
	"archive/tar"
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shipshape-dev/shipshape/internal/analyzer"
	"github.com/shipshape-dev/shipshape/internal/analyzer/licensefiles"
	"github.com/shipshape-dev/shipshape/internal/layer"
)

func text(t *testing.T, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "license", "testdata", "texts", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func tarLayer(t *testing.T, files [][2]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range files {
		if err := tw.WriteHeader(&tar.Header{Name: f[0], Mode: 0o644, Size: int64(len(f[1])), Typeflag: tar.TypeReg, ModTime: time.Unix(0, 0)}); err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(tw, f[1]); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// Licence files still visible in the image are reported with their layer; one a later
// layer deletes is not; files that are no licence text leave nothing behind.
func TestLicenseFilesAcrossLayers(t *testing.T) {
	layers := [][]byte{
		tarLayer(t, [][2]string{
			{"app/node_modules/spdx/LICENSE", text(t, "go-spdx.LICENSE")},
			{"app/vendor/cobra/LICENSE.txt", text(t, "cobra.LICENSE.txt")},
			{"app/README", text(t, "not-a-license.txt")},
			{"app/COPYING", text(t, "not-a-license.txt")},
		}),
		tarLayer(t, [][2]string{{"app/vendor/cobra/.wh.LICENSE.txt", ""}, {"opt/tool/COPYING", text(t, "debian-common-GPL-2")}}),
	}
	specs := make([]layer.Spec, len(layers))
	for i, l := range layers {
		specs[i] = layer.Spec{DiffID: "sha256:" + strings.Repeat(string(rune('a'+i)), 64),
			Open: func(context.Context) (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(l)), nil }}
	}
	s := &layer.Scanner{Walker: &layer.Walker{Analyzers: analyzer.Set{licensefiles.New()}}, Parallel: 2}
	inv, err := s.ScanImage(context.Background(), specs)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, l := range inv.Licenses {
		if l.Layer == nil || l.Confidence < 0.75 {
			t.Errorf("%s: layer %v, confidence %v", l.Path, l.Layer, l.Confidence)
			continue
		}
		got = append(got, l.Path+" "+l.License+" "+string(rune('0'+l.Layer.Index)))
	}
	want := "/app/node_modules/spdx/LICENSE MIT 0,/opt/tool/COPYING GPL-2.0-only 1"
	if strings.Join(got, ",") != want {
		t.Errorf("licence files %v, want %s", got, want)
	}
}
