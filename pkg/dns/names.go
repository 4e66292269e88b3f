package dns

import (
	"errors"
	"strings"

	mdns "github.com/miekg/dns"
)

// errNameError is a name that does not exist (NXDOMAIN), as the
// kubernetes plugin's errNoItems, errNsNotExposed and errInvalidRequest.
var errNameError = errors.New("no such name")

// Labels that say what a name in the cluster domain is.
const (
	svcLabel = "svc"
	podLabel = "pod"
)

// request is a query name in the cluster domain taken apart as the
// kubernetes plugin's parseRequest does:
//
//	_port._protocol.service.namespace.svc.zone
//	endpoint.service.namespace.svc.zone
//	service.namespace.svc.zone
//	a-b-c-d.namespace.pod.zone
//
// Empty fields were not in the name.
type request struct {
	port, protocol string
	endpoint       string
	service        string
	namespace      string
	// kind is svcLabel, podLabel or "" (the zone itself, svc.zone,
	// pod.zone: names that exist and hold nothing).
	kind string
}

// parseName parses base, the lower-cased query name with the zone and
// its dot cut off ("" for the zone itself). Names of another shape, or
// too long, do not exist.
func parseName(base string) (request, error) {
	var r request
	if base == "" || base == svcLabel || base == podLabel {
		return r, nil
	}
	segs := mdns.SplitDomainName(base)
	last := len(segs) - 1
	if last < 0 {
		return r, nil
	}
	r.kind = segs[last]
	if r.kind != podLabel && r.kind != svcLabel {
		return r, errNameError
	}
	if last--; last < 0 {
		return r, nil
	}
	r.namespace = segs[last]
	if last--; last < 0 {
		return r, nil
	}
	r.service = segs[last]
	if last--; last < 0 {
		return r, nil
	}
	switch last {
	case 0:
		r.endpoint = segs[0]
	case 1:
		r.protocol = strings.TrimPrefix(segs[1], "_")
		r.port = strings.TrimPrefix(segs[0], "_")
	default:
		return r, errNameError
	}
	return r, nil
}

// podIP is the address a pod name (a-b-c-d, or an IPv6 address with
// dashes for colons) stands for, as the plugin reads it.
func podIP(name string) string {
	if strings.Count(name, "-") == 3 && !strings.Contains(name, "--") {
		return strings.ReplaceAll(name, "-", ".")
	}
	return strings.ReplaceAll(name, "-", ":")
}

// endpointHostname is the label of an endpoint's own name: its hostname
// when the EndpointSlice gives one (a pod's spec.hostname under a
// headless Service named by its spec.subdomain), else its address with
// dashes.
func endpointHostname(hostname, ip string) string {
	if hostname != "" {
		return hostname
	}
	if strings.Contains(ip, ".") {
		return strings.ReplaceAll(ip, ".", "-")
	}
	if strings.Contains(ip, ":") {
		h := strings.ReplaceAll(ip, ":", "-")
		if strings.HasSuffix(h, "-") {
			return h + "0"
		}
		return h
	}
	return ""
}
