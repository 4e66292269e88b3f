package node

import (
	"context"
	"log/slog"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"
)

// clusterDNSService is the Service whose ClusterIP is the pods'
// nameserver when --cluster-dns is not given, as kubeadm configures the
// kubelet: the cluster DNS of `tinykube server`, or an addon's.
const clusterDNSService = "kube-dns"

// clusterDNS follows kube-system/kube-dns with an informer, so that a
// node started before the API answers, or before the Service exists,
// gives the pods created once it does the cluster DNS (upstream's
// kubelet has it in its config from the start). Servers is safe for
// concurrent use.
type clusterDNS struct {
	logger *slog.Logger
	mu     sync.Mutex
	ip     string // the Service's ClusterIP; "" when there is none
}

// followClusterDNS starts following the Service until ctx ends and waits
// up to wait for the first list, so that a node whose API answers starts
// with the cluster DNS; nil without a REST config.
func followClusterDNS(ctx context.Context, rc *rest.Config, wait time.Duration, logger *slog.Logger) (*clusterDNS, error) {
	if rc == nil {
		return nil, nil
	}
	client, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return nil, err
	}
	c := &clusterDNS{logger: logger}
	lw := cache.NewListWatchFromClient(client.CoreV1().RESTClient(), "services", metav1.NamespaceSystem,
		fields.OneTermEqualSelector("metadata.name", clusterDNSService))
	_, informer := cache.NewInformerWithOptions(cache.InformerOptions{
		ListerWatcher: lw,
		ObjectType:    &corev1.Service{},
		Handler: cache.ResourceEventHandlerFuncs{
			AddFunc:    func(obj any) { c.set(obj) },
			UpdateFunc: func(_, obj any) { c.set(obj) },
			DeleteFunc: func(any) { c.set(nil) },
		},
	})
	go informer.RunWithContext(ctx)
	waitCtx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	if !cache.WaitForCacheSync(waitCtx.Done(), informer.HasSynced) {
		logger.Info("cluster DNS: kube-system/kube-dns not listed yet; pods use the host's resolv.conf until it is")
	} else if c.Servers() == nil {
		logger.Info("no cluster DNS for pods yet: no kube-system/kube-dns ClusterIP; pods use the host's resolv.conf until there is one")
	}
	return c, nil
}

func (c *clusterDNS) set(obj any) {
	ip := ""
	if svc, ok := obj.(*corev1.Service); ok && svc.Spec.ClusterIP != corev1.ClusterIPNone {
		ip = svc.Spec.ClusterIP
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if ip != c.ip {
		c.logger.Info("cluster DNS for pods", "clusterDNS", ip)
		c.ip = ip
	}
}

// Servers is the pods' cluster DNS now: the Service's ClusterIP, or
// none.
func (c *clusterDNS) Servers() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ip == "" {
		return nil
	}
	return []string{c.ip}
}
