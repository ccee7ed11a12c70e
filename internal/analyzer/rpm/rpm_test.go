package rpm

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shipshape-dev/shipshape/internal/analyzer"
	"github.com/shipshape-dev/shipshape/internal/inventory"
)

// realDBs are the real databases in testdata with the path they have in an image and the
// golden `rpm -qa` output made from them by testdata/mkgolden.sh (see testdata/README.md).
var realDBs = []struct {
	name, fixture, path, golden string
	gpgPubkeys                  int // gpg-pubkey entries rpm lists and the analyzer leaves out
}{
	{"centos7 BerkeleyDB", "Packages.centos7-plain.bdb", "var/lib/rpm/Packages", "centos7-plain.rpm-qa.tsv", 0},
	{"centos8 BerkeleyDB with modules", "Packages.centos8-modularitylabel.bdb", "var/lib/rpm/Packages", "centos8-modularitylabel.rpm-qa.tsv", 1},
	{"fedora35 SQLite", "rpmdb.fedora35.sqlite", "var/lib/rpm/rpmdb.sqlite", "fedora35.rpm-qa.tsv", 1},
	{"sle15 NDB", "Packages.sle15-bci.ndb", "usr/lib/sysimage/rpm/Packages.db", "sle15-bci.rpm-qa.tsv", 0},
}

func analyze(t testing.TB, path string, data []byte) (analyzer.Facts, error) {
	t.Helper()
	return New().Analyze(context.Background(), analyzer.Input{Path: path, Content: bytes.NewReader(data)})
}

// srcRPM splits a SOURCERPM for the expectations, independently of SplitSourceRPM.
var srcRPM = regexp.MustCompile(`^(.+)-([^-]+)-([^-]+)\.(?:no)?src\.rpm$`)

// expectFromGolden turns the golden rpm query lines (NAME EPOCH VERSION RELEASE ARCH
// SOURCERPM LICENSE VENDOR MODULARITYLABEL, "(none)" for a missing tag) into the line
// describePackage gives for the package the analyzer should report.
func expectFromGolden(t *testing.T, golden string) (want []string, gpgPubkeys int) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", golden))
	if err != nil {
		t.Fatal(err)
	}
	none := func(s string) string {
		if s == "(none)" {
			return ""
		}
		return s
	}
	for _, line := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
		f := strings.Split(line, "\t")
		if len(f) != 9 {
			t.Fatalf("%s: bad line %q", golden, line)
		}
		name, epoch, ver, rel, arch, src, lic, vendor, module := f[0], none(f[1]), f[2], f[3], none(f[4]), none(f[5]), none(f[6]), none(f[7]), none(f[8])
		if name == "gpg-pubkey" {
			gpgPubkeys++
			continue
		}
		full := ver + "-" + rel
		if epoch != "" && epoch != "0" {
			full = epoch + ":" + full
		}
		var srcName, srcVersion string
		if src != "" {
			m := srcRPM.FindStringSubmatch(src)
			if m == nil {
				t.Fatalf("%s: SOURCERPM %q", golden, src)
			}
			srcName, srcVersion = m[1], m[2]+"-"+m[3]
			if epoch != "" && epoch != "0" {
				srcVersion = epoch + ":" + srcVersion
			}
		}
		var lics []string
		if lic != "" {
			lics = []string{lic}
		}
		want = append(want, describe(name, epoch, full, rel, arch, srcName, srcVersion, lics, vendor, module))
	}
	slices.Sort(want)
	return want, gpgPubkeys
}

func describe(name, epoch, version, release, arch, srcName, srcVersion string, lics []string, vendor, module string) string {
	return fmt.Sprintf("%s epoch=%s version=%s release=%s arch=%s source=%s@%s licenses=%q vendor=%s module=%s",
		name, epoch, version, release, arch, srcName, srcVersion, lics, vendor, module)
}

func describePackage(p inventory.Package) string {
	epoch := ""
	if p.Epoch != nil {
		epoch = strconv.Itoa(*p.Epoch)
	}
	return describe(p.Name, epoch, p.Version, p.Release, p.Arch, p.SourceName, p.SourceVersion, p.Licenses, p.Maintainer, p.Modularity)
}

// TestAgainstRPM compares the analyzer with what rpm itself reads from the same databases.
func TestAgainstRPM(t *testing.T) {
	for _, db := range realDBs {
		t.Run(db.name, func(t *testing.T) {
			want, gpg := expectFromGolden(t, db.golden)
			if gpg != db.gpgPubkeys {
				t.Errorf("golden lists %d gpg-pubkey entries, want %d", gpg, db.gpgPubkeys)
			}
			facts, err := analyze(t, db.path, fixture(t, db.fixture))
			if err != nil {
				t.Fatal(err)
			}
			if len(facts.Warnings) != 0 {
				t.Errorf("warnings: %q", facts.Warnings)
			}
			var got []string
			for _, p := range facts.Packages {
				if p.Type != inventory.TypeRPM {
					t.Errorf("%s: type %q", p.Name, p.Type)
				}
				got = append(got, describePackage(p))
			}
			slices.Sort(got)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("analyzer and rpm differ (%d vs %d packages)", len(got), len(want))
				for _, d := range diff(got, want) {
					t.Log(d)
				}
			}
		})
	}
}

// diff lists the lines only in got (+) or only in want (-), at most 20.
func diff(got, want []string) []string {
	count := map[string]int{}
	for _, s := range got {
		count[s]++
	}
	for _, s := range want {
		count[s]--
	}
	var out []string
	for s, n := range count {
		switch {
		case n > 0:
			out = append(out, "+ "+s)
		case n < 0:
			out = append(out, "- "+s)
		}
	}
	slices.Sort(out)
	if len(out) > 20 {
		out = out[:20]
	}
	return out
}

// TestEpochsAndModules spells out, on real packages, the fields the golden test covers.
func TestEpochsAndModules(t *testing.T) {
	facts, err := analyze(t, "var/lib/rpm/Packages", fixture(t, "Packages.centos8-modularitylabel.bdb"))
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]inventory.Package{}
	for _, p := range facts.Packages {
		byName[p.Name] = p
	}
	intp := func(i int) *int { return &i }
	tests := []inventory.Package{
		{ // no EPOCH tag
			Type: "rpm", Name: "strace", Version: "4.24-9.el8", Release: "9.el8", Arch: "x86_64",
			SourceName: "strace", SourceVersion: "4.24-9.el8", Licenses: []string{"LGPL-2.1+ and GPL-2.0+"}, Maintainer: "CentOS",
		},
		{ // an explicit epoch 0: kept in Epoch, not shown in Version
			Type: "rpm", Name: "perl-Errno", Version: "1.28-416.el8", Epoch: intp(0), Release: "416.el8", Arch: "x86_64",
			SourceName: "perl", SourceVersion: "5.26.3-416.el8", Licenses: []string{"GPL+ or Artistic"}, Maintainer: "CentOS",
		},
		{ // epoch 2, in a module stream
			Type: "rpm", Name: "conmon", Version: "2:2.0.6-1.module_el8.2.0+305+5e198a41", Epoch: intp(2),
			Release: "1.module_el8.2.0+305+5e198a41", Arch: "x86_64",
			SourceName: "conmon", SourceVersion: "2:2.0.6-1.module_el8.2.0+305+5e198a41", Licenses: []string{"ASL 2.0"},
			Maintainer: "CentOS", Modularity: "container-tools:rhel8:8020020200507003530:0d58ad57",
		},
	}
	for _, want := range tests {
		if got := byName[want.Name]; !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\n got  %s\n want %s", want.Name, describePackage(got), describePackage(want))
		}
	}
	if _, ok := byName["gpg-pubkey"]; ok {
		t.Error("gpg-pubkey reported")
	}
}

func TestSyntheticPackages(t *testing.T) {
	intp := func(i int) *int { return &i }
	tests := []struct {
		name     string
		tags     []tagValue
		want     inventory.Package
		warnings []string
	}{
		{
			name: "all fields",
			tags: []tagValue{str(tagName, "foo"), str(tagVersion, "1.2"), str(tagRelease, "3.el9"), i32(tagEpoch, 7),
				str(tagVendor, "Acme"), str(tagLicense, "MIT and (BSD or GPLv2+)"), str(tagArch, "aarch64"),
				str(tagSourceRPM, "foo-libs-source-1.2-3.el9.src.rpm"), str(tagModularityLabel, "foo:1:2:abc")},
			want: inventory.Package{Type: "rpm", Name: "foo", Version: "7:1.2-3.el9", Epoch: intp(7), Release: "3.el9", Arch: "aarch64",
				SourceName: "foo-libs-source", SourceVersion: "7:1.2-3.el9", Licenses: []string{"MIT and (BSD or GPLv2+)"},
				Maintainer: "Acme", Modularity: "foo:1:2:abc"},
		},
		{
			name: "minimal, nosrc",
			tags: []tagValue{str(tagName, "bar"), str(tagVersion, "1"), str(tagRelease, "1"), str(tagSourceRPM, "bar-1-1.nosrc.rpm")},
			want: inventory.Package{Type: "rpm", Name: "bar", Version: "1-1", Release: "1", SourceName: "bar", SourceVersion: "1-1"},
		},
		{
			name: "(none) values and no release",
			tags: []tagValue{str(tagName, "baz"), str(tagVersion, "2"), str(tagSourceRPM, "(none)"), str(tagVendor, "(none)"), str(tagLicense, "(none)")},
			want: inventory.Package{Type: "rpm", Name: "baz", Version: "2"},
		},
		{
			name:     "odd SOURCERPM",
			tags:     []tagValue{str(tagName, "qux"), str(tagVersion, "2"), str(tagRelease, "1"), str(tagSourceRPM, "qux.src.rpm")},
			want:     inventory.Package{Type: "rpm", Name: "qux", Version: "2-1", Release: "1"},
			warnings: []string{`package qux: SOURCERPM "qux.src.rpm" is not name-version-release.src.rpm; source package unknown`},
		},
	}
	for _, tt := range tests {
		header := buildHeader(tt.tags...)
		pubkey := buildHeader(str(tagName, "gpg-pubkey"), str(tagVersion, "fd431d51"), str(tagRelease, "4ae0493b"))
		nameless := buildHeader(str(tagVersion, "9"))
		headers := [][]byte{pubkey, header, nameless}
		for _, db := range []struct {
			format string
			data   []byte
		}{
			{"NDB", buildNDB(headers)},
			{"BerkeleyDB", buildBDB(headers, 4096, binary.LittleEndian)},
			{"BerkeleyDB big-endian, 512-byte pages", buildBDB(headers, 512, binary.BigEndian)},
			{"SQLite", buildSQLite(t, headers, "")},
		} {
			t.Run(tt.name+"/"+db.format, func(t *testing.T) {
				pkgs, warnings, err := Parse(context.Background(), db.data)
				if err != nil {
					t.Fatal(err)
				}
				if len(pkgs) != 1 || !reflect.DeepEqual(pkgs[0], tt.want) {
					t.Errorf("got %+v\nwant %+v", pkgs, tt.want)
				}
				wantWarnings := append(slices.Clone(tt.warnings), `a package header without a name (version "9") skipped`)
				if !reflect.DeepEqual(warnings, wantWarnings) {
					t.Errorf("warnings = %q, want %q", warnings, wantWarnings)
				}
			})
		}
	}
}

func TestSplitSourceRPM(t *testing.T) {
	tests := []struct {
		in                     string
		name, version, release string
		ok                     bool
	}{
		{"bash-4.4-19.6.1.src.rpm", "bash", "4.4", "19.6.1", true},
		{"gcc11-11.2.1+git610-1.3.9.src.rpm", "gcc11", "11.2.1+git610", "1.3.9", true},
		{"ca-certificates-mozilla-prebuilt-2.44-21.1.src.rpm", "ca-certificates-mozilla-prebuilt", "2.44", "21.1", true},
		{"x-1-1.nosrc.rpm", "x", "1", "1", true},
		{"bash-4.4-19.src", "", "", "", false},
		{"bash-4.4.src.rpm", "", "", "", false},
		{"-4.4-1.src.rpm", "", "", "", false},
		{"bash--1.src.rpm", "", "", "", false},
		{"bash-4.4-.src.rpm", "", "", "", false},
		{".src.rpm", "", "", "", false},
		{"", "", "", "", false},
	}
	for _, tt := range tests {
		n, v, r, ok := SplitSourceRPM(tt.in)
		if n != tt.name || v != tt.version || r != tt.release || ok != tt.ok {
			t.Errorf("SplitSourceRPM(%q) = %q %q %q %v", tt.in, n, v, r, ok)
		}
	}
}

func TestClaims(t *testing.T) {
	a := New()
	for p, want := range map[string]bool{
		"var/lib/rpm/Packages":              true,
		"var/lib/rpm/rpmdb.sqlite":          true,
		"var/lib/rpm/Packages.db":           true,
		"usr/lib/sysimage/rpm/Packages":     true,
		"usr/lib/sysimage/rpm/rpmdb.sqlite": true,
		"usr/lib/sysimage/rpm/Packages.db":  true,
		"var/lib/rpm/rpmdb.sqlite-wal":      false,
		"var/lib/rpm/Name":                  false,
		"var/lib/rpm/sub/Packages":          false,
		"/var/lib/rpm/Packages":             false,
		"var/lib/rpm/packages":              false,
		"lib/rpm/Packages":                  false,
		"var/lib/rpm/":                      false,
	} {
		if got := a.Claims(p, nil); got != want {
			t.Errorf("Claims(%q) = %v, want %v", p, got, want)
		}
	}
	if a.Name() != "rpm" || a.Version() != 4 {
		t.Errorf("Name/Version = %q/%d", a.Name(), a.Version())
	}
}

// errorWithin runs Parse on data and fails unless it returns an error of the package's
// kinds within the time limit (a hang in go-rpmdb would stop the test binary otherwise).
func errorWithin(t *testing.T, data []byte) error {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		_, _, err := Parse(context.Background(), data)
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("no error")
		}
		if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrNotDatabase) {
			t.Errorf("error %v is neither ErrCorrupt nor ErrNotDatabase", err)
		}
		return err
	case <-time.After(20 * time.Second):
		t.Fatal("Parse did not return within 20s")
	}
	return nil
}

func TestCorruptRealDatabases(t *testing.T) {
	for _, db := range realDBs {
		data := fixture(t, db.fixture)
		t.Run(db.name+"/first 4 KiB", func(t *testing.T) {
			errorWithin(t, data[:4096])
		})
		t.Run(db.name+"/first half", func(t *testing.T) {
			errorWithin(t, data[:len(data)/2])
		})
		t.Run(db.name+"/error names the file", func(t *testing.T) {
			_, err := analyze(t, db.path, data[:4096])
			if err == nil || !strings.Contains(err.Error(), db.path) {
				t.Errorf("err = %v, want one naming %s", err, db.path)
			}
		})
	}
	rng := rand.New(rand.NewPCG(1, 2))
	random := make([]byte, 64<<10)
	for i := range random {
		random[i] = byte(rng.Uint32())
	}
	for name, data := range map[string][]byte{
		"empty":           nil,
		"random":          random,
		"text":            []byte("not a database\n"),
		"sqlite magic":    append([]byte("SQLite format 3\x00"), random[:8192]...),
		"ndb magic":       append([]byte("RpmP"), random[:8192]...),
		"bdb magic":       append(append(make([]byte, 12), 0x61, 0x15, 0x06, 0x00), random[:8192]...),
		"sqlite magic 16": []byte("SQLite format 3\x00"),
		"ndb magic only":  []byte("RpmP"),
	} {
		t.Run(name, func(t *testing.T) { errorWithin(t, data) })
	}
}

// TestHostileDatabases feeds databases made to trip go-rpmdb: each would panic in its
// reader goroutine, loop forever, allocate gigabytes or print to stdout if handed over.
func TestHostileDatabases(t *testing.T) {
	header := buildHeader(str(tagName, "foo"), str(tagVersion, "1"), str(tagRelease, "1"))
	big := buildHeader(str(tagName, "foo"), str(tagVersion, "1"), str(tagRelease, "1"), str(tagLicense, strings.Repeat("x", 3000)))
	le, be := binary.LittleEndian, binary.BigEndian
	bdb := func(edit func(db []byte)) []byte {
		db := buildBDB([][]byte{big}, 512, le)
		edit(db)
		return db
	}
	ndb := func(h []byte, edit func(db []byte)) []byte {
		db := buildNDB([][]byte{h})
		if edit != nil {
			edit(db)
		}
		return db
	}
	// Page 2 starts the only overflow chain; page 3 is its second page.
	const ps = 512
	tests := map[string][]byte{
		"bdb overflow chain loops":          bdb(func(db []byte) { le.PutUint32(db[3*ps+16:], 2) }),
		"bdb chain reaches a hash page":     bdb(func(db []byte) { le.PutUint32(db[2*ps+16:], 1) }),
		"bdb chain past the end":            bdb(func(db []byte) { le.PutUint32(db[2*ps+16:], 1<<30) }),
		"bdb entry offset past the page":    bdb(func(db []byte) { le.PutUint16(db[ps+26+2:], 0xfff0) }),
		"bdb odd entries":                   bdb(func(db []byte) { le.PutUint16(db[ps+20:], 3) }),
		"bdb too many entries":              bdb(func(db []byte) { le.PutUint16(db[ps+20:], 0xfffe) }),
		"bdb last page free offset too big": bdb(func(db []byte) { le.PutUint16(db[(len(db)/ps-1)*ps+22:], 0xfff0) }),
		"bdb last page beyond file":         bdb(func(db []byte) { le.PutUint32(db[32:], 1<<20) }),
		"bdb bad page size":                 bdb(func(db []byte) { le.PutUint32(db[20:], 1000) }),
		"bdb encrypted":                     bdb(func(db []byte) { db[24] = 1 }),
		"bdb value is not a header":         buildBDB([][]byte{[]byte("hello, world")}, 512, le),
		"ndb bad slot magic":                ndb(header, func(db []byte) { le.PutUint32(db[32+16:], 0) }),
		"ndb blob length 4 GiB":             ndb(header, func(db []byte) { le.PutUint32(db[ndbPageSize+12:], 0xffffffff) }),
		"ndb blob offset past the end":      ndb(header, func(db []byte) { le.PutUint32(db[32+8:], 1<<28) }),
		"ndb wrong blob magic":              ndb(header, func(db []byte) { le.PutUint32(db[ndbPageSize:], 0) }),
		"ndb too many pages":                ndb(header, func(db []byte) { le.PutUint32(db[12:], 4096) }),
		"ndb pages beyond file":             ndb(header, func(db []byte) { le.PutUint32(db[12:], 100) }),
		"ndb version 1":                     ndb(header, func(db []byte) { le.PutUint32(db[4:], 1) }),
		"ndb zero pages":                    ndb(header, func(db []byte) { le.PutUint32(db[12:], 0) }),
		"header: huge index count":          ndb(header, func(db []byte) { be.PutUint32(db[ndbPageSize+16:], 0x7fffffff) }),
		"header: negative data length":      ndb(header, func(db []byte) { be.PutUint32(db[ndbPageSize+16+4:], 0xffffff00) }),
		// go-rpmdb's strtaglen loops count times without moving when a string has no NUL.
		"header: endless string array": ndb(buildHeader(str(tagName, "foo"),
			tagValue{tag: 1118, typ: typeStringArray, count: 0xffffffff, data: []byte("abc")}), nil),
		"header: string past the data": ndb(buildHeader(str(tagName, "foo"), tagValue{tag: tagVersion, typ: typeString, count: 1, data: []byte("1")}), nil),
		"header: overlapping entries": ndb(header, func(db []byte) {
			be.PutUint32(db[ndbPageSize+16+8+16+8:], 0) // VERSION at NAME's offset
		}),
		"header: bad type":     ndb(header, func(db []byte) { be.PutUint32(db[ndbPageSize+16+8+4:], 99) }),
		"header: int past end": ndb(buildHeader(str(tagName, "foo"), tagValue{tag: tagEpoch, typ: typeInt32, count: 1 << 20}), nil),
		// A region tag whose trailer gives a zero-length region makes go-rpmdb slice
		// peList[1:0] and panic in the calling goroutine: recovered into an error.
		"header: empty region":  ndb(regionTrap(), nil),
		"sqlite recursive view": buildSQLite(t, nil, `CREATE VIEW Packages AS WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c) SELECT x AS blob FROM c`),
		"sqlite generated blob": buildSQLite(t, nil, `CREATE TABLE Packages (hnum INTEGER PRIMARY KEY, raw BLOB, blob BLOB GENERATED ALWAYS AS (zeroblob(1000000000)) VIRTUAL)`),
		"sqlite no Packages":    buildSQLite(t, nil, `CREATE TABLE Other (blob BLOB)`),
		"sqlite no blob column": buildSQLite(t, nil, `CREATE TABLE Packages (hnum INTEGER PRIMARY KEY, data BLOB)`),
		"sqlite text blob":      buildSQLite(t, [][]byte{[]byte("not a header")}, ""),
	}
	for name, data := range tests {
		t.Run(name, func(t *testing.T) { errorWithin(t, data) })
	}
	// The same databases made well are read.
	for name, data := range map[string][]byte{
		"bdb":    bdb(func([]byte) {}),
		"ndb":    ndb(header, nil),
		"sqlite": buildSQLite(t, [][]byte{header}, ""),
	} {
		pkgs, _, err := Parse(context.Background(), data)
		if err != nil || len(pkgs) != 1 || pkgs[0].Name != "foo" {
			t.Errorf("%s: well-formed control gives %v, %v", name, pkgs, err)
		}
	}
}

// regionTrap is a header whose region trailer claims a region of zero entries.
func regionTrap() []byte {
	data := []byte("foo\x00")
	trailer := make([]byte, 16)
	binary.BigEndian.PutUint32(trailer[0:], tagHeaderImmutable)
	binary.BigEndian.PutUint32(trailer[4:], typeBin)
	binary.BigEndian.PutUint32(trailer[12:], 16) // offset 0: -0/16 = 0 entries
	regionOff := len(data)
	data = append(data, trailer...)
	h := binary.BigEndian.AppendUint32(nil, 2)
	h = binary.BigEndian.AppendUint32(h, uint32(len(data)))
	for _, e := range [][4]uint32{{tagHeaderImmutable, typeBin, uint32(regionOff), 16}, {tagName, typeString, 0, 1}} {
		for _, v := range e {
			h = binary.BigEndian.AppendUint32(h, v)
		}
	}
	return append(h, data...)
}

func TestTemporaryFilesRemoved(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	for _, db := range realDBs {
		data := fixture(t, db.fixture)
		if _, _, err := Parse(context.Background(), data); err != nil {
			t.Fatal(err)
		}
		if _, _, err := Parse(context.Background(), data[:4096]); err == nil {
			t.Fatal("truncated database read")
		}
	}
	entries, err := os.ReadDir(tmp)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 0 {
		t.Errorf("left in TMPDIR: %v", entries)
	}
}

func TestCanceledContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	data := buildNDB([][]byte{buildHeader(str(tagName, "foo"))})
	if _, err := New().Analyze(ctx, analyzer.Input{Path: "var/lib/rpm/Packages.db", Content: bytes.NewReader(data)}); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

// TestOwnedFiles: every real database lists bash's files, among them /usr/bin/bash (or
// /bin/bash before the /usr merge), and only files analyzer.Ownable keeps are recorded.
func TestOwnedFiles(t *testing.T) {
	for _, db := range realDBs {
		t.Run(db.name, func(t *testing.T) {
			facts, err := analyze(t, db.path, fixture(t, db.fixture))
			if err != nil {
				t.Fatal(err)
			}
			bash := facts.Owns["bash"]
			if !slices.Contains(bash, "usr/bin/bash") && !slices.Contains(bash, "bin/bash") {
				t.Errorf("bash owns %v, want usr/bin/bash or bin/bash among them", bash)
			}
			for pkg, files := range facts.Owns {
				for _, f := range files {
					if strings.HasPrefix(f, "/") || !analyzer.Ownable(f) {
						t.Errorf("%s owns %q: not a relative ownable path", pkg, f)
					}
				}
			}
		})
	}
}
