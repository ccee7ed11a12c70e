// Package secretfiles adapts the secret scanner (internal/secret) to the analyzer contract:
// it claims regular text-like files of every layer, skipping well-known binary and noise
// paths by name alone, and reports what it finds as analyzer.Facts.Secrets, which the merge
// keeps from every layer (a secret deleted by a later layer is still reported).
package secretfiles

import (
	"context"
	"fmt"
	"hash/fnv"
	"io"
	"io/fs"
	"path"
	"strings"

	"github.com/shipshape-dev/shipshape/internal/analyzer"
	"github.com/shipshape-dev/shipshape/internal/secret"
)

// rulesVersion changes whenever the rules or the scanner's output change.
const rulesVersion = 1

// Analyzer finds secrets in files.
type Analyzer struct {
	opts    secret.Options
	scanner *secret.Scanner
}

// New returns the secret analyzer with the given options.
func New(opts secret.Options) *Analyzer {
	return &Analyzer{opts: opts, scanner: secret.New(opts)}
}

// Name implements analyzer.Analyzer.
func (a *Analyzer) Name() string { return "secret" }

// Version implements analyzer.Analyzer. It folds the options in, so that a layer cached
// with another size limit or binary setting is analysed again.
func (a *Analyzer) Version() int {
	h := fnv.New32a()
	fmt.Fprintf(h, "%d|%d|%t", rulesVersion, a.opts.Limit(), a.opts.IncludeBinaries)
	return int(h.Sum32() & 0x7fffffff)
}

// Sparse implements analyzer.Sparse: most files hold no secret, and the walker need not
// record them.
func (a *Analyzer) Sparse() bool { return true }

// skipDirs are folders whose files are generated, vendored binaries or data, never
// configuration a person wrote.
var skipDirs = []string{
	".git/", "node_modules/.cache/", "__pycache__/", ".cache/",
	"usr/share/zoneinfo/", "usr/share/locale/", "usr/share/i18n/", "usr/share/mime/",
	"usr/share/icons/", "usr/share/fonts/", "usr/share/X11/", "usr/share/terminfo/",
	"usr/lib/locale/",
	"var/cache/", "var/lib/apt/lists/", "var/lib/dpkg/", "lib/apk/db/",
}

// skipExts are extensions of binary or media files and of compiled code.
var skipExts = map[string]bool{
	".png": true, ".jpg": true, ".jpeg": true, ".gif": true, ".ico": true, ".bmp": true, ".webp": true, ".tiff": true,
	".svgz": true, ".woff": true, ".woff2": true, ".ttf": true, ".otf": true, ".eot": true, ".pfb": true,
	".mp3": true, ".mp4": true, ".ogg": true, ".wav": true, ".flac": true, ".avi": true, ".mov": true, ".webm": true,
	".zip": true, ".gz": true, ".tgz": true, ".bz2": true, ".xz": true, ".zst": true, ".lz4": true, ".7z": true, ".rar": true, ".tar": true,
	".jar": true, ".war": true, ".ear": true, ".class": true, ".dex": true, ".apk": true, ".whl": true, ".egg": true, ".gem": true, ".deb": true, ".rpm": true,
	".so": true, ".a": true, ".o": true, ".dll": true, ".exe": true, ".dylib": true, ".lib": true, ".pyc": true, ".pyo": true, ".wasm": true,
	".mo": true, ".gmo": true, ".pdf": true, ".db": true, ".sqlite": true, ".sqlite3": true, ".bin": true, ".dat": true, ".pack": true, ".idx": true,
	".psd": true, ".xcf": true, ".icns": true, ".cur": true, ".ani": true,
}

// Claims implements analyzer.Analyzer: regular files under the size limit that are not
// under an allowed or noise path and do not carry a binary extension.
func (a *Analyzer) Claims(p string, info fs.FileInfo) bool {
	if info == nil || !info.Mode().IsRegular() || info.Size() == 0 {
		return false
	}
	if lim := a.opts.Limit(); lim > 0 && info.Size() > lim {
		return false
	}
	if skipExts[strings.ToLower(path.Ext(p))] {
		return false
	}
	for _, d := range skipDirs {
		if strings.HasPrefix(p, d) || strings.Contains(p, "/"+d) {
			return false
		}
	}
	return !secret.AllowedPath(p)
}

// Analyze implements analyzer.Analyzer.
func (a *Analyzer) Analyze(ctx context.Context, in analyzer.Input) (analyzer.Facts, error) {
	data, err := io.ReadAll(in.Content)
	if err != nil {
		return analyzer.Facts{}, fmt.Errorf("reading %s: %w", in.Path, err)
	}
	found := a.scanner.Scan("/"+in.Path, data)
	for i := range found {
		// The merge fills in the path, so a hard link reports its own name.
		found[i].Path = ""
	}
	return analyzer.Facts{Secrets: found}, nil
}
