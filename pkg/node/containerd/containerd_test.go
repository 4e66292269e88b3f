package containerd_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/tinykube/tinykube/pkg/node"
	"github.com/tinykube/tinykube/pkg/node/containerd"
	"github.com/tinykube/tinykube/pkg/node/cri"
	"github.com/tinykube/tinykube/pkg/node/images"
)

func needContainerd(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("containerd"); err != nil {
		t.Skip("containerd not installed (apt-get install containerd runc containernetworking-plugins)")
	}
	if os.Geteuid() != 0 {
		t.Skip("a real containerd needs root")
	}
}

func start(t *testing.T) (*containerd.Containerd, *cri.Client) {
	t.Helper()
	return startIn(t, t.TempDir())
}

func startIn(t *testing.T, dir string) (*containerd.Containerd, *cri.Client) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cfg := containerd.DefaultConfig(dir)
	c, err := containerd.Start(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	client, err := cri.Dial(ctx, c.Endpoint(), 10*time.Second)
	if err != nil {
		c.Stop()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := client.RemoveAllPodSandboxes(ctx); err != nil {
			t.Errorf("removing sandboxes: %v", err)
		}
		client.Close(ctx)
		c.Stop()
		if err := c.Paths().DeleteBridge(); err != nil {
			t.Error(err)
		}
	})
	return c, client
}

// TestTwoContainerdsRunSandboxes starts two private containerds side by
// side (as two nodes or two tests do), each with its own CNI bridge and
// podCIDR, and runs a sandbox (the project's pause image) in each.
func TestTwoContainerdsRunSandboxes(t *testing.T) {
	needContainerd(t)
	ctx := context.Background()
	for i, cidr := range []string{"10.250.1.0/24", "10.250.2.0/24"} {
		c, client := start(t)
		v, err := client.Version(ctx, "v1")
		if err != nil || v.RuntimeName != "containerd" {
			t.Fatalf("version: %v %v", v, err)
		}
		img, err := client.ImageStatus(ctx, &runtimeapi.ImageSpec{Image: images.PauseImage}, false)
		if err != nil || img.Image == nil {
			t.Fatalf("pause image not imported: %v %v", img, err)
		}
		client.OnRuntimeConfig = func(cfg *runtimeapi.RuntimeConfig) error {
			return c.Paths().WriteCNIConfig(cfg.GetNetworkConfig().GetPodCidr())
		}
		if err := client.UpdateRuntimeConfig(ctx, &runtimeapi.RuntimeConfig{NetworkConfig: &runtimeapi.NetworkConfig{PodCidr: cidr}}); err != nil {
			t.Fatal(err)
		}
		var id string
		deadline := time.Now().Add(30 * time.Second)
		for {
			// containerd loads the CNI config a moment after it is
			// written.
			id, err = client.RunPodSandbox(ctx, &runtimeapi.PodSandboxConfig{
				Metadata: &runtimeapi.PodSandboxMetadata{Name: "p", Namespace: "default", Uid: "uid-" + string(rune('a'+i))},
				Hostname: "p", LogDirectory: t.TempDir(),
			}, "")
			if err == nil || time.Now().After(deadline) || !strings.Contains(err.Error(), "cni") {
				break
			}
			time.Sleep(200 * time.Millisecond)
		}
		if err != nil {
			t.Fatalf("containerd %d: RunPodSandbox: %v", i, err)
		}
		st, err := client.PodSandboxStatus(ctx, id, false)
		if err != nil {
			t.Fatal(err)
		}
		if st.Status.State != runtimeapi.PodSandboxState_SANDBOX_READY || !strings.HasPrefix(st.Status.GetNetwork().GetIp(), cidr[:8]) {
			t.Fatalf("containerd %d: sandbox %v ip %q", i, st.Status.State, st.Status.GetNetwork().GetIp())
		}
	}
}

func TestMissingContainerdIsClearError(t *testing.T) {
	cfg := containerd.DefaultConfig(t.TempDir())
	cfg.Binary = "/nonexistent/containerd"
	_, err := containerd.Start(context.Background(), cfg)
	if !errors.Is(err, containerd.ErrNotInstalled) || !strings.Contains(err.Error(), "apt-get install containerd runc containernetworking-plugins") {
		t.Fatalf("got %v", err)
	}
}

func TestDialMissingSocketFailsAtOnce(t *testing.T) {
	_, err := cri.Dial(context.Background(), "unix://"+t.TempDir()+"/none.sock", time.Second)
	if !errors.Is(err, cri.ErrNoSocket) {
		t.Fatalf("got %v", err)
	}
}

// TestRestartsAfterCrash: a containerd killed behind the node's back is
// restarted, on the same socket.
func TestRestartsAfterCrash(t *testing.T) {
	needContainerd(t)
	c, _ := start(t)
	old := c.Pid()
	if err := syscall.Kill(old, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		client, err := cri.Dial(ctx, c.Endpoint(), time.Second)
		cancel()
		if err == nil {
			client.Close(context.Background())
			if c.Pid() != old {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("containerd not restarted: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestNoContainerEvents: containerd 1.6 has no GetContainerEvents; the
// client says so with node.ErrNoContainerEvents, at once.
func TestNoContainerEvents(t *testing.T) {
	needContainerd(t)
	_, client := start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := client.GetContainerEvents(ctx, make(chan *runtimeapi.ContainerEventResponse, 1), nil)
	v, _ := client.Version(ctx, "v1")
	if strings.HasPrefix(v.GetRuntimeVersion(), "1.6") || strings.HasPrefix(v.GetRuntimeVersion(), "v1.6") {
		if !errors.Is(err, node.ErrNoContainerEvents) {
			t.Fatalf("containerd %s: got %v, want ErrNoContainerEvents", v.GetRuntimeVersion(), err)
		}
	}
}

// A data dir too deep for a unix socket path gets a short socket under
// the temp dir, the same one every time for that dir.
func TestLongDirGetsShortSocket(t *testing.T) {
	deep := t.TempDir() + "/" + strings.Repeat("d", 60) + "/" + strings.Repeat("e", 60)
	p, err := containerd.PathsFor(deep)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := containerd.PathsFor(deep)
	if len(p.Socket) >= 100 || !strings.HasPrefix(p.Socket, os.TempDir()) || again.Socket != p.Socket {
		t.Fatalf("socket %q (again %q)", p.Socket, again.Socket)
	}
	if short, _ := containerd.PathsFor(t.TempDir()); !strings.HasPrefix(short.Socket, short.Dir) {
		t.Fatalf("a short dir's socket %q is not in it", short.Socket)
	}
}

// TestStopsLeftoverContainerd: a containerd left running on the node's
// directory by a run that was killed is stopped before a new one starts
// there (two containerds must never share a root).
func TestStopsLeftoverContainerd(t *testing.T) {
	needContainerd(t)
	dir := t.TempDir()
	c, err := containerd.Start(context.Background(), containerd.DefaultConfig(dir))
	if err != nil {
		t.Fatal(err)
	}
	c.Stop()
	// The leftover: containerd on the same config, as if its tinykube
	// had died.
	p := c.Paths()
	orphan := exec.Command("containerd", "--config", p.Config)
	if err := orphan.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = orphan.Wait(); close(exited) }()
	if err := os.WriteFile(filepath.Join(p.Dir, "containerd.pid"), []byte(strconv.Itoa(orphan.Process.Pid)), 0o600); err != nil {
		t.Fatal(err)
	}
	startIn(t, dir)
	select {
	case <-exited:
	default:
		orphan.Process.Kill()
		t.Fatal("the leftover containerd still runs next to the new one")
	}
}
