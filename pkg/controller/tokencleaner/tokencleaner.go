package tokencleaner

import (
	"context"
	"fmt"
	"log/slog"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/utils/clock"

	"github.com/tinykube/tinykube/pkg/auth/bootstraptoken"
	"github.com/tinykube/tinykube/pkg/controller"
)

// Controller deletes expired bootstrap token Secrets.
type Controller struct {
	client   kubernetes.Interface
	secrets  corelisters.SecretLister
	informer cache.SharedIndexInformer
	queue    workqueue.TypedRateLimitingInterface[string]
	clock    clock.Clock
	logger   *slog.Logger
}

var _ controller.Runner = (*Controller)(nil)

// New builds the tokencleaner. It watches only kube-system's token
// Secrets, with an informer of its own (as upstream's), rather than every
// Secret of the cluster.
func New(_ context.Context, cc controller.Context) (controller.Runner, error) {
	factory := bootstraptoken.InformerFactory(cc.Client)
	inf := factory.Core().V1().Secrets()
	c := &Controller{client: cc.Client, secrets: inf.Lister(), informer: inf.Informer(),
		queue: controller.NewClockedQueue[string]("tokencleaner", cc.Clock), clock: cc.ClockOrReal(), logger: cc.Logger}
	if c.logger == nil {
		c.logger = slog.Default()
	}
	enqueue := func(obj any) {
		if s, ok := controller.Unwrap[*corev1.Secret](obj); ok {
			c.queue.Add(s.Name)
		}
	}
	_, err := c.informer.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: enqueue, UpdateFunc: func(_, obj any) { enqueue(obj) },
	})
	return c, err
}

// Run starts the informer, waits for it, then runs workers until ctx ends.
func (c *Controller) Run(ctx context.Context, workers int) {
	go c.informer.Run(ctx.Done())
	controller.RunWorkers(ctx, "tokencleaner", c.queue, []cache.InformerSynced{c.informer.HasSynced}, workers, c.sync)
}

func (c *Controller) sync(ctx context.Context, name string) error {
	s, err := c.secrets.Secrets(bootstraptoken.Namespace).Get(name)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	t, err := bootstraptoken.FromSecret(s)
	if err != nil || t.Expires.IsZero() {
		return nil // not a token we can read, or one that never expires
	}
	if now := c.clock.Now(); !t.Expired(now) {
		c.queue.AddAfter(name, t.Expires.Sub(now))
		return nil
	}
	err = c.client.CoreV1().Secrets(bootstraptoken.Namespace).Delete(ctx, name,
		metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &s.UID}})
	if apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
		return nil // gone, or replaced by a new Secret of that name
	}
	if err != nil {
		return fmt.Errorf("deleting expired bootstrap token %s: %w", name, err)
	}
	c.logger.InfoContext(ctx, "tokencleaner: deleted an expired bootstrap token", "secret", name, "expired", t.Expires)
	return nil
}
