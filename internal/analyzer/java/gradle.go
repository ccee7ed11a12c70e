package java

import (
	"bytes"
	"fmt"
	"path"
	"strings"

	"github.com/shipshape-dev/shipshape/internal/inventory"
)

// gradleConfiguration returns the configuration an old-style per-configuration lock file
// (gradle/dependency-locks/<configuration>.lockfile, Gradle 4.8-6) is for, "" otherwise. The
// build-script and settings lock files (buildscript-gradle.lockfile,
// settings-gradle.lockfile) hold build tooling: they are reported as the "buildscript"
// configuration, which counts as development-only.
func gradleConfiguration(p string) string {
	base := path.Base(p)
	switch base {
	case "gradle.lockfile":
		return ""
	case "buildscript-gradle.lockfile", "settings-gradle.lockfile":
		return "buildscript"
	}
	return strings.TrimSuffix(base, ".lockfile")
}

// testConfiguration reports whether a Gradle configuration only builds or runs tests (or the
// build itself): its name starts with "test" or has a "Test" word in it
// (testRuntimeClasspath, integrationTestCompileClasspath, androidTestRuntimeClasspath,
// debugUnitTestRuntimeClasspath), or it is the build-script classpath.
func testConfiguration(c string) bool {
	return strings.HasPrefix(c, "test") || strings.Contains(c, "Test") || c == "buildscript" ||
		c == "classpath"
}

// ParseGradleLock reads a Gradle dependency lock file: "group:artifact:version=conf1,conf2"
// lines, '#' comments and an "empty=conf,..." line. A package is Dev when every
// configuration that resolves it is a test configuration (see testConfiguration). In an old
// per-configuration lock file the lines carry no "=..." and configuration (from the file
// name) applies to all of them. Malformed lines are skipped with a warning.
func ParseGradleLock(data []byte, configuration string) ([]inventory.Package, []string, error) {
	if bytes.IndexByte(data, 0) >= 0 {
		return nil, nil, fmt.Errorf("not a Gradle lock file: it holds binary data")
	}
	var (
		pkgs     []inventory.Package
		warnings []string
	)
	for n, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		coords, confs, hasConfs := strings.Cut(line, "=")
		if coords == "empty" {
			continue
		}
		parts := strings.Split(coords, ":")
		if len(parts) != 3 || parts[0] == "" || parts[1] == "" || parts[2] == "" || strings.ContainsAny(coords, " \t") {
			warnings = capWarnings(warnings, fmt.Sprintf("line %d: %q is not group:artifact:version; skipped", n+1, truncate(line, 80)))
			continue
		}
		var list []string
		if hasConfs {
			for _, c := range strings.Split(confs, ",") {
				if c = strings.TrimSpace(c); c != "" {
					list = append(list, c)
				}
			}
		} else if configuration != "" {
			list = []string{configuration}
		}
		dev := len(list) > 0
		for _, c := range list {
			dev = dev && testConfiguration(c)
		}
		p := newPackage(parts[0], parts[1], parts[2])
		p.Dev = dev
		pkgs = append(pkgs, p)
	}
	if len(pkgs) == 0 && len(warnings) > 0 {
		return nil, nil, fmt.Errorf("not a Gradle lock file: no group:artifact:version line (%s)", warnings[0])
	}
	return pkgs, warnings, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
