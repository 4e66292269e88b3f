package clusterroleaggregation

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sort"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/kubernetes"
	rbaclisters "k8s.io/client-go/listers/rbac/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"

	"github.com/tinykube/tinykube/pkg/controller"
)

// Controller fills aggregated ClusterRoles.
type Controller struct {
	client   kubernetes.Interface
	roles    rbaclisters.ClusterRoleLister
	informer cache.SharedIndexInformer
	queue    workqueue.TypedRateLimitingInterface[string]
	logger   *slog.Logger
}

var _ controller.Runner = (*Controller)(nil)

// New builds the controller on the shared ClusterRole informer.
func New(_ context.Context, cc controller.Context) (controller.Runner, error) {
	inf := cc.Informers.Rbac().V1().ClusterRoles()
	c := &Controller{client: cc.Client, roles: inf.Lister(), informer: inf.Informer(),
		queue: controller.NewClockedQueue[string]("clusterrole-aggregation", cc.ClockOrReal()), logger: cc.Logger}
	if c.logger == nil {
		c.logger = slog.Default()
	}
	// Any change may change what a selector matches: requeue every
	// aggregated role.
	requeue := func(any) { c.enqueueAggregated() }
	_, err := c.informer.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: requeue, UpdateFunc: func(_, obj any) { requeue(obj) }, DeleteFunc: requeue,
	})
	return c, err
}

func (c *Controller) enqueueAggregated() {
	all, err := c.roles.List(labels.Everything())
	if err != nil {
		return
	}
	for _, r := range all {
		if r.AggregationRule != nil {
			c.queue.Add(r.Name)
		}
	}
}

// Run waits for the informer, then runs workers until ctx ends.
func (c *Controller) Run(ctx context.Context, workers int) {
	controller.RunWorkers(ctx, "clusterrole-aggregation", c.queue, []cache.InformerSynced{c.informer.HasSynced}, workers, c.sync)
}

func (c *Controller) sync(ctx context.Context, name string) error {
	role, err := c.roles.Get(name)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if role.AggregationRule == nil {
		return nil
	}
	rules, err := c.aggregate(role)
	if err != nil {
		return err
	}
	if equality.Semantic.DeepEqual(rules, role.Rules) {
		return nil
	}
	updated := role.DeepCopy() // never mutate the cache's object
	updated.Rules = rules
	if _, err := c.client.RbacV1().ClusterRoles().Update(ctx, updated, metav1.UpdateOptions{FieldManager: "clusterrole-aggregation-controller"}); err != nil {
		return fmt.Errorf("aggregating ClusterRole %s: %w", name, err)
	}
	c.logger.DebugContext(ctx, "clusterrole-aggregation: updated rules", "clusterrole", name, "rules", len(rules))
	return nil
}

// aggregate returns the rules of every other ClusterRole a selector of
// role matches, in name order, each rule once.
func (c *Controller) aggregate(role *rbacv1.ClusterRole) ([]rbacv1.PolicyRule, error) {
	matched := map[string]*rbacv1.ClusterRole{}
	for i := range role.AggregationRule.ClusterRoleSelectors {
		sel, err := metav1.LabelSelectorAsSelector(&role.AggregationRule.ClusterRoleSelectors[i])
		if err != nil {
			c.logger.Warn("clusterrole-aggregation: bad selector", "clusterrole", role.Name, "err", err)
			continue
		}
		found, err := c.roles.List(sel)
		if err != nil {
			return nil, err
		}
		for _, r := range found {
			if r.Name != role.Name {
				matched[r.Name] = r
			}
		}
	}
	names := make([]string, 0, len(matched))
	for n := range matched {
		names = append(names, n)
	}
	sort.Strings(names)
	rules := []rbacv1.PolicyRule{}
	for _, n := range names {
		for _, r := range matched[n].Rules {
			if !slices.ContainsFunc(rules, func(have rbacv1.PolicyRule) bool { return equality.Semantic.DeepEqual(have, r) }) {
				rules = append(rules, *r.DeepCopy())
			}
		}
	}
	return rules, nil
}
