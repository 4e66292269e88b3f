package node

import (
	"testing"

	"github.com/tinykube/tinykube/internal/nodetest"
)

// TestMain: see nodetest.Main (a real node run in-process links this
// test binary as its tinykube-cni plugin; TestJoin runs it as
// `tinykube node` in a network namespace).
func TestMain(m *testing.M) { nodetest.Main(m) }
