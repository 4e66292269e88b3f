package service

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"

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

// PrepareForUpdate keeps what the server allocated when an update leaves
// it out (kubectl apply does), as upstream's patchAllocatedValues.
func (s Strategy) PrepareForUpdate(ctx context.Context, obj, old runtime.Object) {
	s.Default.PrepareForUpdate(ctx, obj, old)
	svc, o := obj.(*corev1.Service), old.(*corev1.Service)
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

func needsClusterIP(s *corev1.Service) bool { return s.Spec.Type != corev1.ServiceTypeExternalName }

func needsNodePorts(s *corev1.Service) bool {
	return s.Spec.Type == corev1.ServiceTypeNodePort || s.Spec.Type == corev1.ServiceTypeLoadBalancer
}
