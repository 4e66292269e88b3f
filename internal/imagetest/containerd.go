package imagetest

import (
	"context"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/tinykube/tinykube/pkg/node/containerd"
)

// NeedContainerd skips the test unless containerd, ctr and runc are
// installed and the test runs as root.
func NeedContainerd(t testing.TB) {
	t.Helper()
	for _, bin := range []string{"containerd", "ctr", "runc"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Skipf("%s not installed (apt-get install containerd runc containernetworking-plugins)", bin)
		}
	}
	if os.Geteuid() != 0 {
		t.Skip("a real containerd needs root")
	}
}

// StartContainerd starts a private containerd as a node does
// (pkg/node/containerd: own root, state, socket, the project's pause
// image) until the test ends, and returns its CRI endpoint (unix://…).
// For image tests: it runs no pods and configures no pod network.
func StartContainerd(t testing.TB) string {
	t.Helper()
	NeedContainerd(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := containerd.Start(ctx, containerd.DefaultConfig(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := c.Stop(); err != nil {
			t.Errorf("stopping containerd: %v", err)
		}
	})
	return c.Endpoint()
}
