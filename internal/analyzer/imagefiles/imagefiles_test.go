package imagefiles

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/shipshape-dev/shipshape/internal/analyzer"
	"github.com/shipshape-dev/shipshape/internal/imagetest"
	"github.com/shipshape-dev/shipshape/internal/layer"
	"github.com/shipshape-dev/shipshape/internal/misconfig/imageconfig"
)

// TestLayer walks a real tar layer (built with archive/tar) holding setuid/setgid programs,
// ordinary programs and package caches, and checks exactly which files are reported.
func TestLayer(t *testing.T) {
	tarData, err := imagetest.TarBytes([]imagetest.File{
		{Name: "bin/su", Body: "\x7fELF su", Mode: 0o4755},
		{Name: "usr/bin/wall", Body: "\x7fELF wall", Mode: 0o2755},
		{Name: "usr/bin/ls", Body: "\x7fELF ls", Mode: 0o755},
		{Name: "usr/share/doc/setuid-note", Body: "not executable", Mode: 0o4644},
		{Name: "var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_InRelease", Body: "Origin: Debian\n", Mode: 0o644},
		{Name: "var/lib/apt/lists/lock", Body: "", Mode: 0o640},
		{Name: "var/cache/apt/archives/curl_7.88.1-10+deb12u8_amd64.deb", Body: "!<arch>\n", Mode: 0o644},
		{Name: "var/cache/apk/APKINDEX.d3a8b1f0.tar.gz", Body: "\x1f\x8b", Mode: 0o644},
		{Name: "home/app/.cache/pip/http/a/b/c/0123", Body: "cached", Mode: 0o600},
		{Name: "etc/apt/sources.list", Body: "deb http://deb.debian.org/debian bookworm main\n", Mode: 0o644},
	})
	if err != nil {
		t.Fatal(err)
	}
	w := &layer.Walker{Analyzers: analyzer.Set{New()}}
	res, err := w.WalkTar(context.Background(), bytes.NewReader(tarData))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, ff := range res.Files {
		for _, m := range ff.Facts.Misconfigurations {
			got = append(got, m.ID+" "+ff.Path+" "+m.Object)
		}
	}
	slices.Sort(got)
	want := []string{
		imageconfig.IDSetuid + " bin/su ",
		imageconfig.IDSetuid + " usr/bin/wall ",
		imageconfig.IDPackageCache + " home/app/.cache/pip/http/a/b/c/0123 home/app/.cache/pip",
		imageconfig.IDPackageCache + " var/cache/apk/APKINDEX.d3a8b1f0.tar.gz var/cache/apk",
		imageconfig.IDPackageCache + " var/cache/apt/archives/curl_7.88.1-10+deb12u8_amd64.deb var/cache/apt/archives",
		imageconfig.IDPackageCache + " var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_InRelease var/lib/apt/lists",
	}
	slices.Sort(want)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, ff := range res.Files {
		for _, m := range ff.Facts.Misconfigurations {
			if m.ID == imageconfig.IDSetuid && ff.Path == "bin/su" && !strings.Contains(m.Message, "-rwsr-xr-x") {
				t.Errorf("mode not shown: %s", m.Message)
			}
		}
	}
}
