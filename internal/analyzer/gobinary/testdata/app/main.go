// Command app is a test program for the gobinary analyzer: one dependency replaced by
// another module version, one replaced by a folder.
package main

import (
	"os"

	"example.com/greet"
	"example.com/local"
)

func main() {
	os.Stdout.WriteString(greet.Hello() + local.Name + "\n")
}
