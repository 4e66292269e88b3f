package service

import (
	"context"
	"slices"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"

	"github.com/tinykube/tinykube/pkg/api"
	"github.com/tinykube/tinykube/pkg/registry/generic"
)

// Strategy is the services strategy.
type Strategy struct{ generic.Default }

var _ generic.Strategy = Strategy{}

// NewStrategy returns the services strategy.
func NewStrategy(r api.Resource) Strategy {
	return Strategy{generic.Default{Resource: r, ExtraFields: selectableFields}}
}

// selectableFields are the service fields upstream lets clients select
// on (the kubelet lists services with spec.clusterIP!=None).
func selectableFields(obj runtime.Object) fields.Set {
	s := obj.(*corev1.Service)
	return fields.Set{"spec.clusterIP": s.Spec.ClusterIP, "spec.type": string(s.Spec.Type)}
}

// PrepareForUpdate drops what the new type no longer uses and keeps what
// the server allocated when an update leaves it out (kubectl apply does),
// as upstream's patchAllocatedValues.
func (s Strategy) PrepareForUpdate(ctx context.Context, obj, old runtime.Object) {
	s.Default.PrepareForUpdate(ctx, obj, old)
	svc, o := obj.(*corev1.Service), old.(*corev1.Service)
	dropTypeDependentFields(svc, o)
	if needsClusterIP(svc) && needsClusterIP(o) {
		if svc.Spec.ClusterIP == "" {
			svc.Spec.ClusterIP = o.Spec.ClusterIP
		}
		if len(svc.Spec.ClusterIPs) == 0 && svc.Spec.ClusterIP == o.Spec.ClusterIP {
			svc.Spec.ClusterIPs = o.Spec.ClusterIPs
		}
		if len(svc.Spec.IPFamilies) == 0 {
			svc.Spec.IPFamilies = o.Spec.IPFamilies
		}
		if svc.Spec.IPFamilyPolicy == nil {
			svc.Spec.IPFamilyPolicy = o.Spec.IPFamilyPolicy
		}
	}
	if needsNodePorts(svc) && needsNodePorts(o) {
		for i := range svc.Spec.Ports {
			p := &svc.Spec.Ports[i]
			if p.NodePort != 0 {
				continue
			}
			for _, op := range o.Spec.Ports {
				if op.Port == p.Port && op.Protocol == p.Protocol {
					p.NodePort = op.NodePort
				}
			}
		}
	}
}

// dropTypeDependentFields clears, on a change of type, the fields the new
// type does not use, as upstream does: only those the client left as they
// were (the server may have filled them in). A value the client changed
// stays, for validation to judge. The allocator releases what is cleared
// once the update is stored.
func dropTypeDependentFields(svc, old *corev1.Service) {
	n, o := &svc.Spec, &old.Spec
	if needsClusterIP(old) && !needsClusterIP(svc) {
		if n.ClusterIP == o.ClusterIP && slices.Equal(n.ClusterIPs, o.ClusterIPs) {
			n.ClusterIP, n.ClusterIPs = "", nil
		}
		if slices.Equal(n.IPFamilies, o.IPFamilies) {
			n.IPFamilies = nil
		}
		if ptr.Equal(n.IPFamilyPolicy, o.IPFamilyPolicy) {
			n.IPFamilyPolicy = nil
		}
	}
	if needsNodePorts(old) && !needsNodePorts(svc) && slices.Equal(nodePorts(svc), nodePorts(old)) {
		for i := range n.Ports {
			n.Ports[i].NodePort = 0
		}
	}
	if needsHealthCheckNodePort(old) && !needsHealthCheckNodePort(svc) && n.HealthCheckNodePort == o.HealthCheckNodePort {
		n.HealthCheckNodePort = 0
	}
	if o.Type == corev1.ServiceTypeLoadBalancer && n.Type != corev1.ServiceTypeLoadBalancer {
		if n.AllocateLoadBalancerNodePorts != nil && o.AllocateLoadBalancerNodePorts != nil &&
			*n.AllocateLoadBalancerNodePorts == *o.AllocateLoadBalancerNodePorts {
			n.AllocateLoadBalancerNodePorts = nil
		}
		if ptr.Equal(n.LoadBalancerClass, o.LoadBalancerClass) {
			n.LoadBalancerClass = nil
		}
	}
	if externallyAccessible(old) && !externallyAccessible(svc) && n.ExternalTrafficPolicy == o.ExternalTrafficPolicy {
		n.ExternalTrafficPolicy = ""
	}
	if n.Type != corev1.ServiceTypeLoadBalancer {
		svc.Status.LoadBalancer = corev1.LoadBalancerStatus{}
	}
}

// externallyAccessible: reachable from outside the cluster, as upstream's
// ExternallyAccessible (a NodePort or LoadBalancer, or a ClusterIP with
// externalIPs).
func externallyAccessible(s *corev1.Service) bool {
	return s.Spec.Type == corev1.ServiceTypeLoadBalancer || s.Spec.Type == corev1.ServiceTypeNodePort ||
		(s.Spec.Type == corev1.ServiceTypeClusterIP && len(s.Spec.ExternalIPs) > 0)
}

func needsHealthCheckNodePort(s *corev1.Service) bool {
	return s.Spec.Type == corev1.ServiceTypeLoadBalancer && s.Spec.ExternalTrafficPolicy == corev1.ServiceExternalTrafficPolicyLocal
}

func needsClusterIP(s *corev1.Service) bool { return s.Spec.Type != corev1.ServiceTypeExternalName }

func needsNodePorts(s *corev1.Service) bool {
	return s.Spec.Type == corev1.ServiceTypeNodePort || s.Spec.Type == corev1.ServiceTypeLoadBalancer
}
