package bootstrapsigner

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/utils/clock"

	"github.com/tinykube/tinykube/pkg/auth/bootstraptoken"
	"github.com/tinykube/tinykube/pkg/controller"
)

// The signed ConfigMap and the key signed.
const (
	ClusterInfo    = "cluster-info"
	ClusterInfoKey = "kubeconfig"
)

// Controller keeps cluster-info's signatures in step with the tokens.
type Controller struct {
	client     kubernetes.Interface
	configMaps corelisters.ConfigMapLister
	secrets    corelisters.SecretLister
	informers  []cache.SharedIndexInformer
	// queue holds one key: there is one ConfigMap to sign.
	queue  workqueue.TypedRateLimitingInterface[string]
	clock  clock.Clock
	logger *slog.Logger
}

var _ controller.Runner = (*Controller)(nil)

// New builds the signer, with informers of its own on kube-public's
// ConfigMaps and kube-system's token Secrets (not every ConfigMap and
// Secret of the cluster).
func New(_ context.Context, cc controller.Context) (controller.Runner, error) {
	public := informers.NewSharedInformerFactoryWithOptions(cc.Client, 0, informers.WithNamespace(metav1.NamespacePublic))
	tokens := bootstraptoken.InformerFactory(cc.Client)
	cms, secrets := public.Core().V1().ConfigMaps(), tokens.Core().V1().Secrets()
	c := &Controller{client: cc.Client, configMaps: cms.Lister(), secrets: secrets.Lister(),
		informers: []cache.SharedIndexInformer{cms.Informer(), secrets.Informer()},
		queue:     controller.NewClockedQueue[string]("bootstrapsigner", cc.Clock), clock: cc.ClockOrReal(), logger: cc.Logger}
	if c.logger == nil {
		c.logger = slog.Default()
	}
	enqueue := func(any) { c.queue.Add(ClusterInfo) }
	handler := cache.ResourceEventHandlerFuncs{AddFunc: enqueue, UpdateFunc: func(_, o any) { enqueue(o) }, DeleteFunc: enqueue}
	for _, inf := range c.informers {
		if _, err := inf.AddEventHandler(handler); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// Run starts the informers, waits for them, then runs one worker (there
// is one object) until ctx ends.
func (c *Controller) Run(ctx context.Context, _ int) {
	var synced []cache.InformerSynced
	for _, inf := range c.informers {
		go inf.Run(ctx.Done())
		synced = append(synced, inf.HasSynced)
	}
	controller.RunWorkers(ctx, "bootstrapsigner", c.queue, synced, 1, c.sync)
}

func (c *Controller) sync(ctx context.Context, _ string) error {
	cm, err := c.configMaps.ConfigMaps(metav1.NamespacePublic).Get(ClusterInfo)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	content, ok := cm.Data[ClusterInfoKey]
	if !ok {
		return nil
	}
	want, next, err := c.signatures(content)
	if err != nil {
		return err
	}
	if next > 0 {
		c.queue.AddAfter(ClusterInfo, next) // a token expires then
	}
	have := map[string]string{}
	for k, v := range cm.Data {
		if strings.HasPrefix(k, bootstraptoken.JWSKeyPrefix) {
			have[k] = v
		}
	}
	if maps.Equal(have, want) {
		return nil
	}
	cm = cm.DeepCopy()
	for k := range have {
		delete(cm.Data, k)
	}
	maps.Copy(cm.Data, want)
	_, err = c.client.CoreV1().ConfigMaps(metav1.NamespacePublic).Update(ctx, cm, metav1.UpdateOptions{})
	if apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
		return nil // the informer brings the new state, and the key back
	}
	if err != nil {
		return fmt.Errorf("updating %s/%s signatures: %w", metav1.NamespacePublic, ClusterInfo, err)
	}
	return nil
}

// signatures are the jws-kubeconfig-* entries content should have, and
// how long until the first of the signing tokens expires (0: none does).
func (c *Controller) signatures(content string) (map[string]string, time.Duration, error) {
	secrets, err := c.secrets.Secrets(bootstraptoken.Namespace).List(labels.Everything())
	if err != nil {
		return nil, 0, err
	}
	now := c.clock.Now()
	want := map[string]string{}
	var next time.Duration
	for _, s := range secrets {
		t, err := bootstraptoken.FromSecret(s)
		if err != nil || s.DeletionTimestamp != nil || t.Expired(now) || !t.Allows(bootstraptoken.UsageSigning) {
			continue
		}
		want[bootstraptoken.JWSKeyPrefix+t.ID] = bootstraptoken.DetachedSignature(content, t.ID, string(s.Data[bootstraptoken.KeyTokenSecret]))
		if !t.Expires.IsZero() {
			if d := t.Expires.Sub(now); next == 0 || d < next {
				next = d
			}
		}
	}
	return want, next, nil
}
