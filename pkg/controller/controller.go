package controller

import (
	"context"
	"log/slog"
	"net/netip"
	"time"

	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/rest"
	"k8s.io/utils/clock"

	"github.com/tinykube/tinykube/pkg/pki"
)

// Context is what controllers are built from. Informers is shared: a
// controller asks it for the informers it needs before the manager starts
// it, and must not start it itself.
type Context struct {
	Client     kubernetes.Interface
	Metadata   metadata.Interface
	RESTConfig *rest.Config
	Informers  informers.SharedInformerFactory

	ClusterCIDR      netip.Prefix
	NodeCIDRMaskSize int
	RootCA           []byte
	// ClusterSigningCA signs approved CertificateSigningRequests of the
	// kubernetes.io signers (nil: the csrsigning controller is off);
	// ClusterSigningDuration is their certificates' lifetime (0: one
	// year).
	ClusterSigningCA       *pki.CA
	ClusterSigningDuration time.Duration
	// NodeMonitorGracePeriod is how long a node may go without renewing
	// its Lease before node lifecycle marks it Unknown (0: the
	// controller's default).
	NodeMonitorGracePeriod time.Duration
	Logger                 *slog.Logger
	// Clock is what controllers read the time from and wait on (nil:
	// the real clock; read it through ClockOrReal). Tests that drive a
	// time-driven controller set a k8s.io/utils/clock/testing fake.
	Clock clock.WithTicker
}

// ClockOrReal returns the Context's clock, or the real clock if none is set.
func (c Context) ClockOrReal() clock.WithTicker {
	if c.Clock == nil {
		return clock.RealClock{}
	}
	return c.Clock
}

// Runner is a built controller. Run blocks until ctx ends; it waits for
// its informers' caches to sync before acting.
type Runner interface {
	Run(ctx context.Context, workers int)
}
