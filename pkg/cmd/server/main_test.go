package server_test

import (
	"os"
	"testing"

	"github.com/tinykube/tinykube/pkg/network/cni"
)

// TestMain: a real node run in-process links its own executable, this
// test binary, as its tinykube-cni plugin; called by that name it is the
// plugin.
func TestMain(m *testing.M) {
	cni.ServeIfCalled()
	os.Exit(m.Run())
}
