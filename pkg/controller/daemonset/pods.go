package daemonset

import (
	"maps"
	"strconv"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/tinykube/tinykube/pkg/scheduler/plugins"
)

var kind = appsv1.SchemeGroupVersion.WithKind("DaemonSet")

// templateGenerationLabel is the deprecated label upstream still puts on
// daemon pods.
const templateGenerationLabel = "pod-template-generation"

// defaultTolerations are added to every daemon pod, as upstream does:
// daemons keep running through node trouble and on cordoned nodes.
func defaultTolerations(hostNetwork bool) []corev1.Toleration {
	ts := []corev1.Toleration{
		{Key: corev1.TaintNodeNotReady, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute},
		{Key: corev1.TaintNodeUnreachable, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute},
		{Key: corev1.TaintNodeDiskPressure, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule},
		{Key: corev1.TaintNodeMemoryPressure, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule},
		{Key: corev1.TaintNodePIDPressure, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule},
		{Key: corev1.TaintNodeUnschedulable, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule},
	}
	if hostNetwork {
		ts = append(ts, corev1.Toleration{Key: corev1.TaintNodeNetworkUnavailable, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule})
	}
	return ts
}

// addTolerations adds the defaults the pod does not already have.
func addTolerations(spec *corev1.PodSpec) {
	for _, d := range defaultTolerations(spec.HostNetwork) {
		have := false
		for _, t := range spec.Tolerations {
			if t.Key == d.Key && t.Effect == d.Effect && t.Operator == d.Operator {
				have = true
			}
		}
		if !have {
			spec.Tolerations = append(spec.Tolerations, d)
		}
	}
}

func tolerates(ts []corev1.Toleration, taint *corev1.Taint) bool {
	for _, t := range ts {
		if t.Effect != "" && t.Effect != taint.Effect {
			continue
		}
		switch {
		case t.Key == "" && t.Operator == corev1.TolerationOpExists:
			return true
		case t.Key != taint.Key:
		case t.Operator == corev1.TolerationOpExists:
			return true
		case (t.Operator == "" || t.Operator == corev1.TolerationOpEqual) && t.Value == taint.Value:
			return true
		}
	}
	return false
}

// placement says whether a daemon pod should start on node, and whether
// one already there may stay: an untolerated NoSchedule taint blocks new
// pods only; an untolerated NoExecute taint or a selector mismatch
// blocks both.
func placement(pod *corev1.Pod, node *corev1.Node) (shouldRun, mayStay bool) {
	if !plugins.MatchesNodeSelectorAndAffinity(pod, node) {
		return false, false
	}
	shouldRun, mayStay = true, true
	for i := range node.Spec.Taints {
		t := &node.Spec.Taints[i]
		if tolerates(pod.Spec.Tolerations, t) {
			continue
		}
		switch t.Effect {
		case corev1.TaintEffectNoSchedule:
			shouldRun = false
		case corev1.TaintEffectNoExecute:
			return false, false
		}
	}
	return shouldRun, mayStay
}

// newPod builds the daemon pod for node from the current template,
// labelled with hash.
func newPod(ds *appsv1.DaemonSet, hash, node string) *corev1.Pod {
	t := ds.Spec.Template.DeepCopy()
	p := &corev1.Pod{ObjectMeta: t.ObjectMeta, Spec: t.Spec}
	p.Name, p.GenerateName, p.Namespace = "", ds.Name+"-", ds.Namespace
	p.OwnerReferences = []metav1.OwnerReference{*metav1.NewControllerRef(ds, kind)}
	p.Labels = maps.Clone(p.Labels)
	if p.Labels == nil {
		p.Labels = map[string]string{}
	}
	p.Labels[appsv1.DefaultDaemonSetUniqueLabelKey] = hash
	p.Labels[templateGenerationLabel] = strconv.FormatInt(ds.Generation, 10)
	addTolerations(&p.Spec)
	pinToNode(&p.Spec, node)
	return p
}

// pinToNode makes every required node-affinity term also require
// metadata.name = node (one such term if there were none), so the
// scheduler can place the pod only there.
func pinToNode(spec *corev1.PodSpec, node string) {
	req := corev1.NodeSelectorRequirement{Key: metav1.ObjectNameField, Operator: corev1.NodeSelectorOpIn, Values: []string{node}}
	if spec.Affinity == nil {
		spec.Affinity = &corev1.Affinity{}
	}
	if spec.Affinity.NodeAffinity == nil {
		spec.Affinity.NodeAffinity = &corev1.NodeAffinity{}
	}
	na := spec.Affinity.NodeAffinity
	if na.RequiredDuringSchedulingIgnoredDuringExecution == nil || len(na.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms) == 0 {
		na.RequiredDuringSchedulingIgnoredDuringExecution = &corev1.NodeSelector{
			NodeSelectorTerms: []corev1.NodeSelectorTerm{{MatchFields: []corev1.NodeSelectorRequirement{req}}}}
		return
	}
	terms := na.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms
	for i := range terms {
		terms[i].MatchFields = []corev1.NodeSelectorRequirement{req}
	}
}

// targetNode is where a daemon pod runs or will run: spec.nodeName, or
// before scheduling the node its affinity pins it to.
func targetNode(p *corev1.Pod) string {
	if p.Spec.NodeName != "" {
		return p.Spec.NodeName
	}
	a := p.Spec.Affinity
	if a == nil || a.NodeAffinity == nil || a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution == nil {
		return ""
	}
	for _, t := range a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms {
		for _, r := range t.MatchFields {
			if r.Key == metav1.ObjectNameField && r.Operator == corev1.NodeSelectorOpIn && len(r.Values) == 1 {
				return r.Values[0]
			}
		}
	}
	return ""
}

// available reports a pod Ready for minReadySeconds; if it is ready but
// not yet long enough, wait says how long is left.
func available(p *corev1.Pod, minReady time.Duration, now time.Time) (ready, avail bool, wait time.Duration) {
	if p.DeletionTimestamp != nil || p.Status.Phase != corev1.PodRunning {
		return false, false, 0
	}
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady && c.Status == corev1.ConditionTrue {
			left := c.LastTransitionTime.Add(minReady).Sub(now)
			return true, left <= 0, max(left, 0)
		}
	}
	return false, false, 0
}
