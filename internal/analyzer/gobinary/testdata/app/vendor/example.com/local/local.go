// Package local stands in for a dependency replaced by a folder.
package local

// Name is a name.
const Name = "world"
