package cyclonedx

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	cdx "github.com/CycloneDX/cyclonedx-go"

	"github.com/shipshape-dev/shipshape/internal/inventory"
	"github.com/shipshape-dev/shipshape/internal/report"
	"github.com/shipshape-dev/shipshape/internal/report/reporttest"
)

var update = flag.Bool("update", false, "rewrite golden files")

func write(t *testing.T, inv *inventory.Inventory, opts report.Options) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Write(&buf, inv, opts); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func decode(t *testing.T, data []byte) *cdx.BOM {
	t.Helper()
	var bom cdx.BOM
	if err := cdx.NewBOMDecoder(bytes.NewReader(data), cdx.BOMFileFormatJSON).Decode(&bom); err != nil {
		t.Fatal(err)
	}
	return &bom
}

func TestWriteGoldenAndSchema(t *testing.T) {
	schema := reporttest.Schema(t, schemaURL,
		"testdata/schema/bom-1.6.schema.json",
		"testdata/schema/spdx.schema.json",
		"testdata/schema/jsf-0.82.schema.json")
	for _, f := range reporttest.AllFixtures() {
		t.Run(f.Name, func(t *testing.T) {
			// The Debian golden file carries a timestamp; the others show there is none by default.
			got := write(t, f.Inv, reporttest.Options(f.Name == "debian-image"))
			reporttest.Validate(t, schema, got)
			reporttest.Golden(t, filepath.Join("testdata", f.Name+".cdx.json"), got, *update)
		})
	}
}

func TestDeterministic(t *testing.T) {
	for _, f := range reporttest.AllFixtures() {
		t.Run(f.Name, func(t *testing.T) {
			opts := reporttest.Options(true)
			first := write(t, f.Inv, opts)
			if again := write(t, f.Inv, opts); !bytes.Equal(first, again) {
				t.Fatal("two writes of the same inventory differ")
			}
			for seed := range uint64(5) {
				if got := write(t, reporttest.Shuffled(f.Inv, seed), opts); !bytes.Equal(first, got) {
					t.Fatalf("shuffled input (seed %d) changes the output", seed)
				}
			}
		})
	}
}

func TestWriteDoesNotModifyInput(t *testing.T) {
	for _, inv := range []*inventory.Inventory{reporttest.Debian(), reporttest.DebianVulns()} {
		inv = reporttest.Shuffled(inv, 1)
		before, _ := json.Marshal(inv)
		write(t, inv, reporttest.Options(false))
		if after, _ := json.Marshal(inv); !bytes.Equal(before, after) {
			t.Fatal("Write changed its input")
		}
	}
}

func TestComponentsCarryPURLsAndUniqueRefs(t *testing.T) {
	for _, f := range reporttest.AllFixtures() {
		t.Run(f.Name, func(t *testing.T) {
			bom := decode(t, write(t, f.Inv, reporttest.Options(false)))
			refs := map[string]bool{bom.Metadata.Component.BOMRef: true}
			var comps []cdx.Component
			if bom.Components != nil {
				comps = *bom.Components
			}
			purls := map[string]int{}
			for _, c := range comps {
				if c.BOMRef == "" || refs[c.BOMRef] {
					t.Errorf("component %s: bom-ref %q empty or not unique", c.Name, c.BOMRef)
				}
				refs[c.BOMRef] = true
				if c.Type == cdx.ComponentTypeLibrary {
					if c.PackageURL == "" {
						t.Errorf("component %s has no purl", c.Name)
					}
					purls[c.PackageURL]++
				}
			}
			for _, p := range f.Inv.Packages {
				if purls[p.PURL] == 0 {
					t.Errorf("package %s: purl %s not among the components", p.Name, p.PURL)
				}
				purls[p.PURL]--
			}
			if n := len(f.Inv.Packages); bom.Components != nil && f.Inv.OS.Known() && len(comps) != n+1 {
				t.Errorf("%d components for %d packages and an OS", len(comps), n)
			}
			deps := *bom.Dependencies
			if len(deps) != 1 || deps[0].Ref != bom.Metadata.Component.BOMRef {
				t.Fatalf("dependencies = %+v, want one entry for the target", deps)
			}
			if deps[0].Dependencies != nil {
				if got := len(*deps[0].Dependencies); got != len(comps) {
					t.Errorf("target depends on %d refs, want %d", got, len(comps))
				}
				for _, r := range *deps[0].Dependencies {
					if !refs[r] {
						t.Errorf("dependsOn %q names no component", r)
					}
				}
			}
		})
	}
}

func TestSharedPURLGetsDistinctRefs(t *testing.T) {
	bom := decode(t, write(t, reporttest.Debian(), reporttest.Options(false)))
	var refs []string
	locations := map[string]bool{}
	for _, c := range *bom.Components {
		if c.Name == "ca-certificates" {
			refs = append(refs, c.BOMRef)
			for _, p := range *c.Properties {
				if p.Name == PropLocationPath {
					locations[p.Value] = true
				}
			}
		}
		if c.Name == "curl" && c.BOMRef != c.PackageURL {
			t.Errorf("curl: bom-ref %q, want its purl %q", c.BOMRef, c.PackageURL)
		}
	}
	re := regexp.MustCompile(`^pkg:deb/debian/ca-certificates@20230311\?arch=all&distro=debian-12#[0-9a-f]{12}$`)
	if len(refs) != 2 || refs[0] == refs[1] || !re.MatchString(refs[0]) || !re.MatchString(refs[1]) {
		t.Fatalf("ca-certificates refs = %q", refs)
	}
	if len(locations) != 2 {
		t.Errorf("ca-certificates locations = %v, want two", locations)
	}
}

func TestLicenses(t *testing.T) {
	tests := []struct {
		name string
		in   []string
		want string
	}{
		{"none", nil, `null`},
		{"SPDX id", []string{"MIT"}, `[{"license":{"id":"MIT"}}]`},
		{"SPDX id, other case", []string{"apache-2.0"}, `[{"license":{"id":"Apache-2.0"}}]`},
		{"not SPDX", []string{"GPL-2"}, `[{"license":{"name":"GPL-2"}}]`},
		{"mixed", []string{"GPL-2+", "MPL-2.0"}, `[{"license":{"name":"GPL-2+"}},{"license":{"id":"MPL-2.0"}}]`},
		{"expression", []string{"MPL-2.0 AND MIT"}, `[{"expression":"MPL-2.0 AND MIT"}]`},
		{"expression, other case", []string{"mpl-2.0 AND (mit OR zlib)"}, `[{"expression":"MPL-2.0 AND (MIT OR Zlib)"}]`},
		{"expression among others", []string{"MIT", "MPL-2.0 AND MIT"}, `[{"license":{"id":"MIT"}},{"license":{"name":"MPL-2.0 AND MIT"}}]`},
		{"legacy rpm", []string{"GPLv3+ and GPLv3+ with exceptions"}, `[{"license":{"name":"GPLv3+ and GPLv3+ with exceptions"}}]`},
		{"duplicates and blanks", []string{"MIT", " ", "MIT"}, `[{"license":{"id":"MIT"}}]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := json.Marshal(licenses(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("licenses(%q) = %s, want %s", tt.in, got, tt.want)
			}
		})
	}
}

func TestSerialNumber(t *testing.T) {
	re := regexp.MustCompile(`^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	deb := decode(t, write(t, reporttest.Debian(), reporttest.Options(false))).SerialNumber
	if !re.MatchString(deb) {
		t.Fatalf("serial number %q is not a version 8 UUID URN", deb)
	}
	fewer := reporttest.Debian()
	fewer.Packages = fewer.Packages[1:]
	if got := decode(t, write(t, fewer, reporttest.Options(false))).SerialNumber; got == deb {
		t.Error("removing a package does not change the serial number")
	}
	renamed := reporttest.Debian()
	renamed.Target.Name = "debian:bookworm"
	if got := decode(t, write(t, renamed, reporttest.Options(false))).SerialNumber; got == deb {
		t.Error("another target name does not change the serial number")
	}
	if got := decode(t, write(t, reporttest.Debian(), reporttest.Options(true))).SerialNumber; got != deb {
		t.Error("the clock changes the serial number")
	}
}

func TestTimestamp(t *testing.T) {
	paris := time.FixedZone("CET", 3600)
	tests := []struct {
		name string
		now  func() time.Time
		want string
	}{
		{"no clock", nil, ""},
		{"UTC", reporttest.Now, "2024-03-01T12:30:45Z"},
		{"other zone, fractional seconds", func() time.Time { return time.Date(2024, 3, 1, 13, 30, 45, 999, paris) }, "2024-03-01T12:30:45Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := reporttest.Options(false)
			opts.Now = tt.now
			if got := decode(t, write(t, reporttest.Alpine(), opts)).Metadata.Timestamp; got != tt.want {
				t.Errorf("timestamp = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestTargetComponent(t *testing.T) {
	tests := []struct {
		fixture  *inventory.Inventory
		typ      cdx.ComponentType
		version  string
		bomRefRe string
	}{
		{reporttest.Debian(), cdx.ComponentTypeContainer, reporttest.Debian().Target.ImageID, `^target:sha256:[0-9a-f]{64}$`},
		{reporttest.Alpine(), cdx.ComponentTypeFile, "", `^target:\./alpine-rootfs$`},
		{reporttest.Empty(), cdx.ComponentTypeContainer, "", `^target:scratch-app:latest$`},
	}
	for _, tt := range tests {
		t.Run(tt.fixture.Target.Name, func(t *testing.T) {
			c := decode(t, write(t, tt.fixture, reporttest.Options(false))).Metadata.Component
			if c.Type != tt.typ || c.Version != tt.version || c.Name != tt.fixture.Target.Name ||
				!regexp.MustCompile(tt.bomRefRe).MatchString(c.BOMRef) {
				t.Errorf("target component = %+v", c)
			}
		})
	}
}

func TestNilInventory(t *testing.T) {
	if err := Write(&bytes.Buffer{}, nil, report.Options{}); !errors.Is(err, report.ErrNilInventory) {
		t.Fatalf("Write(nil) = %v, want ErrNilInventory", err)
	}
}

// TestSchemaIsStrict makes sure the validation above has teeth: the referenced SPDX licence
// list and the serial number pattern are enforced.
func TestSchemaIsStrict(t *testing.T) {
	schema := reporttest.Schema(t, schemaURL,
		"testdata/schema/bom-1.6.schema.json",
		"testdata/schema/spdx.schema.json",
		"testdata/schema/jsf-0.82.schema.json")
	good := write(t, reporttest.Alpine(), reporttest.Options(false))
	for name, bad := range map[string][]byte{
		"unknown licence id": bytes.Replace(good, []byte(`"id": "MIT"`), []byte(`"id": "MIT-ish"`), 1),
		"bad serial number":  regexp.MustCompile(`urn:uuid:[0-9a-f-]+`).ReplaceAll(good, []byte("urn:uuid:nope")),
	} {
		if bytes.Equal(bad, good) {
			t.Fatalf("%s: test input unchanged", name)
		}
		if err := reporttest.Check(schema, bad); err == nil {
			t.Errorf("%s: schema accepts it", name)
		}
	}
}

// BenchmarkWriteLarge writes a BOM of 2,000 packages (the Debian fixture's packages
// repeated under distinct names), the size of an image with language packages.
func BenchmarkWriteLarge(b *testing.B) {
	base := reporttest.Debian()
	inv := *base
	inv.Packages = nil
	for i := 0; len(inv.Packages) < 2000; i++ {
		for _, p := range base.Packages {
			p.Name = fmt.Sprintf("%s-%d", p.Name, i)
			p.PURL = ""
			inv.Packages = append(inv.Packages, p)
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := Write(io.Discard, &inv, reporttest.Options(false)); err != nil {
			b.Fatal(err)
		}
	}
}
