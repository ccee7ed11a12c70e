// Package reporttest holds what the report writers' tests share: realistic inventories built
// in code, a fixed clock, golden-file comparison and JSON Schema validation against schemas
// read from local files only. Only tests import it.
package reporttest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/shipshape-dev/shipshape/internal/inventory"
	"github.com/shipshape-dev/shipshape/internal/report"
)

// Now is the fixed clock tests pass as Options.Now.
func Now() time.Time { return time.Date(2024, 3, 1, 12, 30, 45, 0, time.UTC) }

// Options returns the writer options tests use, with the fixed clock when withClock is set.
func Options(withClock bool) report.Options {
	o := report.Options{ToolName: "shipshape", ToolVersion: "0.1.0-test"}
	if withClock {
		o.Now = Now
	}
	return o
}

// Fixture is a named inventory.
type Fixture struct {
	Name string
	Inv  *inventory.Inventory
}

// Fixtures returns fresh copies of the inventories of scans that did not look for
// vulnerabilities (Vulnerabilities and DB are nil), as the sbom command makes them.
func Fixtures() []Fixture {
	return []Fixture{
		{"debian-image", Debian()},
		{"alpine-rootfs", Alpine()},
		{"rhel-image", RHEL()},
		{"empty-image", Empty()},
	}
}

// VulnFixtures returns fresh copies of the inventories of vulnerability scans: findings in
// an image with layers, findings in a root filesystem, a scan that found nothing
// (Vulnerabilities empty, not nil), and an image scanned with every scanner
// (misconfigurations, secrets, licences, suppressed findings, risk scores).
func VulnFixtures() []Fixture {
	return []Fixture{
		{"debian-image-vulns", DebianVulns()},
		{"alpine-rootfs-vulns", AlpineVulns()},
		{"empty-image-novulns", EmptyNoVulns()},
		{"debian-image-checks", DebianChecks()},
	}
}

// AllFixtures returns Fixtures followed by VulnFixtures.
func AllFixtures() []Fixture {
	return append(Fixtures(), VulnFixtures()...)
}

// digest returns a stable, realistic-looking sha256 digest for a label.
func digest(label string) string {
	sum := sha256.Sum256([]byte(label))
	return "sha256:" + hex.EncodeToString(sum[:])
}

func withPURLs(inv *inventory.Inventory) *inventory.Inventory {
	for i := range inv.Packages {
		inv.Packages[i].PURL = inventory.PURL(&inv.Packages[i], inv.OS)
	}
	inv.Sort()
	return inv
}

// Debian is a two-layer debian:12 image: deb packages with source packages, a version with an epoch, licences
// that are SPDX ids and licences that are not, one package recorded at two locations (so two
// packages share a purl), and a warning.
func Debian() *inventory.Inventory {
	base := inventory.Layer{Index: 0, DiffID: digest("debian base layer"), Digest: digest("debian base blob"),
		Size: 29150000, CreatedBy: "/bin/sh -c #(nop) ADD file:4b1be1de1a1e5aa608c688cad2824587262081866180d7368feb79d33ca05953 in / "}
	apt := inventory.Layer{Index: 1, DiffID: digest("debian apt layer"), Digest: digest("debian apt blob"),
		Size: 7340000, CreatedBy: "RUN /bin/sh -c apt-get update && apt-get install -y --no-install-recommends curl ca-certificates && rm -rf /var/lib/apt/lists/* # buildkit"}
	ref := func(l inventory.Layer) *inventory.LayerRef {
		return &inventory.LayerRef{Index: l.Index, DiffID: l.DiffID, CreatedBy: l.CreatedBy}
	}
	const status = "/var/lib/dpkg/status"
	inv := &inventory.Inventory{
		Target: inventory.Target{
			Name: "docker.io/library/debian:12", Kind: "image", ImageID: digest("debian config"),
			RepoTags: []string{"debian:12"}, RepoDigests: []string{"debian@" + digest("debian manifest")},
			Platform: "linux/amd64", ManifestDigest: digest("debian manifest"),
		},
		OS: &inventory.OS{Family: "debian", Name: "Debian GNU/Linux", Version: "12", Codename: "bookworm",
			PrettyName: "Debian GNU/Linux 12 (bookworm)", Source: "/etc/os-release"},
		Layers: []inventory.Layer{base, apt},
		Packages: []inventory.Package{
			{Type: inventory.TypeDeb, Name: "base-files", Version: "12.4+deb12u5", Arch: "amd64",
				Maintainer: "Santiago Vila <sanvila@debian.org>", Location: status, Layer: ref(base)},
			{Type: inventory.TypeDeb, Name: "libc6", Version: "2.36-9+deb12u4", Arch: "amd64",
				SourceName: "glibc", Licenses: []string{"GPL-2", "LGPL-2.1"},
				Maintainer: "GNU Libc Maintainers <debian-glibc@lists.debian.org>", Location: status, Layer: ref(base)},
			{Type: inventory.TypeDeb, Name: "zlib1g", Version: "1:1.2.13.dfsg-1", Arch: "amd64",
				SourceName: "zlib", SourceVersion: "1:1.2.13.dfsg-1", Licenses: []string{"Zlib"},
				Maintainer: "Mark Brown <broonie@debian.org>", Location: status, Layer: ref(base)},
			{Type: inventory.TypeDeb, Name: "libssl3", Version: "3.0.11-1~deb12u2", Arch: "amd64",
				SourceName: "openssl", Licenses: []string{"Apache-2.0"},
				Maintainer: "Debian OpenSSL Team <pkg-openssl-devel@alioth-lists.debian.net>", Location: status, Layer: ref(apt)},
			{Type: inventory.TypeDeb, Name: "curl", Version: "7.88.1-10+deb12u5", Arch: "amd64",
				Licenses: []string{"curl"}, Maintainer: "Alessandro Ghedini <ghedo@debian.org>", Location: status, Layer: ref(apt)},
			{Type: inventory.TypeDeb, Name: "libcurl4", Version: "7.88.1-10+deb12u5", Arch: "amd64",
				SourceName: "curl", Licenses: []string{"curl", "BSD-3-Clause", "ISC"},
				Maintainer: "Alessandro Ghedini <ghedo@debian.org>", Location: status, Layer: ref(apt)},
			{Type: inventory.TypeDeb, Name: "ca-certificates", Version: "20230311", Arch: "all",
				Licenses: []string{"GPL-2+", "MPL-2.0"}, Maintainer: "Julien Cristau <jcristau@debian.org>",
				Location: status, Layer: ref(apt)},
			{Type: inventory.TypeDeb, Name: "ca-certificates", Version: "20230311", Arch: "all",
				Licenses: []string{"GPL-2+", "MPL-2.0"}, Maintainer: "Julien Cristau <jcristau@debian.org>",
				Location: "/var/lib/dpkg/status.d/ca-certificates", Layer: ref(apt)},
		},
		Warnings: []inventory.Warning{
			{Path: "/var/lib/dpkg/status.d/broken", Layer: apt.DiffID, Message: "line 3: field without a package stanza"},
		},
	}
	return withPURLs(inv)
}

// Alpine is an alpine root filesystem: no layers, apk packages with origins, licences that
// are SPDX expressions, and a maintainer name outside ASCII.
func Alpine() *inventory.Inventory {
	const db = "/lib/apk/db/installed"
	apk := func(name, version, origin, license, maintainer string) inventory.Package {
		return inventory.Package{Type: inventory.TypeApk, Name: name, Version: version, Arch: "x86_64",
			SourceName: origin, Licenses: []string{license}, Maintainer: maintainer, Location: db}
	}
	inv := &inventory.Inventory{
		Target: inventory.Target{Name: "./alpine-rootfs", Kind: "rootfs"},
		OS: &inventory.OS{Family: "alpine", Name: "Alpine Linux", Version: "3.19.1",
			PrettyName: "Alpine Linux v3.19", Source: "/etc/os-release"},
		Packages: []inventory.Package{
			apk("musl", "1.2.4_git20230717-r4", "musl", "MIT", "Timo Teräs <timo.teras@iki.fi>"),
			apk("busybox", "1.36.1-r15", "busybox", "GPL-2.0-only", "Sören Tempel <soeren+alpine@soeren-tempel.net>"),
			apk("ssl_client", "1.36.1-r15", "busybox", "GPL-2.0-only", "Sören Tempel <soeren+alpine@soeren-tempel.net>"),
			apk("libcrypto3", "3.1.4-r5", "openssl", "Apache-2.0", "Ariadne Conill <ariadne@dereferenced.org>"),
			apk("ca-certificates-bundle", "20240226-r0", "ca-certificates", "MPL-2.0 AND MIT", "Natanael Copa <ncopa@alpinelinux.org>"),
			apk("libc-utils", "0.7.2-r5", "libc-dev", "BSD-2-Clause AND BSD-3-Clause", "Natanael Copa <ncopa@alpinelinux.org>"),
			apk("scanelf", "1.3.7-r2", "pax-utils", "GPL-2.0-only", "Natanael Copa <ncopa@alpinelinux.org>"),
			apk("alpine-baselayout-data", "3.4.3-r2", "alpine-baselayout", "GPL-2.0-only", "Natanael Copa <ncopa@alpinelinux.org>"),
		},
	}
	return withPURLs(inv)
}

// RHEL is a one-layer ubi9 image: rpm packages with epochs, releases, source rpms, a
// modularity label, licences in Fedora's legacy notation, and a layer without created_by.
func RHEL() *inventory.Inventory {
	layer := inventory.Layer{Index: 0, DiffID: digest("ubi9 layer"), Digest: digest("ubi9 blob"), Size: 39000000}
	ref := &inventory.LayerRef{Index: 0, DiffID: layer.DiffID}
	const db = "/var/lib/rpm/rpmdb.sqlite"
	epoch1 := 1
	rpm := func(name, version, release, arch, src, license string, epoch *int) inventory.Package {
		full := version + "-" + release
		if epoch != nil {
			full = fmt.Sprintf("%d:%s", *epoch, full)
		}
		return inventory.Package{Type: inventory.TypeRPM, Name: name, Version: full, Epoch: epoch, Release: release,
			Arch: arch, SourceName: src, SourceVersion: full, Licenses: []string{license},
			Maintainer: "Red Hat, Inc.", Location: db, Layer: ref}
	}
	nodejs := rpm("nodejs", "18.18.2", "2.module+el9.3.0+20393+a2c2ab7e", "x86_64", "nodejs", "MIT and ASL 2.0 and ISC and BSD", &epoch1)
	nodejs.Modularity = "nodejs:18:9030020231115083546:rhel9"
	inv := &inventory.Inventory{
		Target: inventory.Target{Name: "registry.access.redhat.com/ubi9/ubi-minimal:9.3", Kind: "image",
			ImageID: digest("ubi9 config"), RepoTags: []string{"registry.access.redhat.com/ubi9/ubi-minimal:9.3"},
			Platform: "linux/amd64"},
		OS: &inventory.OS{Family: "rhel", Name: "Red Hat Enterprise Linux", Version: "9.3",
			PrettyName: "Red Hat Enterprise Linux 9.3 (Plow)", IDLike: []string{"fedora"}, Source: "/etc/os-release"},
		Layers: []inventory.Layer{layer},
		Packages: []inventory.Package{
			rpm("openssl-libs", "3.0.7", "25.el9_3", "x86_64", "openssl", "ASL 2.0", &epoch1),
			rpm("bash", "5.1.8", "6.el9_1", "x86_64", "bash", "GPLv3+", nil),
			rpm("libgcc", "11.4.1", "2.1.el9", "x86_64", "gcc", "GPLv3+ and GPLv3+ with exceptions and GPLv2+ with exceptions and LGPLv2+ and BSD", nil),
			rpm("crypto-policies", "20230731", "1.git94f0e2c.el9_3.1", "noarch", "crypto-policies", "LGPL-2.1-or-later", nil),
			rpm("tzdata", "2023c", "1.el9", "noarch", "tzdata", "Public Domain", nil),
			nodejs,
		},
	}
	return withPURLs(inv)
}

// Empty is an image in which nothing was recognised: no OS, no layers, no packages.
func Empty() *inventory.Inventory {
	return &inventory.Inventory{Target: inventory.Target{Name: "scratch-app:latest", Kind: "image"}}
}

// Shuffled returns a copy of inv with its packages, layers, warnings and findings, and the
// set-like lists inside each finding and the DB's sources, in a random but seeded order; the
// elements themselves are unchanged, and nil lists stay nil.
func Shuffled(inv *inventory.Inventory, seed uint64) *inventory.Inventory {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	c := *inv
	c.Packages = shuffle(r, inv.Packages)
	c.Layers = shuffle(r, inv.Layers)
	c.Warnings = shuffle(r, inv.Warnings)
	c.Vulnerabilities = shuffle(r, inv.Vulnerabilities)
	c.Misconfigurations = shuffle(r, inv.Misconfigurations)
	c.Secrets = shuffle(r, inv.Secrets)
	c.Licenses = shuffle(r, inv.Licenses)
	for i := range c.Vulnerabilities {
		f := &c.Vulnerabilities[i]
		f.Aliases = shuffle(r, f.Aliases)
		f.CWEs = shuffle(r, f.CWEs)
		f.References = shuffle(r, f.References)
		f.DataSources = shuffle(r, f.DataSources)
		f.CVSS = shuffle(r, f.CVSS)
	}
	if inv.DB != nil {
		db := *inv.DB
		db.Sources = shuffle(r, inv.DB.Sources)
		c.DB = &db
	}
	return &c
}

func shuffle[T any](r *rand.Rand, s []T) []T {
	if s == nil {
		return nil
	}
	c := slices.Clone(s)
	r.Shuffle(len(c), func(i, j int) { c[i], c[j] = c[j], c[i] })
	return c
}

// Golden compares got with the file at path, or rewrites the file when update is set.
func Golden(t *testing.T, path string, got []byte, update bool) {
	t.Helper()
	if update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/report/... -update to create it)", err)
	}
	if bytes.Equal(got, want) {
		return
	}
	gl, wl := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
	for i := 0; i < max(len(gl), len(wl)); i++ {
		var g, w string
		if i < len(gl) {
			g = gl[i]
		}
		if i < len(wl) {
			w = wl[i]
		}
		if g != w {
			t.Fatalf("output differs from %s at line %d:\n got: %s\nwant: %s\n(run go test ./internal/report/... -update if the change is intended)", path, i+1, g, w)
		}
	}
	t.Fatalf("output differs from %s", path)
}

// Schema compiles the schema whose $id is root from local files, each registered under the
// $id (draft-04: id) it declares, so that nothing is fetched from the network. Formats are asserted.
func Schema(t *testing.T, root string, files ...string) *jsonschema.Schema {
	t.Helper()
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	for _, f := range files {
		doc := readJSON(t, f)
		m, ok := doc.(map[string]any)
		if !ok {
			t.Fatalf("%s: not a JSON object", f)
		}
		id, _ := m["$id"].(string)
		if id == "" {
			// Draft-04 schemas (SARIF 2.1.0) name themselves with "id".
			id, _ = m["id"].(string)
		}
		if id == "" {
			t.Fatalf("%s: no $id", f)
		}
		if err := c.AddResource(id, doc); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
	}
	s, err := c.Compile(root)
	if err != nil {
		t.Fatalf("compiling %s: %v", root, err)
	}
	return s
}

// Validate fails the test unless data is a JSON document valid against s.
func Validate(t *testing.T, s *jsonschema.Schema, data []byte) {
	t.Helper()
	if err := Check(s, data); err != nil {
		t.Fatal(err)
	}
}

// Check returns why data is not a JSON document valid against s, or nil.
func Check(s *jsonschema.Schema, data []byte) error {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("not JSON: %w", err)
	}
	if err := s.Validate(doc); err != nil {
		return fmt.Errorf("does not validate: %w", err)
	}
	return nil
}

func readJSON(t *testing.T, path string) any {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return doc
}
