// Package imagefiles is the analyzer behind the layer-level image checks: it reports
// setuid/setgid executables and package-manager caches left in a layer, as
// misconfigurations with the ids of package misconfig/imageconfig. It decides from the path
// and file mode alone and never parses content.
package imagefiles

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/shipshape-dev/shipshape/internal/analyzer"
	"github.com/shipshape-dev/shipshape/internal/inventory"
	"github.com/shipshape-dev/shipshape/internal/misconfig"
	"github.com/shipshape-dev/shipshape/internal/misconfig/imageconfig"
)

// maxCacheFile is the largest cache file claimed: the walker reads every claimed file into
// memory, and one small file is enough to show a cache was left. apt's lists always hold small
// Release/InRelease files, apk's cache small APKINDEX files, pip's http cache small chunks.
const maxCacheFile = 1 << 20

// caches are the folders whose files show a package cache was left, with the tool's name.
var caches = []struct{ dir, tool string }{
	{"var/lib/apt/lists/", "apt package lists"},
	{"var/cache/apt/archives/", "apt downloaded packages"},
	{"var/cache/apk/", "apk cache"},
	{"etc/apk/cache/", "apk cache"},
	{"var/cache/yum/", "yum cache"},
	{"var/cache/dnf/", "dnf cache"},
	{"var/cache/zypp/packages/", "zypper cache"},
	{"root/.cache/pip/", "pip cache"},
	{"root/.npm/_cacache/", "npm cache"},
}

// Analyzer implements analyzer.Analyzer.
type Analyzer struct{}

// New returns the analyzer.
func New() *Analyzer { return &Analyzer{} }

// Name implements analyzer.Analyzer.
func (*Analyzer) Name() string { return "imagefiles" }

// Version implements analyzer.Analyzer.
func (*Analyzer) Version() int { return 1 }

// cacheOf returns the cache folder a path belongs to and what it is.
func cacheOf(p string) (string, string) {
	for _, c := range caches {
		if strings.HasPrefix(p, c.dir) {
			return strings.TrimSuffix(c.dir, "/"), c.tool
		}
		// pip caches of other users: home/<user>/.cache/pip/
		if c.dir == "root/.cache/pip/" && strings.HasPrefix(p, "home/") {
			if i := strings.Index(p, "/.cache/pip/"); i > 0 && strings.Count(p[:i], "/") == 1 {
				return p[:i] + "/.cache/pip", c.tool
			}
		}
	}
	return "", ""
}

func special(p string) bool {
	base := path.Base(p)
	return base == "lock" || strings.HasSuffix(p, "/partial") || base == ".wh..wh..opq"
}

// Claims implements analyzer.Analyzer.
func (*Analyzer) Claims(p string, info fs.FileInfo) bool {
	if info == nil {
		return false
	}
	if info.Mode()&(fs.ModeSetuid|fs.ModeSetgid) != 0 && info.Mode()&0o111 != 0 {
		return true
	}
	if dir, _ := cacheOf(p); dir != "" && info.Size() > 0 && info.Size() <= maxCacheFile && !special(p) {
		return true
	}
	return false
}

// Analyze implements analyzer.Analyzer.
func (*Analyzer) Analyze(_ context.Context, in analyzer.Input) (analyzer.Facts, error) {
	metas := imageconfig.LayerChecks()
	var f analyzer.Facts
	mode := in.Info.Mode()
	if mode&(fs.ModeSetuid|fs.ModeSetgid) != 0 && mode&0o111 != 0 {
		bits := []string{}
		if mode&fs.ModeSetuid != 0 {
			bits = append(bits, "setuid")
		}
		if mode&fs.ModeSetgid != 0 {
			bits = append(bits, "setgid")
		}
		m := misconfig.Result(inventory.CheckImageConfig, "", metas[0], misconfig.Hit{
			Message: fmt.Sprintf("/%s is %s (mode %s)", in.Path, strings.Join(bits, " and "), modeString(mode)),
		})
		f.Misconfigurations = append(f.Misconfigurations, m)
	}
	if dir, tool := cacheOf(in.Path); dir != "" {
		m := misconfig.Result(inventory.CheckImageConfig, "", metas[1], misconfig.Hit{
			Object:  dir,
			Message: fmt.Sprintf("%s left in /%s", tool, dir),
		})
		f.Misconfigurations = append(f.Misconfigurations, m)
	}
	return f, nil
}

// modeString prints a mode the way ls does for the special bits (e.g. -rwsr-xr-x).
func modeString(m fs.FileMode) string {
	perm := []byte(m.Perm().String()) // -rwxr-xr-x
	if m&fs.ModeSetuid != 0 {
		if perm[3] == 'x' {
			perm[3] = 's'
		} else {
			perm[3] = 'S'
		}
	}
	if m&fs.ModeSetgid != 0 {
		if perm[6] == 'x' {
			perm[6] = 's'
		} else {
			perm[6] = 'S'
		}
	}
	return string(perm)
}
