package nodeproxy

import (
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

// splitSchemeNamePort splits a proxy subresource's name:
// "name", "name:port" or "scheme:name:port" (scheme http or https).
func splitSchemeNamePort(id string) (scheme, name, port string, err error) {
	parts := strings.Split(id, ":")
	switch len(parts) {
	case 1:
		name = parts[0]
	case 2:
		name, port = parts[0], parts[1]
	case 3:
		scheme, name, port = parts[0], parts[1], parts[2]
	default:
		return "", "", "", apierrors.NewBadRequest(fmt.Sprintf("invalid proxy name %q", id))
	}
	if name == "" || (scheme != "" && scheme != "http" && scheme != "https") {
		return "", "", "", apierrors.NewBadRequest(fmt.Sprintf("invalid proxy name %q", id))
	}
	return scheme, name, port, nil
}

// proxyTarget is target's URL for the request's sub-path and query.
func proxyTarget(scheme, host, path string, r *http.Request) *url.URL {
	if scheme == "" {
		scheme = "http"
	}
	return &url.URL{Scheme: scheme, Host: host, Path: "/" + strings.TrimPrefix(path, "/"), RawQuery: r.URL.RawQuery}
}

// redirectToSlash answers a GET or HEAD of the proxy subresource itself
// (no sub-path, no trailing slash) with a 301 to the same path and query
// with a slash, as upstream's proxy handler does (so that relative links
// in the page resolve below the proxy); true when it did.
func redirectToSlash(w http.ResponseWriter, r *http.Request, path string) bool {
	if path != "" || strings.HasSuffix(r.URL.Path, "/") || (r.Method != http.MethodGet && r.Method != http.MethodHead) {
		return false
	}
	loc := r.URL.Path + "/"
	if r.URL.RawQuery != "" {
		loc += "?" + r.URL.RawQuery
	}
	w.Header().Set("Location", loc)
	w.WriteHeader(http.StatusMovedPermanently)
	return true
}

// servePodProxy relays the request to the pod's IP, at the named port or
// the first container port.
func (p *Proxy) servePodProxy(w http.ResponseWriter, r *http.Request, ns, id, path string) error {
	scheme, name, port, err := splitSchemeNamePort(id)
	if err != nil {
		return err
	}
	pod, err := p.pod(r.Context(), ns, name)
	if err != nil {
		return err
	}
	if sim, err := p.simulated(r.Context(), pod.Spec.NodeName); err != nil {
		return err
	} else if sim {
		return refuseSimulated("pods/proxy", fmt.Sprintf("pod %q", name), pod.Spec.NodeName)
	}
	if port == "" {
		for _, c := range pod.Spec.Containers {
			if len(c.Ports) > 0 {
				port = strconv.Itoa(int(c.Ports[0].ContainerPort))
				break
			}
		}
	}
	ip := net.ParseIP(pod.Status.PodIP)
	if ip == nil {
		return apierrors.NewBadRequest(fmt.Sprintf("invalid pod IP %q", pod.Status.PodIP))
	}
	host := pod.Status.PodIP
	if port != "" {
		host = net.JoinHostPort(host, port)
	}
	if redirectToSlash(w, r, path) {
		return nil
	}
	p.proxy(w, r, proxyTarget(scheme, host, path, r), p.direct, podsResource, name)
	return nil
}

// serveNodeProxy relays the request to the node's kubelet (with the
// kubelet-client certificate), or to another port of the node.
func (p *Proxy) serveNodeProxy(w http.ResponseWriter, r *http.Request, _, id, path string) error {
	scheme, name, port, err := splitSchemeNamePort(id)
	if err != nil {
		return err
	}
	if sim, err := p.simulated(r.Context(), name); err != nil {
		return err
	} else if sim {
		return apierrors.NewBadRequest(fmt.Sprintf("nodes/proxy: node %q is simulated and serves no kubelet API: %s", name, simulatedHint))
	}
	addr, err := p.kubeletAddress(r.Context(), name)
	if err != nil {
		return err
	}
	host, kubeletPort, _ := net.SplitHostPort(addr)
	if redirectToSlash(w, r, path) {
		return nil
	}
	if port == "" || port == kubeletPort {
		p.proxy(w, r, proxyTarget("https", addr, path, r), p.kubelet, nodesResource, name)
		return nil
	}
	p.proxy(w, r, proxyTarget(scheme, net.JoinHostPort(host, port), path, r), p.direct, nodesResource, name)
	return nil
}

// serveServiceProxy relays the request to a ready endpoint of the
// service's port (named, numbered, or the only one).
func (p *Proxy) serveServiceProxy(w http.ResponseWriter, r *http.Request, ns, id, path string) error {
	scheme, name, port, err := splitSchemeNamePort(id)
	if err != nil {
		return err
	}
	obj, err := p.cfg.Services.Get(r.Context(), ns, name, nil)
	if err != nil {
		return err
	}
	svc := obj.(*corev1.Service)
	var svcPort *corev1.ServicePort
	for i := range svc.Spec.Ports {
		sp := &svc.Spec.Ports[i]
		if sp.Name == port || (port != "" && strconv.Itoa(int(sp.Port)) == port) || (port == "" && len(svc.Spec.Ports) == 1) {
			svcPort = sp
			break
		}
	}
	if svcPort == nil {
		return apierrors.NewServiceUnavailable(fmt.Sprintf("no service port %q found for service %q", port, name))
	}
	obj, err = p.cfg.Endpoints.Get(r.Context(), ns, name, nil)
	if err != nil {
		if apierrors.IsNotFound(err) {
			return apierrors.NewServiceUnavailable(fmt.Sprintf("no endpoints available for service %q", name))
		}
		return err
	}
	var hosts []string
	simulatedOnly := false
	for _, ss := range obj.(*corev1.Endpoints).Subsets {
		for _, ep := range ss.Ports {
			if ep.Name != svcPort.Name {
				continue
			}
			for _, a := range ss.Addresses {
				if a.NodeName != nil {
					// A pod of a simulated node serves nothing.
					if sim, err := p.simulated(r.Context(), *a.NodeName); err != nil {
						return err
					} else if sim {
						simulatedOnly = true
						continue
					}
				}
				hosts = append(hosts, net.JoinHostPort(a.IP, strconv.Itoa(int(ep.Port))))
			}
		}
	}
	if len(hosts) == 0 && simulatedOnly {
		return apierrors.NewBadRequest(fmt.Sprintf("services/proxy: the endpoints of service %q are pods on simulated nodes: %s", name, simulatedHint))
	}
	if len(hosts) == 0 {
		return apierrors.NewServiceUnavailable(fmt.Sprintf("no endpoints available for service %q", name))
	}
	host := hosts[rand.IntN(len(hosts))]
	if redirectToSlash(w, r, path) {
		return nil
	}
	p.proxy(w, r, proxyTarget(scheme, host, path, r), p.direct, servicesResource, name)
	return nil
}
