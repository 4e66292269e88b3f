package node

import corev1 "k8s.io/api/core/v1"

// PodsOn returns the pods bound to the node, from the agent's informer
// cache: the node's kubelet API (/pods) lists them and looks up the pods
// of its requests there. Callers must not modify them.
func (a *Agent) PodsOn(nodeName string) []*corev1.Pod {
	pods, err := a.pods.List(everything)
	if err != nil {
		return nil
	}
	out := pods[:0:0]
	for _, p := range pods {
		if p.Spec.NodeName == nodeName {
			out = append(out, p)
		}
	}
	return out
}
