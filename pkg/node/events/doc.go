// Package events is how the node agent tells users what it did to their
// pods: the Event reasons and messages of the upstream kubelet (v1.37,
// pkg/kubelet/events and the kuberuntime messages), an object reference
// to one container of a pod (fieldPath spec.containers{name}, as
// kubectl describe groups them), and a recorder that writes core/v1
// Events as source component "kubelet" on host <node name>, as the
// upstream kubelet still does.
//
// Real nodes record every event. Simulated nodes record only the
// failures a user must see (FailedMount, CreateContainerConfigError,
// image pull errors: pkg/node/simchecks.go) and stay silent about pods
// that run, as kwok's nodes do, so a scale run does not write five
// events per pod.
package events
