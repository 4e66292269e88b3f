package images

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"fmt"
	"runtime"
)

// PauseImage is the name of the pause image every pod sandbox runs. It is
// the name upstream's kubelet (v1.37) expects by default, so a containerd
// configured for a stock kubelet finds it too; the node imports the
// image built here under that name, so nothing is ever pulled.
const PauseImage = "registry.k8s.io/pause:3.10"

// pauseBase is where the pause program is loaded (the classic static
// ELF address).
const pauseBase = 0x400000

// pauseCode is the whole pause program per GOARCH: a loop around a
// system call that sleeps until a signal arrives. The sandbox's pause
// process only holds the pod's namespaces; containerd stops it with
// SIGKILL, which needs no handler. (As PID 1 of its namespace it ignores
// SIGTERM and SIGINT, whose default action would otherwise end it.)
var pauseCode = map[string][]byte{
	// x86-64:
	//   loop: mov  eax, 34     ; b8 22 00 00 00  — 34 is pause(2)
	//         syscall          ; 0f 05
	//         jmp  loop        ; eb f7           — back 9 bytes
	"amd64": {0xb8, 0x22, 0x00, 0x00, 0x00, 0x0f, 0x05, 0xeb, 0xf7},
	// arm64 has no pause(2); ppoll(NULL, 0, NULL, NULL) (syscall 73)
	// sleeps the same way. Little-endian 32-bit instructions:
	//   loop: movz x0, #0      ; d2800000  — fds = NULL
	//         movz x1, #0      ; d2800001  — nfds = 0
	//         movz x2, #0      ; d2800002  — no timeout
	//         movz x3, #0      ; d2800003  — no signal mask
	//         movz x8, #73     ; d2800928  — syscall number: ppoll
	//         svc  #0          ; d4000001
	//         b    loop        ; 17fffffa  — back 6 instructions
	"arm64": le32(0xd2800000, 0xd2800001, 0xd2800002, 0xd2800003, 0xd2800928, 0xd4000001, 0x17fffffa),
}

func le32(words ...uint32) []byte {
	b := make([]byte, 0, 4*len(words))
	for _, w := range words {
		b = binary.LittleEndian.AppendUint32(b, w)
	}
	return b
}

// PauseELF returns the pause program for arch (a GOARCH: amd64 or
// arm64) as a static ELF64 executable: the ELF header, one PT_LOAD
// program header mapping the whole file read+execute at pauseBase, and
// the code right after them, where the entry point is. No sections, no
// libc, no dynamic loader: 129 bytes on amd64.
func PauseELF(arch string) ([]byte, error) {
	code, ok := pauseCode[arch]
	if !ok {
		return nil, fmt.Errorf("pause image: no pause program for %s (only amd64 and arm64)", arch)
	}
	machine := map[string]elf.Machine{"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64}[arch]
	const hdrSize, phSize = 64, 56 // sizes of elf.Header64 and elf.Prog64
	size := uint64(hdrSize + phSize + len(code))
	hdr := elf.Header64{
		Type: uint16(elf.ET_EXEC), Machine: uint16(machine), Version: uint32(elf.EV_CURRENT),
		Entry: pauseBase + hdrSize + phSize, Phoff: hdrSize,
		Ehsize: hdrSize, Phentsize: phSize, Phnum: 1,
	}
	copy(hdr.Ident[:], elf.ELFMAG)
	hdr.Ident[elf.EI_CLASS] = byte(elf.ELFCLASS64)
	hdr.Ident[elf.EI_DATA] = byte(elf.ELFDATA2LSB)
	hdr.Ident[elf.EI_VERSION] = byte(elf.EV_CURRENT)
	hdr.Ident[elf.EI_OSABI] = byte(elf.ELFOSABI_NONE)
	prog := elf.Prog64{
		Type: uint32(elf.PT_LOAD), Flags: uint32(elf.PF_R | elf.PF_X),
		Off: 0, Vaddr: pauseBase, Paddr: pauseBase, Filesz: size, Memsz: size, Align: 0x1000,
	}
	var b bytes.Buffer
	if err := binary.Write(&b, binary.LittleEndian, hdr); err != nil {
		return nil, err
	}
	if err := binary.Write(&b, binary.LittleEndian, prog); err != nil {
		return nil, err
	}
	b.Write(code)
	return b.Bytes(), nil
}

// Pause returns the pause image for arch ("" = this machine's) under
// PauseImage: /pause, run as its entrypoint by nobody (65535, as
// upstream's image does).
func Pause(arch string) (Image, error) {
	if arch == "" {
		arch = runtime.GOARCH
	}
	bin, err := PauseELF(arch)
	if err != nil {
		return Image{}, err
	}
	return Image{Ref: PauseImage, Arch: arch, Entrypoint: []string{"/pause"}, User: "65535:65535",
		Files: []File{{Name: "/pause", Mode: 0o755, Data: bin}}}, nil
}
