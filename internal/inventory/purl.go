package inventory

import (
	"strconv"

	"github.com/package-url/packageurl-go"
)

// purlNamespace maps an OS family to the purl namespace its packages use.
func purlNamespace(family string) string {
	switch family {
	case "rhel":
		return "redhat"
	case "ol":
		return "oracle"
	case "amzn":
		return "amazon"
	case "sles", "sle", "opensuse-leap", "opensuse-tumbleweed", "opensuse":
		return "opensuse"
	}
	return family
}

// PURL returns the package URL of an OS package, with arch, distro and epoch qualifiers
// as the purl spec describes for deb, apk and rpm, and upstream naming the source package.
func PURL(p *Package, o *OS) string {
	var ns string
	var qs packageurl.Qualifiers
	if o.Known() {
		ns = purlNamespace(o.Family)
	} else {
		switch p.Type {
		case TypeDeb:
			ns = "debian"
		case TypeApk:
			ns = "alpine"
		}
	}
	version := p.Version
	if p.Arch != "" {
		qs = append(qs, packageurl.Qualifier{Key: "arch", Value: p.Arch})
	}
	if p.Type == TypeRPM {
		version = p.rpmVersionNoEpoch()
		if p.Epoch != nil && *p.Epoch != 0 {
			qs = append(qs, packageurl.Qualifier{Key: "epoch", Value: strconv.Itoa(*p.Epoch)})
		}
	}
	if o.Known() && o.Version != "" {
		qs = append(qs, packageurl.Qualifier{Key: "distro", Value: o.Family + "-" + o.Version})
	}
	if p.SourceName != "" && (p.SourceName != p.Name || (p.SourceVersion != "" && p.SourceVersion != p.Version)) {
		up := p.SourceName
		if p.SourceVersion != "" && p.SourceVersion != p.Version {
			up += "@" + p.SourceVersion
		}
		key := "upstream"
		qs = append(qs, packageurl.Qualifier{Key: key, Value: up})
	}
	// Qualifiers sorted by key, as the spec's canonical form asks.
	sortQualifiers(qs)
	return packageurl.NewPackageURL(p.Type, ns, p.Name, version, qs, "").ToString()
}

func sortQualifiers(qs packageurl.Qualifiers) {
	for i := 1; i < len(qs); i++ {
		for j := i; j > 0 && qs[j].Key < qs[j-1].Key; j-- {
			qs[j], qs[j-1] = qs[j-1], qs[j]
		}
	}
}

// rpmVersionNoEpoch returns version-release without the epoch prefix.
func (p *Package) rpmVersionNoEpoch() string {
	v := p.Version
	for i := 0; i < len(v); i++ {
		if v[i] == ':' {
			return v[i+1:]
		}
		if v[i] < '0' || v[i] > '9' {
			break
		}
	}
	return v
}
