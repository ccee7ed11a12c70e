// Command mkfixtures writes test images as docker-archives into a folder.
//
//	go run ./scripts/mkfixtures DIR
//		writes every fixture of imagetest.Fixtures as DIR/<name>.tar
//	go run ./scripts/mkfixtures -name NAME -layers A.tar.gz[,B.tar.gz...] DIR
//		writes one image stacked from layer files (tar or tar.gz, bottom first) as DIR/NAME.tar
//
// scripts/make-test-images calls it; see there for the debootstrap images.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/shipshape-dev/shipshape/internal/imagetest"
)

func main() {
	name := flag.String("name", "", "image name (with -layers)")
	layers := flag.String("layers", "", "comma-separated layer files, bottom first")
	createdBy := flag.String("created-by", "", "history created_by of the layers (with -layers)")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: mkfixtures [-name NAME -layers A.tar.gz,...] DIR")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 1 {
		flag.Usage()
		os.Exit(2)
	}
	var err error
	if *layers != "" {
		err = fromLayers(flag.Arg(0), *name, strings.Split(*layers, ","), *createdBy)
	} else {
		err = fixtures(flag.Arg(0))
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "mkfixtures:", err)
		os.Exit(1)
	}
}

func fixtures(dir string) error {
	fs, err := imagetest.Fixtures()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, f := range fs {
		out := filepath.Join(dir, f.Name+".tar")
		if err := imagetest.WriteDockerArchive(out, f.Tag(), f.Image); err != nil {
			return fmt.Errorf("%s: %w", f.Name, err)
		}
		fmt.Println(out)
	}
	return nil
}

func fromLayers(dir, name string, files []string, createdBy string) error {
	if name == "" {
		return fmt.Errorf("-layers needs -name")
	}
	steps := make([]imagetest.Step, len(files))
	for i, p := range files {
		l, err := imagetest.LayerFromFile(p)
		if err != nil {
			return fmt.Errorf("layer %s: %w", p, err)
		}
		by := createdBy
		if by == "" {
			by = "ADD " + filepath.Base(p) + " /"
		}
		steps[i] = imagetest.Step{Layer: l, CreatedBy: by}
	}
	img, err := imagetest.Image("linux/amd64", steps...)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	out := filepath.Join(dir, name+".tar")
	if err := imagetest.WriteDockerArchive(out, "shipshape.test/fixtures/"+name+":latest", img); err != nil {
		return err
	}
	fmt.Println(out)
	return nil
}
