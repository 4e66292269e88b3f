package leaderelect

import (
	"context"
	"log/slog"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/leaderelection"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
)

// Upstream's default timings (kube-controller-manager, kube-scheduler).
const (
	LeaseDuration = 15 * time.Second
	RenewDeadline = 10 * time.Second
	RetryPeriod   = 2 * time.Second
)

// Run acquires the Lease kube-system/<name> as identity, then calls run
// with a context that ends when leadership is lost or ctx ends. It returns
// run's error (nil if leadership was never acquired before ctx ended).
func Run(ctx context.Context, client kubernetes.Interface, name, identity string, logger *slog.Logger,
	run func(ctx context.Context) error) error {
	lock, err := resourcelock.New(resourcelock.LeasesResourceLock, "kube-system", name,
		client.CoreV1(), client.CoordinationV1(), resourcelock.ResourceLockConfig{Identity: identity})
	if err != nil {
		return err
	}
	var runErr error
	leaderelection.RunOrDie(ctx, leaderelection.LeaderElectionConfig{
		Lock: lock, ReleaseOnCancel: true, Name: name,
		LeaseDuration: LeaseDuration, RenewDeadline: RenewDeadline, RetryPeriod: RetryPeriod,
		Callbacks: leaderelection.LeaderCallbacks{
			OnStartedLeading: func(ctx context.Context) {
				logger.Info(name+": became leader", "identity", identity)
				runErr = run(ctx)
			},
			OnStoppedLeading: func() { logger.Info(name+": stopped leading", "identity", identity) },
		},
	})
	return runErr
}
