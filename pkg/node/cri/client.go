package cri

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	criapi "k8s.io/cri-api/pkg/apis"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/tinykube/tinykube/pkg/node"
)

// DefaultTimeout bounds every CRI call that does not say otherwise, and
// the dial.
const DefaultTimeout = 2 * time.Minute

// maxMsgSize is what the kubelet allows on its CRI connection (16 MiB):
// large ListContainers answers on busy nodes.
const maxMsgSize = 16 << 20

// Client talks CRI v1 to one runtime endpoint. It is safe for concurrent
// use.
type Client struct {
	endpoint string
	conn     *grpc.ClientConn
	rt       runtimeapi.RuntimeServiceClient
	img      runtimeapi.ImageServiceClient
	// timeout bounds unary calls whose ctx has no earlier deadline.
	timeout time.Duration

	// OnRuntimeConfig, when set, runs before UpdateRuntimeConfig is sent:
	// the node uses it to write the CNI config for its podCIDR.
	OnRuntimeConfig func(cfg *runtimeapi.RuntimeConfig) error
}

var (
	_ node.Runtime               = (*Client)(nil)
	_ criapi.RuntimeService      = (*Client)(nil)
	_ criapi.ImageManagerService = (*Client)(nil)
)

// ErrNoSocket is returned by Dial when the endpoint's socket does not
// exist.
var ErrNoSocket = errors.New("CRI socket not found")

// socketPath returns the path of a "unix://PATH" (or bare PATH) endpoint.
func socketPath(endpoint string) (string, error) {
	p, ok := strings.CutPrefix(endpoint, "unix://")
	if !ok && strings.Contains(endpoint, "://") {
		return "", fmt.Errorf("CRI endpoint %q: only unix:// endpoints are supported", endpoint)
	}
	if p == "" {
		return "", fmt.Errorf("CRI endpoint %q: empty socket path", endpoint)
	}
	return p, nil
}

// Dial connects to endpoint ("unix:///run/containerd/containerd.sock")
// and checks that a CRI v1 runtime answers Version within timeout (0:
// 10 s).
func Dial(ctx context.Context, endpoint string, timeout time.Duration) (*Client, error) {
	path, err := socketPath(endpoint)
	if err != nil {
		return nil, err
	}
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrNoSocket, path, err)
	}
	conn, err := grpc.NewClient("unix://"+path,
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(maxMsgSize), grpc.MaxCallSendMsgSize(maxMsgSize)))
	if err != nil {
		return nil, fmt.Errorf("CRI endpoint %s: %w", endpoint, err)
	}
	c := &Client{endpoint: endpoint, conn: conn, timeout: DefaultTimeout,
		rt: runtimeapi.NewRuntimeServiceClient(conn), img: runtimeapi.NewImageServiceClient(conn)}
	vctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if _, err := c.rt.Version(vctx, &runtimeapi.VersionRequest{}, grpc.WaitForReady(true)); err != nil {
		conn.Close()
		if status.Code(err) == codes.Unimplemented {
			return nil, fmt.Errorf("CRI endpoint %s does not serve CRI v1 (is containerd's cri plugin disabled?): %w", endpoint, err)
		}
		return nil, fmt.Errorf("CRI endpoint %s: no answer within %v: %w", endpoint, timeout, err)
	}
	return c, nil
}

// Endpoint returns the endpoint the client was dialled with.
func (c *Client) Endpoint() string { return c.endpoint }

// Close closes the connection.
func (c *Client) Close(context.Context) error { return c.conn.Close() }

// call bounds ctx by the client's timeout.
func (c *Client) call(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, c.timeout)
}

// callFor bounds ctx by the client's timeout plus extra (StopContainer
// waits out a grace period, ExecSync its timeout).
func (c *Client) callFor(ctx context.Context, extra time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, c.timeout+extra)
}
