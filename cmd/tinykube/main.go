package main

import (
	"fmt"
	"os"

	"github.com/tinykube/tinykube/pkg/cmd"
	"github.com/tinykube/tinykube/pkg/network/cni"
)

func main() {
	// Called as the CNI plugin (a link named tinykube-cni in a CNI bin dir):
	// speak the CNI protocol instead of the command line.
	cni.ServeIfCalled()
	if err := cmd.NewRootCommand().Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}
