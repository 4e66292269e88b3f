package endpoint

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
)

// What the endpoints and endpointslice controllers share: which pods back
// a Service and on which port.

// ResolvePort returns the container port a service port targets on pod:
// a number as is (the port itself when unset), a name looked up among the
// pod's container ports with the same protocol. ok is false when the pod
// has no port of that name.
func ResolvePort(pod *corev1.Pod, sp corev1.ServicePort) (port int32, ok bool) {
	tp := sp.TargetPort
	switch {
	case tp.Type == intstr.String && tp.StrVal != "":
		for _, c := range pod.Spec.Containers {
			for _, p := range c.Ports {
				if p.Name == tp.StrVal && protocol(p.Protocol) == protocol(sp.Protocol) {
					return p.ContainerPort, true
				}
			}
		}
		return 0, false
	case tp.Type == intstr.Int && tp.IntVal != 0:
		return tp.IntVal, true
	}
	return sp.Port, true
}

func protocol(p corev1.Protocol) corev1.Protocol {
	if p == "" {
		return corev1.ProtocolTCP
	}
	return p
}

// IncludePod reports whether pod belongs in a Service's endpoints at
// all: it has an IP and is not finished; terminating pods only when
// includeTerminating (the endpointslice controller reports them with the
// terminating condition; Endpoints leave them out unless the service
// publishes not-ready addresses).
func IncludePod(pod *corev1.Pod, includeTerminating bool) bool {
	if pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed {
		return false
	}
	if pod.Status.PodIP == "" && len(pod.Status.PodIPs) == 0 {
		return false
	}
	return includeTerminating || pod.DeletionTimestamp == nil
}

// SetHostname reports whether pod's endpoint carries its hostname: it
// names itself and sets svc as its subdomain (headless DNS records).
func SetHostname(pod *corev1.Pod, svc *corev1.Service) bool {
	return pod.Spec.Hostname != "" && pod.Spec.Subdomain == svc.Name && pod.Namespace == svc.Namespace
}

// ServicesForPod returns the services in namespace ns whose selector
// matches any of the label sets given (a pod's old and new labels).
func ServicesForPod(services corelisters.ServiceLister, ns string, sets ...map[string]string) []cache.ObjectName {
	list, err := services.Services(ns).List(labels.Everything())
	if err != nil {
		return nil
	}
	var keys []cache.ObjectName
	for _, svc := range list {
		if svc.Spec.Selector == nil {
			continue
		}
		sel := labels.SelectorFromValidatedSet(svc.Spec.Selector)
		for _, set := range sets {
			if sel.Matches(labels.Set(set)) {
				keys = append(keys, cache.MetaObjectToName(svc))
				break
			}
		}
	}
	return keys
}
