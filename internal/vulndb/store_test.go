package vulndb

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestWriteAndQuery(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db", "shipshape.db")
	w, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	recs := []Record{
		{Vulnerability: &Vulnerability{ID: "CVE-2024-0001", Aliases: []string{"GHSA-aaaa-bbbb-cccc"}, Summary: "s",
			Severities: []Severity{{Source: "nvd", Type: "CVSS_V3", Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", Score: 9.8, Rating: Critical}}}},
		{Affected: []Affected{{VulnID: "CVE-2024-0001", Namespace: "Debian:12", Package: "openssl", Status: StatusFixed,
			Ranges: []Range{{Type: "ECOSYSTEM", Fixed: "3.0.11-1~deb12u2"}}}}},
		{Affected: []Affected{{VulnID: "PYSEC-1", Namespace: "pypi", Package: "Foo_Bar.baz"}}},
		{EPSS: &EPSS{CVE: "CVE-2024-0001", Score: 0.5, Percentile: 0.9, Date: "2026-11-01"}},
		{KEV: &KEV{CVE: "CVE-2024-0001", DateAdded: "2024-02-01"}},
		{CWE: &CWE{ID: "CWE-79", Name: "XSS"}},
	}
	for _, r := range recs {
		if err := w.Add("test", r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Add("test", Record{Affected: []Affected{{VulnID: "x"}}}); err == nil {
		t.Error("an affected entry without namespace was accepted")
	}
	w.SetSource(SourceInfo{Name: "test", DataDate: "2026-10-01", Licence: "CC0"})
	built := time.Date(2026, 11, 2, 3, 4, 5, 0, time.UTC)
	if err := w.Finish(built); err != nil {
		t.Fatal(err)
	}
	if m, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".shipshape-db-*")); len(m) != 0 {
		t.Errorf("temporary files left behind: %v", m)
	}
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	aff, err := db.Affected(ctx, "debian:12", "openssl")
	if err != nil || len(aff) != 1 || aff[0].Ranges[0].Fixed != "3.0.11-1~deb12u2" || aff[0].Source != "test" {
		t.Fatalf("affected = %+v, %v", aff, err)
	}
	if aff, _ := db.Affected(ctx, "pypi", "foo-bar-baz"); len(aff) != 1 {
		t.Errorf("PEP 503 normalisation: %+v", aff)
	}
	if aff, _ := db.Affected(ctx, "debian:11", "openssl"); len(aff) != 0 {
		t.Errorf("wrong namespace matched: %+v", aff)
	}
	// Names asked for more than once (two versions of one package), and two spellings of
	// one PyPI name: each name gets each row once.
	many, err := db.AffectedMany(ctx, "pypi", []string{"Foo_Bar.baz", "foo-bar-baz", "Foo_Bar.baz", "Foo_Bar.baz", "nope"})
	if err != nil || len(many) != 2 || len(many["Foo_Bar.baz"]) != 1 || len(many["foo-bar-baz"]) != 1 {
		t.Errorf("AffectedMany = %+v, %v; want one row for each spelling", many, err)
	}
	vs, _ := db.Vulnerabilities(ctx, []string{"CVE-2024-0001", "CVE-0000-0000"})
	if len(vs["CVE-2024-0001"]) != 1 || vs["CVE-2024-0001"][0].Severities[0].Score != 9.8 {
		t.Errorf("vulnerabilities = %+v", vs)
	}
	if al, _ := db.Aliases(ctx, "GHSA-aaaa-bbbb-cccc"); len(al) != 1 || al[0] != "CVE-2024-0001" {
		t.Errorf("aliases = %v", al)
	}
	if e, _ := db.EPSS(ctx, []string{"CVE-2024-0001"}); e["CVE-2024-0001"].Percentile != 0.9 {
		t.Errorf("epss = %+v", e)
	}
	if k, _ := db.KEV(ctx, []string{"CVE-2024-0001"}); k["CVE-2024-0001"].DateAdded != "2024-02-01" {
		t.Errorf("kev = %+v", k)
	}
	if c, _ := db.CWENames(ctx, []string{"CWE-79"}); c["CWE-79"] != "XSS" {
		t.Errorf("cwe = %+v", c)
	}
	m := db.Meta()
	if !m.BuiltAt.Equal(built) || len(m.Sources) != 1 || m.Sources[0].Records != 6 || m.DataDate().Format("2006-01-02") != "2026-10-01" {
		t.Errorf("meta = %+v", m)
	}
	if ok, _ := db.HasNamespace(ctx, "alpine:3.19"); ok {
		t.Error("HasNamespace(alpine:3.19) on a DB without it")
	}
}

func TestOpenBad(t *testing.T) {
	dir := t.TempDir()
	junk := filepath.Join(dir, "junk.db")
	os.WriteFile(junk, []byte("this is not sqlite"), 0o644)
	for _, p := range []string{junk, filepath.Join(dir, "missing.db")} {
		if db, err := Open(p); err == nil {
			db.Close()
			t.Errorf("Open(%s) succeeded", p)
		}
	}
}
