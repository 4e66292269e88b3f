package disruption

import (
	"context"
	"math"
	"time"

	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	policylisters "k8s.io/client-go/listers/policy/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"

	"github.com/tinykube/tinykube/pkg/controller"
	"github.com/tinykube/tinykube/pkg/controller/podcontrol"
)

// DeletionTimeout is how long an evicted pod counts as disrupted while
// its deletion has not been observed (upstream's value).
const DeletionTimeout = 2 * time.Minute

// Controller keeps PodDisruptionBudget status current.
type Controller struct {
	client kubernetes.Interface
	pdbs   policylisters.PodDisruptionBudgetLister
	pods   corelisters.PodLister
	synced []cache.InformerSynced
	now    func() time.Time
	queue  workqueue.TypedRateLimitingInterface[cache.ObjectName]
}

var _ controller.Runner = (*Controller)(nil)

// New builds the controller on the shared informers.
func New(_ context.Context, cc controller.Context) (controller.Runner, error) {
	pdbInf := cc.Informers.Policy().V1().PodDisruptionBudgets()
	podInf := cc.Informers.Core().V1().Pods()
	c := &Controller{
		client: cc.Client, pdbs: pdbInf.Lister(), pods: podInf.Lister(), now: cc.ClockOrReal().Now,
		synced: []cache.InformerSynced{pdbInf.Informer().HasSynced, podInf.Informer().HasSynced},
		queue:  controller.NewClockedQueue[cache.ObjectName]("disruption", cc.Clock),
	}
	enqueuePDB := func(obj any) {
		if m, ok := obj.(metav1.Object); ok {
			c.queue.Add(cache.MetaObjectToName(m))
		}
	}
	if _, err := pdbInf.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: enqueuePDB, UpdateFunc: func(_, obj any) { enqueuePDB(obj) },
	}); err != nil {
		return nil, err
	}
	_, err := podInf.Informer().AddEventHandler(controller.PodSelectorHandler(c.queue, c.budgetsFor))
	return c, err
}

// budgetsFor returns the budgets in ns covering a pod by its labels or
// its old labels.
func (c *Controller) budgetsFor(ns string, podLabels, oldLabels map[string]string) []cache.ObjectName {
	list, err := c.pdbs.PodDisruptionBudgets(ns).List(labels.Everything())
	if err != nil {
		return nil
	}
	var keys []cache.ObjectName
	for _, pdb := range list {
		sel, err := metav1.LabelSelectorAsSelector(pdb.Spec.Selector)
		if err != nil || sel.Empty() {
			continue
		}
		if sel.Matches(labels.Set(podLabels)) || (oldLabels != nil && sel.Matches(labels.Set(oldLabels))) {
			keys = append(keys, cache.MetaObjectToName(pdb))
		}
	}
	return keys
}

// Run waits for the caches, then runs workers until ctx ends.
func (c *Controller) Run(ctx context.Context, workers int) {
	controller.RunWorkers(ctx, "disruption", c.queue, c.synced, workers, c.sync)
}

// sync recomputes one budget's status.
func (c *Controller) sync(ctx context.Context, key cache.ObjectName) error {
	pdb, err := c.pdbs.PodDisruptionBudgets(key.Namespace).Get(key.Name)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	var pods []*corev1.Pod
	sel, err := metav1.LabelSelectorAsSelector(pdb.Spec.Selector)
	if err == nil && !sel.Empty() {
		if pods, err = c.pods.Pods(pdb.Namespace).List(sel); err != nil {
			return err
		}
	}
	status, recheck := c.status(pdb, pods)
	if recheck > 0 {
		c.queue.AddAfter(key, recheck)
	}
	if equality.Semantic.DeepEqual(pdb.Status, status) {
		return nil
	}
	pdb = pdb.DeepCopy()
	pdb.Status = status
	_, err = c.client.PolicyV1().PodDisruptionBudgets(pdb.Namespace).UpdateStatus(ctx, pdb, metav1.UpdateOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	return err // a conflict (an eviction raced us) retries
}

// status computes pdb's status from the pods its selector matches.
// recheck is when the next disruptedPods entry expires (0: none).
func (c *Controller) status(pdb *policyv1.PodDisruptionBudget, pods []*corev1.Pod) (policyv1.PodDisruptionBudgetStatus, time.Duration) {
	now := c.now()
	byName := map[string]*corev1.Pod{}
	for _, p := range pods {
		byName[p.Name] = p
	}
	// Evicted pods whose deletion is not visible yet are not healthy.
	var disrupted map[string]metav1.Time
	var recheck time.Duration
	for name, at := range pdb.Status.DisruptedPods {
		p := byName[name]
		if p == nil || p.DeletionTimestamp != nil {
			continue
		}
		left := at.Add(DeletionTimeout).Sub(now)
		if left <= 0 {
			continue
		}
		if disrupted == nil {
			disrupted = map[string]metav1.Time{}
		}
		disrupted[name] = at
		if recheck == 0 || left < recheck {
			recheck = left
		}
	}
	var expected, healthy int32
	for _, p := range pods {
		if p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed {
			continue
		}
		expected++
		if _, gone := disrupted[p.Name]; p.DeletionTimestamp == nil && !gone && podcontrol.IsReady(p) {
			healthy++
		}
	}
	desired := desiredHealthy(pdb.Spec, expected)
	allowed := max(healthy-desired, 0)
	st := policyv1.PodDisruptionBudgetStatus{
		ObservedGeneration: pdb.Generation, DisruptedPods: disrupted,
		ExpectedPods: expected, CurrentHealthy: healthy, DesiredHealthy: desired, DisruptionsAllowed: allowed,
		Conditions: append([]metav1.Condition(nil), pdb.Status.Conditions...),
	}
	cond := metav1.Condition{Type: policyv1.DisruptionAllowedCondition, Status: metav1.ConditionTrue,
		Reason: policyv1.SufficientPodsReason, ObservedGeneration: pdb.Generation}
	if allowed == 0 {
		cond.Status, cond.Reason = metav1.ConditionFalse, policyv1.InsufficientPodsReason
	}
	// SetStatusCondition keeps the transition time unless status flips.
	meta.SetStatusCondition(&st.Conditions, cond)
	return st, recheck
}

// desiredHealthy is how many healthy pods the budget needs out of
// expected: minAvailable as is (percent rounded up), or expected minus
// maxUnavailable (percent rounded up); neither means none.
func desiredHealthy(spec policyv1.PodDisruptionBudgetSpec, expected int32) int32 {
	switch {
	case spec.MinAvailable != nil:
		return scaled(*spec.MinAvailable, expected)
	case spec.MaxUnavailable != nil:
		return max(expected-scaled(*spec.MaxUnavailable, expected), 0)
	}
	return 0
}

// scaled resolves an int-or-percent against total, rounding up.
func scaled(v intstr.IntOrString, total int32) int32 {
	if v.Type == intstr.Int {
		return v.IntVal
	}
	n, err := intstr.GetScaledValueFromIntOrPercent(&v, int(total), true)
	if err != nil || n < 0 || n > math.MaxInt32 {
		return total // an unparsable percent protects everything
	}
	return int32(n)
}
