package node

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/tinykube/tinykube/pkg/cmd"
)

// execEnv, when set, makes the test binary run `tinykube` with its
// newline-separated arguments instead of the tests: how TestJoin starts a
// second node process inside a network namespace without building the
// binary.
const execEnv = "TINYKUBE_TEST_EXEC_ARGS"

func TestMain(m *testing.M) {
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
