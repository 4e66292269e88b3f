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
// EndpointSlice; Close stops it, which takes the server out of the list.
// Without a usable address (loopback only) it logs and does nothing.
func (s *Server) startEndpointReconciler(port int32) {
	ip := s.advertiseAddress()
	pb := protobuf.NewSerializer(api.Scheme, api.Scheme)
	r, err := endpointreconciler.New(endpointreconciler.Config{
		Etcd: s.client, LeaseCodec: api.Codecs.EncoderForVersion(pb, corev1.SchemeGroupVersion),
		Endpoints: s.Registry.Store("", "endpoints"), EndpointSlices: s.Registry.Store("discovery.k8s.io", "endpointslices"),
		IP: ip, Port: port, Interval: s.cfg.EndpointReconcileInterval, TTL: s.cfg.EndpointReconcileInterval * 3 / 2,
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

// advertiseAddress is the configured address, else the bind address when
// it names one interface, else the host's default-route address.
func (s *Server) advertiseAddress() netip.Addr {
	if a, err := netip.ParseAddr(s.cfg.AdvertiseAddress); err == nil {
		return a.Unmap()
	}
	if a, err := netip.ParseAddr(s.cfg.BindAddress); err == nil && !a.IsLoopback() && !a.IsUnspecified() {
		return a.Unmap()
	}
	ip, err := utilnet.ChooseHostInterface()
	if err != nil {
		return netip.Addr{}
	}
	a, _ := netip.AddrFromSlice(ip)
	return a.Unmap()
}
