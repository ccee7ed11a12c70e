package secretfiles_test

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
	"github.com/shipshape-dev/shipshape/internal/analyzer/all"
	"github.com/shipshape-dev/shipshape/internal/analyzer/secretfiles"
	"github.com/shipshape-dev/shipshape/internal/layer"
	"github.com/shipshape-dev/shipshape/internal/secret"
)

// tarLayer builds a layer tar from (name, content) pairs.
func tarLayer(t *testing.T, files [][2]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range files {
		hdr := &tar.Header{Name: f[0], Mode: 0o644, Size: int64(len(f[1])), Typeflag: tar.TypeReg, ModTime: time.Unix(0, 0)}
		if err := tw.WriteHeader(hdr); err != nil {
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

// A secret added by layer 1 and deleted by layer 2 is still in the image: it is reported
// with layer 1, and so is a second secret that layer 2 overwrites with a clean file.
func TestSecretDeletedInLaterLayer(t *testing.T) {
	layers := [][]byte{
		tarLayer(t, [][2]string{{"etc/os-release", "ID=debian\nVERSION_ID=12\n"}}),
		tarLayer(t, [][2]string{
			{"app/.env", "# deploy settings\nGITHUB_TOKEN=ghp_R8cV2mQx7LwN4pZt9KsJ3hYb6FgDe1Ua5Wio\n"},
			{"app/settings.sh", "export SLACK=xoxb-2048613907-5713908462180-Hq7ZpW3kLx9VnT4cRb2Ys6Md\n"},
		}),
		tarLayer(t, [][2]string{{"app/.wh..env", ""}, {"app/settings.sh", "export SLACK=$SLACK_TOKEN\n"}}),
	}
	set := append(all.Default(), all.Secrets(secret.Options{})...)
	specs := make([]layer.Spec, len(layers))
	for i, l := range layers {
		specs[i] = layer.Spec{DiffID: "sha256:" + strings.Repeat(string(rune('a'+i)), 64), CreatedBy: "step " + string(rune('0'+i)),
			Open: func(context.Context) (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(l)), nil }}
	}
	s := &layer.Scanner{Walker: &layer.Walker{Analyzers: set}, Parallel: 2}
	inv, err := s.ScanImage(context.Background(), specs)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, sec := range inv.Secrets {
		if sec.Layer == nil {
			t.Fatalf("secret %s in %s has no layer", sec.RuleID, sec.Path)
		}
		if strings.Contains(sec.Match, "R8cV2mQx7LwN4pZt9KsJ3hYb6FgDe1Ua5Wio") {
			t.Errorf("match %q holds the secret in the clear", sec.Match)
		}
		got[sec.Path+" "+sec.RuleID] = sec.Layer.Index
		if sec.Layer.DiffID != specs[sec.Layer.Index].DiffID || sec.Layer.CreatedBy != specs[sec.Layer.Index].CreatedBy {
			t.Errorf("%s: layer %+v does not match spec %d", sec.Path, sec.Layer, sec.Layer.Index)
		}
	}
	want := map[string]int{"/app/.env github-pat": 1, "/app/settings.sh slack-bot-token": 1}
	if len(got) != len(want) {
		t.Errorf("secrets %v, want %v", got, want)
	}
	for k, v := range want {
		if g, ok := got[k]; !ok || g != v {
			t.Errorf("%s: layer %d (found %t), want layer %d", k, g, ok, v)
		}
	}

	// Without the secret analyzer nothing is reported, and the cache key differs.
	s.Walker.Analyzers = all.Default()
	inv, err = s.ScanImage(context.Background(), specs)
	if err != nil {
		t.Fatal(err)
	}
	if len(inv.Secrets) != 0 {
		t.Errorf("default analyzers found secrets: %v", inv.Secrets)
	}
	if layer.Key("sha256:x", all.Default()) == layer.Key("sha256:x", set) {
		t.Error("the cache key does not depend on the secret analyzer")
	}
	if layer.Key("sha256:x", append(all.Default(), all.Secrets(secret.Options{MaxSize: 1 << 20})...)) == layer.Key("sha256:x", set) {
		t.Error("the cache key does not depend on the secret scanner's options")
	}
}

// The analyzer skips binary files, files above the size limit, noise and allowed paths,
// and folds nothing into the walk's record of files without secrets.
func TestClaimsAndSkips(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tok := "glpat-Vq3xN8rT2mKw7ZbL5cYh"
	write("srv/app.conf", "token = "+tok+"\n")
	write("srv/blob.bin.txt", "\x00\x01binary "+tok+"\n")
	write("srv/big.txt", strings.Repeat("x", 2048)+"\n"+tok+"\n")
	write("srv/logo.png", tok)
	write("testdata/fixture.env", tok)
	write("srv/clean.txt", "nothing to see\n")

	for _, tc := range []struct {
		opts secret.Options
		want []string
	}{
		{secret.Options{MaxSize: 1024}, []string{"/srv/app.conf"}},
		{secret.Options{MaxSize: 1 << 20}, []string{"/srv/app.conf", "/srv/big.txt"}},
		{secret.Options{MaxSize: -1, IncludeBinaries: true}, []string{"/srv/app.conf", "/srv/big.txt", "/srv/blob.bin.txt"}},
	} {
		w := &layer.Walker{Analyzers: analyzer.Set{secretfiles.New(tc.opts)}}
		res, err := w.WalkDir(context.Background(), dir)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, ff := range res.Files {
			if len(ff.Facts.Secrets) == 0 {
				t.Errorf("%+v: %s recorded without secrets", tc.opts, ff.Path)
			}
			got = append(got, "/"+ff.Path)
		}
		if strings.Join(got, " ") != strings.Join(tc.want, " ") {
			t.Errorf("%+v: files with secrets %v, want %v", tc.opts, got, tc.want)
		}
	}
}
