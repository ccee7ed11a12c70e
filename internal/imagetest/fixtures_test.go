package imagetest

import (
	"archive/tar"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"regexp"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

func TestFixturesAreDeterministic(t *testing.T) {
	a, err := Fixtures()
	if err != nil {
		t.Fatal(err)
	}
	b, err := Fixtures()
	if err != nil {
		t.Fatal(err)
	}
	if len(a) != len(b) {
		t.Fatalf("%d fixtures, then %d", len(a), len(b))
	}
	safe := regexp.MustCompile(`^[a-z0-9][a-z0-9.-]*$`)
	seen := map[string]bool{}
	for i := range a {
		if !safe.MatchString(a[i].Name) || seen[a[i].Name] {
			t.Errorf("fixture name %q is not unique and file-name safe", a[i].Name)
		}
		seen[a[i].Name] = true
		da, err := a[i].Image.Digest()
		if err != nil {
			t.Fatal(err)
		}
		db, err := b[i].Image.Digest()
		if err != nil {
			t.Fatal(err)
		}
		if a[i].Name != b[i].Name || da != db {
			t.Errorf("fixture %d: %s %s, then %s %s", i, a[i].Name, da, b[i].Name, db)
		}
	}
	for _, want := range []string{"alpine-3.6.5", "alpine-3.12.12", "alpine-3.19.4", "debian-bookworm", "debian-bullseye", "debian-bookworm-layers", "centos-7", "fedora-35", "sle-15"} {
		if !seen[want] {
			t.Errorf("fixture %s missing", want)
		}
	}
}

func fixture(t *testing.T, name string) v1.Image {
	t.Helper()
	fs, err := Fixtures()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fs {
		if f.Name == name {
			return f.Image
		}
	}
	t.Fatalf("no fixture %s", name)
	return nil
}

// layerFiles reads a layer's tar into name → body (directories and links with empty bodies,
// symbolic links as "-> target").
func layerFiles(t *testing.T, l v1.Layer) map[string]string {
	t.Helper()
	rc, err := l.Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	out := map[string]string{}
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeSymlink {
			body = []byte("-> " + h.Linkname)
		}
		out[h.Name] = string(body)
	}
}

func TestAlpineFixtureIsTheCommittedRootfs(t *testing.T) {
	ls, err := fixture(t, "alpine-3.19.4").Layers()
	if err != nil || len(ls) != 1 {
		t.Fatalf("layers: %d, %v", len(ls), err)
	}
	data, err := os.ReadFile(AlpineRootfs("3.19.4", "x86_64"))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	d, err := ls[0].Digest()
	if err != nil {
		t.Fatal(err)
	}
	if d.Hex != hex.EncodeToString(sum[:]) {
		t.Errorf("layer digest %s is not the minirootfs file's sha256 %x", d, sum)
	}
}

func TestDebianLayersFixture(t *testing.T) {
	img := fixture(t, "debian-bookworm-layers")
	ls, err := img.Layers()
	if err != nil || len(ls) != 3 {
		t.Fatalf("layers: %d, %v", len(ls), err)
	}
	l0, l1, l2 := layerFiles(t, ls[0]), layerFiles(t, ls[1]), layerFiles(t, ls[2])
	if l0["etc/os-release"] != "-> ../usr/lib/os-release" || !strings.Contains(l0["usr/lib/os-release"], "VERSION_CODENAME=bookworm") {
		t.Errorf("layer 0 os-release: %q %q", l0["etc/os-release"], l0["usr/lib/os-release"])
	}
	base, err := readRepoFile(dpkgTestdata + "status.bookworm-minbase")
	if err != nil {
		t.Fatal(err)
	}
	if l0["var/lib/dpkg/status"] != base {
		t.Error("layer 0 status is not the bookworm minbase status")
	}
	st := l1["var/lib/dpkg/status"]
	if n0, n1 := strings.Count(base, "\nPackage: ")+1, strings.Count(st, "\nPackage: ")+1; n1 != n0+1 {
		t.Errorf("layer 1 status has %d packages, want %d+1", n1, n0)
	}
	if !strings.Contains(st, "\n\nPackage: libyaml-0-2\n") || !strings.Contains(st, "Package: gzip\n") ||
		!strings.Contains(st, "Version: "+LayersUpgradedTo+"\n") || strings.Contains(st, "Version: "+LayersUpgradedFrom+"\n") {
		t.Error("layer 1 status lacks the added libyaml-0-2 or the upgraded gzip")
	}
	if _, ok := l1[LayersWhitedOut]; !ok {
		t.Errorf("layer 1 lacks %s", LayersWhitedOut)
	}
	for _, name := range []string{"var/lib/dpkg/status.d/.wh.libssl3", LayersOpaqueDir + "/.wh..wh..opq"} {
		if _, ok := l2[name]; !ok {
			t.Errorf("layer 2 lacks %s", name)
		}
	}
}

func TestUpgradeStatusKeepsOrder(t *testing.T) {
	in := "Package: a\nVersion: 1\n\nPackage: gzip\nVersion: " + LayersUpgradedFrom + "\n\nPackage: zz\nVersion: 2\n"
	out, err := upgradeStatus(in)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, line := range strings.Split(out, "\n") {
		if n, ok := strings.CutPrefix(line, "Package: "); ok {
			names = append(names, n)
		}
	}
	if got := strings.Join(names, " "); got != "a gzip libyaml-0-2 zz" {
		t.Errorf("order %q", got)
	}
	if _, err := upgradeStatus("Package: a\nVersion: 1\n"); err == nil {
		t.Error("a status without gzip was accepted")
	}
}
