package service

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"math/rand/v2"
	"net/netip"
	"slices"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/tinykube/tinykube/pkg/registry/generic"
)

// Allocator hands out ClusterIPs from the service CIDR and NodePorts from
// the node port range.
//
// ClusterIPs are allocated as upstream's IPAddress allocator does: the
// IPAddress object named after the IP (networking.k8s.io/v1, parentRef to
// the Service) is the allocation. Creating it allocates the IP; an IP
// whose IPAddress already exists is taken, whoever created it (another
// API server on the same etcd, a user); deleting it releases the IP. The
// IPAddress store is the one truth: the allocator keeps no IP state.
//
// NodePorts are kept in memory, rebuilt from the stored services on first
// use (one API server allocates them).
type Allocator struct {
	CIDR        netip.Prefix
	PortBase    int32
	PortCount   int32
	Services    *generic.Store
	IPAddresses *generic.Store

	once  sync.Once
	mu    sync.Mutex
	ports map[int32]bool
	err   error
}

// ManagedBy is the ipaddress.kubernetes.io/managed-by label of the
// IPAddresses the allocator creates, as upstream's.
const ManagedBy = "ipallocator.k8s.io"

// errAllocated: the IP's IPAddress exists.
var errAllocated = errors.New("provided IP is already allocated")

// FirstIP returns the first usable address of the range, which the
// kubernetes Service in default gets.
func (a *Allocator) FirstIP() netip.Addr { return a.CIDR.Masked().Addr().Next() }

// load rebuilds the NodePorts in use, and gives the ClusterIPs of stored
// services that have no IPAddress (data written before IPAddress
// allocation) theirs, as upstream's repair loop does.
func (a *Allocator) load(ctx context.Context) error {
	a.once.Do(func() {
		a.ports = map[int32]bool{}
		list, err := a.Services.List(ctx, "", &metav1.ListOptions{})
		if err != nil {
			a.err = err
			return
		}
		for i := range list.(*corev1.ServiceList).Items {
			s := &list.(*corev1.ServiceList).Items[i]
			for _, p := range s.Spec.Ports {
				if p.NodePort != 0 {
					a.ports[p.NodePort] = true
				}
			}
			for _, ip := range s.Spec.ClusterIPs {
				if addr, err := netip.ParseAddr(ip); err == nil {
					if err := a.createIPAddress(ctx, addr, s); err != nil && !errors.Is(err, errAllocated) {
						a.err = err
						return
					}
				}
			}
		}
	})
	return a.err
}

var _ generic.Allocator = (*Allocator)(nil)

// Allocate fills in a service's ClusterIP and NodePorts on create, and on
// an update those its new type needs that the old service did not hold
// (ExternalName to ClusterIP, ClusterIP to NodePort, a new port). Values
// the client chose are reserved if free; what old already holds is kept.
// The ClusterIP is allocated last, once nothing else can fail. undo
// releases what this call reserved.
func (a *Allocator) Allocate(ctx context.Context, obj, old runtime.Object, dryRun bool) (undo func(), err error) {
	if err := a.load(ctx); err != nil {
		return nil, err
	}
	s := obj.(*corev1.Service)
	var prev *corev1.Service
	if old != nil {
		prev = old.(*corev1.Service)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	var errs field.ErrorList
	var wantIP netip.Addr
	pickIP := false
	if needsClusterIP(s) && s.Spec.ClusterIP != corev1.ClusterIPNone && !holdsClusterIP(prev, s.Spec.ClusterIP) {
		if s.Spec.ClusterIP == "" {
			pickIP = true
		} else if ip, err := netip.ParseAddr(s.Spec.ClusterIP); err != nil || !a.CIDR.Contains(ip) {
			errs = append(errs, field.Invalid(field.NewPath("spec", "clusterIPs").Index(0), s.Spec.ClusterIP,
				fmt.Sprintf("failed to allocate IP %s: the provided IP (%s) is not in the valid range. The range of valid IPs is %s", s.Spec.ClusterIP, s.Spec.ClusterIP, a.CIDR)))
		} else {
			wantIP = ip
		}
	}
	var takenPorts []int32 // ports this call reserves
	if needsNodePorts(s) {
		// The ports the client chose first, then the free ones around them.
		held := nodePorts(prev)
		var chosen []int32
		for i, p := range s.Spec.Ports {
			switch {
			case p.NodePort == 0:
			case contains(held, p.NodePort) || contains(chosen, p.NodePort):
				// Already this service's: one NodePort may serve a port
				// number over TCP and UDP.
			case p.NodePort < a.PortBase || p.NodePort >= a.PortBase+a.PortCount:
				errs = append(errs, field.Invalid(field.NewPath("spec", "ports").Index(i).Child("nodePort"), p.NodePort,
					fmt.Sprintf("provided port is not in the valid range. The range of valid ports is %d-%d", a.PortBase, a.PortBase+a.PortCount-1)))
			case a.ports[p.NodePort]:
				errs = append(errs, field.Invalid(field.NewPath("spec", "ports").Index(i).Child("nodePort"), p.NodePort, "provided port is already allocated"))
			default:
				takenPorts = append(takenPorts, p.NodePort)
			}
			if p.NodePort != 0 {
				chosen = append(chosen, p.NodePort)
			}
		}
		for i := range s.Spec.Ports {
			if p := &s.Spec.Ports[i]; p.NodePort == 0 {
				port, ok := a.freePort(append(chosen, takenPorts...))
				if !ok {
					return nil, apierrors.NewInternalError(fmt.Errorf("failed to allocate a nodePort: range is full"))
				}
				p.NodePort = port
				takenPorts = append(takenPorts, port)
			}
		}
	}
	if len(errs) > 0 {
		return nil, invalid(s, errs)
	}
	var ip netip.Addr
	switch {
	case pickIP:
		if ip, err = a.allocateNext(ctx, s, dryRun); err != nil {
			return nil, err
		}
		setClusterIP(s, ip)
	case wantIP.IsValid():
		err := a.allocateIP(ctx, wantIP, s, dryRun)
		if errors.Is(err, errAllocated) {
			return nil, invalid(s, field.ErrorList{field.Invalid(field.NewPath("spec", "clusterIPs").Index(0), s.Spec.ClusterIP,
				fmt.Sprintf("failed to allocate IP %s: provided IP is already allocated", s.Spec.ClusterIP))})
		}
		if err != nil {
			return nil, err
		}
		ip = wantIP
		setClusterIP(s, ip)
	}
	if dryRun {
		return nil, nil
	}
	for _, p := range takenPorts {
		a.ports[p] = true
	}
	return func() { a.release(s, ipsOf(ip), takenPorts) }, nil
}

// holdsClusterIP reports whether old, the service before an update,
// already has ip ("" matches any ClusterIP it has: the update leaves
// the allocated value alone).
func holdsClusterIP(old *corev1.Service, ip string) bool {
	if old == nil || !needsClusterIP(old) || old.Spec.ClusterIP == "" || old.Spec.ClusterIP == corev1.ClusterIPNone {
		return false
	}
	return ip == "" || ip == old.Spec.ClusterIP
}

// nodePorts returns the NodePorts s holds (none for nil).
func nodePorts(s *corev1.Service) []int32 {
	var ports []int32
	if s == nil {
		return nil
	}
	for _, p := range s.Spec.Ports {
		if p.NodePort != 0 {
			ports = append(ports, p.NodePort)
		}
	}
	return ports
}

func ipsOf(ip netip.Addr) []string {
	if !ip.IsValid() {
		return nil
	}
	return []string{ip.String()}
}

func invalid(s *corev1.Service, errs field.ErrorList) error {
	return apierrors.NewInvalid(corev1.SchemeGroupVersion.WithKind("Service").GroupKind(), s.Name, errs)
}

// setClusterIP fills in the single-stack ClusterIP fields.
func setClusterIP(s *corev1.Service, ip netip.Addr) {
	s.Spec.ClusterIP = ip.String()
	s.Spec.ClusterIPs = []string{s.Spec.ClusterIP}
	s.Spec.IPFamilies = []corev1.IPFamily{corev1.IPv4Protocol}
	if ip.Is6() {
		s.Spec.IPFamilies = []corev1.IPFamily{corev1.IPv6Protocol}
	}
	single := corev1.IPFamilyPolicySingleStack
	s.Spec.IPFamilyPolicy = &single
}

// Release frees what old held that obj does not: after an update is
// stored (a service turned ExternalName lets go of its ClusterIP, one
// turned ClusterIP of its NodePorts), and everything after a delete (obj
// nil).
func (a *Allocator) Release(old, obj runtime.Object) {
	o := old.(*corev1.Service)
	var keepIPs []string
	var keepPorts []int32
	if obj != nil {
		s := obj.(*corev1.Service)
		keepIPs, keepPorts = s.Spec.ClusterIPs, nodePorts(s)
	}
	var ips []string
	for _, ip := range o.Spec.ClusterIPs {
		if !slices.Contains(keepIPs, ip) {
			ips = append(ips, ip)
		}
	}
	var ports []int32
	for _, p := range nodePorts(o) {
		if !contains(keepPorts, p) {
			ports = append(ports, p)
		}
	}
	a.release(o, ips, ports)
}

// release deletes the IPAddresses of ips that name s as parent and frees
// ports.
func (a *Allocator) release(s *corev1.Service, ips []string, ports []int32) {
	if len(ips) > 0 {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		for _, ip := range ips {
			addr, err := netip.ParseAddr(ip)
			if err != nil {
				continue
			}
			cur, err := a.IPAddresses.Get(ctx, "", addr.String(), &metav1.GetOptions{})
			if err != nil {
				continue
			}
			ipa := cur.(*networkingv1.IPAddress)
			if ref := ipa.Spec.ParentRef; ref == nil || ref.Group != "" || ref.Resource != "services" || ref.Namespace != s.Namespace || ref.Name != s.Name {
				continue
			}
			uid := ipa.UID
			_, _, _ = a.IPAddresses.Delete(ctx, "", ipa.Name, &metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &uid}}, false)
		}
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, p := range ports {
		delete(a.ports, p)
	}
}

// allocateIP creates ip's IPAddress for s; a dry run only checks that
// there is none.
func (a *Allocator) allocateIP(ctx context.Context, ip netip.Addr, s *corev1.Service, dryRun bool) error {
	if !dryRun {
		return a.createIPAddress(ctx, ip, s)
	}
	if _, exists, err := a.IPAddresses.Exists(ctx, "", ip.String()); err != nil {
		return err
	} else if exists {
		return errAllocated
	}
	return nil
}

// createIPAddress creates ip's IPAddress with upstream's labels and s as
// parent; errAllocated if it exists.
func (a *Allocator) createIPAddress(ctx context.Context, ip netip.Addr, s *corev1.Service) error {
	family := corev1.IPv4Protocol
	if ip.Is6() {
		family = corev1.IPv6Protocol
	}
	ipa := &networkingv1.IPAddress{
		ObjectMeta: metav1.ObjectMeta{Name: ip.String(), Labels: map[string]string{
			networkingv1.LabelIPAddressFamily: string(family), networkingv1.LabelManagedBy: ManagedBy}},
		Spec: networkingv1.IPAddressSpec{ParentRef: &networkingv1.ParentReference{Resource: "services", Namespace: s.Namespace, Name: s.Name}},
	}
	_, err := a.IPAddresses.Create(ctx, "", ipa, false)
	if apierrors.IsAlreadyExists(err) {
		return errAllocated
	}
	return err
}

// allocateNext allocates a random free address of the range, scanning
// from there: it skips the addresses whose IPAddress the watch cache
// knows of, and moves on when a create finds one taken meanwhile.
func (a *Allocator) allocateNext(ctx context.Context, s *corev1.Service, dryRun bool) (netip.Addr, error) {
	list, err := a.IPAddresses.ListFromCache(ctx, "")
	if err != nil {
		return netip.Addr{}, err
	}
	taken := map[netip.Addr]bool{}
	for _, ipa := range list.(*networkingv1.IPAddressList).Items {
		if addr, err := netip.ParseAddr(ipa.Name); err == nil {
			taken[addr] = true
		}
	}
	bits := a.CIDR.Addr().BitLen() - a.CIDR.Bits()
	size := new(big.Int).Lsh(big.NewInt(1), uint(bits)).Int64()
	if bits > 62 {
		size = 1 << 62
	}
	base := a.CIDR.Masked().Addr()
	start := rand.Int64N(size)
	for i := int64(0); i < size; i++ {
		off := (start + i) % size
		if off == 0 || off == size-1 || off == 1 { // network, broadcast, reserved for kubernetes
			continue
		}
		ip := addOffset(base, off)
		if taken[ip] {
			continue
		}
		err := a.allocateIP(ctx, ip, s, dryRun)
		if errors.Is(err, errAllocated) {
			continue
		}
		return ip, err
	}
	return netip.Addr{}, apierrors.NewInternalError(fmt.Errorf("failed to allocate a serviceIP: range is full"))
}

func (a *Allocator) freePort(pending []int32) (int32, bool) {
	start := rand.Int32N(a.PortCount)
	for i := int32(0); i < a.PortCount; i++ {
		p := a.PortBase + (start+i)%a.PortCount
		if !a.ports[p] && !contains(pending, p) {
			return p, true
		}
	}
	return 0, false
}

func contains(xs []int32, x int32) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

func addOffset(base netip.Addr, off int64) netip.Addr {
	b := base.As16()
	n := new(big.Int).SetBytes(b[:])
	n.Add(n, big.NewInt(off))
	var out [16]byte
	n.FillBytes(out[:])
	addr := netip.AddrFrom16(out)
	if base.Is4() {
		return addr.Unmap()
	}
	return addr
}
