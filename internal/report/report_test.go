package report_test

import (
	"cmp"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"testing"
	"time"

	"github.com/shipshape-dev/shipshape/internal/inventory"
	"github.com/shipshape-dev/shipshape/internal/report"
	"github.com/shipshape-dev/shipshape/internal/report/reporttest"
)

// update is accepted so that `go test ./internal/report/... -update` runs; this package has
// no golden files of its own.
var _ = flag.Bool("update", false, "rewrite golden files")

func TestSortedMatchesInventorySort(t *testing.T) {
	for _, f := range reporttest.Fixtures() {
		t.Run(f.Name, func(t *testing.T) {
			shuffled := reporttest.Shuffled(f.Inv, 7)
			before, _ := json.Marshal(shuffled)
			got, err := report.Sorted(shuffled)
			if err != nil {
				t.Fatal(err)
			}
			if after, _ := json.Marshal(shuffled); string(after) != string(before) {
				t.Error("Sorted changed its input")
			}
			want := reporttest.Shuffled(f.Inv, 7)
			want.Sort()
			gj, _ := json.Marshal(got.Packages)
			wj, _ := json.Marshal(want.Packages)
			if string(gj) != string(wj) {
				t.Errorf("Sorted and Inventory.Sort disagree:\n got %s\nwant %s", gj, wj)
			}
			for i := 1; i < len(got.Layers); i++ {
				if got.Layers[i-1].Index > got.Layers[i].Index {
					t.Errorf("layers not in index order: %+v", got.Layers)
				}
			}
		})
	}
}

// TestSortedBreaksTies: packages Inventory.Sort considers equal (same type, name, version,
// arch and location) still come out in one order whatever the input order.
func TestSortedBreaksTies(t *testing.T) {
	a := inventory.Package{Type: "deb", Name: "x", Version: "1", Location: "/l", Layer: &inventory.LayerRef{Index: 1}}
	b := a
	b.Layer = &inventory.LayerRef{Index: 0}
	c := a
	c.PURL = "pkg:deb/debian/x@1"
	first, err := report.Sorted(&inventory.Inventory{Packages: []inventory.Package{a, b, c}})
	if err != nil {
		t.Fatal(err)
	}
	second, err := report.Sorted(&inventory.Inventory{Packages: []inventory.Package{c, b, a}})
	if err != nil {
		t.Fatal(err)
	}
	fj, _ := json.Marshal(first.Packages)
	sj, _ := json.Marshal(second.Packages)
	if string(fj) != string(sj) {
		t.Errorf("order depends on input:\n%s\n%s", fj, sj)
	}
}

func TestSortedNil(t *testing.T) {
	if _, err := report.Sorted(nil); !errors.Is(err, report.ErrNilInventory) {
		t.Errorf("Sorted(nil) = %v", err)
	}
}

func TestOptions(t *testing.T) {
	tests := []struct {
		name              string
		opts              report.Options
		wantName, wantVer string
		wantTime          string
	}{
		{"zero", report.Options{}, "shipshape", "", ""},
		{"named", report.Options{ToolName: "shipshape-server", ToolVersion: "1.2.3"}, "shipshape-server", "1.2.3", ""},
		{"clock", report.Options{Now: func() time.Time {
			return time.Date(2024, 3, 1, 14, 30, 45, 5e8, time.FixedZone("EET", 2*3600))
		}}, "shipshape", "", "2024-03-01T12:30:45Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name, ver := tt.opts.Tool()
			if name != tt.wantName || ver != tt.wantVer {
				t.Errorf("Tool() = %q, %q", name, ver)
			}
			got := ""
			if ts, ok := tt.opts.Timestamp(); ok {
				got = ts.Format(time.RFC3339Nano)
			}
			if got != tt.wantTime {
				t.Errorf("Timestamp() = %q, want %q", got, tt.wantTime)
			}
		})
	}
}

func TestPURL(t *testing.T) {
	o := &inventory.OS{Family: "alpine", Version: "3.19.1"}
	tests := []struct {
		name string
		p    inventory.Package
		want string
	}{
		{"own purl kept", inventory.Package{Type: "apk", Name: "musl", Version: "1", PURL: "pkg:apk/alpine/musl@1"}, "pkg:apk/alpine/musl@1"},
		{"built when missing", inventory.Package{Type: "apk", Name: "musl", Version: "1.2.4-r4", Arch: "x86_64"},
			"pkg:apk/alpine/musl@1.2.4-r4?arch=x86_64&distro=alpine-3.19.1"},
		{"nothing to build from", inventory.Package{Name: "musl"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := report.PURL(&tt.p, o); got != tt.want {
				t.Errorf("PURL() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestCompareIDs(t *testing.T) {
	want := []string{"CVE-2010-4756", "CVE-2023-4863", "CVE-2023-5678", "CVE-2023-45853", "CVE-2024-0727",
		"GHSA-j7hp-h8jx-5ppr", "GO-2024-2687", "GO-2024-02688", "GO-2024-2688", "RUSTSEC-2024-0001"}
	for i := range want {
		for j := range want {
			if got, exp := report.CompareIDs(want[i], want[j]), cmp.Compare(i, j); got != exp {
				t.Errorf("CompareIDs(%q, %q) = %d, want %d", want[i], want[j], got, exp)
			}
		}
	}
}

func TestSeverities(t *testing.T) {
	for in, want := range map[string]string{"CRITICAL": "CRITICAL", "high": "HIGH", " Medium ": "MEDIUM", "low": "LOW",
		"negligible": "NEGLIGIBLE", "": "UNKNOWN", "Important": "UNKNOWN", "unknown": "UNKNOWN"} {
		if got := report.NormalizeSeverity(in); got != want {
			t.Errorf("NormalizeSeverity(%q) = %q, want %q", in, got, want)
		}
	}
	for i, s := range report.Severities() {
		if report.SeverityRank(s) != 5-i {
			t.Errorf("SeverityRank(%s) = %d", s, report.SeverityRank(s))
		}
	}
}

// TestSortedFindings: findings come out in one order with sorted inner lists whatever the
// input order, and nil and empty Vulnerabilities stay apart.
func TestSortedFindings(t *testing.T) {
	for _, f := range reporttest.VulnFixtures() {
		t.Run(f.Name, func(t *testing.T) {
			first, err := report.Sorted(f.Inv)
			if err != nil {
				t.Fatal(err)
			}
			fj, _ := json.Marshal(first)
			for seed := range uint64(5) {
				shuffled := reporttest.Shuffled(f.Inv, seed)
				before, _ := json.Marshal(shuffled)
				got, err := report.Sorted(shuffled)
				if err != nil {
					t.Fatal(err)
				}
				if after, _ := json.Marshal(shuffled); string(after) != string(before) {
					t.Error("Sorted changed its input")
				}
				if gj, _ := json.Marshal(got); string(gj) != string(fj) {
					t.Fatalf("seed %d: order depends on input:\n%s\n%s", seed, gj, fj)
				}
			}
			for i := 1; i < len(first.Vulnerabilities); i++ {
				if report.CompareFindings(first.Vulnerabilities[i-1], first.Vulnerabilities[i]) > 0 {
					t.Errorf("findings %d and %d out of order", i-1, i)
				}
			}
		})
	}
	for _, tt := range []struct {
		name string
		in   []inventory.Finding
	}{{"nil", nil}, {"empty", []inventory.Finding{}}} {
		got, err := report.Sorted(&inventory.Inventory{Vulnerabilities: tt.in})
		if err != nil {
			t.Fatal(err)
		}
		if (got.Vulnerabilities == nil) != (tt.in == nil) {
			t.Errorf("%s: Sorted gives nil = %v", tt.name, got.Vulnerabilities == nil)
		}
	}
	inv := &inventory.Inventory{Vulnerabilities: []inventory.Finding{{ID: "CVE-1", Severity: "important",
		Aliases: []string{"b", "a", "b"}, CWEs: []string{"CWE-79", "CWE-20"}}}}
	got, _ := report.Sorted(inv)
	f := got.Vulnerabilities[0]
	if f.Severity != "UNKNOWN" || fmt.Sprint(f.Aliases) != "[a b]" || fmt.Sprint(f.CWEs) != "[CWE-20 CWE-79]" {
		t.Errorf("finding not normalised: %+v", f)
	}
	if inv.Vulnerabilities[0].Severity != "important" || inv.Vulnerabilities[0].Aliases[0] != "b" {
		t.Error("Sorted changed its input")
	}
}
