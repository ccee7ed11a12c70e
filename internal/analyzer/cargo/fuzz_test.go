package cargo

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"os"
	"testing"

	"github.com/shipshape-dev/shipshape/internal/inventory"
)

func checkPackages(t *testing.T, pkgs []inventory.Package) {
	t.Helper()
	for _, p := range pkgs {
		if !validCrate(p.Name, p.Version) || p.Type != inventory.TypeCargo || p.PURL == "" {
			t.Fatalf("bad package %+v", p)
		}
	}
}

// sectionELF lays out a small ELF file with a null section, a section-name table and one
// section of the given name and content: what ParseBinary looks for, in a few hundred
// bytes for the fuzzer to mutate.
func sectionELF(name string, content []byte) []byte {
	const ehsize, shsize = 64, 64
	shstr := append([]byte("\x00.shstrtab\x00"), append([]byte(name), 0)...)
	var b bytes.Buffer
	b.Write(make([]byte, ehsize))
	shstrOff := b.Len()
	b.Write(shstr)
	dataOff := b.Len()
	b.Write(content)
	for b.Len()%8 != 0 {
		b.WriteByte(0)
	}
	shoff := b.Len()
	le := binary.LittleEndian
	sh := func(nameIdx uint32, typ elf.SectionType, off, size int) {
		s := make([]byte, shsize)
		le.PutUint32(s[0:], nameIdx)
		le.PutUint32(s[4:], uint32(typ))
		le.PutUint64(s[24:], uint64(off))
		le.PutUint64(s[32:], uint64(size))
		le.PutUint64(s[48:], 1)
		b.Write(s)
	}
	sh(0, elf.SHT_NULL, 0, 0)
	sh(1, elf.SHT_STRTAB, shstrOff, len(shstr))
	sh(11, elf.SHT_PROGBITS, dataOff, len(content))
	out := b.Bytes()
	copy(out, "\x7fELF")
	out[elf.EI_CLASS] = byte(elf.ELFCLASS64)
	out[elf.EI_DATA] = byte(elf.ELFDATA2LSB)
	out[elf.EI_VERSION] = byte(elf.EV_CURRENT)
	le.PutUint16(out[16:], uint16(elf.ET_DYN))
	le.PutUint16(out[18:], uint16(elf.EM_X86_64))
	le.PutUint32(out[20:], uint32(elf.EV_CURRENT))
	le.PutUint64(out[40:], uint64(shoff))
	le.PutUint16(out[52:], ehsize)
	le.PutUint16(out[58:], shsize)
	le.PutUint16(out[60:], 3)
	le.PutUint16(out[62:], 1)
	return out
}

const auditSample = `{"format":1,"packages":[{"name":"app","version":"0.1.0","source":"local","dependencies":[1],"root":true},{"name":"time","version":"0.1.44","source":"crates.io","dependencies":[2]},{"name":"libc","version":"0.2.139","source":"crates.io","kind":"build"}]}`

func TestSectionELF(t *testing.T) {
	pkgs, _, err := ParseBinary(bytes.NewReader(sectionELF(SectionName, deflate(t, auditSample))))
	if err != nil {
		t.Fatal(err)
	}
	if got := summary(pkgs); len(got) != 2 || got[0] != "libc@0.2.139 transitive build" || got[1] != "time@0.1.44 direct" {
		t.Errorf("packages %v", got)
	}
	if _, _, err := ParseBinary(bytes.NewReader(sectionELF(".other", deflate(t, auditSample)))); err != ErrNoAuditData {
		t.Errorf("other section: %v", err)
	}
	if _, _, err := ParseBinary(bytes.NewReader(sectionELF(SectionName, []byte("not zlib")))); err == nil {
		t.Error("no error for a section that is not zlib")
	}
}

func FuzzLock(f *testing.F) {
	for _, name := range []string{"Cargo.v1.lock", "Cargo.v2.lock", "Cargo.v3.lock", "Cargo.v4.lock", "Cargo.workspace.lock"} {
		data, err := os.ReadFile("testdata/lock/" + name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		pkgs, _, err := ParseLock(data)
		if err == nil {
			checkPackages(t, pkgs)
		}
	})
}

func FuzzAuditJSON(f *testing.F) {
	f.Add([]byte(auditSample))
	f.Add([]byte(`{"packages":[{"name":"x","version":"1.0.0","source":{"Other":"svn"},"dependencies":[0,9]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		pkgs, _, err := ParseAuditJSON(data)
		if err == nil {
			checkPackages(t, pkgs)
		}
	})
}

func FuzzBinary(f *testing.F) {
	f.Add(sectionELF(SectionName, deflate(f, auditSample)))
	f.Add(sectionELF(SectionName, []byte{0x78, 0x9c, 0x03, 0x00}))
	f.Add([]byte("MZ\x90\x00\x03"))
	f.Add([]byte{0xcf, 0xfa, 0xed, 0xfe, 0x07, 0x00, 0x00, 0x01})
	f.Fuzz(func(t *testing.T, data []byte) {
		pkgs, _, err := ParseBinary(bytes.NewReader(data))
		if err == nil {
			checkPackages(t, pkgs)
		}
	})
}
