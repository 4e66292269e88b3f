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

	"github.com/tinykube/tinykube/pkg/quota"
	"github.com/tinykube/tinykube/pkg/registry/generic"
)

// Admission is upstream's ResourceQuota admission plugin; Admit is its
// step in the admission chain.
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

// Admit is the ResourceQuota admission plugin (generic.Plugin). It
// charges creates of namespaced resources, except those quota ignores
// (events), and the updates upstream charges through the main endpoint:
// a pod moving between the Terminating and NotTerminating scopes (its
// resources are otherwise immutable), a service changing type or ports,
// a claim asking for more storage.
func (a *Admission) Admit(ctx context.Context, attrs *generic.Attributes) error {
	if !attrs.Resource.Namespaced {
		return nil
	}
	gr := attrs.Resource.GVR().GroupResource()
	switch attrs.Operation {
	case generic.Create:
		if quota.Ignored(gr) {
			return nil
		}
		return a.admit(ctx, quota.For(gr), attrs.Object, attrs.DryRun)
	case generic.Update:
		if attrs.Subresource != "" {
			return nil
		}
		e := quota.For(gr)
		switch e.(type) {
		case quota.Pods, quota.Services, quota.PersistentVolumeClaims:
		default:
			return nil
		}
		if p, ok := attrs.Object.(*corev1.Pod); ok && quota.Terminating(p) == quota.Terminating(attrs.Old.(*corev1.Pod)) {
			return nil
		}
		return a.admitUpdate(ctx, e, attrs.Object, attrs.Old, attrs.DryRun)
	}
	return nil
}

// charge is what one create adds to one quota.
type charge struct {
	name      string
	requested corev1.ResourceList
}

func (a *Admission) admit(ctx context.Context, e quota.Evaluator, obj runtime.Object, dryRun bool) error {
	return a.admitUpdate(ctx, e, obj, nil, dryRun)
}

// request is one create (old nil) or update being charged.
type request struct {
	e               quota.Evaluator
	obj, old        runtime.Object
	usage, oldUsage corev1.ResourceList
}

func (a *Admission) admitUpdate(ctx context.Context, e quota.Evaluator, obj, old runtime.Object, dryRun bool) error {
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
	now := time.Now()
	r := request{e: e, obj: obj, old: old}
	if r.usage, err = e.Usage(obj, now); err != nil {
		return err
	}
	if old != nil {
		if r.oldUsage, err = e.Usage(old, now); err != nil {
			return err
		}
	}
	// A first pass over the cached quotas gives the answer (and the
	// message) almost always; the charge below rechecks against the
	// stored quota.
	charges, err := check(r, quotas)
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
		if err := a.apply(ctx, ns, c, r, forbidden); err != nil {
			if apierrors.IsNotFound(err) {
				continue // the quota went away meanwhile
			}
			a.refund(ctx, ns, charges[:i])
			return err
		}
	}
	return nil
}

// check evaluates a request against quotas: every quota that tracks
// the object must have a status, its constraints must hold, and adding
// the request's usage (for an update, what it adds to the old object's)
// must stay within status.hard. It returns what to add to each quota.
func check(r request, quotas []corev1.ResourceQuota) ([]charge, error) {
	var matched []*corev1.ResourceQuota
	for i := range quotas {
		q := &quotas[i]
		ok, err := quota.Matches(r.e, q, q.Status.Hard, r.obj)
		if err != nil {
			return nil, fmt.Errorf("error matching scopes of quota %s, err: %w", q.Name, err)
		}
		if !ok {
			continue
		}
		restricted := r.e.MatchingResources(quota.Names(q.Status.Hard))
		if err := r.e.Constraints(restricted, r.obj); err != nil {
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
	if neg := quota.Negative(r.usage); len(neg) > 0 {
		return nil, fmt.Errorf("quota usage is negative for resource(s): %s", quota.NamesString(neg))
	}
	var charges []charge
	for _, q := range matched {
		delta := r.usage
		if r.old != nil {
			// An update of an object q already counted charges the growth.
			if ok, _ := quota.Matches(r.e, q, q.Status.Hard, r.old); ok {
				delta = quota.Subtract(r.usage, r.oldUsage)
				for n, v := range delta {
					if v.Sign() < 0 {
						delta[n] = resource.Quantity{Format: v.Format}
					}
				}
			}
		}
		requested, err := exceeds(q, quota.RemoveZeros(delta))
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
func (a *Admission) apply(ctx context.Context, ns string, c charge, r request, forbidden func(error) error) error {
	_, _, err := a.Quotas.Update(ctx, ns, c.name, func(_ context.Context, cur runtime.Object) (runtime.Object, error) {
		q := cur.(*corev1.ResourceQuota)
		charges, err := check(r, []corev1.ResourceQuota{*q})
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
