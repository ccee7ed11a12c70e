// Package debian reads Debian's vulnerability feeds into vulndb records:
//
//   - "debian-oval": the Debian OVAL definitions, oval-definitions-<codename>.xml(.bz2), one
//     definition per CVE and source package plus a few per DSA/DLA (constructor New);
//   - "debian-tracker": the security tracker's JSON dump, /tracker/data/json
//     (constructor NewTracker);
//   - "debian-dsa": the tracker's text lists data/DSA/list and data/DLA/list (constructor
//     NewDSA).
//
// Every feed names source packages and uses the namespace "debian:<major release>"
// ("debian:12"), or "debian:unstable" for sid. Fixed versions are Debian versions as the
// feed gives them, except that an explicit zero epoch ("0:1.2-3") is dropped: dpkg treats
// it as no epoch, and the tracker and installed-package versions carry none.
package debian

import (
	"path"
	"regexp"
	"strings"
	"sync"

	"github.com/shipshape-dev/shipshape/internal/vulndb"
)

// releases maps Debian codenames to their release numbers, as used in namespaces.
var releases = map[string]string{
	"woody":    "3.0",
	"sarge":    "3.1",
	"etch":     "4",
	"lenny":    "5",
	"squeeze":  "6",
	"wheezy":   "7",
	"jessie":   "8",
	"stretch":  "9",
	"buster":   "10",
	"bullseye": "11",
	"bookworm": "12",
	"trixie":   "13",
	"forky":    "14",
	"duke":     "15",
	"sid":      "unstable",
}

// namespace returns the vulndb namespace of a Debian codename, or "" for one it does not
// know (experimental, a typo, a future release).
func namespace(codename string) string {
	if n, ok := releases[strings.ToLower(strings.TrimSpace(codename))]; ok {
		return "debian:" + n
	}
	return ""
}

// cveRE matches a CVE id on its own.
var cveRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^CVE-\d{4}-\d{4,}$`) })

// advisoryRE matches a Debian advisory id: DSA-5380-1, DLA-3380-1, or the older DSA-141.
var advisoryRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^D[SL]A-\d+(-\d+)?$`) })

// debVersion normalises a Debian version for a Range: trimmed, with a zero epoch dropped.
func debVersion(v string) string {
	v = strings.TrimSpace(v)
	return strings.TrimPrefix(v, "0:")
}

// baseName returns the last element of a slash-separated input name without a compression
// suffix the builder may have left on it.
func baseName(name string) string {
	b := path.Base(strings.ReplaceAll(name, `\`, "/"))
	for _, ext := range []string{".bz2", ".gz", ".xz", ".zst"} {
		b = strings.TrimSuffix(b, ext)
	}
	return b
}

// fixedRange is the one range of a package fixed in version v.
func fixedRange(v string) []vulndb.Range {
	return []vulndb.Range{{Type: "ECOSYSTEM", Fixed: v}}
}

// openRange is the one range of a package affected in every version: no fix (yet).
func openRange() []vulndb.Range {
	return []vulndb.Range{{Type: "ECOSYSTEM"}}
}
