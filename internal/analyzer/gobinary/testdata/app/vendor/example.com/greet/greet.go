// Package greet stands in for a dependency replaced by another module version.
package greet

// Hello returns a greeting.
func Hello() string { return "hello " }
