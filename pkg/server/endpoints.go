package server

import (
	"context"
	"net/netip"
	"sync"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime/serializer/protobuf"
	utilnet "k8s.io/apimachinery/pkg/util/net"

	"github.com/tinykube/tinykube/pkg/api"
	"github.com/tinykube/tinykube/pkg/server/endpointreconciler"
)

// startEndpointReconciler starts keeping this server (at its advertised
// address and port) in the kubernetes Service's Endpoints and
// EndpointSlice, and, with a cluster DNS port, in kube-dns's
// EndpointSlice; Close stops it, which takes the server out of the list.
// Without a usable address (loopback only) it logs and does nothing.
func (s *Server) startEndpointReconciler(port int32) {
	ip := s.cfg.Advertised()
	pb := protobuf.NewSerializer(api.Scheme, api.Scheme)
	r, err := endpointreconciler.New(endpointreconciler.Config{
		Etcd: s.client, LeaseCodec: api.Codecs.EncoderForVersion(pb, corev1.SchemeGroupVersion),
		Endpoints: s.Registry.Store("", "endpoints"), EndpointSlices: s.Registry.Store("discovery.k8s.io", "endpointslices"),
		IP: ip, Port: port, DNSPort: int32(s.cfg.ClusterDNSPort), Interval: s.cfg.EndpointReconcileInterval, TTL: s.cfg.EndpointReconcileInterval * 3 / 2,
		Logger: s.cfg.Logger,
	})
	if err != nil {
		s.cfg.Logger.Warn("not maintaining the kubernetes service endpoints", "err", err)
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		r.Run(ctx)
	}()
	s.stopEndpoints = func() {
		cancel()
		wg.Wait()
	}
}

// Advertised is the address listed in the kubernetes (and kube-dns)
// Service's endpoints: the configured address, else the bind address
// when it names one interface, else the host's default-route address;
// invalid if there is none.
func (c Config) Advertised() netip.Addr {
	if a, err := netip.ParseAddr(c.AdvertiseAddress); err == nil {
		return a.Unmap()
	}
	if a, err := netip.ParseAddr(c.BindAddress); err == nil && !a.IsLoopback() && !a.IsUnspecified() {
		return a.Unmap()
	}
	ip, err := utilnet.ChooseHostInterface()
	if err != nil {
		return netip.Addr{}
	}
	a, _ := netip.AddrFromSlice(ip)
	return a.Unmap()
}
