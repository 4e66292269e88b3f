package resourcequota

import (
	"context"
	"fmt"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/tinykube/tinykube/pkg/quota"
	"github.com/tinykube/tinykube/pkg/registry/generic"
)

// Admission is upstream's ResourceQuota admission plugin, for creates.
// Updates are not charged: pod resources are immutable, and the other
// charged updates upstream knows (a service changing type, a claim
// growing, a pod gaining an active deadline) are recounted by the
// controller's next resync.
type Admission struct {
	// Quotas is the resourcequotas store. Quotas are read from its watch
	// cache (generic.Store.ListFromCache) and charged through it.
	Quotas *generic.Store

	mu    sync.Mutex
	locks map[string]*nsLock
}

type nsLock struct {
	sync.Mutex
	users int
}

// For returns the BeforeCreate hook charging creates of gr, or nil for
// resources quota ignores (events).
func (a *Admission) For(gr schema.GroupResource) func(context.Context, runtime.Object, bool) error {
	if quota.Ignored(gr) {
		return nil
	}
	e := quota.For(gr)
	return func(ctx context.Context, obj runtime.Object, dryRun bool) error {
		return a.admit(ctx, e, obj, dryRun)
	}
}

// charge is what one create adds to one quota.
type charge struct {
	name      string
	requested corev1.ResourceList
}

func (a *Admission) admit(ctx context.Context, e quota.Evaluator, obj runtime.Object, dryRun bool) error {
	m, err := meta.Accessor(obj)
	if err != nil {
		return err
	}
	ns := m.GetNamespace()
	list, err := a.Quotas.ListFromCache(ctx, ns)
	if err != nil {
		return fmt.Errorf("listing resource quotas: %w", err)
	}
	quotas := list.(*corev1.ResourceQuotaList).Items
	if len(quotas) == 0 {
		return nil
	}
	forbidden := func(err error) error {
		return apierrors.NewForbidden(e.GroupResource(), m.GetName(), err)
	}
	usage, err := e.Usage(obj, time.Now())
	if err != nil {
		return err
	}
	// A first pass over the cached quotas gives the answer (and the
	// message) almost always; the charge below rechecks against the
	// stored quota.
	charges, err := check(e, quotas, obj, usage)
	if err != nil {
		return forbidden(err)
	}
	if dryRun || len(charges) == 0 {
		return nil
	}
	// Creates in one namespace charge one at a time on this server, so
	// they do not fail each other's compare-and-swap; other servers (and
	// the controller) are kept out by the compare-and-swap itself.
	unlock := a.lock(ns)
	defer unlock()
	for i, c := range charges {
		if err := a.apply(ctx, ns, c, e, obj, usage, forbidden); err != nil {
			if apierrors.IsNotFound(err) {
				continue // the quota went away meanwhile
			}
			a.refund(ctx, ns, charges[:i])
			return err
		}
	}
	return nil
}

// check evaluates obj (costing usage) against quotas: every quota that
// tracks it must have a status, its constraints must hold, and adding
// usage must stay within status.hard. It returns what to add to each.
func check(e quota.Evaluator, quotas []corev1.ResourceQuota, obj runtime.Object, usage corev1.ResourceList) ([]charge, error) {
	var matched []*corev1.ResourceQuota
	for i := range quotas {
		q := &quotas[i]
		ok, err := quota.Matches(e, q, q.Status.Hard, obj)
		if err != nil {
			return nil, fmt.Errorf("error matching scopes of quota %s, err: %w", q.Name, err)
		}
		if !ok {
			continue
		}
		restricted := e.MatchingResources(quota.Names(q.Status.Hard))
		if err := e.Constraints(restricted, obj); err != nil {
			return nil, fmt.Errorf("failed quota: %s: %w", q.Name, err)
		}
		for _, n := range restricted {
			if _, ok := q.Status.Used[n]; !ok {
				return nil, fmt.Errorf("status unknown for quota: %s, resources: %s", q.Name, quota.NamesString(restricted))
			}
		}
		matched = append(matched, q)
	}
	if len(matched) == 0 {
		return nil, nil
	}
	if neg := quota.Negative(usage); len(neg) > 0 {
		return nil, fmt.Errorf("quota usage is negative for resource(s): %s", quota.NamesString(neg))
	}
	usage = quota.RemoveZeros(usage)
	var charges []charge
	for _, q := range matched {
		requested, err := exceeds(q, usage)
		if err != nil {
			return nil, err
		}
		if len(requested) > 0 {
			charges = append(charges, charge{name: q.Name, requested: requested})
		}
	}
	return charges, nil
}

// exceeds returns the part of usage q tracks, or upstream's "exceeded
// quota" error if adding it passes q's hard limits.
func exceeds(q *corev1.ResourceQuota, usage corev1.ResourceList) (corev1.ResourceList, error) {
	requested := quota.Mask(usage, quota.Names(q.Status.Hard))
	if len(requested) == 0 {
		return nil, nil
	}
	used := quota.Add(q.Status.Used, requested)
	if ok, over := quota.LessThanOrEqual(quota.Mask(used, quota.Names(requested)), q.Status.Hard); !ok {
		return nil, fmt.Errorf("exceeded quota: %s, requested: %s, used: %s, limited: %s", q.Name,
			quota.String(quota.Mask(requested, over)), quota.String(quota.Mask(q.Status.Used, over)),
			quota.String(quota.Mask(q.Status.Hard, over)))
	}
	return requested, nil
}

// apply adds obj's usage to the stored quota's status.used by
// compare-and-swap, rechecking it against the stored quota (which may
// have moved since the cached read).
func (a *Admission) apply(ctx context.Context, ns string, c charge, e quota.Evaluator, obj runtime.Object,
	usage corev1.ResourceList, forbidden func(error) error) error {
	_, _, err := a.Quotas.Update(ctx, ns, c.name, func(_ context.Context, cur runtime.Object) (runtime.Object, error) {
		q := cur.(*corev1.ResourceQuota)
		charges, err := check(e, []corev1.ResourceQuota{*q}, obj, usage)
		if err != nil {
			return nil, forbidden(err)
		}
		if len(charges) == 0 {
			return cur, nil // no longer tracks obj
		}
		q.Status.Used = quota.Add(q.Status.Used, charges[0].requested)
		return q, nil
	}, a.statusUpdate())
	return err
}

// refund takes back charges already made for a create that was refused
// after all (best effort: the controller's resync corrects what fails).
func (a *Admission) refund(ctx context.Context, ns string, charges []charge) {
	for _, c := range charges {
		_, _, _ = a.Quotas.Update(ctx, ns, c.name, func(_ context.Context, cur runtime.Object) (runtime.Object, error) {
			q := cur.(*corev1.ResourceQuota)
			used := quota.Subtract(q.Status.Used, quota.Mask(c.requested, quota.Names(q.Status.Used)))
			for n, v := range used {
				if v.Sign() < 0 {
					used[n] = resource.Quantity{Format: v.Format}
				}
			}
			q.Status.Used = used
			return q, nil
		}, a.statusUpdate())
	}
}

func (a *Admission) statusUpdate() generic.UpdateOptions {
	return generic.UpdateOptions{Strategy: generic.StatusStrategy{Strategy: a.Quotas.Strategy}}
}

// lock serializes charges in namespace ns on this server.
func (a *Admission) lock(ns string) (unlock func()) {
	a.mu.Lock()
	if a.locks == nil {
		a.locks = map[string]*nsLock{}
	}
	l := a.locks[ns]
	if l == nil {
		l = &nsLock{}
		a.locks[ns] = l
	}
	l.users++
	a.mu.Unlock()
	l.Lock()
	return func() {
		l.Unlock()
		a.mu.Lock()
		if l.users--; l.users == 0 {
			delete(a.locks, ns)
		}
		a.mu.Unlock()
	}
}
