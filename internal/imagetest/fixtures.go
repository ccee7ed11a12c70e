package imagetest

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Fixture is a named test image built from real data committed in the repository.
type Fixture struct {
	// Name is short and file-name safe, e.g. "alpine-3.19.4" or "debian-bookworm".
	Name  string
	Image v1.Image
}

// Tag is the docker-archive tag a fixture is written with.
func (f Fixture) Tag() string { return "shipshape.test/fixtures/" + f.Name + ":latest" }

// Fixtures builds every fixture image. The images are deterministic: the same repository
// content gives the same layer and image digests. They are made from
//   - the official Alpine minirootfs tarballs in testdata/images (one layer each),
//   - the debootstrap dpkg status files in internal/analyzer/dpkg/testdata,
//   - the real rpm databases in internal/analyzer/rpm/testdata,
//
// together with the os-release files those distributions ship.
func Fixtures() ([]Fixture, error) {
	var out []Fixture
	for _, v := range []string{"3.6.5", "3.12.12", "3.19.4"} {
		img, err := alpineImage(v)
		if err != nil {
			return nil, fmt.Errorf("fixture alpine-%s: %w", v, err)
		}
		out = append(out, Fixture{Name: "alpine-" + v, Image: img})
	}
	builders := []struct {
		name  string
		build func() (v1.Image, error)
	}{
		{"debian-bookworm", func() (v1.Image, error) { return debianImage("status.bookworm-minbase", debian12OSRelease) }},
		{"debian-bullseye", func() (v1.Image, error) { return debianImage("status.bullseye-minbase", debian11OSRelease) }},
		{"debian-bookworm-layers", debianLayersImage},
		{"centos-7", func() (v1.Image, error) {
			return rpmImage("Packages.centos7-plain.bdb.gz", "var/lib/rpm/Packages", centos7Release, "RUN yum -y install ... # centos:7")
		}},
		{"fedora-35", func() (v1.Image, error) {
			return rpmImage("rpmdb.fedora35.sqlite.gz", "var/lib/rpm/rpmdb.sqlite", fedora35Release, "RUN dnf -y install ... # fedora:35")
		}},
		{"sle-15", func() (v1.Image, error) {
			return rpmImage("Packages.sle15-bci.ndb.gz", "usr/lib/sysimage/rpm/Packages.db", sle15Release, "RUN zypper -n install ... # bci-base:15.3")
		}},
	}
	for _, b := range builders {
		img, err := b.build()
		if err != nil {
			return nil, fmt.Errorf("fixture %s: %w", b.name, err)
		}
		out = append(out, Fixture{Name: b.name, Image: img})
	}
	return out, nil
}

func alpineImage(version string) (v1.Image, error) {
	p := AlpineRootfs(version, "x86_64")
	l, err := LayerFromFile(p)
	if err != nil {
		return nil, err
	}
	return Image("linux/amd64", Step{Layer: l, CreatedBy: "ADD " + filepath.Base(p) + " / # buildkit"})
}

// withParents returns files preceded by a directory entry for every parent folder, sorted
// by name the way `tar --sort=name` writes a layer.
func withParents(files []File) []File {
	dirs := map[string]bool{}
	for _, f := range files {
		if f.Type == tar.TypeDir {
			dirs[strings.TrimSuffix(f.Name, "/")] = true
		}
		for d := path.Dir(strings.TrimSuffix(f.Name, "/")); d != "." && d != "/"; d = path.Dir(d) {
			dirs[d] = true
		}
	}
	out := make([]File, 0, len(files)+len(dirs))
	for d := range dirs {
		out = append(out, File{Name: d + "/", Type: tar.TypeDir})
	}
	for _, f := range files {
		if f.Type != tar.TypeDir {
			out = append(out, f)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		return strings.TrimSuffix(out[i].Name, "/") < strings.TrimSuffix(out[j].Name, "/")
	})
	return out
}

func layer(files ...File) (v1.Layer, error) { return LayerFromFiles(withParents(files)) }

func readRepoFile(rel string) (string, error) {
	b, err := os.ReadFile(filepath.Join(RepoRoot(), filepath.FromSlash(rel)))
	if err != nil {
		return "", fmt.Errorf("reading fixture data: %w", err)
	}
	return string(b), nil
}

func readGzipRepoFile(rel string) (string, error) {
	f, err := os.Open(filepath.Join(RepoRoot(), filepath.FromSlash(rel)))
	if err != nil {
		return "", fmt.Errorf("reading fixture data: %w", err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return "", fmt.Errorf("%s: %w", rel, err)
	}
	var buf bytes.Buffer
	if _, err := io.Copy(&buf, zr); err != nil {
		return "", fmt.Errorf("%s: %w", rel, err)
	}
	return buf.String(), nil
}

const dpkgTestdata = "internal/analyzer/dpkg/testdata/"

// debianBase lists the files of a Debian base layer: os-release where Debian keeps it
// (usr/lib/os-release, with etc/os-release a relative symbolic link to it) and the dpkg
// status database.
func debianBase(status, osRelease string) []File {
	return []File{
		{Name: "etc/os-release", Type: tar.TypeSymlink, Linkname: "../usr/lib/os-release", Mode: 0o777},
		{Name: "usr/lib/os-release", Body: osRelease},
		{Name: "var/lib/dpkg/status", Body: status},
	}
}

func debianImage(statusFile, osRelease string) (v1.Image, error) {
	status, err := readRepoFile(dpkgTestdata + statusFile)
	if err != nil {
		return nil, err
	}
	l, err := layer(debianBase(status, osRelease)...)
	if err != nil {
		return nil, err
	}
	return Image("linux/amd64", Step{Layer: l, CreatedBy: "debootstrap --variant=minbase"})
}

// Edits made by the second layer of the "debian-bookworm-layers" fixture to the bookworm
// minbase status: one package added, one upgraded.
const (
	// LayersAddedPackage is added by layer 1; its stanza is transcribed from the dpkg status
	// of a debootstrap of bookworm that included it.
	LayersAddedPackage = "libyaml-0-2"
	// LayersUpgradedPackage is upgraded by layer 1 from LayersUpgradedFrom to LayersUpgradedTo
	// (an edit of the fixture text, standing in for a stable point-release update).
	LayersUpgradedPackage = "gzip"
	LayersUpgradedFrom    = "1.12-1"
	LayersUpgradedTo      = "1.12-1+deb12u1"
	// LayersWhitedOut is a package database file added by layer 1 and deleted by a
	// whiteout in layer 2: its package must not be reported.
	LayersWhitedOut = "var/lib/dpkg/status.d/libssl3"
	// LayersOpaqueDir is made opaque by layer 2, hiding what layers 0 and 1 put in it.
	LayersOpaqueDir = "usr/share/doc"
)

const libyamlStanza = `Package: libyaml-0-2
Status: install ok installed
Priority: optional
Section: libs
Installed-Size: 152
Maintainer: Florian Ernst <florian@debian.org>
Architecture: amd64
Multi-Arch: same
Source: libyaml
Version: 0.2.5-1
Depends: libc6 (>= 2.14)
Description: Fast YAML 1.1 parser and emitter library
 LibYAML is a C library for parsing and emitting data in YAML 1.1, a
 human-readable data serialization format.
Homepage: https://github.com/yaml/libyaml

`

// upgradeStatus adds the libyaml stanza (in alphabetical place, as dpkg keeps the file)
// and bumps the gzip version.
func upgradeStatus(status string) (string, error) {
	stanzas := strings.SplitAfter(status, "\n\n")
	var b strings.Builder
	added, bumped := false, false
	for _, s := range stanzas {
		name := ""
		if rest, ok := strings.CutPrefix(s, "Package: "); ok {
			name, _, _ = strings.Cut(rest, "\n")
		}
		if !added && name != "" && name > LayersAddedPackage {
			b.WriteString(libyamlStanza)
			added = true
		}
		if name == LayersUpgradedPackage {
			from := "\nVersion: " + LayersUpgradedFrom + "\n"
			if !strings.Contains(s, from) {
				return "", fmt.Errorf("bookworm status: %s is not at version %s", LayersUpgradedPackage, LayersUpgradedFrom)
			}
			s = strings.Replace(s, from, "\nVersion: "+LayersUpgradedTo+"\n", 1)
			bumped = true
		}
		b.WriteString(s)
	}
	if !added || !bumped {
		return "", fmt.Errorf("bookworm status: could not add %s or upgrade %s", LayersAddedPackage, LayersUpgradedPackage)
	}
	return b.String(), nil
}

// debianLayersImage is a three-layer bookworm image:
//
//	0: the minbase status, os-release and base-files' copyright file;
//	1: the status with libyaml-0-2 added and gzip upgraded, a distroless-style
//	   status.d/libssl3 entry and bash's copyright file;
//	2: a whiteout deleting status.d/libssl3 and an opaque usr/share/doc holding only
//	   dbus's copyright file.
func debianLayersImage() (v1.Image, error) {
	status, err := readRepoFile(dpkgTestdata + "status.bookworm-minbase")
	if err != nil {
		return nil, err
	}
	upgraded, err := upgradeStatus(status)
	if err != nil {
		return nil, err
	}
	read := func(names ...string) ([]string, error) {
		out := make([]string, len(names))
		for i, n := range names {
			if out[i], err = readRepoFile(dpkgTestdata + n); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	texts, err := read("copyright/base-files", "copyright/bash", "copyright/dbus", "status.d/libssl3")
	if err != nil {
		return nil, err
	}
	l0, err := layer(append(debianBase(status, debian12OSRelease),
		File{Name: "usr/share/doc/base-files/copyright", Body: texts[0]})...)
	if err != nil {
		return nil, err
	}
	l1, err := layer(
		File{Name: "usr/share/doc/bash/copyright", Body: texts[1]},
		File{Name: "var/lib/dpkg/status", Body: upgraded},
		File{Name: LayersWhitedOut, Body: texts[3]},
	)
	if err != nil {
		return nil, err
	}
	l2, err := layer(
		File{Name: LayersOpaqueDir + "/.wh..wh..opq", Mode: 0o600},
		File{Name: LayersOpaqueDir + "/dbus/copyright", Body: texts[2]},
		File{Name: path.Dir(LayersWhitedOut) + "/.wh." + path.Base(LayersWhitedOut), Mode: 0o600},
	)
	if err != nil {
		return nil, err
	}
	return Image("linux/amd64",
		Step{Layer: l0, CreatedBy: "debootstrap --variant=minbase bookworm"},
		Step{Layer: l1, CreatedBy: "RUN apt-get install -y libyaml-0-2 && apt-get upgrade -y gzip"},
		Step{Layer: l2, CreatedBy: "RUN rm /var/lib/dpkg/status.d/libssl3 && rm -rf /usr/share/doc/* && ..."},
	)
}

// rpmImage is one layer holding an rpm database (gzip-compressed in the rpm analyzer's
// testdata) at dbPath and the release files in release.
func rpmImage(dbFile, dbPath string, release []File, createdBy string) (v1.Image, error) {
	db, err := readGzipRepoFile("internal/analyzer/rpm/testdata/" + dbFile)
	if err != nil {
		return nil, err
	}
	files := append([]File{{Name: dbPath, Body: db}}, release...)
	l, err := layer(files...)
	if err != nil {
		return nil, err
	}
	return Image("linux/amd64", Step{Layer: l, CreatedBy: createdBy})
}

// The os-release texts below are transcribed: written out as each distribution ships them
// (Debian's base-files, CentOS's centos-release, Fedora's fedora-release-container, SUSE's
// sles-release), not extracted from a package here.

const debian12OSRelease = `PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
VERSION="12 (bookworm)"
VERSION_CODENAME=bookworm
ID=debian
HOME_URL="https://www.debian.org/"
SUPPORT_URL="https://www.debian.org/support"
BUG_REPORT_URL="https://bugs.debian.org/"
`

const debian11OSRelease = `PRETTY_NAME="Debian GNU/Linux 11 (bullseye)"
NAME="Debian GNU/Linux"
VERSION_ID="11"
VERSION="11 (bullseye)"
VERSION_CODENAME=bullseye
ID=debian
HOME_URL="https://www.debian.org/"
SUPPORT_URL="https://www.debian.org/support"
BUG_REPORT_URL="https://bugs.debian.org/"
`

// centos7Release: the rpmdb holds centos-release 7-5.1804.4.el7.centos.
var centos7Release = []File{
	{Name: "etc/centos-release", Body: "CentOS Linux release 7.5.1804 (Core) \n"},
	{Name: "etc/os-release", Type: tar.TypeSymlink, Linkname: "../usr/lib/os-release", Mode: 0o777},
	{Name: "etc/redhat-release", Type: tar.TypeSymlink, Linkname: "centos-release", Mode: 0o777},
	{Name: "etc/system-release", Type: tar.TypeSymlink, Linkname: "centos-release", Mode: 0o777},
	{Name: "usr/lib/os-release", Body: `NAME="CentOS Linux"
VERSION="7 (Core)"
ID="centos"
ID_LIKE="rhel fedora"
VERSION_ID="7"
PRETTY_NAME="CentOS Linux 7 (Core)"
ANSI_COLOR="0;31"
CPE_NAME="cpe:/o:centos:centos:7"
HOME_URL="https://www.centos.org/"
BUG_REPORT_URL="https://bugs.centos.org/"

CENTOS_MANTISBT_PROJECT="CentOS-7"
CENTOS_MANTISBT_PROJECT_VERSION="7"
REDHAT_SUPPORT_PRODUCT="centos"
REDHAT_SUPPORT_PRODUCT_VERSION="7"

`},
}

// fedora35Release: the rpmdb holds fedora-release-container 35-35.
var fedora35Release = []File{
	{Name: "etc/fedora-release", Type: tar.TypeSymlink, Linkname: "../usr/lib/fedora-release", Mode: 0o777},
	{Name: "etc/os-release", Type: tar.TypeSymlink, Linkname: "../usr/lib/os-release", Mode: 0o777},
	{Name: "etc/redhat-release", Type: tar.TypeSymlink, Linkname: "fedora-release", Mode: 0o777},
	{Name: "etc/system-release", Type: tar.TypeSymlink, Linkname: "fedora-release", Mode: 0o777},
	{Name: "usr/lib/fedora-release", Body: "Fedora release 35 (Thirty Five)\n"},
	{Name: "usr/lib/os-release", Body: `NAME="Fedora Linux"
VERSION="35 (Container Image)"
ID=fedora
VERSION_ID=35
VERSION_CODENAME=""
PLATFORM_ID="platform:f35"
PRETTY_NAME="Fedora Linux 35 (Container Image)"
ANSI_COLOR="0;38;2;60;110;180"
LOGO=fedora-logo-icon
CPE_NAME="cpe:/o:fedoraproject:fedora:35"
HOME_URL="https://fedoraproject.org/"
DOCUMENTATION_URL="https://docs.fedoraproject.org/en-US/fedora/f35/system-administrators-guide/"
SUPPORT_URL="https://ask.fedoraproject.org/"
BUG_REPORT_URL="https://bugzilla.redhat.com/"
REDHAT_BUGZILLA_PRODUCT="Fedora"
REDHAT_BUGZILLA_PRODUCT_VERSION=35
REDHAT_SUPPORT_PRODUCT="Fedora"
REDHAT_SUPPORT_PRODUCT_VERSION=35
PRIVACY_POLICY_URL="https://fedoraproject.org/wiki/Legal:PrivacyPolicy"
VARIANT="Container Image"
VARIANT_ID=container
`},
}

// sle15Release: the rpmdb holds sles-release 15.3-55.4.1 (SLE 15 SP3).
var sle15Release = []File{
	{Name: "etc/os-release", Type: tar.TypeSymlink, Linkname: "../usr/lib/os-release", Mode: 0o777},
	{Name: "usr/lib/os-release", Body: `NAME="SLES"
VERSION="15-SP3"
VERSION_ID="15.3"
PRETTY_NAME="SUSE Linux Enterprise Server 15 SP3"
ID="sles"
ID_LIKE="suse"
ANSI_COLOR="0;32"
CPE_NAME="cpe:/o:suse:sles:15:sp3"
DOCUMENTATION_URL="https://documentation.suse.com/"
`},
}
