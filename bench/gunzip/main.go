// Command gunzip decompresses each file given, one after another, into nothing, with the
// gzip decoder shipshape itself uses (klauspost/compress); files that are not gzip are read
// through. bench/run times it as a second floor: what decompression alone costs with
// shipshape's library, where `gzip -dc` is what it costs with GNU gzip.
//
//	gunzip FILE...
package main

import (
	"bufio"
	"fmt"
	"io"
	"os"

	"github.com/klauspost/compress/gzip"
)

func main() {
	for _, p := range os.Args[1:] {
		if err := drain(p); err != nil {
			fmt.Fprintf(os.Stderr, "gunzip: %s: %v\n", p, err)
			os.Exit(1)
		}
	}
}

func drain(p string) error {
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 64<<10)
	var r io.Reader = br
	if head, _ := br.Peek(2); len(head) == 2 && head[0] == 0x1f && head[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return err
		}
		defer zr.Close()
		r = zr
	}
	_, err = io.Copy(io.Discard, r)
	return err
}
