package defaults

import (
	"time"

	resourcev1 "k8s.io/api/resource/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// registerResource adds the resource.k8s.io/v1 defaulters. DeviceClasses
// have no defaults.
func registerResource(s *runtime.Scheme) {
	register(s, resourceClaim, func(l *resourcev1.ResourceClaimList) []resourcev1.ResourceClaim { return l.Items })
	register(s, resourceClaimTemplate, func(l *resourcev1.ResourceClaimTemplateList) []resourcev1.ResourceClaimTemplate {
		return l.Items
	})
	register(s, resourceSlice, func(l *resourcev1.ResourceSliceList) []resourcev1.ResourceSlice { return l.Items })
	register(s, deviceTaintRule, func(l *resourcev1.DeviceTaintRuleList) []resourcev1.DeviceTaintRule { return l.Items })
}

// resourceClaim defaults the device requests and the tolerations of an
// allocation's results.
func resourceClaim(c *resourcev1.ResourceClaim) {
	deviceClaim(&c.Spec.Devices)
	if a := c.Status.Allocation; a != nil {
		for i := range a.Devices.Results {
			tolerations(a.Devices.Results[i].Tolerations)
		}
	}
}

func resourceClaimTemplate(t *resourcev1.ResourceClaimTemplate) {
	deviceClaim(&t.Spec.Spec.Devices)
}

// deviceClaim: a request (exact or one of its firstAvailable alternatives)
// without allocationMode asks for ExactCount, and ExactCount without a
// count for one device; a toleration's operator defaults to Equal.
func deviceClaim(d *resourcev1.DeviceClaim) {
	for i := range d.Requests {
		r := &d.Requests[i]
		if e := r.Exactly; e != nil {
			e.AllocationMode, e.Count = allocation(e.AllocationMode, e.Count)
			tolerations(e.Tolerations)
		}
		for j := range r.FirstAvailable {
			sub := &r.FirstAvailable[j]
			sub.AllocationMode, sub.Count = allocation(sub.AllocationMode, sub.Count)
			tolerations(sub.Tolerations)
		}
	}
}

func allocation(mode resourcev1.DeviceAllocationMode, count int64) (resourcev1.DeviceAllocationMode, int64) {
	if mode == "" {
		mode = resourcev1.DeviceAllocationModeExactCount
	}
	if mode == resourcev1.DeviceAllocationModeExactCount && count == 0 {
		count = 1
	}
	return mode, count
}

func tolerations(ts []resourcev1.DeviceToleration) {
	for i := range ts {
		if ts[i].Operator == "" {
			ts[i].Operator = resourcev1.DeviceTolerationOpEqual
		}
	}
}

// resourceSlice stamps the devices' taints with the time they were added.
func resourceSlice(s *resourcev1.ResourceSlice) {
	for i := range s.Spec.Devices {
		for j := range s.Spec.Devices[i].Taints {
			deviceTaint(&s.Spec.Devices[i].Taints[j])
		}
	}
}

func deviceTaintRule(r *resourcev1.DeviceTaintRule) {
	deviceTaint(&r.Spec.Taint)
}

// deviceTaint: a taint without timeAdded was added now (to the second,
// as upstream).
func deviceTaint(t *resourcev1.DeviceTaint) {
	if t.TimeAdded == nil {
		t.TimeAdded = &metav1.Time{Time: time.Now().Truncate(time.Second)}
	}
}
