// Package inventory holds the shared types every pipeline stage speaks: the operating
// system, the layers of an image, the packages found in them, and warnings about inputs
// that could not be read. It imports nothing from the rest of shipshape.
package inventory

import (
	"sort"
)

// Package types, as used in purls.
const (
	TypeDeb = "deb"
	TypeApk = "apk"
	TypeRPM = "rpm"

	// Language package types.
	TypeGolang   = "golang"
	TypeNpm      = "npm"
	TypePyPI     = "pypi"
	TypeMaven    = "maven"
	TypeGem      = "gem"
	TypeCargo    = "cargo"
	TypeComposer = "composer"
	TypeNuGet    = "nuget"
)

// Dependency kinds, where a lock file says.
const (
	DependencyDirect     = "direct"
	DependencyTransitive = "transitive"
)

// OS describes the operating system of an image or root filesystem.
type OS struct {
	// Family is the lower-case distro id as in os-release ID: debian, ubuntu, alpine, rhel,
	// centos, rocky, almalinux, fedora, amzn, ol, sles, opensuse-leap, wolfi, ...
	Family string `json:"family"`
	// Name is the human name (os-release NAME).
	Name string `json:"name,omitempty"`
	// Version is the full version (os-release VERSION_ID, or alpine-release / debian_version).
	Version string `json:"version,omitempty"`
	// Codename is the release code name (os-release VERSION_CODENAME), when known.
	Codename string `json:"codename,omitempty"`
	// PrettyName is os-release PRETTY_NAME.
	PrettyName string `json:"prettyName,omitempty"`
	// IDLike is os-release ID_LIKE, split on spaces.
	IDLike []string `json:"idLike,omitempty"`
	// Distroless is true when the OS was recognised from /var/lib/dpkg/status.d.
	Distroless bool `json:"distroless,omitempty"`
	// Source is the file the facts were read from.
	Source string `json:"source,omitempty"`
	// EOL is the date the release's security support ends or ended (YYYY-MM-DD), when the
	// vulnerability DB knows it.
	EOL string `json:"eol,omitempty"`
}

// Known reports whether the OS was identified.
func (o *OS) Known() bool { return o != nil && o.Family != "" }

// Layer describes one layer of an image, bottom (0) to top.
type Layer struct {
	Index     int    `json:"index"`
	DiffID    string `json:"diffID,omitempty"`
	Digest    string `json:"digest,omitempty"`
	Size      int64  `json:"size,omitempty"`
	CreatedBy string `json:"createdBy,omitempty"`
	// Cached is true when the layer's facts came from the on-disk cache.
	Cached bool `json:"cached,omitempty"`
}

// LayerRef points at the layer that introduced something.
type LayerRef struct {
	Index     int    `json:"index"`
	DiffID    string `json:"diffID,omitempty"`
	CreatedBy string `json:"createdBy,omitempty"`
}

// Package is one installed package. Version is the full version string in the ecosystem's
// own notation (deb "1:2.3-4", apk "1.2.3-r0", rpm "1:2.3-4.el9" with the epoch only when set).
type Package struct {
	Type    string `json:"type"`
	Name    string `json:"name"`
	Version string `json:"version"`
	// Epoch, UpstreamVersion and Release are the rpm parts of Version (rpm only).
	Epoch   *int   `json:"epoch,omitempty"`
	Release string `json:"release,omitempty"`
	Arch    string `json:"arch,omitempty"`
	// SourceName and SourceVersion name the source package advisories are published for
	// (dpkg Source, apk origin, rpm SOURCERPM).
	SourceName    string   `json:"sourceName,omitempty"`
	SourceVersion string   `json:"sourceVersion,omitempty"`
	Licenses      []string `json:"licenses,omitempty"`
	Maintainer    string   `json:"maintainer,omitempty"`
	// Modularity is the rpm module label (name:stream:version:context), when set.
	Modularity string `json:"modularityLabel,omitempty"`
	// Platform is the os/arch a program was built for (Go binaries: GOOS/GOARCH), when
	// known; matching leaves out vulnerabilities limited to other platforms.
	Platform string `json:"platform,omitempty"`
	// Dependency is direct or transitive when a lock file or manifest says so; Dev marks
	// development-only dependencies (npm devDependencies, composer require-dev, ...).
	Dependency string `json:"dependency,omitempty"`
	Dev        bool   `json:"dev,omitempty"`
	PURL       string `json:"purl,omitempty"`
	// Location is the file the package was read from, as an absolute path in the image.
	Location string `json:"location,omitempty"`
	// Layer is the layer that introduced the package (images only).
	Layer *LayerRef `json:"layer,omitempty"`
	// OwnedBy is the purl of the OS package that installed this language package's files
	// (e.g. Debian's python3-requests for requests); such packages are reported once, as
	// the OS package, unless asked for both.
	OwnedBy string `json:"ownedBy,omitempty"`
}

// Key identifies a package within one inventory.
func (p *Package) Key() string {
	return p.Type + "\x00" + p.Name + "\x00" + p.Version + "\x00" + p.Arch + "\x00" + p.Location
}

// Warning is a problem with one input that did not stop the scan.
type Warning struct {
	// Path is the file (in the image or on disk) the warning is about.
	Path string `json:"path,omitempty"`
	// Layer is the diffID of the layer holding Path, when it came from an image.
	Layer   string `json:"layer,omitempty"`
	Message string `json:"message"`
}

func (w Warning) String() string {
	s := w.Message
	if w.Path != "" {
		s = w.Path + ": " + s
	}
	if w.Layer != "" {
		s += " (layer " + ShortDigest(w.Layer) + ")"
	}
	return s
}

// ShortDigest shortens "sha256:abcdef..." to "sha256:abcdef123456" for messages.
func ShortDigest(d string) string {
	const n = len("sha256:") + 12
	if len(d) > n {
		return d[:n]
	}
	return d
}

// Target describes what was scanned.
type Target struct {
	// Name is what the user asked for (a path or reference).
	Name string `json:"name"`
	// Kind is image, rootfs, filesystem or sbom.
	Kind string `json:"kind"`
	// ImageID is the image config digest, for images.
	ImageID     string   `json:"imageID,omitempty"`
	RepoTags    []string `json:"repoTags,omitempty"`
	RepoDigests []string `json:"repoDigests,omitempty"`
	Platform    string   `json:"platform,omitempty"`
	// ManifestDigest is the digest of the image manifest, when known.
	ManifestDigest string `json:"manifestDigest,omitempty"`
	// Config is the part of the image's configuration policies look at (images only).
	Config *ImageConfig `json:"config,omitempty"`
}

// ImageConfig is what an image runs as: the fields of its OCI configuration that policies
// and reports use. Environment variables are left out: they may hold secrets.
type ImageConfig struct {
	// User is the user the image runs as ("" means root).
	User         string            `json:"user,omitempty"`
	WorkingDir   string            `json:"workingDir,omitempty"`
	Entrypoint   []string          `json:"entrypoint,omitempty"`
	Cmd          []string          `json:"cmd,omitempty"`
	ExposedPorts []string          `json:"exposedPorts,omitempty"`
	Labels       map[string]string `json:"labels,omitempty"`
	// Healthcheck is true when the image defines a health check (other than NONE).
	Healthcheck bool   `json:"healthcheck,omitempty"`
	Created     string `json:"created,omitempty"`
}

// Inventory is the merged view of a target: OS, layers, packages and warnings.
type Inventory struct {
	Target   Target    `json:"target"`
	OS       *OS       `json:"os,omitempty"`
	Layers   []Layer   `json:"layers,omitempty"`
	Packages []Package `json:"packages"`
	// Vulnerabilities are the findings of a vulnerability scan (nil when none was run).
	Vulnerabilities []Finding `json:"vulnerabilities,omitempty"`
	// Misconfigurations, Secrets and Licenses are the findings of those scanners (nil when
	// the scanner did not run).
	Misconfigurations []Misconfiguration `json:"misconfigurations,omitempty"`
	Secrets           []Secret           `json:"secrets,omitempty"`
	Licenses          []LicenseFinding   `json:"licenses,omitempty"`
	// Policy holds the deny and warn messages of the user's Rego policies (nil when none ran).
	Policy []PolicyResult `json:"policy,omitempty"`
	// DB describes the vulnerability data used (nil when none was).
	DB       *DBInfo   `json:"db,omitempty"`
	Warnings []Warning `json:"warnings,omitempty"`
}

// Sort puts packages and warnings in a stable order: by type, name, version, arch, location.
func (inv *Inventory) Sort() {
	sort.SliceStable(inv.Packages, func(i, j int) bool {
		a, b := &inv.Packages[i], &inv.Packages[j]
		if a.Type != b.Type {
			return a.Type < b.Type
		}
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		if a.Version != b.Version {
			return a.Version < b.Version
		}
		if a.Arch != b.Arch {
			return a.Arch < b.Arch
		}
		return a.Location < b.Location
	})
	sort.SliceStable(inv.Warnings, func(i, j int) bool {
		a, b := inv.Warnings[i], inv.Warnings[j]
		if a.Layer != b.Layer {
			return a.Layer < b.Layer
		}
		if a.Path != b.Path {
			return a.Path < b.Path
		}
		return a.Message < b.Message
	})
	inv.SortChecks()
}

// IsOSType reports whether t is the type of an OS package (deb, apk, rpm).
func IsOSType(t string) bool {
	return t == TypeDeb || t == TypeApk || t == TypeRPM
}

// HideOSOwned removes the language packages an OS package installed (OwnedBy set), so
// that each is reported once, as the OS package. It returns how many it removed.
func (inv *Inventory) HideOSOwned() int {
	kept := inv.Packages[:0]
	for _, p := range inv.Packages {
		if p.OwnedBy == "" {
			kept = append(kept, p)
		}
	}
	n := len(inv.Packages) - len(kept)
	clear(inv.Packages[len(kept):])
	inv.Packages = kept
	return n
}
