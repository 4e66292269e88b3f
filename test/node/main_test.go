package node

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/tinykube/tinykube/pkg/cmd"
	"github.com/tinykube/tinykube/pkg/network/cni"
)

// execEnv, when set, makes the test binary run `tinykube` with its
// newline-separated arguments instead of the tests: how TestJoin starts a
// second node process inside a network namespace without building the
// binary.
const execEnv = "TINYKUBE_TEST_EXEC_ARGS"

// TestMain: a real node run in-process links its own executable, this
// test binary, as its tinykube-cni plugin; called by that name it is the
// plugin. With execEnv set it is `tinykube`.
func TestMain(m *testing.M) {
	cni.ServeIfCalled()
	if args := os.Getenv(execEnv); args != "" {
		root := cmd.NewRootCommand()
		root.SetArgs(strings.Split(args, "\n"))
		if err := root.Execute(); err != nil {
			fmt.Fprintln(os.Stderr, "tinykube:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}
