package daemonset

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/tools/cache"

	"github.com/tinykube/tinykube/pkg/controller/history"
)

// nodeState is one node as one DaemonSet sees it.
type nodeState struct {
	node               *corev1.Node
	shouldRun, mayStay bool
	live               []*corev1.Pod // not failed, not being deleted
	failed             []*corev1.Pod
}

// plan is what one sync decided to do.
type plan struct {
	create []string // node names
	del    []*corev1.Pod
}

// sync reconciles one DaemonSet.
func (c *Controller) sync(ctx context.Context, key cache.ObjectName) error {
	cached, err := c.sets.DaemonSets(key.Namespace).Get(key.Name)
	if apierrors.IsNotFound(err) {
		c.expect.Forget(key.String())
		return nil
	}
	if err != nil || cached.DeletionTimestamp != nil {
		return err
	}
	ds := cached.DeepCopy()
	selector, err := metav1.LabelSelectorAsSelector(ds.Spec.Selector)
	if err != nil {
		return nil // validation forbids this
	}
	status := ds.Status.DeepCopy()
	if status.CollisionCount == nil {
		status.CollisionCount = new(int32(0))
	}
	owner := history.Owner{Object: ds, Kind: kind, Selector: selector, Template: &ds.Spec.Template, CollisionCount: status.CollisionCount,
		HashLabelKey: appsv1.DefaultDaemonSetUniqueLabelKey}
	revs, err := history.List(c.revisions, owner)
	if err != nil {
		return err
	}
	update, revs, err := history.Sync(ctx, c.client, owner, revs)
	if errors.Is(err, history.ErrCollision) {
		return errors.Join(err, c.writeStatus(ctx, ds, status))
	}
	if err != nil {
		return err
	}
	hash := history.HashOf(update)

	states, mine, err := c.states(ds, selector, hash)
	if err != nil {
		return err
	}
	var p plan
	if c.expect.Satisfied(key.String()) {
		p = c.decide(ds, states, hash)
	}
	applyErr := c.apply(ctx, ds, key.String(), hash, p)
	c.fillStatus(ds, status, states, hash)

	live := map[string]bool{update.Name: true}
	for _, pod := range mine {
		for _, r := range revs {
			if history.HashOf(r) == pod.Labels[appsv1.DefaultDaemonSetUniqueLabelKey] {
				live[r.Name] = true
			}
		}
	}
	limit := int32(10)
	if ds.Spec.RevisionHistoryLimit != nil {
		limit = *ds.Spec.RevisionHistoryLimit
	}
	return errors.Join(applyErr, history.Truncate(ctx, c.client, revs, live, limit), c.writeStatus(ctx, ds, status))
}

// states evaluates every node against the template and files the
// DaemonSet's pods under their nodes.
func (c *Controller) states(ds *appsv1.DaemonSet, selector labels.Selector, hash string) ([]*nodeState, []*corev1.Pod, error) {
	nodes, err := c.nodes.List(labels.Everything())
	if err != nil {
		return nil, nil, err
	}
	pods, err := c.pods.Pods(ds.Namespace).List(selector)
	if err != nil {
		return nil, nil, err
	}
	byNode := map[string]*nodeState{}
	var states []*nodeState
	slices.SortFunc(nodes, func(a, b *corev1.Node) int { return cmpString(a.Name, b.Name) })
	for _, n := range nodes {
		s := &nodeState{node: n}
		s.shouldRun, s.mayStay = placement(newPod(ds, hash, n.Name), n)
		byNode[n.Name] = s
		states = append(states, s)
	}
	var mine []*corev1.Pod
	for _, p := range pods {
		if ref := metav1.GetControllerOf(p); ref == nil || ref.UID != ds.UID {
			continue
		}
		mine = append(mine, p)
		s, ok := byNode[targetNode(p)]
		switch {
		case !ok || p.DeletionTimestamp != nil: // node gone (pod GC's business) or already going
		case p.Status.Phase == corev1.PodFailed:
			s.failed = append(s.failed, p)
		default:
			s.live = append(s.live, p)
		}
	}
	for _, s := range states {
		slices.SortFunc(s.live, func(a, b *corev1.Pod) int { return a.CreationTimestamp.Compare(b.CreationTimestamp.Time) })
	}
	return states, mine, nil
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// decide plans creations and deletions: a pod where one should run,
// none where none may stay, failed pods replaced, extra pods removed,
// then one step of the rolling update.
func (c *Controller) decide(ds *appsv1.DaemonSet, states []*nodeState, hash string) plan {
	var p plan
	surge, maxUnavailable := c.budgets(ds, states)
	for _, s := range states {
		p.del = append(p.del, s.failed...)
		switch {
		case !s.mayStay:
			p.del = append(p.del, s.live...)
		case s.shouldRun && len(s.live) == 0:
			p.create = append(p.create, s.node.Name)
		case len(s.live) > 1:
			keep := 1
			if surge > 0 && len(s.live) == 2 && (s.live[0].Labels[appsv1.DefaultDaemonSetUniqueLabelKey] == hash) !=
				(s.live[1].Labels[appsv1.DefaultDaemonSetUniqueLabelKey] == hash) {
				keep = 2 // an old and a new pod mid-surge
			}
			p.del = append(p.del, s.live[keep:]...)
		}
	}
	if ds.Spec.UpdateStrategy.Type == appsv1.OnDeleteDaemonSetStrategyType || len(p.create)+len(p.del) > 0 {
		return p
	}
	now := c.clock.Now()
	minReady := time.Duration(ds.Spec.MinReadySeconds) * time.Second
	isNew := func(pod *corev1.Pod) bool { return pod.Labels[appsv1.DefaultDaemonSetUniqueLabelKey] == hash }
	if surge == 0 {
		unavailable := 0
		for _, s := range states {
			if !s.shouldRun {
				continue
			}
			if len(s.live) == 0 {
				unavailable++
			} else if _, ok, _ := available(s.live[0], minReady, now); !ok {
				unavailable++
			}
		}
		for _, s := range states { // old and unavailable: replace at no cost
			if s.shouldRun && len(s.live) == 1 && !isNew(s.live[0]) {
				if _, ok, _ := available(s.live[0], minReady, now); !ok {
					p.del = append(p.del, s.live[0])
				}
			}
		}
		for _, s := range states {
			if unavailable >= maxUnavailable {
				break
			}
			if s.shouldRun && len(s.live) == 1 && !isNew(s.live[0]) {
				if _, ok, _ := available(s.live[0], minReady, now); ok {
					p.del = append(p.del, s.live[0])
					unavailable++
				}
			}
		}
		return p
	}
	// Surge: start the new pod beside the old, drop the old once the new
	// is available.
	surged := 0
	for _, s := range states {
		if len(s.live) == 2 {
			surged++
		}
	}
	for _, s := range states {
		if !s.shouldRun {
			continue
		}
		switch len(s.live) {
		case 1:
			if isNew(s.live[0]) {
				continue
			}
			if _, ok, _ := available(s.live[0], minReady, now); !ok {
				p.del = append(p.del, s.live[0])
			} else if surged < surge {
				p.create = append(p.create, s.node.Name)
				surged++
			}
		case 2:
			old, nu := s.live[0], s.live[1]
			if isNew(old) {
				old, nu = nu, old
			}
			if _, ok, _ := available(nu, minReady, now); ok {
				p.del = append(p.del, old)
			}
		}
	}
	return p
}

// budgets scales maxSurge and maxUnavailable against the nodes that
// should run the daemon (rounding up, as upstream).
func (c *Controller) budgets(ds *appsv1.DaemonSet, states []*nodeState) (surge, unavailable int) {
	desired := 0
	for _, s := range states {
		if s.shouldRun {
			desired++
		}
	}
	ru := ds.Spec.UpdateStrategy.RollingUpdate
	if ds.Spec.UpdateStrategy.Type == appsv1.OnDeleteDaemonSetStrategyType || ru == nil {
		return 0, 1
	}
	scaled := func(v *intstr.IntOrString) int {
		if v == nil {
			return 0
		}
		n, err := intstr.GetScaledValueFromIntOrPercent(v, desired, true)
		if err != nil {
			return 0
		}
		return n
	}
	surge, unavailable = scaled(ru.MaxSurge), scaled(ru.MaxUnavailable)
	if surge == 0 && unavailable == 0 {
		unavailable = 1
	}
	return surge, unavailable
}

// apply carries out a plan under expectations.
func (c *Controller) apply(ctx context.Context, ds *appsv1.DaemonSet, key, hash string, p plan) error {
	if len(p.create)+len(p.del) == 0 {
		return nil
	}
	c.expect.Expect(key, len(p.create), p.del)
	var errs []error
	for _, node := range p.create {
		if _, err := c.client.CoreV1().Pods(ds.Namespace).Create(ctx, newPod(ds, hash, node), metav1.CreateOptions{}); err != nil {
			c.expect.CreationObserved(key) // never to be observed
			errs = append(errs, fmt.Errorf("creating daemon pod for node %s: %w", node, err))
		}
	}
	for _, pod := range p.del {
		err := c.client.CoreV1().Pods(pod.Namespace).Delete(ctx, pod.Name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &pod.UID}})
		if err != nil {
			c.expect.DeletionObserved(key, pod)
			if !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
				errs = append(errs, fmt.Errorf("deleting pod %s/%s: %w", pod.Namespace, pod.Name, err))
			}
		}
	}
	return errors.Join(errs...)
}

// fillStatus counts nodes and pods into status.
func (c *Controller) fillStatus(ds *appsv1.DaemonSet, st *appsv1.DaemonSetStatus, states []*nodeState, hash string) {
	now := c.clock.Now()
	minReady := time.Duration(ds.Spec.MinReadySeconds) * time.Second
	var desired, current, mis, ready, avail, updated int32
	var wake time.Duration
	for _, s := range states {
		if !s.shouldRun {
			if len(s.live) > 0 {
				mis++
			}
			continue
		}
		desired++
		if len(s.live) == 0 {
			continue
		}
		current++
		var isReady, isAvail, isUpdated bool
		for _, p := range s.live {
			r, a, w := available(p, minReady, now)
			isReady, isAvail = isReady || r, isAvail || a
			if r && !a && (wake == 0 || w < wake) {
				wake = w
			}
			isUpdated = isUpdated || p.Labels[appsv1.DefaultDaemonSetUniqueLabelKey] == hash
		}
		if isReady {
			ready++
		}
		if isAvail {
			avail++
		}
		if isUpdated {
			updated++
		}
	}
	if wake > 0 {
		c.queue.AddAfter(cache.MetaObjectToName(ds), wake)
	}
	st.DesiredNumberScheduled, st.CurrentNumberScheduled, st.NumberMisscheduled = desired, current, mis
	st.NumberReady, st.NumberAvailable, st.UpdatedNumberScheduled = ready, avail, updated
	st.NumberUnavailable = max(desired-avail, 0)
	st.ObservedGeneration = ds.Generation
}

func (c *Controller) writeStatus(ctx context.Context, ds *appsv1.DaemonSet, st *appsv1.DaemonSetStatus) error {
	if apiequality.Semantic.DeepEqual(&ds.Status, st) {
		return nil
	}
	ds.Status = *st
	_, err := c.client.AppsV1().DaemonSets(ds.Namespace).UpdateStatus(ctx, ds, metav1.UpdateOptions{})
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("updating status of daemonset %s/%s: %w", ds.Namespace, ds.Name, err)
	}
	return nil
}
