// Command shipshape scans container images, root filesystems and source trees for what
// is inside them and what is wrong with it. This file only wires the CLI.
package main

import (
	"os"

	"github.com/shipshape-dev/shipshape/internal/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], os.Stdout, os.Stderr))
}
