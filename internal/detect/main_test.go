package detect

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/shipshape-dev/shipshape/internal/dbbuild"
	"github.com/shipshape-dev/shipshape/internal/feed/all"
	"github.com/shipshape-dev/shipshape/internal/vulndb"
	"github.com/shipshape-dev/shipshape/internal/vulndb/snapshot"
)

// snapshotDir holds the DB the package's tests share; TestMain removes it at the end.
var snapshotDir string

// The files of the embedded snapshot that the correctness tests match against.
var snapshotDBFiles = map[string]bool{
	"alpine-secdb.tar.gz":               true,
	"oval-definitions-bookworm.xml.zst": true,
	"oval-definitions-bullseye.xml.zst": true,
	"oval-definitions-buster.xml.zst":   true,
}

var snapshotDB struct {
	once sync.Once
	db   *vulndb.DB
	err  error
}

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	dir, err := os.MkdirTemp("", "shipshape-detect-test-*")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	snapshotDir = dir
	code := m.Run()
	if snapshotDB.db != nil {
		snapshotDB.db.Close()
	}
	if langDB.db != nil {
		langDB.db.Close()
	}
	return code
}

// sharedSnapshotDB returns the DB built once for the package, on first use, from the
// embedded snapshot's Alpine secdb and Debian OVAL files with shipshape's own feed parsers
// and DB builder. Tests that do not need it (detect_test.go builds tiny DBs of its own) do
// not pay for it.
func sharedSnapshotDB(t testing.TB) *vulndb.DB {
	t.Helper()
	snapshotDB.once.Do(func() {
		snapshotDB.db, snapshotDB.err = buildSnapshotDB(filepath.Join(snapshotDir, "snapshot.db"))
	})
	if snapshotDB.err != nil {
		t.Fatalf("building the shared test DB from the embedded snapshot: %v", snapshotDB.err)
	}
	return snapshotDB.db
}

func buildSnapshotDB(path string) (*vulndb.DB, error) {
	feeds := all.ByName()
	var srcs []dbbuild.Source
	for _, f := range snapshot.Files() {
		if !snapshotDBFiles[f.Name] {
			continue
		}
		fd, ok := feeds[f.Feed]
		if !ok {
			return nil, fmt.Errorf("snapshot file %s names feed %q, which feed/all lacks", f.Name, f.Feed)
		}
		srcs = append(srcs, dbbuild.Source{Name: f.Source, Feed: fd, Location: f.Name, Open: f.Open,
			DataDate: f.DataDate, Licence: f.Licence, Origin: "embedded:" + f.Origin})
	}
	if len(srcs) != len(snapshotDBFiles) {
		return nil, fmt.Errorf("the embedded snapshot has %d of the %d files the tests need", len(srcs), len(snapshotDBFiles))
	}
	sum, err := dbbuild.Build(context.Background(), path, srcs, dbbuild.Options{Now: func() time.Time { return time.Unix(0, 0) }})
	if err != nil {
		return nil, err
	}
	if len(sum.Warnings) > 0 {
		return nil, fmt.Errorf("building from the snapshot gave warnings: %v", sum.Warnings)
	}
	return vulndb.Open(path)
}
