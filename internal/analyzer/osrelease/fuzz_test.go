package osrelease

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzOSRelease feeds arbitrary bytes to the analyzer under one of the claimed paths
// (which picks an index into claimed). Seeds live in testdata/fuzz/FuzzOSRelease.
func FuzzOSRelease(f *testing.F) {
	f.Add([]byte("ID=debian\nVERSION_ID=\"12\"\nVERSION=\"12 (bookworm)\"\n"), uint8(0))
	f.Add([]byte("CentOS Linux release 7.9.2009 (Core)\n"), uint8(5))
	f.Fuzz(func(t *testing.T, data []byte, which uint8) {
		path := claimed[int(which)%len(claimed)]
		facts, err := analyze(t, path, data)
		if err != nil {
			t.Fatalf("%s: error on in-memory input: %v", path, err)
		}
		if len(facts.Packages) > 0 || len(facts.Licenses) > 0 || len(facts.Warnings) > 0 {
			t.Fatalf("%s: unexpected facts %+v", path, facts)
		}
		o := facts.OS
		if o == nil {
			return
		}
		if !validID(o.Family) {
			t.Fatalf("%s: Family %q is not an os-release ID", path, o.Family)
		}
		for _, l := range o.IDLike {
			if !validID(l) {
				t.Fatalf("%s: ID_LIKE entry %q is not an os-release ID", path, l)
			}
		}
		for what, v := range map[string]string{"Version": o.Version, "Codename": o.Codename} {
			if v != token(v) {
				t.Fatalf("%s: %s %q is not a single clean word", path, what, v)
			}
		}
		for what, v := range map[string]string{"Name": o.Name, "PrettyName": o.PrettyName} {
			if !utf8.ValidString(v) || v != strings.TrimSpace(v) || len(v) > maxText || v != text(v) {
				t.Fatalf("%s: %s %q is not clean text", path, what, v)
			}
		}
		if o.Source != "" || o.Distroless {
			t.Fatalf("%s: Source or Distroless set by the analyzer: %+v", path, *o)
		}
	})
}
