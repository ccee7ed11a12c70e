// Package osrelease identifies the operating system of a layer from os-release and from the
// distro release files (alpine-release, debian_version, redhat-release and its kin).
package osrelease

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"strings"

	"github.com/shipshape-dev/shipshape/internal/analyzer"
	"github.com/shipshape-dev/shipshape/internal/inventory"
)

// maxRead is how much of a claimed file is read. Real os-release files are well under
// 1 KiB and release files are one line; the cap keeps a huge file from costing memory.
const maxRead = 64 << 10

// The files claimed, as in the OS priority list of the layer merge.
const (
	osRelease    = "etc/os-release"
	usrOSRelease = "usr/lib/os-release"
	alpine       = "etc/alpine-release"
	debian       = "etc/debian_version"
)

// redhatFiles hold one "<Name> release <version> (<codename>)" line.
var redhatFiles = map[string]bool{
	"etc/redhat-release":    true,
	"etc/centos-release":    true,
	"etc/rocky-release":     true,
	"etc/almalinux-release": true,
	"etc/fedora-release":    true,
	"etc/oracle-release":    true,
	"etc/system-release":    true,
}

// Analyzer reads os-release and distro release files. It is safe for concurrent use.
type Analyzer struct{}

var _ analyzer.Analyzer = (*Analyzer)(nil)

// New returns the os-release analyzer.
func New() *Analyzer { return &Analyzer{} }

// Name implements analyzer.Analyzer.
func (*Analyzer) Name() string { return "os-release" }

// Version implements analyzer.Analyzer.
func (*Analyzer) Version() int { return 1 }

// Claims implements analyzer.Analyzer. Only regular files are claimed; on most distros
// etc/os-release is a symbolic link to usr/lib/os-release, which is claimed itself.
func (*Analyzer) Claims(p string, info fs.FileInfo) bool {
	if info != nil && !info.Mode().IsRegular() {
		return false
	}
	return p == osRelease || p == usrOSRelease || p == alpine || p == debian || redhatFiles[p]
}

// Analyze implements analyzer.Analyzer. Content it does not recognise yields empty facts
// and no error, since a release file of an unknown distro is not a fault.
func (*Analyzer) Analyze(ctx context.Context, in analyzer.Input) (analyzer.Facts, error) {
	if in.Content == nil {
		return analyzer.Facts{}, nil
	}
	if err := ctx.Err(); err != nil {
		return analyzer.Facts{}, fmt.Errorf("reading %s: %w", in.Path, err)
	}
	data, err := io.ReadAll(io.LimitReader(in.Content, maxRead))
	if err != nil {
		return analyzer.Facts{}, fmt.Errorf("reading %s: %w", in.Path, err)
	}
	var o *inventory.OS
	switch {
	case in.Path == osRelease || in.Path == usrOSRelease:
		o = parseOSRelease(data)
	case in.Path == alpine:
		if v := firstLine(data); isVersion(v, false) {
			o = &inventory.OS{Family: "alpine", Version: v}
		}
	case in.Path == debian:
		// "12.8" on a release, "bookworm/sid" on testing, unstable and on Ubuntu.
		if v := firstLine(data); isVersion(v, true) {
			o = &inventory.OS{Family: "debian", Version: v}
		}
	case redhatFiles[in.Path]:
		o = parseRedHatRelease(firstLine(data))
	default:
		return analyzer.Facts{}, fmt.Errorf("%s is not an os-release or distro release file; the os-release analyzer does not claim it", in.Path)
	}
	if o == nil {
		return analyzer.Facts{}, nil
	}
	return analyzer.Facts{OS: o}, nil
}

// firstLine returns the first non-blank line of data, trimmed.
func firstLine(data []byte) string {
	for len(data) > 0 {
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		if l := strings.TrimSpace(string(line)); l != "" {
			return l
		}
	}
	return ""
}

// isVersion reports whether s looks like a release version: "3.19.4", "3.21_alpha20240923",
// "12.8", and when slash is true also "bookworm/sid". It keeps junk out of the inventory.
func isVersion(s string, slash bool) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	if (s[0] < '0' || s[0] > '9') && !(slash && strings.Contains(s, "/")) {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9', c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
		case c == '.', c == '_', c == '-', c == '+', c == '~':
		case c == '/' && slash:
		default:
			return false
		}
	}
	return true
}
