package kubeletserver

import (
	"context"
	"encoding/json"
	"net/http"
	"sort"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// Labels the agent puts on sandboxes and containers, as the kubelet does.
const (
	labelPodName       = "io.kubernetes.pod.name"
	labelPodNamespace  = "io.kubernetes.pod.namespace"
	labelPodUID        = "io.kubernetes.pod.uid"
	labelContainerName = "io.kubernetes.container.name"
)

func (s *Server) servePods(w http.ResponseWriter, _ *http.Request) {
	list := corev1.PodList{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "PodList"}}
	for _, p := range s.cfg.Pods() {
		pod := *p
		pod.TypeMeta = metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"}
		list.Items = append(list.Items, pod)
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(&list)
}

// pod returns the pod ns/name the node runs (with uid, if not empty).
func (s *Server) pod(ns, name, uid string) (*corev1.Pod, error) {
	for _, p := range s.cfg.Pods() {
		if p.Namespace == ns && p.Name == name && (uid == "" || string(p.UID) == uid) {
			return p, nil
		}
	}
	return nil, errorf(http.StatusNotFound, "pod %q not found", ns+"/"+name)
}

// containers returns the runtime's containers of the pod's container
// name, newest attempt first.
func (s *Server) containers(ctx context.Context, pod *corev1.Pod, name string) ([]*runtimeapi.Container, error) {
	cs, err := s.cfg.Runtime.ListContainers(ctx, &runtimeapi.ContainerFilter{LabelSelector: map[string]string{
		labelPodUID: string(pod.UID), labelContainerName: name}})
	if err != nil {
		return nil, err
	}
	sort.Slice(cs, func(i, j int) bool {
		ai, aj := cs[i].GetMetadata().GetAttempt(), cs[j].GetMetadata().GetAttempt()
		if ai != aj {
			return ai > aj
		}
		return cs[i].CreatedAt > cs[j].CreatedAt
	})
	return cs, nil
}

// hasContainer reports whether the pod's spec names the container
// (regular, init or ephemeral).
func hasContainer(pod *corev1.Pod, name string) bool {
	for _, c := range pod.Spec.Containers {
		if c.Name == name {
			return true
		}
	}
	for _, c := range pod.Spec.InitContainers {
		if c.Name == name {
			return true
		}
	}
	for _, c := range pod.Spec.EphemeralContainers {
		if c.Name == name {
			return true
		}
	}
	return false
}

// waitingReason returns the reason the pod status gives for the
// container waiting, or "".
func waitingReason(pod *corev1.Pod, name string) string {
	for _, list := range [][]corev1.ContainerStatus{pod.Status.ContainerStatuses, pod.Status.InitContainerStatuses, pod.Status.EphemeralContainerStatuses} {
		for _, st := range list {
			if st.Name == name && st.State.Waiting != nil {
				return st.State.Waiting.Reason
			}
		}
	}
	return ""
}

// runningContainer returns the ID of the pod's running container name,
// for exec, attach and run.
func (s *Server) runningContainer(ctx context.Context, ns, podName, uid, name string) (string, error) {
	pod, err := s.pod(ns, podName, uid)
	if err != nil {
		return "", err
	}
	if !hasContainer(pod, name) {
		return "", errorf(http.StatusBadRequest, "container %s is not valid for pod %s", name, podName)
	}
	cs, err := s.containers(ctx, pod, name)
	if err != nil {
		return "", err
	}
	if len(cs) == 0 || cs[0].State != runtimeapi.ContainerState_CONTAINER_RUNNING {
		reason := waitingReason(pod, name)
		if reason == "" {
			reason = "ContainerCreating"
		}
		if len(cs) > 0 && cs[0].State == runtimeapi.ContainerState_CONTAINER_EXITED {
			return "", errorf(http.StatusBadRequest, "container %s is not running", name)
		}
		return "", errorf(http.StatusBadRequest, "container %s is waiting to start: %s", name, reason)
	}
	return cs[0].Id, nil
}

// sandbox returns the ID of the pod's ready sandbox.
func (s *Server) sandbox(ctx context.Context, ns, podName, uid string) (string, error) {
	pod, err := s.pod(ns, podName, uid)
	if err != nil {
		return "", err
	}
	sbs, err := s.cfg.Runtime.ListPodSandbox(ctx, &runtimeapi.PodSandboxFilter{
		State:         &runtimeapi.PodSandboxStateValue{State: runtimeapi.PodSandboxState_SANDBOX_READY},
		LabelSelector: map[string]string{labelPodUID: string(pod.UID)}})
	if err != nil {
		return "", err
	}
	if len(sbs) == 0 {
		return "", errorf(http.StatusBadRequest, "pod %s has no running sandbox", podName)
	}
	return sbs[0].Id, nil
}
