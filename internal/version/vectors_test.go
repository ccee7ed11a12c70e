package version

import (
	"bufio"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// vector is one row of a golden file: what an ecosystem's own tool said of a and b.
type vector struct {
	line   int
	a, b   string
	expect string // "<", "=", ">", or "bad"/"none" when the tool refused or could not order
}

// readVectors reads a tab-separated golden file (optionally gzipped) with a header row,
// taking a, b from the first two columns and the expectation from the named column.
func readVectors(t testing.TB, name, column string) []vector {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(name, ".gz") {
		gz, err := gzip.NewReader(f)
		if err != nil {
			t.Fatal(err)
		}
		r = gz
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	col := -1
	var out []vector
	for n := 1; sc.Scan(); n++ {
		fields := strings.Split(sc.Text(), "\t")
		if n == 1 {
			for i, h := range fields {
				if h == column {
					col = i
				}
			}
			if col < 2 {
				t.Fatalf("%s: no column %q in header %q", name, column, fields)
			}
			continue
		}
		if len(fields) <= col {
			t.Fatalf("%s:%d: want %d columns, got %q", name, n, col+1, sc.Text())
		}
		out = append(out, vector{line: n, a: fields[0], b: fields[1], expect: fields[col]})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(out) == 0 {
		t.Fatalf("%s: no vectors", name)
	}
	return out
}

var symbol = map[int]string{-1: "<", 0: "=", 1: ">"}

// checkVectors asserts that c agrees with every vector, both ways round, except those
// for which skip (if not nil) names a known, documented deviation.
func checkVectors(t *testing.T, c Comparator, name, column string, skip func(v vector) bool) {
	t.Helper()
	vs := readVectors(t, name, column)
	bad, skipped := 0, 0
	for _, v := range vs {
		if skip != nil && skip(v) {
			skipped++
			continue
		}
		got, err := c.Compare(v.a, v.b)
		rev, errRev := c.Compare(v.b, v.a)
		switch v.expect {
		case "<", "=", ">":
			if err != nil || errRev != nil {
				t.Errorf("%s:%d: Compare(%q, %q): unexpected error %v / %v (tool said %s)", name, v.line, v.a, v.b, err, errRev, v.expect)
			} else if symbol[got] != v.expect || got != -rev {
				t.Errorf("%s:%d: Compare(%q, %q) = %d, reversed %d; tool said %s", name, v.line, v.a, v.b, got, rev, v.expect)
			} else {
				continue
			}
		default: // the tool refused a or b, or could not order them
			if err == nil || errRev == nil {
				t.Errorf("%s:%d: Compare(%q, %q) = %d, %v; want an error (tool said %s)", name, v.line, v.a, v.b, got, err, v.expect)
			} else {
				continue
			}
		}
		if bad++; bad >= 30 {
			t.Fatalf("%s: too many disagreements, stopping", name)
		}
	}
	t.Logf("%s: %d pairs checked, %d skipped as known deviations", name, len(vs)-skipped, skipped)
}

// hugeNumber is a known deviation of the PEP 440 and Maven libraries: numbers beyond 64
// bits (the real tools use big integers).
func hugeNumber(v vector) bool {
	return strings.Contains(v.a+" "+v.b, "99999999999999999999") ||
		strings.Contains(v.a+" "+v.b, "100000000000000000000")
}

func TestDebAgreesWithDpkg(t *testing.T) { checkVectors(t, Deb{}, "deb-vectors.tsv", "dpkg", nil) }
func TestRPMAgreesWithRpm(t *testing.T)  { checkVectors(t, RPM{}, "rpm-vectors.tsv", "rpm", nil) }

func TestApkAgreesWithApkTools(t *testing.T) {
	checkVectors(t, Apk{}, "apk-version-vectors.tsv.gz", "apk_2.12.14", nil)
}

// TestApkLegacyZeros checks the tokenizer against the older apk-tools too: with the
// pre-2.12.14 handling of zero-only numbers it must give what 2.10.8 and 2.12.7 said, which
// shows that the one rule we changed is the one apk-tools changed.
func TestApkLegacyZeros(t *testing.T) {
	for _, column := range []string{"apk_2.10.8", "apk_2.12.7"} {
		differ := 0
		for _, v := range readVectors(t, "apk-version-vectors.tsv.gz", column) {
			sa, sb := newApkScanner(v.a), newApkScanner(v.b)
			sa.legacyZeros, sb.legacyZeros = true, true
			if got := symbol[compareApk(sa, sb)]; got != v.expect {
				t.Errorf("%s: legacy compare(%q, %q) = %s, apk said %s", column, v.a, v.b, got, v.expect)
			}
			if got, _ := (Apk{}).Compare(v.a, v.b); symbol[got] != v.expect {
				differ++
			}
		}
		if differ != 2 { // 1.0 vs 1.0_rc1, both ways round
			t.Errorf("%s: Apk differs on %d rows, want 2", column, differ)
		}
	}
}

func TestPEP440AgreesWithPackaging(t *testing.T) {
	checkVectors(t, PEP440{}, "pypi-vectors.tsv", "expect", hugeNumber)
}

func TestNpmAgreesWithNodeSemver(t *testing.T) {
	checkVectors(t, Npm{}, "npm-vectors.tsv", "expect", nil)
}

func TestGemAgreesWithRubyGems(t *testing.T) {
	checkVectors(t, Gem{}, "rubygems-vectors.tsv", "expect", nil)
}

func TestMavenAgreesWithComparableVersion(t *testing.T) {
	checkVectors(t, Maven{}, "maven-vectors.tsv", "expect", hugeNumber)
}

func TestComposerAgreesWithComposer(t *testing.T) {
	checkVectors(t, Composer{}, "packagist-vectors.tsv", "expect", nil)
}

func TestSemVerAgreesWithSemverCrate(t *testing.T) {
	checkVectors(t, SemVer{}, "crates-vectors.tsv", "expect", nil)
}
