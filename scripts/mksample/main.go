// Command mksample builds the sample image committed as testdata/images/sample-alpine-3.12.tar:
// the official Alpine 3.12.12 minirootfs as one layer plus a small second layer, written
// as a `docker save`-style archive. Run: go run ./scripts/mksample
package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/shipshape-dev/shipshape/internal/imagetest"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "mksample:", err)
		os.Exit(1)
	}
}

func run() error {
	base, err := imagetest.LayerFromFile(imagetest.AlpineRootfs("3.12.12", "x86_64"))
	if err != nil {
		return err
	}
	app, err := imagetest.LayerFromFiles([]imagetest.File{
		{Name: "app/", Type: '5'},
		{Name: "app/hello.sh", Body: "#!/bin/sh\necho hello from shipshape's sample image\n", Mode: 0o755},
	})
	if err != nil {
		return err
	}
	img, err := imagetest.Image("linux/amd64",
		imagetest.Step{Layer: base, CreatedBy: "ADD alpine-minirootfs-3.12.12-x86_64.tar.gz / # buildkit"},
		imagetest.Step{Layer: app, CreatedBy: "COPY hello.sh /app/hello.sh # buildkit"})
	if err != nil {
		return err
	}
	out := filepath.Join(imagetest.RepoRoot(), "testdata", "images", "sample-alpine-3.12.tar")
	if err := imagetest.WriteDockerArchive(out, "shipshape/sample-alpine:3.12", img); err != nil {
		return err
	}
	fmt.Println("wrote", out)
	return nil
}
