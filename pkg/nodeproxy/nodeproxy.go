package nodeproxy

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/tinykube/tinykube/pkg/apiserver"
	"github.com/tinykube/tinykube/pkg/registry/generic"
)

// DefaultKubeletPort is the kubelet API's port when a node reports none.
const DefaultKubeletPort = 10250

// Config configures a Proxy.
type Config struct {
	Pods, Nodes, Services, Endpoints *generic.Store
	// ClientCert is presented to kubelets (the kubelet-client
	// certificate).
	ClientCert tls.Certificate
	// KubeletCAs verify the kubelets' serving certificates; nil skips the
	// check, as upstream does without --kubelet-certificate-authority.
	KubeletCAs *x509.CertPool
	Logger     *slog.Logger
}

// Proxy serves the connect subresources.
type Proxy struct {
	cfg Config
	// kubelet reaches kubelets with the client certificate; direct
	// reaches pods and services (and a node's other ports).
	kubelet, direct *http.Transport
	kubeletTLS      *tls.Config
}

// New returns a Proxy.
func New(cfg Config) (*Proxy, error) {
	if cfg.Pods == nil || cfg.Nodes == nil || cfg.Services == nil || cfg.Endpoints == nil {
		return nil, errors.New("nodeproxy: the pods, nodes, services and endpoints stores are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	tlsConfig := &tls.Config{
		Certificates: []tls.Certificate{cfg.ClientCert},
		RootCAs:      cfg.KubeletCAs,
		// Upgrades need HTTP/1.1.
		NextProtos: []string{"http/1.1"},
		MinVersion: tls.VersionTLS12,
	}
	if cfg.KubeletCAs == nil {
		tlsConfig.InsecureSkipVerify = true
	}
	dialer := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	p := &Proxy{cfg: cfg, kubeletTLS: tlsConfig,
		kubelet: &http.Transport{DialContext: dialer.DialContext, TLSClientConfig: tlsConfig,
			TLSHandshakeTimeout: 10 * time.Second, MaxIdleConnsPerHost: 4, IdleConnTimeout: 90 * time.Second},
		direct: &http.Transport{DialContext: dialer.DialContext, TLSHandshakeTimeout: 10 * time.Second,
			// Pods and services serve what certificates they like.
			TLSClientConfig:     &tls.Config{InsecureSkipVerify: true, NextProtos: []string{"http/1.1"}}, //nolint:gosec // as upstream's proxy
			MaxIdleConnsPerHost: 4, IdleConnTimeout: 90 * time.Second},
	}
	return p, nil
}

// Register adds the connect subresources to cfg.
func (p *Proxy) Register(cfg *apiserver.Config) {
	if cfg.ConnectSubresources == nil {
		cfg.ConnectSubresources = map[string]apiserver.ConnectHandler{}
	}
	pods := corev1.SchemeGroupVersion.WithResource("pods").String() + "/"
	get, upgrade := []string{http.MethodGet}, []string{http.MethodGet, http.MethodPost}
	all := []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodHead, http.MethodOptions}
	cfg.ConnectSubresources[pods+"log"] = apiserver.ConnectHandler{Methods: get, Serve: p.serveLog}
	cfg.ConnectSubresources[pods+"exec"] = apiserver.ConnectHandler{Methods: upgrade, Verb: "create", Serve: p.serveExec}
	cfg.ConnectSubresources[pods+"attach"] = apiserver.ConnectHandler{Methods: upgrade, Verb: "create", Serve: p.serveAttach}
	cfg.ConnectSubresources[pods+"portforward"] = apiserver.ConnectHandler{Methods: upgrade, Verb: "create", Serve: p.servePortForward}
	cfg.ConnectSubresources[pods+"proxy"] = apiserver.ConnectHandler{Methods: all, SubPath: true, Serve: p.servePodProxy}
	cfg.ConnectSubresources[corev1.SchemeGroupVersion.WithResource("nodes").String()+"/proxy"] =
		apiserver.ConnectHandler{Methods: all, SubPath: true, Serve: p.serveNodeProxy}
	cfg.ConnectSubresources[corev1.SchemeGroupVersion.WithResource("services").String()+"/proxy"] =
		apiserver.ConnectHandler{Methods: all, SubPath: true, Serve: p.serveServiceProxy}
}

var (
	podsResource     = schema.GroupResource{Resource: "pods"}
	nodesResource    = schema.GroupResource{Resource: "nodes"}
	servicesResource = schema.GroupResource{Resource: "services"}
)

func (p *Proxy) pod(ctx context.Context, ns, name string) (*corev1.Pod, error) {
	obj, err := p.cfg.Pods.Get(ctx, ns, name, nil)
	if err != nil {
		return nil, err
	}
	return obj.(*corev1.Pod), nil
}

// kubeletAddress returns host:port of the node's kubelet API.
func (p *Proxy) kubeletAddress(ctx context.Context, nodeName string) (string, error) {
	obj, err := p.cfg.Nodes.Get(ctx, "", nodeName, nil)
	if err != nil {
		return "", err
	}
	node := obj.(*corev1.Node)
	host := nodeAddress(node)
	if host == "" {
		return "", apierrors.NewServiceUnavailable(fmt.Sprintf("node %q has no address", nodeName))
	}
	port := int(node.Status.DaemonEndpoints.KubeletEndpoint.Port)
	if port == 0 {
		port = DefaultKubeletPort
	}
	return net.JoinHostPort(host, strconv.Itoa(port)), nil
}

// nodeAddress prefers the InternalIP, as upstream's default
// --kubelet-preferred-address-types.
func nodeAddress(node *corev1.Node) string {
	for _, t := range []corev1.NodeAddressType{corev1.NodeInternalIP, corev1.NodeHostName, corev1.NodeExternalIP, corev1.NodeInternalDNS, corev1.NodeExternalDNS} {
		for _, a := range node.Status.Addresses {
			if a.Type == t && a.Address != "" {
				return a.Address
			}
		}
	}
	return ""
}

// podNode returns the kubelet address of the pod's node, or upstream's
// BadRequest when the pod has none yet.
func (p *Proxy) podNode(ctx context.Context, pod *corev1.Pod) (string, error) {
	if pod.Spec.NodeName == "" {
		return "", apierrors.NewBadRequest(fmt.Sprintf("pod %s does not have a host assigned", pod.Name))
	}
	return p.kubeletAddress(ctx, pod.Spec.NodeName)
}

// container resolves the container of a request as upstream: the named
// one must exist; none named is the only container, else an error that
// lists them.
func container(pod *corev1.Pod, name string) (string, error) {
	var names []string
	for _, c := range pod.Spec.InitContainers {
		names = append(names, c.Name)
	}
	for _, c := range pod.Spec.Containers {
		names = append(names, c.Name)
	}
	for _, c := range pod.Spec.EphemeralContainers {
		names = append(names, c.Name)
	}
	if name == "" {
		switch len(pod.Spec.Containers) {
		case 1:
			return pod.Spec.Containers[0].Name, nil
		case 0:
			return "", apierrors.NewBadRequest(fmt.Sprintf("a container name must be specified for pod %s", pod.Name))
		default:
			return "", apierrors.NewBadRequest(fmt.Sprintf("a container name must be specified for pod %s, choose one of: %v", pod.Name, names))
		}
	}
	for _, n := range names {
		if n == name {
			return name, nil
		}
	}
	return "", apierrors.NewBadRequest(fmt.Sprintf("container %s is not valid for pod %s", name, pod.Name))
}

// reverseProxy relays r to target (path and query as given) through
// transport, upgrades included; the client's credentials stay here.
func (p *Proxy) reverseProxy(w http.ResponseWriter, r *http.Request, target *url.URL, transport http.RoundTripper, gr schema.GroupResource, name string) {
	p.relay(w, r, target, transport, gr, name, nil)
}

// proxy relays r to target as the proxy subresources do: as
// reverseProxy, and as upstream's proxy, with the client's Host, and
// with the links of the response kept under the proxy path (links.go).
func (p *Proxy) proxy(w http.ResponseWriter, r *http.Request, target *url.URL, transport http.RoundTripper, gr schema.GroupResource, name string) {
	p.relay(w, r, target, transport, gr, name, newLinks(r, target))
}

func (p *Proxy) relay(w http.ResponseWriter, r *http.Request, target *url.URL, transport http.RoundTripper, gr schema.GroupResource, name string, l *links) {
	upgrade := isUpgrade(r)
	rp := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			u := *target
			pr.Out.URL, pr.Out.Host = &u, target.Host
			for k := range pr.Out.Header {
				if k == "Authorization" || strings.HasPrefix(k, "Impersonate-") {
					pr.Out.Header.Del(k)
				}
			}
			pr.SetXForwarded()
			if l != nil {
				// Upstream's proxy sends the client's Host and, of the
				// X-Forwarded headers, For and (but on upgrades) Uri.
				pr.Out.Host = pr.In.Host
				pr.Out.Header.Del("X-Forwarded-Host")
				pr.Out.Header.Del("X-Forwarded-Proto")
				if !upgrade {
					pr.Out.Header.Set("X-Forwarded-Uri", l.forwardedURI(&u))
				}
			}
		},
		Transport:     transport,
		FlushInterval: -1,
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			if errors.Is(err, context.Canceled) {
				return
			}
			p.cfg.Logger.Warn("proxying", "url", target.Redacted(), "err", err)
			var st apierrors.APIStatus
			if errors.As(err, &st) {
				writeStatus(w, st)
				return
			}
			writeStatus(w, apierrors.NewServiceUnavailable(fmt.Sprintf("error trying to reach %s %q: %v", gr.String(), name, err)))
		},
	}
	if l != nil && !upgrade {
		rp.ModifyResponse = func(resp *http.Response) error {
			if err := l.modifyResponse(resp); err != nil {
				return apierrors.NewInternalError(err)
			}
			return nil
		}
	}
	rp.ServeHTTP(w, r)
}

// writeStatus writes an API error as a JSON Status, for errors met after
// the handler has taken the response over.
func writeStatus(w http.ResponseWriter, err apierrors.APIStatus) {
	st := err.Status()
	st.Kind, st.APIVersion = "Status", "v1"
	b, _ := json.Marshal(&st)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(int(st.Code))
	_, _ = w.Write(b)
}
