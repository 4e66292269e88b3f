package pod

import (
	"context"
	"errors"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/tinykube/tinykube/pkg/registry/generic"
)

// LimitRanger is upstream's LimitRanger admission for pods, on create:
// every LimitRange of the pod's namespace first fills each container's
// missing limits (spec.limits[].default) and requests (defaultRequest)
// for type Container, then checks min, max and maxLimitRequestRatio per
// container (type Container) and summed over the pod (type Pod). A pod
// out of range is Forbidden with upstream's messages.
type LimitRanger struct {
	LimitRanges *generic.Store
}

// Admit admits a pod create (the LimitRanger plugin of
// pkg/registry/admission.go).
func (l LimitRanger) Admit(ctx context.Context, obj runtime.Object, _ bool) error {
	pod, ok := obj.(*corev1.Pod)
	if !ok {
		return nil
	}
	list, err := l.LimitRanges.ListFromCache(ctx, pod.Namespace)
	if err != nil {
		return fmt.Errorf("listing limit ranges: %w", err)
	}
	ranges := list.(*corev1.LimitRangeList).Items
	if len(ranges) == 0 {
		return nil
	}
	for i := range ranges {
		for _, item := range ranges[i].Spec.Limits {
			if item.Type == corev1.LimitTypeContainer {
				applyDefaults(pod.Spec.InitContainers, item)
				applyDefaults(pod.Spec.Containers, item)
			}
		}
	}
	var errs []error
	for i := range ranges {
		for _, item := range ranges[i].Spec.Limits {
			switch item.Type {
			case corev1.LimitTypeContainer:
				for _, cs := range [][]corev1.Container{pod.Spec.InitContainers, pod.Spec.Containers} {
					for _, c := range cs {
						errs = append(errs, checkRange("Container", item, c.Resources.Requests, c.Resources.Limits)...)
					}
				}
			case corev1.LimitTypePod:
				req, lim := podTotals(pod)
				errs = append(errs, checkRange("Pod", item, req, lim)...)
			}
		}
	}
	if len(errs) > 0 {
		return apierrors.NewForbidden(schema.GroupResource{Resource: "pods"}, pod.Name, errors.Join(errs...))
	}
	// Defaults are filled after validation: a default request above the
	// container's own limit must still be refused.
	for _, cs := range [][]corev1.Container{pod.Spec.InitContainers, pod.Spec.Containers} {
		for _, c := range cs {
			for name, req := range c.Resources.Requests {
				if lim, ok := c.Resources.Limits[name]; ok && req.Cmp(lim) > 0 {
					return apierrors.NewForbidden(schema.GroupResource{Resource: "pods"}, pod.Name,
						fmt.Errorf("container %s: %s request %s from a LimitRange default is above its limit %s", c.Name, name, req.String(), lim.String()))
				}
			}
		}
	}
	return nil
}

// applyDefaults sets the item's default limits and requests on the
// containers that do not name those resources.
func applyDefaults(cs []corev1.Container, item corev1.LimitRangeItem) {
	for i := range cs {
		r := &cs[i].Resources
		for name, q := range item.Default {
			if _, ok := r.Limits[name]; !ok {
				if r.Limits == nil {
					r.Limits = corev1.ResourceList{}
				}
				r.Limits[name] = q.DeepCopy()
			}
		}
		for name, q := range item.DefaultRequest {
			if _, ok := r.Requests[name]; !ok {
				if r.Requests == nil {
					r.Requests = corev1.ResourceList{}
				}
				r.Requests[name] = q.DeepCopy()
			}
		}
	}
}

// podTotals sums the pod's container requests and limits; init
// containers run one at a time, so each counts as the pod's usage if it
// is larger than the sum.
func podTotals(pod *corev1.Pod) (req, lim corev1.ResourceList) {
	req, lim = corev1.ResourceList{}, corev1.ResourceList{}
	for _, c := range pod.Spec.Containers {
		addTo(req, c.Resources.Requests)
		addTo(lim, c.Resources.Limits)
	}
	for _, c := range pod.Spec.InitContainers {
		maxInto(req, c.Resources.Requests)
		maxInto(lim, c.Resources.Limits)
	}
	return req, lim
}

func addTo(sum, l corev1.ResourceList) {
	for k, v := range l {
		q := sum[k]
		q.Add(v)
		sum[k] = q
	}
}

func maxInto(sum, l corev1.ResourceList) {
	for k, v := range l {
		if q, ok := sum[k]; !ok || v.Cmp(q) > 0 {
			sum[k] = v.DeepCopy()
		}
	}
}

// checkRange is upstream's min/max/ratio check for one LimitRangeItem.
func checkRange(kind string, item corev1.LimitRangeItem, req, lim corev1.ResourceList) []error {
	var errs []error
	for name, min := range item.Min {
		r, hasReq := req[name]
		l, hasLim := lim[name]
		switch {
		case !hasReq:
			errs = append(errs, fmt.Errorf("minimum %s usage per %s is %s.  No request is specified", name, kind, min.String()))
		case r.Cmp(min) < 0:
			errs = append(errs, fmt.Errorf("minimum %s usage per %s is %s, but request is %s", name, kind, min.String(), r.String()))
		}
		if hasLim && l.Cmp(min) < 0 {
			errs = append(errs, fmt.Errorf("minimum %s usage per %s is %s, but limit is %s", name, kind, min.String(), l.String()))
		}
	}
	for name, max := range item.Max {
		r, hasReq := req[name]
		l, hasLim := lim[name]
		switch {
		case !hasLim:
			errs = append(errs, fmt.Errorf("maximum %s usage per %s is %s.  No limit is specified", name, kind, max.String()))
		case l.Cmp(max) > 0:
			errs = append(errs, fmt.Errorf("maximum %s usage per %s is %s, but limit is %s", name, kind, max.String(), l.String()))
		}
		if hasReq && r.Cmp(max) > 0 {
			errs = append(errs, fmt.Errorf("maximum %s usage per %s is %s, but request is %s", name, kind, max.String(), r.String()))
		}
	}
	for name, ratio := range item.MaxLimitRequestRatio {
		r, hasReq := req[name]
		l, hasLim := lim[name]
		if !hasReq || !hasLim || r.IsZero() {
			if hasLim && !l.IsZero() {
				errs = append(errs, fmt.Errorf("%s max limit to request ratio per %s is %s, but no request is specified or request is 0", name, kind, ratio.String()))
			}
			continue
		}
		// Compare limit/request with the ratio in milli-units.
		got := l.MilliValue() * 1000 / r.MilliValue()
		if got > ratio.MilliValue() {
			errs = append(errs, fmt.Errorf("%s max limit to request ratio per %s is %s, but provided ratio is %s", name, kind,
				ratio.String(), resource.NewMilliQuantity(got, resource.DecimalSI).String()))
		}
	}
	return errs
}
