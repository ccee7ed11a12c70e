package cwe

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/shipshape-dev/shipshape/internal/feed"
	"github.com/shipshape-dev/shipshape/internal/vulndb"
)

func parse(t testing.TB, name string, data []byte) ([]vulndb.CWE, error) {
	t.Helper()
	var out []vulndb.CWE
	err := New().Parse(context.Background(), feed.Input{Name: name, R: bytes.NewReader(data)}, func(r vulndb.Record) error {
		if r.CWE == nil || r.Vulnerability != nil || r.Affected != nil || r.EPSS != nil || r.KEV != nil {
			t.Fatalf("record is not just a CWE: %+v", r)
		}
		out = append(out, *r.CWE)
		return nil
	})
	return out, err
}

func excerpt(t testing.TB) []byte {
	t.Helper()
	fh, err := os.Open("testdata/cwe-dictionary-excerpt.json.gz")
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	gz, err := gzip.NewReader(fh)
	if err != nil {
		t.Fatal(err)
	}
	data, err := io.ReadAll(gz)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestFeedBasics(t *testing.T) {
	f := New()
	if f.Name() != "cwe" {
		t.Errorf("Name() = %q", f.Name())
	}
	info := f.Info()
	if info.Licence == "" || info.Attribution == "" || !strings.HasPrefix(info.UpstreamURL, "https://") {
		t.Errorf("Info() incomplete: %+v", info)
	}
	for name, want := range map[string]bool{
		"cwe-dictionary.json":    true,
		"cwe-dictionary.json.gz": true,
		"cwec_v4.15.xml":         true,
		"cwe/README.md":          false,
		"cwec_latest.xml.zip":    false,
		".git/config.json":       false,
	} {
		if got := f.Match(name); got != want {
			t.Errorf("Match(%q) = %v", name, got)
		}
	}
}

// TestDictionaryExcerpt compares the parse of real dictionary entries with a generic
// reading of the same file.
func TestDictionaryExcerpt(t *testing.T) {
	data := excerpt(t)
	var doc map[string]map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{}
	for key, entry := range doc {
		attr := entry["attr"].(map[string]any)
		if attr["@_ID"] != key {
			t.Fatalf("test data: key %s, id %v", key, attr["@_ID"])
		}
		want["CWE-"+key] = attr["@_Name"].(string)
	}
	got, err := parse(t, "cwe-dictionary.json", data)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(doc) || len(doc) != 47 {
		t.Fatalf("%d entries; the file has %d", len(got), len(doc))
	}
	for _, c := range got {
		if want[c.ID] != c.Name {
			t.Errorf("%s = %q, file says %q", c.ID, c.Name, want[c.ID])
		}
	}
	named := map[string]string{}
	for _, c := range got {
		named[c.ID] = c.Name
	}
	for id, name := range map[string]string{
		"CWE-79":  "Improper Neutralization of Input During Web Page Generation ('Cross-site Scripting')",
		"CWE-89":  "Improper Neutralization of Special Elements used in an SQL Command ('SQL Injection')",
		"CWE-787": "Out-of-bounds Write",
		"CWE-22":  "Improper Limitation of a Pathname to a Restricted Directory ('Path Traversal')",
		"CWE-71":  "DEPRECATED: Apple '.DS_Store'",
	} {
		if named[id] != name {
			t.Errorf("%s = %q, want %q", id, named[id], name)
		}
	}
	// File order is kept.
	if got[0].ID != "CWE-5" {
		t.Errorf("first entry %s", got[0].ID)
	}
}

// catalogXML is a made-up file in the shape of MITRE's cwec_v4.x.xml.
const catalogXML = `<?xml version="1.0" encoding="UTF-8"?>
<Weakness_Catalog Name="CWE" Version="4.15" Date="2024-07-16" xmlns="http://cwe.mitre.org/cwe-7" xmlns:xhtml="http://www.w3.org/1999/xhtml">
  <Weaknesses>
    <Weakness ID="79" Name="Improper Neutralization of Input During Web Page Generation ('Cross-site Scripting')" Abstraction="Base" Structure="Simple" Status="Stable">
      <Description>The product does not neutralize ...</Description>
      <Related_Weaknesses><Related_Weakness Nature="ChildOf" CWE_ID="74" View_ID="1000" Ordinal="Primary"/></Related_Weaknesses>
      <Demonstrative_Examples><Demonstrative_Example><Example_Code><xhtml:div>&lt;Weakness ID="1" Name="not an entry"&gt;</xhtml:div></Example_Code></Demonstrative_Example></Demonstrative_Examples>
    </Weakness>
    <Weakness ID="1004" Name="Sensitive Cookie Without &apos;HttpOnly&apos; Flag" Abstraction="Variant" Structure="Simple" Status="Incomplete"/>
    <Weakness ID="x" Name="bad id"/>
  </Weaknesses>
  <Categories>
    <Category ID="16" Name="Configuration" Status="Obsolete"><Relationships><Has_Member CWE_ID="2" View_ID="699"/></Relationships></Category>
  </Categories>
  <Views>
    <View ID="1000" Name="Research Concepts" Type="Graph" Status="Draft"><Members><Has_Member CWE_ID="284" View_ID="1000"/></Members></View>
  </Views>
  <External_References><External_Reference Reference_ID="REF-1"><Title>x</Title></External_Reference></External_References>
</Weakness_Catalog>`

func TestParseSynthetic(t *testing.T) {
	tests := []struct {
		name    string
		data    string
		want    []vulndb.CWE
		wantErr bool
	}{
		{
			name: "MITRE XML",
			data: catalogXML,
			want: []vulndb.CWE{
				{ID: "CWE-79", Name: "Improper Neutralization of Input During Web Page Generation ('Cross-site Scripting')"},
				{ID: "CWE-1004", Name: "Sensitive Cookie Without 'HttpOnly' Flag"},
				{ID: "CWE-16", Name: "Configuration"},
				{ID: "CWE-1000", Name: "Research Concepts"},
			},
		},
		{
			name: "JSON: id from the key, numeric ids, odd entries skipped",
			data: `{"1":{"attr":{"@_Name":"  One\n name "}},"2":{"attr":{"@_ID":2,"@_Name":"Two"}},"3":{"attr":{"@_ID":"3"}},"4":"oops","x":{"attr":{"@_Name":"no id"}},"6":{"attr":{"@_ID":"CWE-6","@_Name":"Six"}}}`,
			want: []vulndb.CWE{{ID: "CWE-1", Name: "One name"}, {ID: "CWE-2", Name: "Two"}, {ID: "CWE-6", Name: "Six"}},
		},
		{name: "JSON with nothing readable", data: `{"title":"CISA catalog","count":3}`, wantErr: true},
		{name: "empty JSON object", data: `{}`, wantErr: true},
		{name: "broken JSON", data: `{"5":{"attr":`, wantErr: true},
		{name: "broken XML", data: `<Weakness_Catalog><Weaknesses><Weakness ID="1" Name="x">`, wantErr: true},
		{name: "XML without entries", data: `<Weakness_Catalog/>`, wantErr: true},
		{name: "a JSON array", data: `[1]`, wantErr: true},
		{name: "empty", data: " \n", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parse(t, "catalog", []byte(tt.data))
			if tt.wantErr {
				if err == nil || !strings.Contains(err.Error(), "catalog") {
					t.Fatalf("err = %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestParseEmitErrorAndCancel(t *testing.T) {
	for _, data := range []string{`{"5":{"attr":{"@_ID":"5","@_Name":"x"}}}`, `<W><Weakness ID="5" Name="x"/></W>`} {
		stop := errors.New("stop")
		err := New().Parse(context.Background(), feed.Input{Name: "c.json", R: strings.NewReader(data)},
			func(vulndb.Record) error { return stop })
		if !errors.Is(err, stop) || !strings.Contains(err.Error(), "c.json") {
			t.Errorf("err = %v", err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		err = New().Parse(ctx, feed.Input{Name: "c.json", R: strings.NewReader(data)}, func(vulndb.Record) error { return nil })
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v", err)
		}
	}
}

// BenchmarkParse parses the 47-entry excerpt of the dictionary (the whole one has 964).
func BenchmarkParse(b *testing.B) {
	data := excerpt(b)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := parse(b, "cwe-dictionary.json", data); err != nil {
			b.Fatal(err)
		}
	}
}
