package policy

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
)

// Config configures an Enforcer.
type Config struct {
	Client   kubernetes.Interface
	NodeName string
	Logger   *slog.Logger
	// OnSync, if set, is called after every sync with its duration and
	// the nft operations sent (tests, benchmarks).
	OnSync func(d time.Duration, ops int, err error)
}

// Enforcer keeps this node's policy rules in step with the cluster's
// NetworkPolicies, Pods and Namespaces.
type Enforcer struct {
	cfg     Config
	applier *Applier
	kick    chan struct{}
	logged  map[string]bool // problems already logged
}

// New checks nft and returns an Enforcer.
func New(cfg Config) (*Enforcer, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	a, err := NewApplier()
	if err != nil {
		return nil, fmt.Errorf("network policy: %w", err)
	}
	return &Enforcer{cfg: cfg, applier: a, kick: make(chan struct{}, 1), logged: map[string]bool{}}, nil
}

// Disable removes the policy rules a previous run left (the node runs
// with --network-policy=false).
func Disable(ctx context.Context) error {
	a, err := NewApplier()
	if err != nil {
		return err
	}
	return a.Cleanup(ctx)
}

// BridgeSysctl is where the kernel says whether bridged IPv4 traffic
// (pods on one node's bridge) goes through the inet hooks.
const BridgeSysctl = "/proc/sys/net/bridge/bridge-nf-call-iptables"

// ensureBridgeNetfilter turns on bridge-nf-call-iptables in this network
// namespace, without which traffic between two pods of one node never
// reaches the forward hook.
func ensureBridgeNetfilter(logger *slog.Logger) {
	b, err := os.ReadFile(BridgeSysctl)
	if err != nil {
		logger.Warn("network policy: br_netfilter is not loaded; traffic between pods on this node's bridge is not filtered", "err", err)
		return
	}
	if strings.TrimSpace(string(b)) == "1" {
		return
	}
	if err := os.WriteFile(BridgeSysctl, []byte("1"), 0o644); err != nil {
		logger.Warn("network policy: cannot turn on bridge-nf-call-iptables; traffic between pods on this node's bridge is not filtered", "err", err)
		return
	}
	logger.Info("network policy: turned on net.bridge.bridge-nf-call-iptables")
}

// slimPod keeps of a Pod only what Compute reads, so that a node's
// informer holds every pod of the cluster cheaply.
func slimPod(obj any) (any, error) {
	p, ok := obj.(*corev1.Pod)
	if !ok {
		return obj, nil
	}
	s := &corev1.Pod{}
	s.Name, s.Namespace, s.UID, s.Labels, s.ResourceVersion = p.Name, p.Namespace, p.UID, p.Labels, p.ResourceVersion
	s.Spec.NodeName, s.Spec.HostNetwork = p.Spec.NodeName, p.Spec.HostNetwork
	for _, c := range p.Spec.Containers {
		if len(c.Ports) > 0 {
			s.Spec.Containers = append(s.Spec.Containers, corev1.Container{Name: c.Name, Ports: c.Ports})
		}
	}
	for _, c := range p.Spec.InitContainers {
		if len(c.Ports) > 0 && c.RestartPolicy != nil {
			s.Spec.InitContainers = append(s.Spec.InitContainers, corev1.Container{Name: c.Name, Ports: c.Ports, RestartPolicy: c.RestartPolicy})
		}
	}
	s.Status.Phase, s.Status.PodIP, s.Status.PodIPs = p.Status.Phase, p.Status.PodIP, p.Status.PodIPs
	return s, nil
}

// Run watches the API and syncs the rules until ctx ends; the rules stay
// in place after (a restarted agent takes them over with its first,
// full, sync).
func (e *Enforcer) Run(ctx context.Context) error {
	logger := e.cfg.Logger
	ensureBridgeNetfilter(logger)
	f := informers.NewSharedInformerFactory(e.cfg.Client, 0)
	pods := f.Core().V1().Pods()
	nss := f.Core().V1().Namespaces()
	nps := f.Networking().V1().NetworkPolicies()
	if err := pods.Informer().SetTransform(slimPod); err != nil {
		return err
	}
	h := cache.ResourceEventHandlerFuncs{
		AddFunc:    func(any) { e.Kick() },
		UpdateFunc: func(old, cur any) { e.Kick() },
		DeleteFunc: func(any) { e.Kick() },
	}
	for _, inf := range []cache.SharedIndexInformer{pods.Informer(), nss.Informer(), nps.Informer()} {
		if _, err := inf.AddEventHandler(h); err != nil {
			return err
		}
	}
	f.Start(ctx.Done())
	defer f.Shutdown()
	for typ, ok := range f.WaitForCacheSync(ctx.Done()) {
		if !ok {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("network policy: %v cache did not sync", typ)
		}
	}
	logger.Info("network policy: enforcing", "node", e.cfg.NodeName)
	e.Kick()
	retry := time.NewTimer(time.Hour)
	retry.Stop()
	backoff := time.Second
	// A full sync now and then repairs what someone else changed in our
	// objects (a delta alone would never notice).
	resync := time.NewTicker(ResyncPeriod)
	defer resync.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-e.kick:
		case <-retry.C:
		case <-resync.C:
			e.applier.Resync()
		}
		start := time.Now()
		in := Input{NodeName: e.cfg.NodeName}
		var err error
		if in.Policies, err = nps.Lister().List(labels.Everything()); err == nil {
			if in.Pods, err = pods.Lister().List(labels.Everything()); err == nil {
				in.Namespaces, err = nss.Lister().List(labels.Everything())
			}
		}
		var ops int
		if err == nil {
			rs, problems := Compute(in)
			for _, p := range problems {
				if k := p.Policy + ": " + p.Err.Error(); e.logged[k] {
					continue
				} else {
					e.logged[k] = true
				}
				logger.Warn("network policy: part of a policy skipped (it matches nothing)", "policy", p.Policy, "err", p.Err)
			}
			ops, err = e.applier.Apply(ctx, rs)
		}
		d := time.Since(start)
		if e.cfg.OnSync != nil {
			e.cfg.OnSync(d, ops, err)
		}
		if err != nil {
			if errors.Is(err, context.Canceled) && ctx.Err() != nil {
				return nil
			}
			logger.Error("network policy: sync failed; retrying", "err", err, "in", backoff)
			retry.Reset(backoff)
			backoff = min(2*backoff, time.Minute)
			continue
		}
		backoff = time.Second
		if ops > 0 {
			logger.Debug("network policy: synced", "took", d, "ops", ops)
		}
	}
}

// ResyncPeriod is how often the Enforcer rewrites all its objects.
const ResyncPeriod = 10 * time.Minute

// Kick asks for a sync.
func (e *Enforcer) Kick() {
	select {
	case e.kick <- struct{}{}:
	default:
	}
}
