package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/tinykube/tinykube/pkg/node"
	"github.com/tinykube/tinykube/pkg/node/containerd"
	"github.com/tinykube/tinykube/pkg/node/cri"
)

func main() {
	dataDir := flag.String("data-dir", "", "the node's data dir (tinykube server --node: DATA-DIR/node)")
	nodeName := flag.String("node-name", "", "the node's name (its cgroups are /tinykube/NAME)")
	stopped := flag.Bool("stopped", false, "the node and its containerd have stopped: remove its cgroups, bridge and mounts")
	flag.Parse()
	if *dataDir == "" || *nodeName == "" {
		fmt.Fprintln(os.Stderr, "nodecleanup: --data-dir and --node-name are required")
		os.Exit(2)
	}
	if err := run(*dataDir, *nodeName, *stopped); err != nil {
		fmt.Fprintln(os.Stderr, "nodecleanup:", err)
		os.Exit(1)
	}
}

func run(dataDir, nodeName string, stopped bool) error {
	paths, err := containerd.PathsFor(filepath.Join(dataDir, "containerd"))
	if err != nil {
		return err
	}
	if stopped {
		node.RemoveCgroups("/tinykube/" + nodeName)
		return errors.Join(paths.DeleteBridge(), paths.UnmountAll())
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := cri.Dial(ctx, "unix://"+paths.Socket, 10*time.Second)
	if err != nil {
		return err
	}
	defer c.Close(context.Background())
	// A sandbox whose shim or network namespace is still going away
	// fails once; try again until none is left or the time is up.
	for {
		err := c.RemoveAllPodSandboxes(ctx)
		left, lerr := c.ListPodSandbox(ctx, nil)
		if lerr == nil && len(left) == 0 {
			return nil
		}
		if ctx.Err() != nil {
			return errors.Join(err, lerr, fmt.Errorf("%d pod sandboxes left", len(left)))
		}
		time.Sleep(time.Second)
	}
}
