// Package prober runs a pod's liveness, readiness and startup probes
// and its postStart / preStop lifecycle hooks the way the upstream
// kubelet does, for the node agent's real (CRI) nodes.
//
// A Manager keeps one worker goroutine per container and probe kind.
// Each worker ticks every periodSeconds on the Manager's clock, waits out
// initialDelaySeconds from the container's start, probes (exec through
// the runtime's CRI ExecSync, httpGet, tcpSocket or grpc health), and
// only flips the stored result after successThreshold / failureThreshold
// equal results in a row. Until the startup probe succeeds the other
// probes do not run; a failed liveness or startup result holds the
// worker until the container is replaced. Failed probes are recorded as
// Unhealthy events ("Liveness probe failed: …").
//
// The agent drives the Manager with UpdatePodStatus on every pod sync:
// that hands the workers the pod's current status (container IDs, states,
// pod IP) and fills each container's ready and started from the results.
// A result that changes calls Config.OnChange with the pod, so that the
// agent re-syncs it (marks it ready, or kills a container whose liveness
// probe failed — see Manager.Result and KillGracePeriod).
//
// Hooks (hooks.go) share the probes' handlers: RunPostStart after
// StartContainer, RunPreStop before StopContainer within the grace
// period, each recording FailedPostStartHook / FailedPreStopHook.
//
// Reading order: prober.go (one probe), worker.go, manager.go, hooks.go.
package prober
