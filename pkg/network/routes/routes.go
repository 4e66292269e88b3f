package routes

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/netip"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	listersv1 "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
)

// Config configures an Agent.
type Config struct {
	// NodeName is this node's Node.
	NodeName string
	Client   kubernetes.Interface
	Mode     Mode
	Logger   *slog.Logger
	// RetryInterval is the wait after a sync that failed (default 5s);
	// a route the kernel refuses (host-gw to a node not on this node's
	// segment) is tried again then too.
	RetryInterval time.Duration
}

// Agent keeps this node's routes to other nodes' pods (package doc).
type Agent struct {
	cfg    Config
	log    *slog.Logger
	nodes  listersv1.NodeLister
	kick   chan struct{}
	synced chan struct{}
	// What was logged last, so a skipped node or failing route is
	// logged when its reason changes, not at every sync.
	skipped, failed map[string]string
}

// New checks cfg and returns an Agent; Run starts it.
func New(cfg Config) (*Agent, error) {
	if cfg.NodeName == "" || cfg.Client == nil {
		return nil, errors.New("routes: NodeName and Client are required")
	}
	if _, err := ParseMode(string(cfg.Mode)); err != nil {
		return nil, err
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.RetryInterval == 0 {
		cfg.RetryInterval = 5 * time.Second
	}
	return &Agent{cfg: cfg, log: cfg.Logger.With("component", "routes", "mode", cfg.Mode),
		kick: make(chan struct{}, 1), synced: make(chan struct{}), skipped: map[string]string{}, failed: map[string]string{}}, nil
}

// Synced is closed after the first successful sync.
func (a *Agent) Synced() <-chan struct{} { return a.synced }

// Run watches Nodes and reconciles until ctx ends. With ModeNone it only
// removes what an earlier run left and returns.
func (a *Agent) Run(ctx context.Context) error {
	if a.cfg.Mode == ModeNone {
		_, _, _, err := syncRoutes(nil, 0)
		return errors.Join(err, deleteDevice())
	}
	factory := informers.NewSharedInformerFactory(a.cfg.Client, 0)
	inf := factory.Core().V1().Nodes()
	a.nodes = inf.Lister()
	if _, err := inf.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: func(any) { a.trigger() },
		UpdateFunc: func(old, cur any) {
			o, ok1 := old.(*corev1.Node)
			n, ok2 := cur.(*corev1.Node)
			if !ok1 || !ok2 || relevantChange(o, n) {
				a.trigger()
			}
		},
		DeleteFunc: func(any) { a.trigger() },
	}); err != nil {
		return err
	}
	factory.Start(ctx.Done())
	defer factory.Shutdown()
	if !cache.WaitForCacheSync(ctx.Done(), inf.Informer().HasSynced) {
		return ctx.Err()
	}
	a.trigger()
	retry := time.NewTimer(0)
	<-retry.C
	first := true
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-a.kick:
		case <-retry.C:
		}
		retry.Stop()
		if err := a.sync(ctx); err != nil {
			a.log.Error("routes: sync failed; trying again", "err", err, "after", a.cfg.RetryInterval)
			retry.Reset(a.cfg.RetryInterval)
			continue
		}
		if len(a.failed) > 0 {
			retry.Reset(a.cfg.RetryInterval)
		}
		if first {
			first = false
			close(a.synced)
		}
	}
}

func (a *Agent) trigger() {
	select {
	case a.kick <- struct{}{}:
	default:
	}
}

// relevantChange: did what routing reads change (not heartbeats)?
func relevantChange(o, n *corev1.Node) bool {
	return o.Spec.PodCIDR != n.Spec.PodCIDR || !slices.Equal(o.Spec.PodCIDRs, n.Spec.PodCIDRs) ||
		!equality.Semantic.DeepEqual(o.Status.Addresses, n.Status.Addresses) ||
		o.Annotations[BackendDataAnnotation] != n.Annotations[BackendDataAnnotation]
}

// sync reconciles once from the informer's Nodes.
func (a *Agent) sync(ctx context.Context) error {
	nodes, err := a.nodes.List(labels.Everything())
	if err != nil {
		return err
	}
	me, want, skipped := Wanted(a.cfg.NodeName, nodes, a.cfg.Mode)
	for name, reason := range skipped {
		if a.skipped[name] != reason {
			a.log.Warn("routes: node skipped", "node", name, "reason", reason)
		}
	}
	a.skipped = skipped

	dev := 0
	if a.cfg.Mode == ModeVXLAN {
		var vtep netip.Addr
		for _, c := range me.CIDRs {
			if c.Addr().Is4() {
				vtep = c.Addr()
				break
			}
		}
		if !me.IP4.IsValid() || !vtep.IsValid() {
			// Not registered yet (or no IPv4 podCIDR): nothing to make
			// the device with; the Node's next change triggers a sync.
			a.log.Debug("routes: waiting for this node's IPv4 InternalIP and podCIDR")
			return nil
		}
		d, err := ensureDevice(me.IP4, vtep)
		if err != nil {
			return fmt.Errorf("vxlan device: %w", err)
		}
		dev = d.Index
		if err := a.publish(ctx, me, d.HardwareAddr.String()); err != nil {
			return err
		}
		if err := syncNeighbours(dev, want); err != nil {
			return fmt.Errorf("vxlan neighbours: %w", err)
		}
	} else if err := deleteDevice(); err != nil {
		return fmt.Errorf("removing %s: %w", DeviceName, err)
	}

	added, removed, failed, err := syncRoutes(want, dev)
	for _, r := range removed {
		a.log.Info("routes: route removed", "route", r)
	}
	for _, r := range added {
		a.log.Info("routes: route added", "route", r)
	}
	msgs := map[string]string{}
	for r, err := range failed {
		msgs[r] = err.Error()
		if a.failed[r] != msgs[r] {
			a.log.Warn("routes: route refused by the kernel; trying again", "route", r, "err", err)
		}
	}
	a.failed = msgs
	return err
}

// publish puts the VTEP's MAC on the node's own Node (a merge patch of the
// annotations), unless it is there already.
func (a *Agent) publish(ctx context.Context, me Self, mac string) error {
	data, _ := json.Marshal(BackendData{VNI: VNI, VtepMAC: mac})
	want := map[string]string{BackendTypeAnnotation: string(ModeVXLAN), BackendDataAnnotation: string(data)}
	have := map[string]string{}
	for k := range want {
		if v, ok := me.Annotations[k]; ok {
			have[k] = v
		}
	}
	if maps.Equal(have, want) {
		return nil
	}
	patch, _ := json.Marshal(map[string]any{"metadata": map[string]any{"annotations": want}})
	if _, err := a.cfg.Client.CoreV1().Nodes().Patch(ctx, a.cfg.NodeName, types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
		return fmt.Errorf("publishing the VTEP MAC on node %s: %w", a.cfg.NodeName, err)
	}
	a.log.Info("routes: VTEP published", "mac", mac)
	return nil
}
