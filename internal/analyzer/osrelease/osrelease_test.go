package osrelease

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shipshape-dev/shipshape/internal/analyzer"
	"github.com/shipshape-dev/shipshape/internal/inventory"
)

// claimed lists every path the analyzer claims, in the order of the OS priority list of
// the layer merge (internal/layer/merge.go). FuzzOSRelease indexes into it.
var claimed = []string{
	"etc/os-release",
	"usr/lib/os-release",
	"etc/alpine-release",
	"etc/debian_version",
	"etc/redhat-release",
	"etc/centos-release",
	"etc/rocky-release",
	"etc/almalinux-release",
	"etc/fedora-release",
	"etc/oracle-release",
	"etc/system-release",
}

type fakeInfo struct{ mode fs.FileMode }

func (f fakeInfo) Name() string       { return "f" }
func (f fakeInfo) Size() int64        { return 0 }
func (f fakeInfo) Mode() fs.FileMode  { return f.mode }
func (f fakeInfo) ModTime() time.Time { return time.Time{} }
func (f fakeInfo) IsDir() bool        { return f.mode.IsDir() }
func (f fakeInfo) Sys() any           { return nil }

var regular = fakeInfo{mode: 0o644}

func analyze(t testing.TB, path string, data []byte) (analyzer.Facts, error) {
	t.Helper()
	return New().Analyze(context.Background(), analyzer.Input{Path: path, Info: regular, Content: bytes.NewReader(data)})
}

func TestAnalyzerIdentity(t *testing.T) {
	var a analyzer.Analyzer = New()
	if a.Name() != "os-release" || a.Version() != 1 {
		t.Errorf("Name, Version = %q, %d; want os-release, 1", a.Name(), a.Version())
	}
}

func TestClaims(t *testing.T) {
	a := New()
	for _, p := range claimed {
		if !a.Claims(p, regular) || !a.Claims(p, nil) {
			t.Errorf("%s not claimed", p)
		}
		if a.Claims(p, fakeInfo{mode: fs.ModeSymlink | 0o777}) {
			t.Errorf("%s claimed as a symbolic link", p)
		}
		if a.Claims(p, fakeInfo{mode: fs.ModeDir | 0o755}) {
			t.Errorf("%s claimed as a folder", p)
		}
		if a.Claims("/"+p, regular) || a.Claims("x/"+p, regular) || a.Claims(p+".bak", regular) {
			t.Errorf("a variant of %s is claimed", p)
		}
	}
	for _, p := range []string{"etc/lsb-release", "etc/issue", "usr/lib/os-release.d/x", "etc/SuSE-release", "etc"} {
		if a.Claims(p, regular) {
			t.Errorf("%s claimed", p)
		}
	}
}

// naiveOSRelease is an independent reading of a simple, well-formed os-release file.
func naiveOSRelease(data string) map[string]string {
	m := map[string]string{}
	for _, line := range strings.Split(data, "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			m[k] = strings.Trim(v, `"'`)
		}
	}
	return m
}

// TestRealFiles reads the real files under testdata/<system>/ through Claims and Analyze,
// as the walker would, and checks them against hand-checked values and, for os-release,
// against an independent naive reading of the same file.
func TestRealFiles(t *testing.T) {
	want := map[string]inventory.OS{
		"debian-12/usr/lib/os-release": {Family: "debian", Name: "Debian GNU/Linux", Version: "12",
			Codename: "bookworm", PrettyName: "Debian GNU/Linux 12 (bookworm)"},
		"debian-12/etc/debian_version":     {Family: "debian", Version: "12.11"},
		"alpine-3.19.4/etc/os-release":     {Family: "alpine", Name: "Alpine Linux", Version: "3.19.4", PrettyName: "Alpine Linux v3.19"},
		"alpine-3.19.4/etc/alpine-release": {Family: "alpine", Version: "3.19.4"},
	}
	seen := 0
	err := filepath.WalkDir("testdata", func(file string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel := filepath.ToSlash(strings.TrimPrefix(file, "testdata"+string(filepath.Separator)))
		if d.IsDir() {
			if rel == "fuzz" {
				return fs.SkipDir
			}
			return nil
		}
		system, p, ok := strings.Cut(rel, "/")
		if !ok {
			return nil // README.md
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		if !New().Claims(p, info) {
			t.Errorf("%s: not claimed", rel)
			return nil
		}
		seen++
		data, err := os.ReadFile(file)
		if err != nil {
			return err
		}
		facts, err := analyze(t, p, data)
		if err != nil {
			t.Errorf("%s: %v", rel, err)
			return nil
		}
		w, ok := want[system+"/"+p]
		if !ok {
			t.Errorf("%s: no expectation", rel)
			return nil
		}
		if facts.OS == nil {
			t.Errorf("%s: no OS", rel)
			return nil
		}
		if got := fmt.Sprintf("%+v", *facts.OS); got != fmt.Sprintf("%+v", w) {
			t.Errorf("%s:\n got %s\nwant %+v", rel, got, w)
		}
		if strings.HasSuffix(p, "os-release") {
			n := naiveOSRelease(string(data))
			if facts.OS.Family != n["ID"] || facts.OS.Name != n["NAME"] || facts.OS.Version != n["VERSION_ID"] ||
				facts.OS.PrettyName != n["PRETTY_NAME"] || facts.OS.Codename != n["VERSION_CODENAME"] {
				t.Errorf("%s: %+v disagrees with the file's own fields %q", rel, *facts.OS, n)
			}
		} else if v := strings.TrimSpace(string(data)); facts.OS.Version != v {
			t.Errorf("%s: Version %q, file says %q", rel, facts.OS.Version, v)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if seen != len(want) {
		t.Errorf("read %d files, want %d", seen, len(want))
	}
}

func TestOSReleaseSyntax(t *testing.T) {
	tests := []struct {
		name, input string
		want        *inventory.OS
	}{
		{"quotes and escapes",
			"ID=\"debian\"\nNAME='Debian GNU/Linux'\nVERSION_ID=\"12\"\nPRETTY_NAME=\"Say \\\"hi\\\" \\$HOME \\`x\\` \\\\ \\n\"\n",
			&inventory.OS{Family: "debian", Name: "Debian GNU/Linux", Version: "12", PrettyName: "Say \"hi\" $HOME `x` \\ \\n"}},
		{"single quotes keep backslashes", "ID=x\nNAME='a\\b'\n", &inventory.OS{Family: "x", Name: "a\\b"}},
		{"unquoted backslash escapes", "ID=x\nNAME=My\\ OS\n", &inventory.OS{Family: "x", Name: "My OS"}},
		{"concatenated quoting", "ID=x\nNAME=\"My \"'OS'\\!\n", &inventory.OS{Family: "x", Name: "My OS!"}},
		{"unterminated quote", "ID=x\nNAME=\"Broken\n", &inventory.OS{Family: "x", Name: "Broken"}},
		{"comments, blanks, junk lines, CRLF", "# comment\r\n\r\n  \r\nnot a pair\r\n1BAD=x\r\nID=fedora\r\nVERSION_ID=39\r\n",
			&inventory.OS{Family: "fedora", Version: "39"}},
		{"later assignment wins", "ID=a\nID=b\n", &inventory.OS{Family: "b"}},
		{"ID lower-cased, ID_LIKE split", "ID=Rocky\nID_LIKE=\"rhel centos  Fedora\"\nVERSION_ID=\"9.3\"\n",
			&inventory.OS{Family: "rocky", Version: "9.3", IDLike: []string{"rhel", "centos", "fedora"}}},
		{"ubuntu codename", "ID=ubuntu\nID_LIKE=debian\nVERSION=\"22.04.3 LTS (Jammy Jellyfish)\"\nUBUNTU_CODENAME=jammy\nVERSION_ID=\"22.04\"\n",
			&inventory.OS{Family: "ubuntu", Version: "22.04", Codename: "jammy", IDLike: []string{"debian"}}},
		{"ubuntu VERSION is no codename", "ID=ubuntu\nID_LIKE=debian\nVERSION=\"22.04.3 LTS (Jammy Jellyfish)\"\n",
			&inventory.OS{Family: "ubuntu", IDLike: []string{"debian"}}},
		{"VERSION_CODENAME wins over UBUNTU_CODENAME", "ID=ubuntu\nVERSION_CODENAME=noble\nUBUNTU_CODENAME=other\n",
			&inventory.OS{Family: "ubuntu", Codename: "noble"}},
		{"debian 8 codename from VERSION", "PRETTY_NAME=\"Debian GNU/Linux 8 (jessie)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"8\"\nVERSION=\"8 (jessie)\"\nID=debian\n",
			&inventory.OS{Family: "debian", Name: "Debian GNU/Linux", Version: "8", Codename: "jessie", PrettyName: "Debian GNU/Linux 8 (jessie)"}},
		{"debian derivative codename from VERSION", "ID=raspbian\nID_LIKE=debian\nVERSION=\"10 (buster)\"\n",
			&inventory.OS{Family: "raspbian", Codename: "buster", IDLike: []string{"debian"}}},
		{"debian testing without VERSION_ID", "PRETTY_NAME=\"Debian GNU/Linux trixie/sid\"\nNAME=\"Debian GNU/Linux\"\nVERSION_CODENAME=trixie\nID=debian\n",
			&inventory.OS{Family: "debian", Name: "Debian GNU/Linux", Codename: "trixie", PrettyName: "Debian GNU/Linux trixie/sid"}},
		{"junk version dropped", "ID=x\nVERSION_ID=\"1 2\"\n", &inventory.OS{Family: "x"}},
		{"no ID", "NAME=Something\nVERSION_ID=1\n", nil},
		{"invalid ID", "ID=\"my distro\"\n", nil},
		{"empty", "", nil},
		{"binary", "\x00\x01ID\xff=\x00\n\x7fELF", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, p := range []string{"etc/os-release", "usr/lib/os-release"} {
				facts, err := analyze(t, p, []byte(tt.input))
				if err != nil {
					t.Fatal(err)
				}
				if tt.want == nil {
					if !facts.Empty() {
						t.Errorf("%s: got %+v, want empty facts", p, facts)
					}
					continue
				}
				if facts.OS == nil {
					t.Fatalf("%s: no OS", p)
				}
				if got, want := fmt.Sprintf("%+v", *facts.OS), fmt.Sprintf("%+v", *tt.want); got != want {
					t.Errorf("%s:\n got %s\nwant %s", p, got, want)
				}
			}
		})
	}
}

func TestReleaseFiles(t *testing.T) {
	tests := []struct {
		path, input string
		want        *inventory.OS
	}{
		{"etc/alpine-release", "3.19.4\n", &inventory.OS{Family: "alpine", Version: "3.19.4"}},
		{"etc/alpine-release", "3.21_alpha20240923\n", &inventory.OS{Family: "alpine", Version: "3.21_alpha20240923"}},
		{"etc/alpine-release", "\n  3.6.5  \n", &inventory.OS{Family: "alpine", Version: "3.6.5"}},
		{"etc/alpine-release", "edge\n", nil},
		{"etc/alpine-release", "", nil},
		{"etc/debian_version", "12.8\n", &inventory.OS{Family: "debian", Version: "12.8"}},
		{"etc/debian_version", "bookworm/sid\n", &inventory.OS{Family: "debian", Version: "bookworm/sid"}},
		{"etc/debian_version", "hello\n", nil},
		{"etc/debian_version", "\x00\xff\n", nil},
		{"etc/debian_version", "12.8 extra words\n", nil},
	}
	for _, tt := range tests {
		facts, err := analyze(t, tt.path, []byte(tt.input))
		if err != nil {
			t.Fatalf("%s %q: %v", tt.path, tt.input, err)
		}
		check(t, tt.path+" "+fmt.Sprintf("%q", tt.input), facts, tt.want)
	}
}

// TestRedHatRelease uses the lines the distros ship in these files (hand-copied).
func TestRedHatRelease(t *testing.T) {
	tests := []struct {
		path, line string
		family     string // "" when the line is not recognised
		name, ver  string
	}{
		{"etc/centos-release", "CentOS Linux release 7.9.2009 (Core)", "centos", "CentOS Linux", "7.9.2009"},
		{"etc/centos-release", "CentOS Stream release 9", "centos", "CentOS Stream", "9"},
		{"etc/centos-release", "CentOS release 6.10 (Final)", "centos", "CentOS", "6.10"},
		{"etc/redhat-release", "Red Hat Enterprise Linux release 9.2 (Plow)", "rhel", "Red Hat Enterprise Linux", "9.2"},
		{"etc/redhat-release", "Red Hat Enterprise Linux Server release 7.9 (Maipo)", "rhel", "Red Hat Enterprise Linux Server", "7.9"},
		{"etc/redhat-release", "Rocky Linux release 9.3 (Blue Onyx)", "rocky", "Rocky Linux", "9.3"},
		{"etc/rocky-release", "Rocky Linux release 8.9 (Green Obsidian)", "rocky", "Rocky Linux", "8.9"},
		{"etc/fedora-release", "Fedora release 35 (Thirty Five)", "fedora", "Fedora", "35"},
		{"etc/almalinux-release", "AlmaLinux release 9.3 (Shamrock Pampas Cat)", "almalinux", "AlmaLinux", "9.3"},
		{"etc/almalinux-release", "AlmaLinux release 9.3", "almalinux", "AlmaLinux", "9.3"},
		{"etc/oracle-release", "Oracle Linux Server release 8.9", "ol", "Oracle Linux Server", "8.9"},
		{"etc/system-release", "Amazon Linux release 2 (Karoo)", "amzn", "Amazon Linux", "2"},
		{"etc/system-release", "Amazon Linux release 2023.6.20241212 (Amazon Linux)", "amzn", "Amazon Linux", "2023.6.20241212"},
		{"etc/system-release", "Amazon Linux AMI release 2018.03", "amzn", "Amazon Linux AMI", "2018.03"},
		{"etc/system-release", "Scientific Linux release 7.9 (Nitrogen)", "", "", ""},
		{"etc/redhat-release", "Fedora release", "", "", ""},
		{"etc/redhat-release", "Fedora release (Rawhide)", "", "", ""},
		{"etc/redhat-release", "release 9", "", "", ""},
		{"etc/redhat-release", "", "", "", ""},
		{"etc/redhat-release", "\x00\xff junk", "", "", ""},
		{"etc/redhat-release", "İİİ CentOS release 7", "", "", ""},
	}
	for _, tt := range tests {
		facts, err := analyze(t, tt.path, []byte(tt.line+"\n"))
		if err != nil {
			t.Fatalf("%q: %v", tt.line, err)
		}
		var want *inventory.OS
		if tt.family != "" {
			want = &inventory.OS{Family: tt.family, Name: tt.name, Version: tt.ver, PrettyName: tt.line}
		}
		check(t, fmt.Sprintf("%s %q", tt.path, tt.line), facts, want)
	}
}

func check(t *testing.T, what string, facts analyzer.Facts, want *inventory.OS) {
	t.Helper()
	if want == nil {
		if !facts.Empty() {
			t.Errorf("%s: got %+v, want empty facts", what, facts)
		}
		return
	}
	if facts.OS == nil {
		t.Errorf("%s: no OS, want %+v", what, *want)
		return
	}
	if got, w := fmt.Sprintf("%+v", *facts.OS), fmt.Sprintf("%+v", *want); got != w {
		t.Errorf("%s:\n got %s\nwant %s", what, got, w)
	}
}

func TestAnalyzeErrors(t *testing.T) {
	if _, err := analyze(t, "etc/passwd", []byte("root:x:0:0\n")); err == nil {
		t.Error("unclaimed path: want an error")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := New().Analyze(ctx, analyzer.Input{Path: "etc/os-release", Content: strings.NewReader("ID=x\n")})
	if err == nil || !strings.Contains(err.Error(), context.Canceled.Error()) {
		t.Errorf("canceled context: err = %v", err)
	}
	facts, err := New().Analyze(context.Background(), analyzer.Input{Path: "etc/os-release"})
	if err != nil || !facts.Empty() {
		t.Errorf("no content: %+v, %v", facts, err)
	}
}

// TestLargeFile checks that a huge claimed file is read only up to the cap.
func TestLargeFile(t *testing.T) {
	data := append([]byte("ID=alpine\nVERSION_ID=3.20.3\n"), bytes.Repeat([]byte("#"), 10<<20)...)
	facts, err := analyze(t, "etc/os-release", append(data, "\nID=late\n"...))
	if err != nil {
		t.Fatal(err)
	}
	check(t, "large os-release", facts, &inventory.OS{Family: "alpine", Version: "3.20.3"})
}
