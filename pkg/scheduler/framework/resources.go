package framework

import (
	corev1 "k8s.io/api/core/v1"
)

// Defaults counted for a pod that requests no CPU or memory, when
// scoring only, so that best-effort pods still spread (upstream's
// non-zero requests).
const (
	DefaultMilliCPURequest int64 = 100
	DefaultMemoryRequest   int64 = 200 * 1024 * 1024
)

// Resource is an amount of each schedulable resource.
type Resource struct {
	MilliCPU         int64
	Memory           int64
	EphemeralStorage int64
	// AllowedPods is the node's pod capacity (allocatable only).
	AllowedPods int64
	// Scalar holds extended resources (example.com/gpu, hugepages-…).
	Scalar map[corev1.ResourceName]int64
}

// ResourceFromList converts a ResourceList.
func ResourceFromList(rl corev1.ResourceList) Resource {
	var r Resource
	r.Add(rl)
	return r
}

// Add adds every quantity of rl to r.
func (r *Resource) Add(rl corev1.ResourceList) {
	for name, q := range rl {
		switch name {
		case corev1.ResourceCPU:
			r.MilliCPU += q.MilliValue()
		case corev1.ResourceMemory:
			r.Memory += q.Value()
		case corev1.ResourceEphemeralStorage:
			r.EphemeralStorage += q.Value()
		case corev1.ResourcePods:
			r.AllowedPods += q.Value()
		default:
			if isScalar(name) {
				if r.Scalar == nil {
					r.Scalar = map[corev1.ResourceName]int64{}
				}
				r.Scalar[name] += q.Value()
			}
		}
	}
}

// Plus adds o to r.
func (r *Resource) Plus(o Resource) {
	r.MilliCPU += o.MilliCPU
	r.Memory += o.Memory
	r.EphemeralStorage += o.EphemeralStorage
	for k, v := range o.Scalar {
		if r.Scalar == nil {
			r.Scalar = map[corev1.ResourceName]int64{}
		}
		r.Scalar[k] += v
	}
}

// Minus subtracts o from r.
func (r *Resource) Minus(o Resource) {
	r.MilliCPU -= o.MilliCPU
	r.Memory -= o.Memory
	r.EphemeralStorage -= o.EphemeralStorage
	for k, v := range o.Scalar {
		if r.Scalar != nil {
			r.Scalar[k] -= v
		}
	}
}

// maxWith raises each amount of r to o's where o's is larger.
func (r *Resource) maxWith(o Resource) {
	r.MilliCPU = max(r.MilliCPU, o.MilliCPU)
	r.Memory = max(r.Memory, o.Memory)
	r.EphemeralStorage = max(r.EphemeralStorage, o.EphemeralStorage)
	for k, v := range o.Scalar {
		if r.Scalar == nil {
			r.Scalar = map[corev1.ResourceName]int64{}
		}
		r.Scalar[k] = max(r.Scalar[k], v)
	}
}

// Clone returns a deep copy.
func (r Resource) Clone() Resource {
	if r.Scalar != nil {
		m := make(map[corev1.ResourceName]int64, len(r.Scalar))
		for k, v := range r.Scalar {
			m[k] = v
		}
		r.Scalar = m
	}
	return r
}

// isScalar: extended resources (with a domain) and hugepages.
func isScalar(name corev1.ResourceName) bool {
	s := string(name)
	if len(s) > 10 && s[:10] == "hugepages-" {
		return true
	}
	for _, c := range s {
		if c == '/' {
			return len(s) < 21 || s[:21] != "requests.kubernetes.io"
		}
	}
	return false
}

// PodRequests is what a pod needs on a node while it runs: its
// containers' requests summed, raised to what any init container needs
// while it runs (with the sidecars started before it), plus the pod
// overhead. Pod-level resources, when set, replace the CPU and memory
// computed from containers.
func PodRequests(pod *corev1.Pod) Resource {
	var containers, sidecars, initPeak Resource
	for _, c := range pod.Spec.Containers {
		containers.Add(c.Resources.Requests)
	}
	for _, c := range pod.Spec.InitContainers {
		if c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways {
			sidecars.Add(c.Resources.Requests)
			initPeak.maxWith(sidecars)
			continue
		}
		running := sidecars.Clone()
		running.Add(c.Resources.Requests)
		initPeak.maxWith(running)
	}
	total := containers
	total.Plus(sidecars)
	total.maxWith(initPeak)
	if pr := pod.Spec.Resources; pr != nil {
		if q, ok := pr.Requests[corev1.ResourceCPU]; ok {
			total.MilliCPU = q.MilliValue()
		}
		if q, ok := pr.Requests[corev1.ResourceMemory]; ok {
			total.Memory = q.Value()
		}
	}
	total.Add(pod.Spec.Overhead)
	return total
}

// NonZero returns r with CPU and memory raised to the scoring defaults
// when they are zero.
func (r Resource) NonZero() Resource {
	if r.MilliCPU == 0 {
		r.MilliCPU = DefaultMilliCPURequest
	}
	if r.Memory == 0 {
		r.Memory = DefaultMemoryRequest
	}
	return r
}
