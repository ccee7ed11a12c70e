package cargo

import (
	"bytes"
	"compress/zlib"
	"debug/elf"
	"debug/macho"
	"debug/pe"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/shipshape-dev/shipshape/internal/analyzer/gobinary"
	"github.com/shipshape-dev/shipshape/internal/inventory"
)

// SectionName is the linker section cargo-auditable writes (in Mach-O files, in the
// __DATA segment).
const SectionName = ".dep-v0"

// Limits on the audit data: real sections are a few kilobytes (cargo-auditable says under
// 4 kB for 400 crates); the limits only stop crafted files.
const (
	maxSectionSize = 8 << 20
	maxJSONSize    = 64 << 20
	maxAuditCrates = 100000
)

// ErrNoAuditData is returned by ParseBinary for files that are not executables or carry
// no cargo-auditable section. Callers treat it as "nothing to report".
var ErrNoAuditData = errors.New("no cargo-auditable data")

// ParseBinary reads the cargo-auditable dependency tree of an ELF, PE or Mach-O program.
func ParseBinary(r io.ReaderAt) ([]inventory.Package, []string, error) {
	head := make([]byte, 4)
	n, _ := r.ReadAt(head, 0)
	compressed, err := auditSection(gobinary.Format(head[:n]), r)
	if err != nil {
		return nil, nil, err
	}
	data, err := inflate(compressed)
	if err != nil {
		return nil, nil, fmt.Errorf("decompressing the %s section: %w", SectionName, err)
	}
	return ParseAuditJSON(data)
}

// auditSection returns the raw (compressed) content of the audit section.
func auditSection(format string, r io.ReaderAt) (data []byte, err error) {
	defer func() {
		// debug/* parse untrusted headers; a panic on a crafted file is an error here.
		if p := recover(); p != nil {
			data, err = nil, fmt.Errorf("malformed executable: %v", p)
		}
	}()
	var sr *io.SectionReader
	switch format {
	case gobinary.FormatELF:
		f, err := elf.NewFile(r)
		if err != nil {
			return nil, fmt.Errorf("%w (not a readable ELF file: %v)", ErrNoAuditData, err)
		}
		s := f.Section(SectionName)
		if s == nil || s.Type == elf.SHT_NOBITS {
			return nil, ErrNoAuditData
		}
		sr = io.NewSectionReader(r, int64(s.Offset), int64(s.FileSize))
	case gobinary.FormatPE:
		f, err := pe.NewFile(r)
		if err != nil {
			return nil, fmt.Errorf("%w (not a readable PE file: %v)", ErrNoAuditData, err)
		}
		s := f.Section(SectionName)
		if s == nil {
			return nil, ErrNoAuditData
		}
		size := s.Size
		if s.VirtualSize != 0 && s.VirtualSize < size {
			size = s.VirtualSize // the raw size is padded to the file alignment
		}
		sr = io.NewSectionReader(r, int64(s.Offset), int64(size))
	case gobinary.FormatMachO:
		f, err := macho.NewFile(r)
		if err != nil {
			return nil, fmt.Errorf("%w (not a readable Mach-O file: %v)", ErrNoAuditData, err)
		}
		var s *macho.Section
		for _, c := range f.Sections {
			if c.Name == SectionName && (c.Seg == "__DATA" || c.Seg == "") {
				s = c
				break
			}
		}
		if s == nil {
			return nil, ErrNoAuditData
		}
		sr = io.NewSectionReader(r, int64(s.Offset), int64(s.Size))
	default:
		return nil, ErrNoAuditData
	}
	if sr.Size() > maxSectionSize || sr.Size() < 0 {
		return nil, fmt.Errorf("the %s section is %d bytes, more than the %d this analyzer reads", SectionName, sr.Size(), maxSectionSize)
	}
	data = make([]byte, sr.Size())
	if _, err := io.ReadFull(sr, data); err != nil {
		return nil, fmt.Errorf("reading the %s section (the file may be truncated): %w", SectionName, err)
	}
	return data, nil
}

// inflate decompresses zlib data, refusing to expand past maxJSONSize.
func inflate(compressed []byte) ([]byte, error) {
	zr, err := zlib.NewReader(bytes.NewReader(compressed))
	if err != nil {
		return nil, err
	}
	defer zr.Close()
	data, err := io.ReadAll(io.LimitReader(zr, maxJSONSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxJSONSize {
		return nil, fmt.Errorf("expands beyond %d bytes", maxJSONSize)
	}
	return data, nil
}

// auditInfo is cargo-auditable's VersionInfo: packages refer to their dependencies by
// index in the array.
type auditInfo struct {
	Format   int            `json:"format"`
	Packages []auditPackage `json:"packages"`
}

type auditPackage struct {
	Name         string          `json:"name"`
	Version      string          `json:"version"`
	Source       json.RawMessage `json:"source"`
	Kind         string          `json:"kind"`
	Dependencies []int           `json:"dependencies"`
	Root         bool            `json:"root"`
}

// source returns the package's source ("crates.io", "git", "local", "registry"), or
// "other" for any other form.
func (p *auditPackage) source() string {
	var s string
	if json.Unmarshal(p.Source, &s) == nil && s != "" {
		return s
	}
	return "other"
}

// ParseAuditJSON reads the decompressed JSON of a cargo-auditable section. Crates from
// crates.io, git and other registries are reported; the root crate and local crates are
// not. Crates the root depends on are direct, the rest transitive; crates recorded as
// build-time only (kind "build": build scripts, proc-macros) are marked Dev, since their
// code is not in the program.
func ParseAuditJSON(data []byte) ([]inventory.Package, []string, error) {
	var info auditInfo
	if err := json.Unmarshal(data, &info); err != nil {
		return nil, nil, fmt.Errorf("cargo-auditable data is not the expected JSON: %w", err)
	}
	if info.Packages == nil {
		return nil, nil, errors.New("cargo-auditable data has no packages list")
	}
	if len(info.Packages) > maxAuditCrates {
		return nil, nil, fmt.Errorf("cargo-auditable data lists %d crates, more than %d", len(info.Packages), maxAuditCrates)
	}
	direct := make([]bool, len(info.Packages))
	hasRoot := false
	var warnings []string
	for _, p := range info.Packages {
		if !p.Root {
			continue
		}
		hasRoot = true
		for _, d := range p.Dependencies {
			if d < 0 || d >= len(info.Packages) {
				warnings = append(warnings, fmt.Sprintf("crate %s refers to dependency #%d of %d; ignored", p.Name, d, len(info.Packages)))
				continue
			}
			direct[d] = true
		}
	}
	var pkgs []inventory.Package
	for i, p := range info.Packages {
		if p.Root || p.source() == "local" {
			continue
		}
		if !validCrate(p.Name, p.Version) {
			warnings = append(warnings, fmt.Sprintf("crate %q version %q is not a crate name and version; skipped", p.Name, p.Version))
			continue
		}
		dep := ""
		if hasRoot {
			dep = inventory.DependencyTransitive
			if direct[i] {
				dep = inventory.DependencyDirect
			}
		}
		x := pkg(p.Name, p.Version, dep)
		x.Dev = p.Kind == "build"
		pkgs = append(pkgs, x)
	}
	sortPackages(pkgs)
	return pkgs, warnings, nil
}
