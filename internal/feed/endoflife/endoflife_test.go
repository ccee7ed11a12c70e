package endoflife

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shipshape-dev/shipshape/internal/feed"
	"github.com/shipshape-dev/shipshape/internal/vulndb"
)

func parseFile(t *testing.T, name, as string) (map[string]vulndb.Release, error) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]vulndb.Release{}
	err = New().Parse(context.Background(), feed.Input{Name: as, R: strings.NewReader(string(data))}, func(r vulndb.Record) error {
		if r.Release == nil || r.Vulnerability != nil || len(r.Affected) > 0 {
			t.Fatalf("record %+v: want a release only", r)
		}
		out[r.Release.Namespace] = *r.Release
		return nil
	})
	return out, err
}

func TestParse(t *testing.T) {
	tests := []struct {
		file, as  string
		namespace string
		want      vulndb.Release
		count     int
	}{
		// Debian: the LTS end (extended support), because Debian LTS advisories go to the
		// same security tracker.
		{"debian", "debian", "debian:10", vulndb.Release{Namespace: "debian:10", Name: "Debian 10 (Buster)", EOL: "2024-06-30"}, 6},
		{"debian.v0.json", "debian.json", "debian:12", vulndb.Release{Namespace: "debian:12", Name: "Debian 12 (Bookworm)", EOL: "2028-06-30"}, 3},
		{"debian.v0.json", "debian.json", "debian:sid", vulndb.Release{Namespace: "debian:sid", Name: "Debian sid (Sid)"}, 3},
		{"alpine", "alpine", "alpine:3.16", vulndb.Release{Namespace: "alpine:3.16", Name: "Alpine Linux 3.16", EOL: "2024-05-23"}, 18},
		// Ubuntu and RHEL: the end of standard support, not the paid extension.
		{"ubuntu", "https://endoflife.date/api/v1/products/ubuntu", "ubuntu:20.04", vulndb.Release{Namespace: "ubuntu:20.04", Name: "Ubuntu 20.04 (Focal Fossa)", EOL: "2025-05-29"}, 5},
		{"rhel", "rhel", "rhel:9", vulndb.Release{Namespace: "rhel:9", Name: "Red Hat Enterprise Linux 9", EOL: "2032-05-31"}, 3},
	}
	for _, tc := range tests {
		t.Run(tc.file+" "+tc.namespace, func(t *testing.T) {
			got, err := parseFile(t, tc.file, tc.as)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != tc.count {
				t.Errorf("%d releases, want %d", len(got), tc.count)
			}
			if got[tc.namespace] != tc.want {
				t.Errorf("%s = %+v, want %+v", tc.namespace, got[tc.namespace], tc.want)
			}
		})
	}
}

func TestMatch(t *testing.T) {
	f := New()
	for name, want := range map[string]bool{
		"debian": true, "endoflife/alpine.json": true, "rocky-linux": true, "ubuntu.json.gz": true,
		"README.md": false, "nodejs.json": false, "": false,
	} {
		if f.Match(name) != want {
			t.Errorf("Match(%q) = %v", name, !want)
		}
	}
}

func TestBadInput(t *testing.T) {
	for name, data := range map[string]string{
		"not json":    "<html>",
		"an object":   `{"result": null}`,
		"no name":     `[{"eol": "2020-01-01"}]`,
		"wrong types": `{"result": {"releases": [{"name": 12.5, "eolFrom": true}]}}`,
	} {
		err := New().Parse(context.Background(), feed.Input{Name: "debian", R: strings.NewReader(data)}, func(vulndb.Record) error { return nil })
		switch {
		case name == "wrong types":
			// A number as a name is read as text; a boolean date is no date.
			if err != nil {
				t.Errorf("%s: %v", name, err)
			}
		case err == nil || !strings.Contains(err.Error(), "debian"):
			t.Errorf("%s: error %v, want one naming the input", name, err)
		}
	}
	if err := New().Parse(context.Background(), feed.Input{Name: "windows.json", R: strings.NewReader("[]")}, nil); err == nil {
		t.Error("an unknown product was accepted")
	}
}

func FuzzParse(f *testing.F) {
	for _, name := range []string{"debian", "alpine", "debian.v0.json"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		_ = New().Parse(context.Background(), feed.Input{Name: "alpine", R: strings.NewReader(string(data))}, func(r vulndb.Record) error {
			if r.Release == nil || !strings.HasPrefix(r.Release.Namespace, "alpine:") {
				t.Fatalf("bad record %+v", r)
			}
			return nil
		})
	})
}
