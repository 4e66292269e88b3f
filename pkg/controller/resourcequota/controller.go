package resourcequota

import (
	"context"
	"errors"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"

	"github.com/tinykube/tinykube/pkg/controller"
	"github.com/tinykube/tinykube/pkg/quota"
)

// Config tunes the controller.
type Config struct {
	// ResyncPeriod is how often every quota is recounted (upstream's
	// --resource-quota-sync-period, 5m).
	ResyncPeriod time.Duration
	// Now is the clock (pods past their deletion grace period stop
	// counting).
	Now func() time.Time
}

// DefaultConfig returns upstream's defaults.
func DefaultConfig() Config { return Config{ResyncPeriod: 5 * time.Minute, Now: time.Now} }

// Validate reports a config the controller cannot run with.
func (c Config) Validate() error {
	if c.ResyncPeriod <= 0 {
		return errors.New("resourcequota: ResyncPeriod must be positive")
	}
	if c.Now == nil {
		return errors.New("resourcequota: Now must be set")
	}
	return nil
}

// Controller keeps ResourceQuota status current.
type Controller struct {
	cfg      Config
	client   kubernetes.Interface
	metadata metadata.Interface
	quotas   corelisters.ResourceQuotaLister
	// typed lists a namespace's objects of the resources read from the
	// shared informers.
	typed    map[schema.GroupResource]func(ns string) ([]runtime.Object, error)
	monitors *monitors
	synced   []cache.InformerSynced
	queue    workqueue.TypedRateLimitingInterface[cache.ObjectName]
}

var _ controller.Runner = (*Controller)(nil)

// New builds the controller with DefaultConfig on the shared informers.
func New(ctx context.Context, cc controller.Context) (controller.Runner, error) {
	cfg := DefaultConfig()
	cfg.Now = cc.ClockOrReal().Now
	return NewWithConfig(ctx, cc, cfg)
}

// NewWithConfig builds the controller on the shared informers.
func NewWithConfig(_ context.Context, cc controller.Context, cfg Config) (*Controller, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	core := cc.Informers.Core().V1()
	c := &Controller{
		cfg: cfg, client: cc.Client, metadata: cc.Metadata, quotas: core.ResourceQuotas().Lister(),
		queue: controller.NewClockedQueue[cache.ObjectName]("resourcequota", cc.Clock),
	}
	c.monitors = newMonitors(cc, c.replenish)
	pods, services, claims := core.Pods(), core.Services(), core.PersistentVolumeClaims()
	configMaps, rcs := core.ConfigMaps(), core.ReplicationControllers()
	c.typed = map[schema.GroupResource]func(string) ([]runtime.Object, error){
		{Resource: "pods"}: listOf(func(ns string) ([]*corev1.Pod, error) { return pods.Lister().Pods(ns).List(labels.Everything()) }),
		{Resource: "services"}: listOf(func(ns string) ([]*corev1.Service, error) {
			return services.Lister().Services(ns).List(labels.Everything())
		}),
		{Resource: "persistentvolumeclaims"}: listOf(func(ns string) ([]*corev1.PersistentVolumeClaim, error) {
			return claims.Lister().PersistentVolumeClaims(ns).List(labels.Everything())
		}),
		{Resource: "configmaps"}: listOf(func(ns string) ([]*corev1.ConfigMap, error) {
			return configMaps.Lister().ConfigMaps(ns).List(labels.Everything())
		}),
		{Resource: "replicationcontrollers"}: listOf(func(ns string) ([]*corev1.ReplicationController, error) {
			return rcs.Lister().ReplicationControllers(ns).List(labels.Everything())
		}),
		{Resource: "resourcequotas"}: listOf(func(ns string) ([]*corev1.ResourceQuota, error) {
			return c.quotas.ResourceQuotas(ns).List(labels.Everything())
		}),
	}
	informers := map[schema.GroupResource]cache.SharedIndexInformer{
		{Resource: "pods"}: pods.Informer(), {Resource: "services"}: services.Informer(),
		{Resource: "persistentvolumeclaims"}: claims.Informer(), {Resource: "configmaps"}: configMaps.Informer(),
		{Resource: "replicationcontrollers"}: rcs.Informer(),
	}
	quotaInf := core.ResourceQuotas().Informer()
	c.synced = append(c.synced, quotaInf.HasSynced)
	for gr, inf := range informers {
		c.synced = append(c.synced, inf.HasSynced)
		if _, err := inf.AddEventHandler(c.replenishHandler(gr)); err != nil {
			return nil, err
		}
	}
	_, err := quotaInf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: controller.EnqueueName(c.queue),
		UpdateFunc: func(old, cur any) {
			o, n := old.(*corev1.ResourceQuota), cur.(*corev1.ResourceQuota)
			// Status writes (admission's charges, ours) do not trigger a
			// recount; see doc.go.
			if !quota.Equals(o.Spec.Hard, n.Spec.Hard) || !quota.Equals(n.Spec.Hard, n.Status.Hard) {
				c.queue.Add(cache.MetaObjectToName(n))
			}
		},
		DeleteFunc: func(obj any) {
			if q, ok := controller.Unwrap[*corev1.ResourceQuota](obj); ok {
				c.replenish(schema.GroupResource{Resource: "resourcequotas"}, q.Namespace, 0)
			}
		},
	})
	return c, err
}

func listOf[T runtime.Object](list func(ns string) ([]T, error)) func(string) ([]runtime.Object, error) {
	return func(ns string) ([]runtime.Object, error) {
		items, err := list(ns)
		out := make([]runtime.Object, len(items))
		for i, o := range items {
			out[i] = o
		}
		return out, err
	}
}

// replenishHandler recounts the quotas of an object's namespace when it
// is deleted or its usage changes.
func (c *Controller) replenishHandler(gr schema.GroupResource) cache.ResourceEventHandlerFuncs {
	e := quota.For(gr)
	return cache.ResourceEventHandlerFuncs{
		UpdateFunc: func(old, cur any) {
			o, n := old.(runtime.Object), cur.(runtime.Object)
			now := c.cfg.Now()
			ou, err1 := e.Usage(o, now)
			nu, err2 := e.Usage(n, now)
			op, _ := o.(*corev1.Pod)
			np, _ := n.(*corev1.Pod)
			if err1 != nil || err2 != nil || !quota.Equals(ou, nu) || (np != nil && quota.Terminating(op) != quota.Terminating(np)) {
				c.replenish(gr, namespaceOf(n), 0)
			}
			// A pod being deleted stops counting when its grace period
			// ends, without an event.
			if np != nil && np.DeletionTimestamp != nil && np.DeletionGracePeriodSeconds != nil && quota.Charged(np, now) {
				end := np.DeletionTimestamp.Add(time.Duration(*np.DeletionGracePeriodSeconds) * time.Second)
				c.replenish(gr, np.Namespace, end.Sub(now)+time.Second)
			}
		},
		DeleteFunc: func(obj any) {
			if o, ok := controller.Unwrap[runtime.Object](obj); ok {
				c.replenish(gr, namespaceOf(o), 0)
			}
		},
	}
}

// replenish queues (after delay) the quotas of ns that track gr.
func (c *Controller) replenish(gr schema.GroupResource, ns string, delay time.Duration) {
	list, err := c.quotas.ResourceQuotas(ns).List(labels.Everything())
	if err != nil {
		return
	}
	e := quota.For(gr)
	for _, q := range list {
		if len(e.MatchingResources(quota.Names(q.Spec.Hard))) > 0 {
			c.queue.AddAfter(cache.MetaObjectToName(q), delay)
		}
	}
}

// Run waits for the caches, then runs workers and the periodic full
// resync until ctx ends.
func (c *Controller) Run(ctx context.Context, workers int) {
	c.monitors.start(ctx)
	go wait.UntilWithContext(ctx, func(context.Context) { c.enqueueAll() }, c.cfg.ResyncPeriod)
	controller.RunWorkers(ctx, "resourcequota", c.queue, c.synced, workers, c.sync)
}

func (c *Controller) enqueueAll() {
	list, err := c.quotas.List(labels.Everything())
	if err != nil {
		return
	}
	for _, q := range list {
		c.queue.Add(cache.MetaObjectToName(q))
	}
}

// sync recounts one quota.
func (c *Controller) sync(ctx context.Context, key cache.ObjectName) error {
	if _, err := c.quotas.ResourceQuotas(key.Namespace).Get(key.Name); apierrors.IsNotFound(err) {
		return nil
	}
	// The quota itself is read from the server: the informer's copy may
	// predate a charge admission just made, and comparing against it
	// could skip a needed write.
	q, err := c.client.CoreV1().ResourceQuotas(key.Namespace).Get(ctx, key.Name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	used, err := c.usage(q, c.list)
	if lowers(used, q.Status.Used) {
		// The informers may not yet hold what admission just charged:
		// a lower count is confirmed against the server before it gives
		// units back.
		used, err = c.usage(q, func(gr schema.GroupResource, ns string) ([]runtime.Object, error) {
			return c.liveList(ctx, gr, ns)
		})
	}
	status := corev1.ResourceQuotaStatus{Hard: quota.Add(nil, q.Spec.Hard), Used: used}
	if q.Status.Hard != nil && q.Status.Used != nil && quota.Equals(status.Hard, q.Status.Hard) && quota.Equals(status.Used, q.Status.Used) {
		return err
	}
	q = q.DeepCopy()
	q.Status = status
	_, uerr := c.client.CoreV1().ResourceQuotas(q.Namespace).UpdateStatus(ctx, q, metav1.UpdateOptions{})
	if apierrors.IsNotFound(uerr) {
		return err
	}
	if uerr != nil {
		return uerr // a conflict (admission charged meanwhile) recounts
	}
	return err
}

// usage counts q's namespace for every resource in q's hard. A resource
// that cannot be counted now keeps its last observed value.
func (c *Controller) usage(q *corev1.ResourceQuota, list func(gr schema.GroupResource, ns string) ([]runtime.Object, error)) (corev1.ResourceList, error) {
	names := quota.Names(q.Spec.Hard)
	used := quota.Mask(q.Status.Used, names)
	resources := map[schema.GroupResource]bool{}
	for _, n := range names {
		if gr, ok := quota.Measuring(n); ok {
			resources[gr] = true
		}
	}
	now := c.cfg.Now()
	var errs []error
	for gr := range resources {
		e := quota.For(gr)
		tracked := e.MatchingResources(names)
		objs, err := list(gr, q.Namespace)
		if errors.Is(err, errNotServed) {
			continue
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		sum := corev1.ResourceList{}
		for _, n := range tracked {
			sum[n] = zero()
		}
		for _, obj := range objs {
			in, err := quota.InScope(e, q, obj)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			if !in {
				continue
			}
			u, err := e.Usage(obj, now)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			sum = quota.Add(sum, quota.Mask(u, tracked))
		}
		for _, n := range tracked {
			used[n] = sum[n]
		}
	}
	return used, errors.Join(errs...)
}

// list returns the objects of gr in ns.
func (c *Controller) list(gr schema.GroupResource, ns string) ([]runtime.Object, error) {
	if list, ok := c.typed[gr]; ok {
		return list(ns)
	}
	list, err := c.monitors.lister(gr)
	if err != nil {
		return nil, fmt.Errorf("counting %s: %w", gr, err)
	}
	return list(ns)
}

// lowers reports whether used is below old for some name.
func lowers(used, old corev1.ResourceList) bool {
	for n, v := range used {
		if o, ok := old[n]; ok && v.Cmp(o) < 0 {
			return true
		}
	}
	return false
}

// liveList lists gr in ns from the server (a consistent read), not from
// an informer.
func (c *Controller) liveList(ctx context.Context, gr schema.GroupResource, ns string) ([]runtime.Object, error) {
	opts := metav1.ListOptions{}
	switch gr {
	case schema.GroupResource{Resource: "pods"}:
		l, err := c.client.CoreV1().Pods(ns).List(ctx, opts)
		return items(l, err, func(l *corev1.PodList) []corev1.Pod { return l.Items })
	case schema.GroupResource{Resource: "services"}:
		l, err := c.client.CoreV1().Services(ns).List(ctx, opts)
		return items(l, err, func(l *corev1.ServiceList) []corev1.Service { return l.Items })
	case schema.GroupResource{Resource: "persistentvolumeclaims"}:
		l, err := c.client.CoreV1().PersistentVolumeClaims(ns).List(ctx, opts)
		return items(l, err, func(l *corev1.PersistentVolumeClaimList) []corev1.PersistentVolumeClaim { return l.Items })
	}
	if c.metadata == nil {
		return c.list(gr, ns)
	}
	gvr, err := c.monitors.gvr(gr)
	if err != nil {
		return nil, err
	}
	l, err := c.metadata.Resource(gvr).Namespace(ns).List(ctx, opts)
	return items(l, err, func(l *metav1.PartialObjectMetadataList) []metav1.PartialObjectMetadata { return l.Items })
}

func items[L any, T any, PT interface {
	*T
	runtime.Object
}](l L, err error, get func(L) []T) ([]runtime.Object, error) {
	if err != nil {
		return nil, err
	}
	all := get(l)
	out := make([]runtime.Object, len(all))
	for i := range all {
		out[i] = PT(&all[i])
	}
	return out, nil
}

func namespaceOf(obj runtime.Object) string {
	m, err := meta.Accessor(obj)
	if err != nil {
		return ""
	}
	return m.GetNamespace()
}

func zero() resource.Quantity { return resource.Quantity{Format: resource.DecimalSI} }
