package bench

import (
	"crypto/rand"
	"encoding/hex"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// Labels and annotations the benchmark pods carry.
const (
	// LabelRun holds the run ID, so that every object of one run can be
	// selected (and deleted) at once.
	LabelRun = "bench.tinykube.io/run"
	// LabelPhase says which phase created the pod (crud, list, watch).
	LabelPhase = "bench.tinykube.io/phase"
	// AnnotationSentAt is the writer's clock (RFC 3339, nanoseconds) just
	// before it sent the write; watchers measure delivery latency from it.
	AnnotationSentAt = "bench.tinykube.io/sent-at"
)

// NewRunID returns a short random identifier for namespace and key names.
func NewRunID() string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// NamespaceFor is the namespace (or etcd key segment) a run uses.
func NamespaceFor(runID string) string { return "tinykube-bench-" + runID }

// NewPod returns a realistic small pod — one container with ports, env,
// resources and probes, the usual labels — as a client would submit it.
// Fields the API server would default are set explicitly, so that the
// object has the same size whether it goes through an API server or
// straight into etcd. The pod is never scheduled: the benchmark runs with no
// nodes.
func NewPod(namespace, name, runID, phase string) *corev1.Pod {
	grace := int64(30)
	automount := false
	enableLinks := true
	prio := int32(0)
	return &corev1.Pod{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: metav1.ObjectMeta{
			Name:      name,
			Namespace: namespace,
			Labels: map[string]string{
				"app.kubernetes.io/name":      "bench",
				"app.kubernetes.io/component": "backend",
				"pod-template-hash":           "5d4f8c7b9",
				LabelRun:                      runID,
				LabelPhase:                    phase,
			},
		},
		Spec: corev1.PodSpec{
			Containers: []corev1.Container{{
				Name:  "app",
				Image: "registry.k8s.io/pause:3.10",
				Args:  []string{"--port=8080"},
				Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 8080, Protocol: corev1.ProtocolTCP}},
				Env: []corev1.EnvVar{
					{Name: "LOG_LEVEL", Value: "info"},
					{Name: "POD_NAME", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{APIVersion: "v1", FieldPath: "metadata.name"}}},
				},
				Resources: corev1.ResourceRequirements{
					Requests: corev1.ResourceList{
						corev1.ResourceCPU:    resource.MustParse("100m"),
						corev1.ResourceMemory: resource.MustParse("64Mi"),
					},
					Limits: corev1.ResourceList{
						corev1.ResourceCPU:    resource.MustParse("200m"),
						corev1.ResourceMemory: resource.MustParse("128Mi"),
					},
				},
				ReadinessProbe: &corev1.Probe{
					ProbeHandler:     corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/healthz", Port: intstr.FromString("http"), Scheme: corev1.URISchemeHTTP}},
					PeriodSeconds:    10,
					TimeoutSeconds:   1,
					SuccessThreshold: 1,
					FailureThreshold: 3,
				},
				TerminationMessagePath:   corev1.TerminationMessagePathDefault,
				TerminationMessagePolicy: corev1.TerminationMessageReadFile,
				ImagePullPolicy:          corev1.PullIfNotPresent,
			}},
			RestartPolicy:                 corev1.RestartPolicyAlways,
			TerminationGracePeriodSeconds: &grace,
			DNSPolicy:                     corev1.DNSClusterFirst,
			AutomountServiceAccountToken:  &automount,
			ServiceAccountName:            "default",
			SecurityContext:               &corev1.PodSecurityContext{},
			SchedulerName:                 corev1.DefaultSchedulerName,
			EnableServiceLinks:            &enableLinks,
			Priority:                      &prio,
			Tolerations: []corev1.Toleration{
				{Key: "node.kubernetes.io/not-ready", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute, TolerationSeconds: ptr(int64(300))},
				{Key: "node.kubernetes.io/unreachable", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute, TolerationSeconds: ptr(int64(300))},
			},
		},
	}
}

// StampSentAt sets AnnotationSentAt on pod to now and returns now.
func StampSentAt(pod *corev1.Pod) time.Time {
	now := time.Now()
	if pod.Annotations == nil {
		pod.Annotations = map[string]string{}
	}
	pod.Annotations[AnnotationSentAt] = now.Format(time.RFC3339Nano)
	return now
}

// SentAt parses AnnotationSentAt; ok is false when it is absent or invalid.
func SentAt(obj metav1.Object) (t time.Time, ok bool) {
	s, found := obj.GetAnnotations()[AnnotationSentAt]
	if !found {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	return t, err == nil
}

func ptr[T any](v T) *T { return &v }
