package cni

import (
	"os"
	"path/filepath"
	"sync/atomic"
)

// serves is set by ServeIfCalled.
var serves atomic.Bool

// ServeIfCalled runs the plugin and exits when the process was called as
// tinykube-cni (argv[0]'s base name is PluginType); otherwise it records
// that this executable answers as the plugin (Serves) and returns. The
// tinykube binary's main calls it first, and so does the TestMain of a
// test package that runs a real node in-process (the node links its own
// executable as tinykube-cni).
func ServeIfCalled() {
	if filepath.Base(os.Args[0]) == PluginType {
		Main()
		os.Exit(0)
	}
	serves.Store(true)
}

// Serves reports whether this executable answers as tinykube-cni when
// called by that name: whether ServeIfCalled ran in this process.
func Serves() bool { return serves.Load() }
