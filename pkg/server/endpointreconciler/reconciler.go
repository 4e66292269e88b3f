package endpointreconciler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/tinykube/tinykube/pkg/registry/generic"
)

// ServiceName is the Service (in default) whose endpoints are the API
// servers.
const ServiceName = "kubernetes"

// DNSServiceName is the Service (in kube-system) whose EndpointSlice
// lists the API servers' cluster DNS listeners, when DNSPort is set.
const DNSServiceName = "kube-dns"

// Config configures a Reconciler.
type Config struct {
	// Etcd holds the lease keys; LeaseCodec encodes their values.
	Etcd       *clientv3.Client
	LeaseCodec runtime.Encoder
	// Endpoints and EndpointSlices are the registry's stores.
	Endpoints, EndpointSlices *generic.Store
	// IP is this server's advertised address, Port its secure port.
	IP   netip.Addr
	Port int32
	// DNSPort, if set, is the port of the cluster DNS (pkg/dns) every
	// API server runs on its advertised address: the EndpointSlice
	// kube-system/kube-dns lists them there (UDP and TCP) alongside.
	DNSPort int32
	// Interval between renewals (default 10s); TTL of a lease key
	// (default 15s), as upstream's.
	Interval, TTL time.Duration
	Logger        *slog.Logger
}

// Validate reports a Config that cannot work.
func (c Config) Validate() error {
	switch {
	case c.Etcd == nil || c.LeaseCodec == nil || c.Endpoints == nil || c.EndpointSlices == nil:
		return errors.New("endpointreconciler: etcd, codec and stores are required")
	case !c.IP.IsValid() || c.IP.IsLoopback() || c.IP.IsUnspecified():
		return fmt.Errorf("endpointreconciler: advertised address %v is not usable in Endpoints", c.IP)
	case c.Port <= 0:
		return fmt.Errorf("endpointreconciler: port %d", c.Port)
	}
	return nil
}

// Reconciler renews this server's lease and rewrites the kubernetes
// Endpoints and EndpointSlice from all live leases.
type Reconciler struct {
	cfg    Config
	leases *Leases
}

// New returns a Reconciler; Run starts it.
func New(cfg Config) (*Reconciler, error) {
	if cfg.Interval == 0 {
		cfg.Interval = 10 * time.Second
	}
	if cfg.TTL == 0 {
		cfg.TTL = 15 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Reconciler{cfg: cfg, leases: NewLeases(cfg.Etcd, cfg.LeaseCodec, cfg.TTL)}, nil
}

// Run reconciles at once, then every Interval until ctx ends; then it
// removes this server from the list (within a few seconds) and returns.
func (r *Reconciler) Run(ctx context.Context) {
	t := time.NewTicker(r.cfg.Interval)
	defer t.Stop()
	for {
		if err := r.Reconcile(ctx); err != nil && ctx.Err() == nil {
			r.cfg.Logger.Warn("reconciling the kubernetes service endpoints", "err", err)
		}
		select {
		case <-ctx.Done():
			rctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err := r.Remove(rctx); err != nil {
				r.cfg.Logger.Warn("removing this server from the kubernetes service endpoints", "err", err)
			}
			return
		case <-t.C:
		}
	}
}

// Reconcile renews this server's lease, then writes the endpoints.
func (r *Reconciler) Reconcile(ctx context.Context) error {
	if err := r.leases.Update(ctx, r.cfg.IP.String()); err != nil {
		return err
	}
	return r.write(ctx, true)
}

// Remove drops this server's lease, then writes the endpoints of the
// others. The last server listed leaves everything as it is (upstream
// too never erases the last address): its key expires with its lease,
// and a stop-and-restart writes nothing to etcd in between, so watches
// resumed after the restart from the last resourceVersion still can be
// served from the new watch cache.
func (r *Reconciler) Remove(ctx context.Context) error {
	ips, err := r.leases.List(ctx)
	if err != nil {
		return err
	}
	if len(ips) == 0 || len(ips) == 1 && ips[0] == r.cfg.IP.String() {
		return nil
	}
	if err := r.leases.Remove(ctx, r.cfg.IP.String()); err != nil {
		return err
	}
	return r.write(ctx, false)
}

// write makes the Endpoints and EndpointSlice list the live leases.
func (r *Reconciler) write(ctx context.Context, mustHaveSelf bool) error {
	ips, err := r.leases.List(ctx)
	if err != nil {
		return err
	}
	if len(ips) == 0 {
		if mustHaveSelf {
			return errors.New("no API server addresses listed in storage, refusing to erase the kubernetes endpoints")
		}
		return nil
	}
	ports := []corev1.EndpointPort{{Name: "https", Port: r.cfg.Port, Protocol: corev1.ProtocolTCP}}
	addrs := make([]corev1.EndpointAddress, len(ips))
	for i, ip := range ips {
		addrs[i] = corev1.EndpointAddress{IP: ip}
	}
	subsets := []corev1.EndpointSubset{{Addresses: addrs, Ports: ports}}
	_, _, err = r.cfg.Endpoints.Update(ctx, metav1.NamespaceDefault, ServiceName, func(_ context.Context, cur runtime.Object) (runtime.Object, error) {
		ep, _ := cur.(*corev1.Endpoints)
		if ep == nil {
			ep = &corev1.Endpoints{ObjectMeta: metav1.ObjectMeta{Name: ServiceName, Namespace: metav1.NamespaceDefault}}
		}
		if ep.Labels == nil {
			ep.Labels = map[string]string{}
		}
		ep.Labels[discoveryv1.LabelSkipMirror] = "true"
		if !equality.Semantic.DeepEqual(ep.Subsets, subsets) {
			ep.Subsets = subsets
		}
		return ep, nil
	}, generic.UpdateOptions{ForceAllowCreate: true})
	if err != nil {
		return fmt.Errorf("kubernetes endpoints: %w", err)
	}
	name, proto, num := ports[0].Name, ports[0].Protocol, ports[0].Port
	if err := r.writeSlice(ctx, metav1.NamespaceDefault, ServiceName, ips, []discoveryv1.EndpointPort{{Name: &name, Port: &num, Protocol: &proto}}); err != nil {
		return fmt.Errorf("kubernetes endpointslice: %w", err)
	}
	if r.cfg.DNSPort > 0 {
		if err := r.writeSlice(ctx, metav1.NamespaceSystem, DNSServiceName, ips, dnsPorts(r.cfg.DNSPort)); err != nil {
			return fmt.Errorf("kube-dns endpointslice: %w", err)
		}
	}
	return nil
}

// dnsPorts are the kube-dns EndpointSlice's ports, named as the
// Service's.
func dnsPorts(port int32) []discoveryv1.EndpointPort {
	udp, tcp := corev1.ProtocolUDP, corev1.ProtocolTCP
	dns, dnsTCP := "dns", "dns-tcp"
	return []discoveryv1.EndpointPort{{Name: &dns, Port: &port, Protocol: &udp}, {Name: &dnsTCP, Port: &port, Protocol: &tcp}}
}

// writeSlice writes the EndpointSlice ns/name (of the Service of that
// name) as upstream's endpoints adapter derives the "kubernetes" one
// from the Endpoints: only the service-name label (no managed-by: no
// controller owns it), every address ready.
func (r *Reconciler) writeSlice(ctx context.Context, ns, name string, ips []string, slicePorts []discoveryv1.EndpointPort) error {
	addrType := discoveryv1.AddressTypeIPv4
	if a, err := netip.ParseAddr(ips[0]); err == nil && a.Is6() && !a.Is4In6() {
		addrType = discoveryv1.AddressTypeIPv6
	}
	ready := true
	var eps []discoveryv1.Endpoint
	for _, ip := range ips {
		a, err := netip.ParseAddr(ip)
		if err != nil || (a.Is6() && !a.Is4In6()) != (addrType == discoveryv1.AddressTypeIPv6) {
			continue
		}
		eps = append(eps, discoveryv1.Endpoint{Addresses: []string{ip}, Conditions: discoveryv1.EndpointConditions{Ready: &ready}})
	}
	labels := map[string]string{discoveryv1.LabelServiceName: name}
	store := r.cfg.EndpointSlices
	for attempt := 0; attempt < 2; attempt++ {
		_, _, err := store.Update(ctx, ns, name, func(_ context.Context, cur runtime.Object) (runtime.Object, error) {
			s, _ := cur.(*discoveryv1.EndpointSlice)
			if s == nil {
				s = &discoveryv1.EndpointSlice{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}, AddressType: addrType}
			}
			if s.AddressType != addrType {
				return nil, errAddressType
			}
			if !equality.Semantic.DeepEqual(s.Endpoints, eps) {
				s.Endpoints = eps
			}
			if !equality.Semantic.DeepEqual(s.Ports, slicePorts) {
				s.Ports = slicePorts
			}
			if !equality.Semantic.DeepEqual(s.Labels, labels) {
				s.Labels = labels
			}
			return s, nil
		}, generic.UpdateOptions{ForceAllowCreate: true})
		if !errors.Is(err, errAddressType) {
			return err
		}
		// The address type is immutable: replace the slice.
		if _, _, err := store.Delete(ctx, ns, name, &metav1.DeleteOptions{}, false); err != nil && !apierrors.IsNotFound(err) {
			return err
		}
	}
	return errAddressType
}

var errAddressType = errors.New("endpointslice has another address type")
