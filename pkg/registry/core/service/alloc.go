package service

import (
	"context"
	"fmt"
	"math/big"
	"math/rand/v2"
	"net/netip"
	"sync"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/tinykube/tinykube/pkg/registry/generic"
)

// Allocator hands out ClusterIPs from the service CIDR and NodePorts from
// the node port range. Its state is rebuilt from the stored services on
// first use, so it needs no storage of its own; one API server allocates
// (HA allocation through etcd is future work).
type Allocator struct {
	CIDR      netip.Prefix
	PortBase  int32
	PortCount int32
	Services  *generic.Store

	once  sync.Once
	mu    sync.Mutex
	ips   map[netip.Addr]bool
	ports map[int32]bool
	err   error
}

// FirstIP returns the first usable address of the range, which the
// kubernetes Service in default gets.
func (a *Allocator) FirstIP() netip.Addr { return a.CIDR.Masked().Addr().Next() }

func (a *Allocator) load(ctx context.Context) error {
	a.once.Do(func() {
		a.ips, a.ports = map[netip.Addr]bool{}, map[int32]bool{}
		list, err := a.Services.List(ctx, "", &metav1.ListOptions{})
		if err != nil {
			a.err = err
			return
		}
		for i := range list.(*corev1.ServiceList).Items {
			a.reserve(&list.(*corev1.ServiceList).Items[i])
		}
	})
	return a.err
}

func (a *Allocator) reserve(s *corev1.Service) {
	for _, ip := range s.Spec.ClusterIPs {
		if addr, err := netip.ParseAddr(ip); err == nil {
			a.ips[addr] = true
		}
	}
	for _, p := range s.Spec.Ports {
		if p.NodePort != 0 {
			a.ports[p.NodePort] = true
		}
	}
}

// Allocate fills in a new service's ClusterIP and NodePorts (the store's
// BeforeCreate hook). Values the client chose are reserved if free.
func (a *Allocator) Allocate(ctx context.Context, obj runtime.Object, dryRun bool) error {
	if err := a.load(ctx); err != nil {
		return err
	}
	s := obj.(*corev1.Service)
	a.mu.Lock()
	defer a.mu.Unlock()
	var errs field.ErrorList
	var taken []netip.Addr
	var takenPorts []int32
	if needsClusterIP(s) && s.Spec.ClusterIP != corev1.ClusterIPNone {
		if s.Spec.ClusterIP == "" {
			ip, ok := a.freeIP()
			if !ok {
				return apierrors.NewInternalError(fmt.Errorf("failed to allocate a serviceIP: range is full"))
			}
			s.Spec.ClusterIP = ip.String()
		} else {
			ip, err := netip.ParseAddr(s.Spec.ClusterIP)
			switch {
			case err != nil || !a.CIDR.Contains(ip):
				errs = append(errs, field.Invalid(field.NewPath("spec", "clusterIPs").Index(0), s.Spec.ClusterIP,
					fmt.Sprintf("failed to allocate IP %s: the provided IP (%s) is not in the valid range. The range of valid IPs is %s", s.Spec.ClusterIP, s.Spec.ClusterIP, a.CIDR)))
			case a.ips[ip]:
				errs = append(errs, field.Invalid(field.NewPath("spec", "clusterIPs").Index(0), s.Spec.ClusterIP,
					fmt.Sprintf("failed to allocate IP %s: provided IP is already allocated", s.Spec.ClusterIP)))
			}
		}
		if ip, err := netip.ParseAddr(s.Spec.ClusterIP); err == nil && len(errs) == 0 {
			taken = append(taken, ip)
		}
	}
	if s.Spec.ClusterIP != "" && needsClusterIP(s) {
		s.Spec.ClusterIPs = []string{s.Spec.ClusterIP}
		s.Spec.IPFamilies = []corev1.IPFamily{corev1.IPv4Protocol}
		single := corev1.IPFamilyPolicySingleStack
		s.Spec.IPFamilyPolicy = &single
	}
	if needsNodePorts(s) {
		for i := range s.Spec.Ports {
			p := &s.Spec.Ports[i]
			if p.NodePort == 0 {
				port, ok := a.freePort(takenPorts)
				if !ok {
					return apierrors.NewInternalError(fmt.Errorf("failed to allocate a nodePort: range is full"))
				}
				p.NodePort = port
			} else if p.NodePort < a.PortBase || p.NodePort >= a.PortBase+a.PortCount {
				errs = append(errs, field.Invalid(field.NewPath("spec", "ports").Index(i).Child("nodePort"), p.NodePort,
					fmt.Sprintf("provided port is not in the valid range. The range of valid ports is %d-%d", a.PortBase, a.PortBase+a.PortCount-1)))
			} else if a.ports[p.NodePort] {
				errs = append(errs, field.Invalid(field.NewPath("spec", "ports").Index(i).Child("nodePort"), p.NodePort, "provided port is already allocated"))
			}
			takenPorts = append(takenPorts, p.NodePort)
		}
	}
	if len(errs) > 0 {
		return apierrors.NewInvalid(corev1.SchemeGroupVersion.WithKind("Service").GroupKind(), s.Name, errs)
	}
	if !dryRun {
		for _, ip := range taken {
			a.ips[ip] = true
		}
		for _, p := range takenPorts {
			a.ports[p] = true
		}
	}
	return nil
}

// Release frees what a deleted service held (the store's AfterDelete).
func (a *Allocator) Release(obj runtime.Object) {
	s := obj.(*corev1.Service)
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, ip := range s.Spec.ClusterIPs {
		if addr, err := netip.ParseAddr(ip); err == nil {
			delete(a.ips, addr)
		}
	}
	for _, p := range s.Spec.Ports {
		delete(a.ports, p.NodePort)
	}
}

// freeIP picks a random free address, scanning from there.
func (a *Allocator) freeIP() (netip.Addr, bool) {
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
		if !a.ips[ip] {
			return ip, true
		}
	}
	return netip.Addr{}, false
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
