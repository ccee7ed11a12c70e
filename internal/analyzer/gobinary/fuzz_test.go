package gobinary

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"testing"

	"github.com/shipshape-dev/shipshape/internal/inventory"
)

// Sentinels runtime/debug writes around the module information in a binary.
const (
	modinfoStart = "0w\xaf\x0c\x92t\b\x02A\xe1\xc1\a\xe6\xd6\x18\xe6"
	modinfoEnd   = "\xf92C1\x86\x18 r\x00\x82B\x10A\x16\xd8\xf2"
)

// tinyELF lays out the smallest ELF file debug/buildinfo reads: a header, one writable
// PT_LOAD segment and, at its start, a Go 1.18+ build information blob (magic, pointer
// size, flags "strings inline", then the Go version and the module information as
// length-prefixed strings). It gives the fuzzer a few hundred bytes with the real
// structure to mutate, where a real Go program is megabytes.
func tinyELF(goVersion, modinfo string) []byte {
	const (
		ehsize  = 64
		phsize  = 56
		dataOff = 128
		vaddr   = 0x400000 + dataOff
	)
	var blob bytes.Buffer
	blob.WriteString("\xff Go buildinf:")
	blob.WriteByte(8)   // pointer size
	blob.WriteByte(0x2) // little endian, strings inline
	blob.Write(make([]byte, 16))
	for _, s := range []string{goVersion, modinfo} {
		blob.Write(binary.AppendUvarint(nil, uint64(len(s))))
		blob.WriteString(s)
	}
	out := make([]byte, dataOff, dataOff+blob.Len())
	copy(out, "\x7fELF")
	out[elf.EI_CLASS] = byte(elf.ELFCLASS64)
	out[elf.EI_DATA] = byte(elf.ELFDATA2LSB)
	out[elf.EI_VERSION] = byte(elf.EV_CURRENT)
	le := binary.LittleEndian
	le.PutUint16(out[16:], uint16(elf.ET_EXEC))
	le.PutUint16(out[18:], uint16(elf.EM_X86_64))
	le.PutUint32(out[20:], uint32(elf.EV_CURRENT))
	le.PutUint64(out[32:], ehsize) // program headers follow the header
	le.PutUint16(out[52:], ehsize)
	le.PutUint16(out[54:], phsize)
	le.PutUint16(out[56:], 1)
	ph := out[ehsize:]
	le.PutUint32(ph[0:], uint32(elf.PT_LOAD))
	le.PutUint32(ph[4:], uint32(elf.PF_R|elf.PF_W))
	le.PutUint64(ph[8:], dataOff)
	le.PutUint64(ph[16:], vaddr)
	le.PutUint64(ph[24:], vaddr)
	le.PutUint64(ph[32:], uint64(blob.Len()))
	le.PutUint64(ph[40:], uint64(blob.Len()))
	le.PutUint64(ph[48:], 16)
	return append(out, blob.Bytes()...)
}

func TestTinyELF(t *testing.T) {
	mod := modinfoStart + "path\texample.com/app\nmod\texample.com/app\t(devel)\t\n" +
		"dep\tgolang.org/x/text\tv0.3.7\th1:x=\n" +
		"dep\texample.com/old\tv1.0.0\n=>\texample.com/new\tv1.2.0\th1:y=\n" +
		"dep\texample.com/dir\tv1.0.0\n=>\t../dir\t(devel)\t\n" + modinfoEnd
	pkgs, warns, err := Parse(bytes.NewReader(tinyELF("go1.19.13", mod)))
	if err != nil {
		t.Fatal(err)
	}
	got := summary(pkgs)
	want := []string{"example.com/new@v1.2.0", "golang.org/x/text@v0.3.7", "stdlib@v1.19.13"}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Errorf("packages %v, want %v", got, want)
	}
	if len(warns) != 1 {
		t.Errorf("warnings %q", warns)
	}
}

// FuzzParse: any input gives packages that are valid Go modules, ErrNotGo or an error;
// never a panic or a hang.
func FuzzParse(f *testing.F) {
	f.Add(tinyELF("go1.26.8", modinfoStart+"path\tx\nmod\tx\t(devel)\t\ndep\tgolang.org/x/net\tv0.7.0\th1:a=\n"+modinfoEnd))
	f.Add(tinyELF("go1.21rc2 X:nocoverageredesign", modinfoStart+"dep\ta.b/c\tv1.0.0\n=>\td.e/f\tv2.0.0+incompatible\t\n"+modinfoEnd))
	f.Add(tinyELF("devel go1.22-abc", ""))
	f.Add([]byte("\x7fELF"))
	f.Add([]byte("MZ\x90\x00"))
	f.Add([]byte("#!/bin/sh\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		pkgs, _, err := Parse(bytes.NewReader(data))
		if err != nil {
			return
		}
		for _, p := range pkgs {
			if p.Type != inventory.TypeGolang || p.Name == "" || p.Version == "" || p.PURL == "" {
				t.Fatalf("bad package %+v", p)
			}
		}
	})
}
