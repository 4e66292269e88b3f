package node

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/tinykube/tinykube/pkg/cmd/kubeconfig"
	"github.com/tinykube/tinykube/pkg/node/bootstrap"
)

// TestJoining: join flags, or a real node's data dir holding a joined
// node's kubeconfig (a restart), mean joining; --kubeconfig otherwise.
func TestJoining(t *testing.T) {
	joined := t.TempDir()
	if err := os.WriteFile(filepath.Join(joined, bootstrap.KubeconfigFile), []byte("{}"), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name        string
		f           Flags
		runtimeSet  bool
		want        bool
		wantRuntime string
	}{
		{"token", Flags{Join: JoinFlags{Token: "abcdef.0123456789abcdef"}, Kubeconfig: kubeconfig.Flags{Path: "/admin.kubeconfig"}, Real: RealFlags{Runtime: "simulated"}}, false, true, "containerd"},
		{"server", Flags{Join: JoinFlags{Server: "https://h:6443"}, Real: RealFlags{Runtime: "containerd"}}, true, true, "containerd"},
		{"kubeconfig", Flags{Kubeconfig: kubeconfig.Flags{Path: "/admin.kubeconfig"}, Real: RealFlags{Runtime: "containerd", DataDir: joined}}, true, false, "containerd"},
		{"restart of a joined node", Flags{Real: RealFlags{Runtime: "containerd", DataDir: joined}}, true, true, "containerd"},
		{"restart, runtime implied", Flags{Real: RealFlags{Runtime: "simulated", DataDir: joined}}, false, true, "containerd"},
		{"fresh real node", Flags{Real: RealFlags{Runtime: "containerd", DataDir: t.TempDir()}}, true, false, "containerd"},
		{"simulated asked for", Flags{Real: RealFlags{Runtime: "simulated", DataDir: joined}}, true, false, "simulated"},
	}
	for _, tc := range cases {
		if got := tc.f.joining(tc.runtimeSet); got != tc.want || tc.f.Real.Runtime != tc.wantRuntime {
			t.Errorf("%s: joining() = %v with runtime %s, want %v with %s", tc.name, got, tc.f.Real.Runtime, tc.want, tc.wantRuntime)
		}
	}
	f := Flags{Join: JoinFlags{Token: "abcdef.0123456789abcdef"}, Real: RealFlags{Runtime: "simulated"}}
	if _, err := f.joinConfig(t.Context(), nil); err == nil {
		t.Error("a simulated node joined")
	}
}
