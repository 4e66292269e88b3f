package images

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	nodecmd "github.com/tinykube/tinykube/pkg/cmd/node"
	"github.com/tinykube/tinykube/pkg/node/containerd"
	"github.com/tinykube/tinykube/pkg/node/cri"
	"github.com/tinykube/tinykube/pkg/node/images"
)

var _ images.Service = (*cri.Client)(nil)

// defaultDataDir is `tinykube node`'s (`tinykube server --node` keeps
// its node under DATA-DIR/node).
var defaultDataDir = nodecmd.DefaultRealFlags().DataDir

// endpoint is --container-runtime-endpoint, else the socket of the
// private containerd under --data-dir (DATA-DIR/containerd).
func (f *Flags) endpoint() (string, error) {
	if f.Endpoint != "" {
		return f.Endpoint, nil
	}
	p, err := containerd.PathsFor(filepath.Join(f.DataDir, "containerd"))
	if err != nil {
		return "", err
	}
	return "unix://" + p.Socket, nil
}

// dial connects to the runtime.
func dial(ctx context.Context, f *Flags) (*cri.Client, string, error) {
	ep, err := f.endpoint()
	if err != nil {
		return nil, "", err
	}
	c, err := cri.Dial(ctx, ep, 10*time.Second)
	if err != nil {
		if f.Endpoint == "" {
			return nil, "", fmt.Errorf("%w (is a node running with --data-dir %s? or give --container-runtime-endpoint)", err, f.DataDir)
		}
		return nil, "", err
	}
	return c, ep, nil
}
