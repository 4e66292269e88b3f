package proxy

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	"sigs.k8s.io/knftables"
)

// Table is the nftables table the proxy programs (family inet), shared
// with NetworkPolicy.
const Table = "tinykube"

// Config configures a Proxier.
type Config struct {
	Client kubernetes.Interface
	// NodeName: endpoints on this node are local (traffic policy Local).
	NodeName string
	// ClusterCIDR: sources in it are pods; ClusterIP traffic from other
	// sources is masqueraded. "": the node's podCIDR (kube-proxy's
	// --detect-local-mode NodeCIDR), read from the Node.
	ClusterCIDR string
	// MinSyncPeriod: at most one sync per this long (bursts of changes
	// are batched); SyncPeriod: a full resync this often.
	MinSyncPeriod, SyncPeriod time.Duration
	Logger                    *slog.Logger
	// NFT, when set, is used instead of NewNFT() (`nft` on table inet
	// tinykube).
	NFT knftables.Interface
	// OnSync, when set, is called after each successful sync.
	OnSync func(SyncStats)
}

// SyncStats describe one sync.
type SyncStats struct {
	Full bool
	// Services whose rules were recomputed; Operations in the
	// transaction.
	Services, Operations int
	Duration             time.Duration
}

// DefaultConfig has kube-proxy's defaults (minSyncPeriod 1s; the
// nftables mode's full resync is hourly, ours is more frequent).
func DefaultConfig() Config {
	return Config{MinSyncPeriod: time.Second, SyncPeriod: 5 * time.Minute}
}

// Proxier programs nftables from Services and EndpointSlices.
type Proxier struct {
	cfg Config
	log *slog.Logger
	nft knftables.Interface
	gen generator

	mu       sync.Mutex
	services map[types.NamespacedName]*corev1.Service
	slices   map[types.NamespacedName]map[string]*discoveryv1.EndpointSlice
	dirty    map[types.NamespacedName]bool
	needFull bool
	kick     chan struct{}

	// What the sync loop last computed and put in the kernel.
	rules        map[types.NamespacedName]*keyedRules
	kernelElems  map[string]element
	kernelChains map[string][]string
	kernelSets   map[string]int32
	collisions   map[string]bool // logged once each
	initialized  bool
}

// keyedRules is a Service's rules and what orders it among others that
// claim the same map key (the older Service wins, as the first to hold
// the address).
type keyedRules struct {
	*serviceRules
	created time.Time
	name    string
}

// New makes a Proxier (nothing is programmed until Run or Sync).
func New(cfg Config) (*Proxier, error) {
	d := DefaultConfig()
	if cfg.MinSyncPeriod == 0 {
		cfg.MinSyncPeriod = d.MinSyncPeriod
	}
	if cfg.SyncPeriod == 0 {
		cfg.SyncPeriod = d.SyncPeriod
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	p := &Proxier{cfg: cfg, log: cfg.Logger.With("component", "proxy"), nft: cfg.NFT,
		services: map[types.NamespacedName]*corev1.Service{},
		slices:   map[types.NamespacedName]map[string]*discoveryv1.EndpointSlice{},
		dirty:    map[types.NamespacedName]bool{}, needFull: true, kick: make(chan struct{}, 1),
		rules: map[types.NamespacedName]*keyedRules{}, kernelElems: map[string]element{},
		kernelChains: map[string][]string{}, kernelSets: map[string]int32{}, collisions: map[string]bool{}}
	if p.nft == nil {
		nft, err := NewNFT()
		if err != nil {
			return nil, fmt.Errorf("service proxy: nftables: %w", err)
		}
		p.nft = nft
	}
	if cfg.ClusterCIDR != "" {
		pfx, err := netip.ParsePrefix(cfg.ClusterCIDR)
		if err != nil {
			return nil, fmt.Errorf("service proxy: cluster CIDR: %w", err)
		}
		p.gen.localCIDR = pfx.Masked()
	}
	return p, nil
}

// proxyLabels selects what kube-proxy serves: not headless, not claimed
// by another proxy (service.kubernetes.io/service-proxy-name).
const proxyLabels = "!service.kubernetes.io/service-proxy-name,!service.kubernetes.io/headless"

// Run watches Services and EndpointSlices and keeps the rules in line
// until ctx ends. The rules stay in place after (Cleanup removes them).
func (p *Proxier) Run(ctx context.Context) error {
	if err := EnsureSysctls(); err != nil {
		p.log.Warn("service proxy: sysctls", "err", err)
	}
	if !p.gen.localCIDR.IsValid() && p.cfg.NodeName != "" {
		p.waitPodCIDR(ctx)
	}
	f := informers.NewSharedInformerFactoryWithOptions(p.cfg.Client, 0,
		informers.WithTweakListOptions(func(o *metav1.ListOptions) { o.LabelSelector = proxyLabels }))
	si := f.Core().V1().Services().Informer()
	ei := f.Discovery().V1().EndpointSlices().Informer()
	handler := func(set func(obj any, deleted bool)) cache.ResourceEventHandlerFuncs {
		return cache.ResourceEventHandlerFuncs{
			AddFunc:    func(obj any) { set(obj, false) },
			UpdateFunc: func(_, obj any) { set(obj, false) },
			DeleteFunc: func(obj any) {
				if t, ok := obj.(cache.DeletedFinalStateUnknown); ok {
					obj = t.Obj
				}
				set(obj, true)
			},
		}
	}
	sreg, err := si.AddEventHandler(handler(func(obj any, deleted bool) {
		if svc, ok := obj.(*corev1.Service); ok {
			p.SetService(svc, deleted)
		}
	}))
	if err != nil {
		return err
	}
	ereg, err := ei.AddEventHandler(handler(func(obj any, deleted bool) {
		if sl, ok := obj.(*discoveryv1.EndpointSlice); ok {
			p.SetEndpointSlice(sl, deleted)
		}
	}))
	if err != nil {
		return err
	}
	f.Start(ctx.Done())
	defer f.Shutdown()
	// The handlers' HasSynced, not the informers': an informer has synced
	// when its store holds the initial list, its handlers only once they
	// have been called for all of it. Syncing in between programs
	// Services without the endpoints still queued to the handler (their
	// traffic rejected until the next sync).
	if !cache.WaitForCacheSync(ctx.Done(), sreg.HasSynced, ereg.HasSynced) {
		return ctx.Err()
	}
	p.log.Info("service proxy: informers synced; programming nftables", "table", "inet "+Table, "localCIDR", p.gen.localCIDR)
	return p.loop(ctx)
}

// waitPodCIDR reads the node's podCIDR for local-traffic detection
// (up to 30s; without it no ClusterIP traffic is masqueraded but
// hairpin and NodePort traffic).
func (p *Proxier) waitPodCIDR(ctx context.Context) {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		n, err := p.cfg.Client.CoreV1().Nodes().Get(ctx, p.cfg.NodeName, metav1.GetOptions{})
		if err == nil && n.Spec.PodCIDR != "" {
			if pfx, err := netip.ParsePrefix(n.Spec.PodCIDR); err == nil {
				p.gen.localCIDR = pfx.Masked()
				return
			}
		}
		if err != nil && !apierrors.IsNotFound(err) {
			p.log.Debug("service proxy: reading the node's podCIDR", "err", err)
		}
		select {
		case <-ctx.Done():
		case <-time.After(500 * time.Millisecond):
		}
	}
	p.log.Warn("service proxy: node has no podCIDR; ClusterIP traffic from outside the pod network is not masqueraded", "node", p.cfg.NodeName)
}

// SetService records a Service (or its deletion) for the next sync.
func (p *Proxier) SetService(svc *corev1.Service, deleted bool) {
	key := types.NamespacedName{Namespace: svc.Namespace, Name: svc.Name}
	p.mu.Lock()
	if deleted {
		delete(p.services, key)
	} else {
		p.services[key] = svc
	}
	p.dirty[key] = true
	p.mu.Unlock()
	p.trigger()
}

// SetEndpointSlice records an EndpointSlice (or its deletion) for the
// next sync.
func (p *Proxier) SetEndpointSlice(sl *discoveryv1.EndpointSlice, deleted bool) {
	name := sl.Labels[discoveryv1.LabelServiceName]
	if name == "" {
		return
	}
	key := types.NamespacedName{Namespace: sl.Namespace, Name: name}
	p.mu.Lock()
	m := p.slices[key]
	if deleted {
		delete(m, sl.Name)
		if len(m) == 0 {
			delete(p.slices, key)
		}
	} else {
		if m == nil {
			m = map[string]*discoveryv1.EndpointSlice{}
			p.slices[key] = m
		}
		m[sl.Name] = sl
	}
	p.dirty[key] = true
	p.mu.Unlock()
	p.trigger()
}

func (p *Proxier) trigger() {
	select {
	case p.kick <- struct{}{}:
	default:
	}
}

// loop syncs on changes, at most once per MinSyncPeriod, and fully
// every SyncPeriod; a failed sync is retried as a full one.
func (p *Proxier) loop(ctx context.Context) error {
	full := time.NewTicker(p.cfg.SyncPeriod)
	defer full.Stop()
	var last time.Time
	p.trigger()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-p.kick:
		case <-full.C:
			p.mu.Lock()
			p.needFull = true
			p.mu.Unlock()
		}
		if wait := time.Until(last.Add(p.cfg.MinSyncPeriod)); wait > 0 {
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(wait):
			}
		}
		last = time.Now()
		if err := p.Sync(ctx); err != nil {
			p.log.Error("service proxy: sync failed; retrying with a full sync", "err", err)
			p.mu.Lock()
			p.needFull = true
			p.mu.Unlock()
			go func() {
				select {
				case <-ctx.Done():
				case <-time.After(p.cfg.MinSyncPeriod):
					p.trigger()
				}
			}()
		}
	}
}

// Sync programs what changed since the last sync (everything on the
// first one, after a failure and every SyncPeriod).
func (p *Proxier) Sync(ctx context.Context) error {
	start := time.Now()
	p.mu.Lock()
	full := p.needFull
	keys := map[types.NamespacedName]bool{}
	if full {
		for k := range p.services {
			keys[k] = true
		}
		for k := range p.rules {
			keys[k] = true
		}
	} else {
		keys = p.dirty
	}
	type input struct {
		svc    *corev1.Service
		slices []*discoveryv1.EndpointSlice
	}
	inputs := make(map[types.NamespacedName]input, len(keys))
	for k := range keys {
		in := input{svc: p.services[k]}
		for _, sl := range p.slices[k] {
			in.slices = append(in.slices, sl)
		}
		inputs[k] = in
	}
	p.dirty = map[types.NamespacedName]bool{}
	p.needFull = false
	p.mu.Unlock()

	// Recompute the changed Services' rules.
	oldRules := make(map[types.NamespacedName]*keyedRules, len(inputs))
	for k, in := range inputs {
		oldRules[k] = p.rules[k]
		if in.svc == nil {
			delete(p.rules, k)
			continue
		}
		sort.Slice(in.slices, func(i, j int) bool { return in.slices[i].Name < in.slices[j].Name })
		ports, probs := servicePorts(in.svc, in.slices, p.cfg.NodeName)
		for _, pr := range probs {
			p.log.Warn("service proxy: "+pr.Msg, "service", pr.Service)
		}
		p.rules[k] = &keyedRules{serviceRules: p.gen.serviceRules(ports), created: in.svc.CreationTimestamp.Time, name: k.String()}
	}

	// Every element, the oldest Service winning a key two claim.
	want := p.winningElements()

	tx := p.nft.NewTransaction()
	var stale []string
	existing := map[string]bool{} // svc-* chains in the kernel (full syncs)
	if full {
		var err error
		if stale, err = p.staleObjects(ctx); err != nil {
			return err
		}
		for _, o := range stale {
			if name, ok := strings.CutPrefix(o, "chain "); ok {
				existing[name] = true
			}
		}
		p.addBase(tx)
		for _, m := range []string{serviceIPsMap, serviceNodePortsMap, noEndpointServices, noEndpointNodePorts} {
			tx.Flush(&knftables.Map{Name: m})
		}
		for _, set := range baseSets {
			tx.Flush(&knftables.Set{Name: set.name})
		}
	} else {
		for id, e := range p.kernelElems {
			if w, ok := want[id]; !ok || !slices.Equal(w.Value, e.Value) {
				tx.Delete(e.obj())
			}
		}
	}
	// Chains and affinity sets of the changed Services (all, when full).
	wantChains := map[string]bool{}
	newChains := map[string][]string{}
	newSets := map[string]int32{}
	for k := range inputs {
		r := p.rules[k]
		if r == nil {
			continue
		}
		for name, timeout := range r.AffinitySets {
			newSets[name] = timeout
			if t, ok := p.kernelSets[name]; !ok || t != timeout || full {
				to := time.Duration(timeout) * time.Second
				tx.Add(&knftables.Set{Name: name, Type: "ipv4_addr", Flags: []knftables.SetFlag{knftables.DynamicFlag, knftables.TimeoutFlag}, Timeout: &to})
			}
		}
		for _, c := range r.Chains {
			wantChains[c.Name] = true
			newChains[c.Name] = c.Rules
			if old, ok := p.kernelChains[c.Name]; ok && !full && slices.Equal(old, c.Rules) {
				continue
			}
			tx.Add(&knftables.Chain{Name: c.Name})
			// Flushed when it exists: a full sync knows from the
			// listing, a partial one from the last sync.
			if _, ok := p.kernelChains[c.Name]; (full && existing[c.Name]) || (!full && ok) {
				tx.Flush(&knftables.Chain{Name: c.Name})
			}
			for _, rule := range c.Rules {
				tx.Add(&knftables.Rule{Chain: c.Name, Rule: rule})
			}
		}
	}
	for id, e := range want {
		if full {
			tx.Add(e.obj())
		} else if k, ok := p.kernelElems[id]; !ok || !slices.Equal(k.Value, e.Value) {
			tx.Add(e.obj())
		}
	}
	// Chains and sets the changed Services no longer have (after the
	// elements and rules that jumped to them are gone).
	var goneChains, goneSets []string
	for k := range inputs {
		if old := oldRules[k]; old != nil {
			for _, c := range old.Chains {
				if !wantChains[c.Name] {
					goneChains = append(goneChains, c.Name)
				}
			}
			for s := range old.AffinitySets {
				if _, ok := newSets[s]; !ok {
					goneSets = append(goneSets, s)
				}
			}
		}
	}
	for _, name := range stale {
		kind, name, _ := strings.Cut(name, " ")
		if kind == "chain" && !wantChains[name] {
			goneChains = append(goneChains, name)
		} else if _, ok := newSets[name]; kind == "set" && !ok {
			goneSets = append(goneSets, name)
		}
	}
	goneChains = dedupe(goneChains)
	for _, name := range goneChains {
		tx.Flush(&knftables.Chain{Name: name})
	}
	for _, name := range goneChains {
		tx.Delete(&knftables.Chain{Name: name})
	}
	for _, name := range dedupe(goneSets) {
		tx.Delete(&knftables.Set{Name: name})
	}
	ops := tx.NumOperations()
	computed := time.Since(start)
	if ops > 0 {
		if err := p.nft.Run(ctx, tx); err != nil {
			// The kernel state is unknown: the retry is a full sync,
			// recomputing every Service.
			return fmt.Errorf("nftables transaction (%d operations): %w", ops, err)
		}
	}

	// The kernel now holds what was programmed.
	var udpGone []string
	for k := range inputs {
		if old := oldRules[k]; old != nil {
			nr := p.rules[k]
			for ep := range old.UDPEndpoints {
				if nr == nil || !nr.UDPEndpoints[ep] {
					udpGone = append(udpGone, ep)
				}
			}
		}
	}
	if full {
		p.kernelChains = newChains
		p.kernelSets = newSets
	} else {
		for _, name := range goneChains {
			delete(p.kernelChains, name)
		}
		for _, name := range goneSets {
			delete(p.kernelSets, name)
		}
		for n, r := range newChains {
			p.kernelChains[n] = r
		}
		for n, t := range newSets {
			p.kernelSets[n] = t
		}
	}
	p.kernelElems = want
	p.initialized = true
	if len(udpGone) > 0 {
		flushUDP(udpGone, p.log)
	}
	st := SyncStats{Full: full, Services: len(inputs), Operations: ops, Duration: time.Since(start)}
	// At V2, as kube-proxy's "SyncProxyRules complete".
	p.log.Log(ctx, slog.Level(-2), "service proxy: synced", "full", st.Full, "services", st.Services, "operations", st.Operations, "took", st.Duration, "computed", computed)
	if p.cfg.OnSync != nil {
		p.cfg.OnSync(st)
	}
	return nil
}

// winningElements gathers every Service's elements; where two claim one
// key (an externalIP that is another Service's ClusterIP on the same
// port, say), the older Service keeps it and the other's is logged and
// skipped, leaving the rest of both Services working.
func (p *Proxier) winningElements() map[string]element {
	order := make([]*keyedRules, 0, len(p.rules))
	for _, r := range p.rules {
		order = append(order, r)
	}
	sort.Slice(order, func(i, j int) bool {
		if !order[i].created.Equal(order[j].created) {
			return order[i].created.Before(order[j].created)
		}
		return order[i].name < order[j].name
	})
	want := map[string]element{}
	owner := map[string]string{}
	for _, r := range order {
		for _, e := range r.Elements {
			id := e.id()
			if o, ok := owner[id]; ok {
				// Set elements carry no verdict: Services sharing one
				// (an endpoint behind two Services) do not collide.
				if o != r.name && e.Map != "" {
					if c := id + " " + r.name; !p.collisions[c] {
						p.collisions[c] = true
						p.log.Error("service proxy: Service port collides with another Service's; skipped", "service", r.name, "holder", o,
							"key", strings.Join(e.Key, " "), "map", e.Map+e.Set)
					}
				}
				continue // the same Service's other ports share a ClusterIP
			}
			owner[id] = r.name
			want[id] = e
		}
	}
	return want
}

// staleObjects lists the table's svc-* chains and sets ("chain NAME",
// "set NAME") for a full sync to remove those no Service has.
func (p *Proxier) staleObjects(ctx context.Context) ([]string, error) {
	// The two listings (an nft process each) run at once.
	kinds := []string{"chain", "set"}
	names := make([][]string, len(kinds))
	errs := make([]error, len(kinds))
	var wg sync.WaitGroup
	for i, kind := range kinds {
		wg.Go(func() { names[i], errs[i] = p.nft.List(ctx, kind) })
	}
	wg.Wait()
	var out []string
	for i, kind := range kinds {
		if err := errs[i]; err != nil {
			if knftables.IsNotFound(err) {
				return nil, nil
			}
			return nil, fmt.Errorf("listing nftables %ss: %w", kind, err)
		}
		for _, n := range names[i] {
			if strings.HasPrefix(n, svcPrfx) {
				out = append(out, kind+" "+n)
			}
		}
	}
	return out, nil
}

// addBase adds the table and the proxy's base objects, rewriting the
// fixed chains' rules.
func (p *Proxier) addBase(tx *knftables.Transaction) {
	tx.Add(&knftables.Table{})
	for _, m := range baseMaps {
		tx.Add(&knftables.Map{Name: m.name, Type: m.typ})
	}
	for _, set := range baseSets {
		tx.Add(&knftables.Set{Name: set.name, Type: set.typ})
	}
	for _, c := range regularChains {
		tx.Add(&knftables.Chain{Name: c.name})
		tx.Flush(&knftables.Chain{Name: c.name})
	}
	for _, c := range baseChains {
		tx.Add(&knftables.Chain{Name: c.name, Type: knftables.PtrTo(c.typ), Hook: knftables.PtrTo(c.hook), Priority: knftables.PtrTo(c.priority)})
		tx.Flush(&knftables.Chain{Name: c.name})
	}
	if p.gen.localCIDR.IsValid() {
		// ClusterIP traffic from outside the pod network is masqueraded
		// (kube-proxy's one rule for every ClusterIP).
		tx.Add(&knftables.Rule{Chain: servicesChain,
			Rule: fmt.Sprintf("ip daddr @%s ip saddr != %s jump %s", clusterIPsSet, p.gen.localCIDR, markMasqChain)})
	}
	for _, c := range regularChains {
		for _, r := range c.rules {
			tx.Add(&knftables.Rule{Chain: c.name, Rule: r})
		}
	}
	for _, c := range baseChains {
		for _, r := range c.rules {
			tx.Add(&knftables.Rule{Chain: c.name, Rule: r})
		}
	}
}

// Cleanup removes the proxy's objects (proxy-*, svc-*) from table inet
// tinykube, and the table when nothing else (NetworkPolicy's policy-*)
// is left in it. nft nil: `nft` on the real table.
func Cleanup(ctx context.Context, nft knftables.Interface) error {
	if nft == nil {
		var err error
		if nft, err = knftables.New(knftables.InetFamily, Table); err != nil {
			return err
		}
	}
	ours := func(n string) bool { return strings.HasPrefix(n, proxyPrefix) || strings.HasPrefix(n, svcPrfx) }
	listed := map[string][]string{}
	others := 0
	for _, kind := range []string{"chain", "set", "map", "flowtable"} {
		names, err := nft.List(ctx, kind)
		if knftables.IsNotFound(err) {
			return nil // no table
		}
		if err != nil && kind != "flowtable" {
			return err
		}
		for _, n := range names {
			if ours(n) {
				listed[kind] = append(listed[kind], n)
			} else {
				others++
			}
		}
	}
	tx := nft.NewTransaction()
	for _, n := range listed["chain"] {
		tx.Flush(&knftables.Chain{Name: n})
	}
	for _, n := range listed["map"] {
		tx.Delete(&knftables.Map{Name: n})
	}
	for _, n := range listed["set"] {
		tx.Delete(&knftables.Set{Name: n})
	}
	for _, n := range listed["chain"] {
		tx.Delete(&knftables.Chain{Name: n})
	}
	if others == 0 {
		tx.Delete(&knftables.Table{})
	}
	if tx.NumOperations() == 0 {
		return nil
	}
	if err := nft.Run(ctx, tx); err != nil && !knftables.IsNotFound(err) {
		return fmt.Errorf("removing the service proxy's nftables objects: %w", err)
	}
	return nil
}

func dedupe(s []string) []string {
	slices.Sort(s)
	return slices.Compact(s)
}
