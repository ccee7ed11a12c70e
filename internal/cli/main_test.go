package cli

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// testDB is the vulnerability DB the package's tests share: built once, from the snapshot
// embedded in shipshape, and handed to every scan through SHIPSHAPE_DB.
var testDB string

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	dir, err := os.MkdirTemp("", "shipshape-cli-test-*")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	testDB = filepath.Join(dir, "shipshape.db")
	var out, errb bytes.Buffer
	if code := Main([]string{"db", "build", "--embedded", "-o", testDB, "-q", "--cache-dir", dir}, &out, &errb); code != 0 {
		fmt.Fprintf(os.Stderr, "building the test DB: exit %d: %s\n", code, errb.String())
		return 1
	}
	os.Setenv("SHIPSHAPE_DB", testDB)
	return m.Run()
}
