package node

import (
	"os"
	"path/filepath"
	"testing"

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
		name string
		f    Flags
		want bool
	}{
		{"token", Flags{Join: JoinFlags{Token: "abcdef.0123456789abcdef"}, Kubeconfig: "/admin.kubeconfig"}, true},
		{"server", Flags{Join: JoinFlags{Server: "https://h:6443"}}, true},
		{"kubeconfig", Flags{Kubeconfig: "/admin.kubeconfig", Real: RealFlags{Runtime: "containerd", DataDir: joined}}, false},
		{"restart of a joined node", Flags{Real: RealFlags{Runtime: "containerd", DataDir: joined}}, true},
		{"fresh real node", Flags{Real: RealFlags{Runtime: "containerd", DataDir: t.TempDir()}}, false},
		{"simulated", Flags{Real: RealFlags{Runtime: "simulated", DataDir: joined}}, false},
	}
	for _, tc := range cases {
		if got := tc.f.joining(); got != tc.want {
			t.Errorf("%s: joining() = %v, want %v", tc.name, got, tc.want)
		}
	}
	f := Flags{Join: JoinFlags{Token: "abcdef.0123456789abcdef"}, Real: RealFlags{Runtime: "simulated"}}
	if _, err := f.joinConfig(t.Context(), nil); err == nil {
		t.Error("a simulated node joined")
	}
}
