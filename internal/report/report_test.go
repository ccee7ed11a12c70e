package report_test

import (
	"encoding/json"
	"errors"
	"flag"
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
