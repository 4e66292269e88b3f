package pod

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/tinykube/tinykube/pkg/api"
	"github.com/tinykube/tinykube/pkg/registry/generic"
)

// Strategy is the pods strategy.
type Strategy struct{ generic.Default }

var (
	_ generic.Strategy              = Strategy{}
	_ generic.GracefulDeleter       = Strategy{}
	_ generic.SubresourceStrategist = Strategy{}
)

// NewStrategy returns the pods strategy for resource r.
func NewStrategy(r api.Resource) Strategy {
	return Strategy{generic.Default{Resource: r, ExtraFields: selectableFields}}
}

// selectableFields are the pod fields upstream lets clients select on.
func selectableFields(obj runtime.Object) fields.Set {
	p := obj.(*corev1.Pod)
	return fields.Set{
		"spec.nodeName":            p.Spec.NodeName,
		"spec.restartPolicy":       string(p.Spec.RestartPolicy),
		"spec.schedulerName":       p.Spec.SchedulerName,
		"spec.serviceAccountName":  p.Spec.ServiceAccountName,
		"spec.hostNetwork":         boolString(p.Spec.HostNetwork),
		"status.phase":             string(p.Status.Phase),
		"status.podIP":             p.Status.PodIP,
		"status.nominatedNodeName": p.Status.NominatedNodeName,
	}
}

func boolString(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

// PrepareForCreate starts every pod Pending with QoS class computed and
// the default not-ready/unreachable tolerations added, as upstream does.
func (s Strategy) PrepareForCreate(ctx context.Context, obj runtime.Object) {
	p := obj.(*corev1.Pod)
	p.Status = corev1.PodStatus{Phase: corev1.PodPending, QOSClass: qosClass(p)}
	addDefaultTolerations(p)
}

// PrepareForUpdate keeps the status, as every resource with a status
// subresource does, and gives the updated pod the default
// not-ready/unreachable tolerations again if the client left them out:
// upstream's DefaultTolerationSeconds admission runs on update as on
// create, so an update that sets tolerations to a new list adds to the
// defaults rather than removing them (which validation forbids).
func (s Strategy) PrepareForUpdate(ctx context.Context, obj, old runtime.Object) {
	s.Default.PrepareForUpdate(ctx, obj, old)
	addDefaultTolerations(obj.(*corev1.Pod))
}

// GracePeriod: unscheduled and terminal pods go at once; pods on a node
// wait for the node to confirm, for the requested period or the pod's
// terminationGracePeriodSeconds.
func (s Strategy) GracePeriod(obj runtime.Object, opts *metav1.DeleteOptions) (int64, bool) {
	p := obj.(*corev1.Pod)
	if p.Spec.NodeName == "" || p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed {
		return 0, false
	}
	grace := int64(corev1.DefaultTerminationGracePeriodSeconds)
	if p.Spec.TerminationGracePeriodSeconds != nil {
		grace = *p.Spec.TerminationGracePeriodSeconds
	}
	if opts.GracePeriodSeconds != nil {
		grace = *opts.GracePeriodSeconds
	}
	if grace <= 0 {
		return 0, false
	}
	return grace, true
}

// qosClass computes the pod's QoS class from its containers' resources.
func qosClass(p *corev1.Pod) corev1.PodQOSClass {
	requests, limits := 0, 0
	guaranteed := true
	containers := append(append([]corev1.Container{}, p.Spec.InitContainers...), p.Spec.Containers...)
	for _, c := range containers {
		for _, name := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
			req, hasReq := c.Resources.Requests[name]
			lim, hasLim := c.Resources.Limits[name]
			if hasReq && !req.IsZero() {
				requests++
			}
			if hasLim && !lim.IsZero() {
				limits++
			}
			if !hasLim || (hasReq && req.Cmp(lim) != 0) {
				guaranteed = false
			}
		}
	}
	switch {
	case requests == 0 && limits == 0:
		return corev1.PodQOSBestEffort
	case guaranteed:
		return corev1.PodQOSGuaranteed
	}
	return corev1.PodQOSBurstable
}
