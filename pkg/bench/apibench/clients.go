package apibench

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// clientPool hands out typed clients per worker according to the client
// mode, and counts response body bytes across all of them.
type clientPool struct {
	clients []kubernetes.Interface
	meta    []rest.Interface
	bytes   *atomic.Int64
}

// newClientPool builds the clients for workers workers. Every client gets a
// Dial function of its own: client-go caches transports by TLS settings and
// dialer, so a fresh dialer means a fresh transport and fresh connections
// instead of those of an earlier phase.
func newClientPool(c *Config, workers int) (*clientPool, error) {
	n := 1
	if c.ClientMode == ClientPerWorker {
		n = workers
	}
	p := &clientPool{bytes: new(atomic.Int64)}
	for range n {
		cfg := rest.CopyConfig(c.RESTConfig)
		cfg.QPS, cfg.Burst = c.QPS, c.Burst
		cfg.UserAgent = "tinykube-bench"
		switch c.ContentType {
		case ContentProtobuf:
			cfg.ContentType = "application/vnd.kubernetes.protobuf"
			cfg.AcceptContentTypes = "application/vnd.kubernetes.protobuf,application/json"
		default:
			cfg.ContentType = "application/json"
			cfg.AcceptContentTypes = "application/json"
		}
		dialer := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}
		cfg.Dial = dialer.DialContext
		counter := p.bytes
		cfg.Wrap(func(rt http.RoundTripper) http.RoundTripper { return &countingRT{next: rt, n: counter} })
		cs, err := kubernetes.NewForConfig(cfg)
		if err != nil {
			return nil, fmt.Errorf("building client: %w", err)
		}
		p.clients = append(p.clients, cs)
		mc := rest.CopyConfig(cfg)
		mc.APIPath = "/api"
		mc.GroupVersion = &corev1.SchemeGroupVersion
		mc.NegotiatedSerializer = serializer.NewCodecFactory(metadataScheme).WithoutConversion()
		rc, err := rest.RESTClientFor(mc)
		if err != nil {
			return nil, fmt.Errorf("building metadata client: %w", err)
		}
		p.meta = append(p.meta, rc)
	}
	return p, nil
}

// For returns the client worker should use.
func (p *clientPool) For(worker int) kubernetes.Interface {
	return p.clients[worker%len(p.clients)]
}

// MetadataFor returns the pods client of worker that decodes only the
// metadata of what it reads (see metadataScheme).
func (p *clientPool) MetadataFor(worker int) rest.Interface {
	return p.meta[worker%len(p.meta)]
}

// metadataScheme decodes a core/v1 Pod into a PartialObjectMetadata: its
// protobuf field 1 and JSON "metadata" are the Pod's, and the decoders skip
// the spec and status they have no field for. The watch phase uses it so
// that 1,000 watchers in one process cost the client little CPU.
var metadataScheme = func() *runtime.Scheme {
	s := runtime.NewScheme()
	gv := corev1.SchemeGroupVersion
	s.AddKnownTypeWithName(gv.WithKind("Pod"), &metav1.PartialObjectMetadata{})
	s.AddKnownTypeWithName(gv.WithKind("PodList"), &metav1.PartialObjectMetadataList{})
	metav1.AddToGroupVersion(s, gv)
	return s
}()

// countingRT adds the size of every response body read through it to n.
// It sits above the HTTP transport, so gzip is already undone: the count is
// the decoded body size in the negotiated content type.
type countingRT struct {
	next http.RoundTripper
	n    *atomic.Int64
}

func (c *countingRT) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := c.next.RoundTrip(req)
	if resp != nil && resp.Body != nil {
		resp.Body = &countingBody{ReadCloser: resp.Body, n: c.n}
	}
	return resp, err
}

type countingBody struct {
	io.ReadCloser
	n *atomic.Int64
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.n.Add(int64(n))
	return n, err
}
