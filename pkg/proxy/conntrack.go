package proxy

import (
	"log/slog"
	"net"
	"strings"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// flushUDP deletes the conntrack entries of UDP flows from a ClusterIP
// to endpoints that were removed ("clusterIP endpointIP" pairs), as
// kube-proxy does: UDP has no connection to end, so without this a
// client keeps sending to the gone endpoint until its entry times out.
func flushUDP(pairs []string, log *slog.Logger) {
	var filters []netlink.CustomConntrackFilter
	for _, pair := range pairs {
		cip, ep, _ := strings.Cut(pair, " ")
		f := &netlink.ConntrackFilter{}
		if err := f.AddProtocol(unix.IPPROTO_UDP); err != nil {
			continue
		}
		if f.AddIP(netlink.ConntrackOrigDstIP, net.ParseIP(cip)) != nil || f.AddIP(netlink.ConntrackReplySrcIP, net.ParseIP(ep)) != nil {
			continue
		}
		filters = append(filters, f)
	}
	n, err := netlink.ConntrackDeleteFilters(netlink.ConntrackTable, unix.AF_INET, filters...)
	if err != nil {
		log.Warn("service proxy: flushing conntrack entries of removed UDP endpoints", "err", err)
		return
	}
	if n > 0 {
		log.Debug("service proxy: flushed conntrack entries of removed UDP endpoints", "entries", n)
	}
}
