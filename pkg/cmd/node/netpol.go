package node

import (
	"context"
	"log/slog"

	"k8s.io/client-go/kubernetes"

	"github.com/tinykube/tinykube/pkg/network/policy"
	"github.com/tinykube/tinykube/pkg/node"
)

// startNetworkPolicy runs the node's NetworkPolicy enforcer
// (pkg/network/policy) until ctx ends and returns a func that waits for
// it. With --network-policy=false it removes the rules an earlier run
// left instead. The node runs on without enforcement, with an error
// logged, if nft is missing.
func startNetworkPolicy(ctx context.Context, f RealFlags, cfg node.Config, logger *slog.Logger) (wait func()) {
	done := make(chan struct{})
	wait = func() { <-done }
	if !f.NetworkPolicy {
		if err := policy.Disable(ctx); err != nil {
			logger.Debug("network policy: off; could not look for rules of an earlier run", "err", err)
		}
		close(done)
		return wait
	}
	client, err := kubernetes.NewForConfig(cfg.RESTConfig)
	var e *policy.Enforcer
	if err == nil {
		e, err = policy.New(policy.Config{Client: client, NodeName: cfg.Real.Name, Logger: logger})
	}
	if err != nil {
		logger.Error("network policy: NOT enforced on this node", "err", err)
		close(done)
		return wait
	}
	go func() {
		defer close(done)
		if err := e.Run(ctx); err != nil {
			logger.Error("network policy: enforcer stopped", "err", err)
		}
	}()
	return wait
}
