package images

import (
	"archive/tar"
	"bytes"
	"debug/elf"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestPauseELFParses(t *testing.T) {
	for arch, machine := range map[string]elf.Machine{"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64} {
		bin, err := PauseELF(arch)
		if err != nil {
			t.Fatal(err)
		}
		f, err := elf.NewFile(bytes.NewReader(bin))
		if err != nil {
			t.Fatalf("%s: not an ELF file: %v", arch, err)
		}
		if f.Machine != machine || f.Type != elf.ET_EXEC || f.Class != elf.ELFCLASS64 {
			t.Errorf("%s: machine %v type %v class %v", arch, f.Machine, f.Type, f.Class)
		}
		if len(f.Progs) != 1 || f.Entry != pauseBase+120 || f.Progs[0].Filesz != uint64(len(bin)) {
			t.Errorf("%s: entry %#x, %d program headers", arch, f.Entry, len(f.Progs))
		}
	}
	if _, err := PauseELF("riscv64"); err == nil || !strings.Contains(err.Error(), "only amd64 and arm64") {
		t.Errorf("riscv64: got %v, want a clear error", err)
	}
}

// TestPauseRuns runs the pause program on this machine: it must keep
// running (sleeping in pause/ppoll) until SIGKILL.
func TestPauseRuns(t *testing.T) {
	bin, err := PauseELF(runtime.GOARCH)
	if err != nil {
		t.Skip(err)
	}
	p := t.TempDir() + "/pause"
	if err := os.WriteFile(p, bin, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(p)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	// It must sleep (state S, in pause/ppoll), not spin or crash, and
	// SIGKILL must end it.
	deadline := time.Now().Add(10 * time.Second)
	for {
		stat, err := os.ReadFile("/proc/" + strconv.Itoa(cmd.Process.Pid) + "/stat")
		if err != nil {
			t.Fatal(err)
		}
		if f := strings.Fields(string(stat)); len(f) > 2 && f[2] == "S" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("pause is not sleeping: %s", stat)
		}
		time.Sleep(10 * time.Millisecond)
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	err = <-done
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("pause ended with %v, want killed by SIGKILL", err)
	}
}

func TestOCIArchiveLayout(t *testing.T) {
	img, err := Pause("amd64")
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteOCIArchive(&buf, img); err != nil {
		t.Fatal(err)
	}
	names := map[string][]byte{}
	tr := tar.NewReader(&buf)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(tr)
		names[h.Name] = b
	}
	var index struct {
		Manifests []struct {
			Digest      string
			Annotations map[string]string
		}
	}
	if err := json.Unmarshal(names["index.json"], &index); err != nil {
		t.Fatal(err)
	}
	if len(index.Manifests) != 1 || index.Manifests[0].Annotations["io.containerd.image.name"] != PauseImage {
		t.Fatalf("index.json: %s", names["index.json"])
	}
	if _, ok := names["blobs/sha256/"+strings.TrimPrefix(index.Manifests[0].Digest, "sha256:")]; !ok {
		t.Fatalf("manifest blob missing; have %v", len(names))
	}
	if _, ok := names["oci-layout"]; !ok {
		t.Fatal("oci-layout missing")
	}
}
