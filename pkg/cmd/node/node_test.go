package node_test

import (
	"context"
	"strings"
	"testing"

	"github.com/tinykube/tinykube/internal/testserver"
	nodecmd "github.com/tinykube/tinykube/pkg/cmd/node"
)

// `tinykube node` refuses an unknown --runtime, and with --runtime
// containerd on a machine without containerd says which packages to
// install — at once, never a hang.
func TestNodeCommandBadRuntime(t *testing.T) {
	s := testserver.Start(t, "")
	for _, tc := range []struct {
		args []string
		path string
		want string
	}{
		{[]string{"--runtime", "docker"}, "", `--runtime "docker": want simulated or containerd`},
		{[]string{"--runtime", "containerd", "--data-dir", t.TempDir()}, t.TempDir(), "apt-get install containerd runc containernetworking-plugins"},
	} {
		if tc.path != "" {
			t.Setenv("PATH", tc.path)
		}
		cmd := nodecmd.NewCommand()
		cmd.SetArgs(append([]string{"--kubeconfig", s.KubeconfigPath}, tc.args...))
		cmd.SilenceUsage, cmd.SilenceErrors = true, true
		err := cmd.ExecuteContext(context.Background())
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: got %v, want %q", tc.args, err, tc.want)
		}
	}
}
