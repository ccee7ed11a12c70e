// Command mkfixtures writes test images as docker-archives into a folder.
//
//	go run ./scripts/mkfixtures DIR
//		writes every fixture of imagetest.Fixtures as DIR/<name>.tar
//	go run ./scripts/mkfixtures -name NAME -layer A.tar.gz [-created-by CMD] [-layer B.tar.gz [-created-by CMD]]... DIR
//		writes one image stacked from layer files (tar or tar.gz, bottom first) as DIR/NAME.tar;
//		each -created-by is the history entry of the -layer before it
//
// scripts/make-test-images calls it; see there for the debootstrap images.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/shipshape-dev/shipshape/internal/imagetest"
)

func main() {
	name := flag.String("name", "", "image name (with -layer)")
	var steps []layerArg
	flag.Func("layer", "a layer file (tar or tar.gz), bottom first; repeatable", func(s string) error {
		steps = append(steps, layerArg{path: s})
		return nil
	})
	flag.Func("created-by", "history created_by of the -layer before it", func(s string) error {
		if len(steps) == 0 {
			return fmt.Errorf("-created-by must follow a -layer")
		}
		steps[len(steps)-1].createdBy = s
		return nil
	})
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: mkfixtures [-name NAME -layer A.tar.gz [-created-by CMD]...] DIR")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 1 {
		flag.Usage()
		os.Exit(2)
	}
	var err error
	if len(steps) > 0 {
		err = fromLayers(flag.Arg(0), *name, steps)
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

type layerArg struct{ path, createdBy string }

func fromLayers(dir, name string, layers []layerArg) error {
	if name == "" {
		return fmt.Errorf("-layer needs -name")
	}
	steps := make([]imagetest.Step, len(layers))
	for i, la := range layers {
		l, err := imagetest.LayerFromFile(la.path)
		if err != nil {
			return fmt.Errorf("layer %s: %w", la.path, err)
		}
		by := la.createdBy
		if by == "" {
			by = "ADD " + filepath.Base(la.path) + " /"
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
