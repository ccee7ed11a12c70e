package java_test

import (
	"archive/zip"
	"bytes"
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/shipshape-dev/shipshape/internal/analyzer"
	"github.com/shipshape-dev/shipshape/internal/analyzer/java"
	"github.com/shipshape-dev/shipshape/internal/dbbuild"
	"github.com/shipshape-dev/shipshape/internal/detect"
	"github.com/shipshape-dev/shipshape/internal/feed/osv"
	"github.com/shipshape-dev/shipshape/internal/layer"
	"github.com/shipshape-dev/shipshape/internal/vulndb"
)

// TestMatchGHSA scans a folder holding the real jars, a war built from them and the gradle
// lock file with the walker, builds a DB from the real GitHub Advisory Database records in
// testdata/ghsa (Maven ecosystem, names "groupId:artifactId") and matches them: vulnerable
// versions are found where they are, with their nested location; fixed versions
// (log4j-core 2.19.0, jackson-databind 2.14.0, httpclient 4.5.14) are not.
func TestMatchGHSA(t *testing.T) {
	root := t.TempDir()
	put := func(rel string, data []byte) {
		t.Helper()
		p := filepath.Join(root, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	fixture := func(name string) []byte {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	for _, jar := range []string{"log4j-core-2.19.0.jar", "jackson-databind-2.14.0.jar", "httpclient-osgi-4.5.14.jar"} {
		put("usr/share/java/"+jar, fixture(jar))
	}
	var war bytes.Buffer
	zw := zip.NewWriter(&war)
	for _, jar := range []string{"snakeyaml-1.33.jar", "bson-3.6.3.jar"} {
		w, err := zw.Create("WEB-INF/lib/" + jar)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(fixture(jar)); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	put("srv/shop.war", war.Bytes())
	put("src/app/gradle.lockfile", fixture("gradle.lockfile"))

	sc := &layer.Scanner{Walker: &layer.Walker{Analyzers: analyzer.Set{java.New()}}}
	inv, err := sc.ScanDir(context.Background(), root)
	if err != nil {
		t.Fatal(err)
	}
	if len(inv.Warnings) != 0 {
		t.Errorf("scan warnings: %v", inv.Warnings)
	}

	dbPath := filepath.Join(t.TempDir(), "ghsa.db")
	src := dbbuild.Source{Name: "ghsa", Feed: osv.New(), Location: filepath.Join("testdata", "ghsa")}
	if _, err := dbbuild.Build(context.Background(), dbPath, []dbbuild.Source{src}, dbbuild.Options{Now: func() time.Time { return time.Unix(0, 0) }}); err != nil {
		t.Fatal(err)
	}
	db, err := vulndb.Open(dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	res, err := detect.Match(context.Background(), db, inv, detect.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range res.Findings {
		got = append(got, f.Location+" "+f.PkgName+"@"+f.InstalledVersion+" "+f.ID+" fixed "+f.FixedVersion)
	}
	sort.Strings(got)
	want := []string{
		"/src/app/gradle.lockfile com.fasterxml.jackson.core:jackson-databind@2.13.2 GHSA-57j2-w4cx-62h2 fixed 2.13.2.1",
		"/src/app/gradle.lockfile com.fasterxml.jackson.core:jackson-databind@2.13.2 GHSA-jjjh-jjxp-wpff fixed 2.13.4.1",
		"/src/app/gradle.lockfile com.fasterxml.jackson.core:jackson-databind@2.13.2 GHSA-rgv9-q543-rqg4 fixed 2.13.4",
		"/src/app/gradle.lockfile org.apache.commons:commons-text@1.9 GHSA-599f-7c49-w659 fixed 1.10.0",
		"/src/app/gradle.lockfile org.apache.logging.log4j:log4j-core@2.14.1 GHSA-7rjr-3q55-vv33 fixed 2.16.0",
		"/src/app/gradle.lockfile org.apache.logging.log4j:log4j-core@2.14.1 GHSA-jfh8-c2jp-5v3q fixed 2.15.0",
		"/src/app/gradle.lockfile org.apache.logging.log4j:log4j-core@2.14.1 GHSA-p6xc-xr62-6r2g fixed 2.17.0",
		"/src/app/gradle.lockfile org.yaml:snakeyaml@1.29 GHSA-mjmj-j48q-9wg2 fixed 2.0",
		"/srv/shop.war:WEB-INF/lib/snakeyaml-1.33.jar org.yaml:snakeyaml@1.33 GHSA-mjmj-j48q-9wg2 fixed 2.0",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("findings\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// Every jar package was inventoried, nested ones with their archive path.
	var locs []string
	for _, p := range inv.Packages {
		if !strings.HasSuffix(p.Location, "gradle.lockfile") {
			locs = append(locs, p.Location+" "+p.PURL)
		}
	}
	sort.Strings(locs)
	wantLocs := []string{
		"/srv/shop.war:WEB-INF/lib/bson-3.6.3.jar pkg:maven/org.mongodb/bson@3.6.3",
		"/srv/shop.war:WEB-INF/lib/snakeyaml-1.33.jar pkg:maven/org.yaml/snakeyaml@1.33",
		"/usr/share/java/httpclient-osgi-4.5.14.jar pkg:maven/commons-codec/commons-codec@1.15",
		"/usr/share/java/httpclient-osgi-4.5.14.jar pkg:maven/org.apache.httpcomponents/fluent-hc@4.5.14",
		"/usr/share/java/httpclient-osgi-4.5.14.jar pkg:maven/org.apache.httpcomponents/httpclient-cache@4.5.14",
		"/usr/share/java/httpclient-osgi-4.5.14.jar pkg:maven/org.apache.httpcomponents/httpclient-osgi@4.5.14",
		"/usr/share/java/httpclient-osgi-4.5.14.jar pkg:maven/org.apache.httpcomponents/httpclient@4.5.14",
		"/usr/share/java/httpclient-osgi-4.5.14.jar pkg:maven/org.apache.httpcomponents/httpmime@4.5.14",
		"/usr/share/java/jackson-databind-2.14.0.jar pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.14.0",
		"/usr/share/java/log4j-core-2.19.0.jar pkg:maven/org.apache.logging.log4j/log4j-core@2.19.0",
	}
	if strings.Join(locs, "\n") != strings.Join(wantLocs, "\n") {
		t.Errorf("packages\n%s\nwant\n%s", strings.Join(locs, "\n"), strings.Join(wantLocs, "\n"))
	}
}
