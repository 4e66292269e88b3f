package validation

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

func addEphemeral(o runtime.Object, ec corev1.EphemeralContainer) {
	if ec.Image == "" {
		ec.Image = "busybox"
	}
	ec.ImagePullPolicy, ec.TerminationMessagePolicy = corev1.PullIfNotPresent, corev1.TerminationMessageReadFile
	pod(o).Spec.EphemeralContainers = append(pod(o).Spec.EphemeralContainers, ec)
}

func ephemeral(name string) corev1.EphemeralContainer {
	return corev1.EphemeralContainer{EphemeralContainerCommon: corev1.EphemeralContainerCommon{Name: name}}
}

// withEphemeral is a stored pod that already has ephemeral container dbg.
func withEphemeral(o runtime.Object) { addEphemeral(o, ephemeral("dbg")) }

var ephemeralCases = []updateCase{
	{"add", "Pod", nil, func(o runtime.Object) { addEphemeral(o, ephemeral("dbg")) }, "", ""},
	{"add targeting a container", "Pod", nil, func(o runtime.Object) {
		ec := ephemeral("dbg")
		ec.TargetContainerName = ctr(o).Name
		addEphemeral(o, ec)
	}, "", ""},
	{"add a second", "Pod", withEphemeral, func(o runtime.Object) { addEphemeral(o, ephemeral("dbg2")) }, "", ""},
	{"reorder", "Pod", func(o runtime.Object) { withEphemeral(o); addEphemeral(o, ephemeral("dbg2")) }, func(o runtime.Object) {
		ecs := pod(o).Spec.EphemeralContainers
		ecs[0], ecs[1] = ecs[1], ecs[0]
	}, "", ""},
	{"remove", "Pod", withEphemeral, func(o runtime.Object) { pod(o).Spec.EphemeralContainers = nil },
		"spec.ephemeralContainers", field.ErrorTypeForbidden},
	{"change", "Pod", withEphemeral, func(o runtime.Object) { pod(o).Spec.EphemeralContainers[0].Image = "other" },
		"spec.ephemeralContainers", field.ErrorTypeForbidden},
	{"name of a container", "Pod", nil, func(o runtime.Object) { addEphemeral(o, ephemeral(ctr(o).Name)) },
		"spec.ephemeralContainers[0].name", field.ErrorTypeDuplicate},
	{"name of another ephemeral container", "Pod", withEphemeral, func(o runtime.Object) { addEphemeral(o, ephemeral("dbg")) },
		"spec.ephemeralContainers[1].name", field.ErrorTypeDuplicate},
	{"target unknown", "Pod", nil, func(o runtime.Object) {
		ec := ephemeral("dbg")
		ec.TargetContainerName = "nope"
		addEphemeral(o, ec)
	}, "spec.ephemeralContainers[0].targetContainerName", field.ErrorTypeNotFound},
	{"ports", "Pod", nil, func(o runtime.Object) {
		ec := ephemeral("dbg")
		ec.Ports = []corev1.ContainerPort{{ContainerPort: 80, Protocol: corev1.ProtocolTCP}}
		addEphemeral(o, ec)
	}, "spec.ephemeralContainers[0].ports", field.ErrorTypeForbidden},
	{"liveness probe", "Pod", nil, func(o runtime.Object) {
		ec := ephemeral("dbg")
		ec.LivenessProbe = &corev1.Probe{ProbeHandler: corev1.ProbeHandler{Exec: &corev1.ExecAction{Command: []string{"true"}}},
			TimeoutSeconds: 1, PeriodSeconds: 10, SuccessThreshold: 1, FailureThreshold: 3}
		addEphemeral(o, ec)
	}, "spec.ephemeralContainers[0].livenessProbe", field.ErrorTypeForbidden},
	{"resources", "Pod", nil, func(o runtime.Object) {
		ec := ephemeral("dbg")
		ec.Resources.Limits = corev1.ResourceList{corev1.ResourceMemory: qty("1Gi")}
		addEphemeral(o, ec)
	}, "spec.ephemeralContainers[0].resources", field.ErrorTypeForbidden},
	{"restartPolicy", "Pod", nil, func(o runtime.Object) {
		ec := ephemeral("dbg")
		ec.RestartPolicy = ptr(corev1.ContainerRestartPolicyAlways)
		addEphemeral(o, ec)
	}, "spec.ephemeralContainers[0].restartPolicy", field.ErrorTypeForbidden},
	{"subPath", "Pod", func(o runtime.Object) {
		pod(o).Spec.Volumes = append(pod(o).Spec.Volumes, corev1.Volume{Name: "v", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}})
	}, func(o runtime.Object) {
		ec := ephemeral("dbg")
		ec.VolumeMounts = []corev1.VolumeMount{{Name: "v", MountPath: "/v", SubPath: "x"}}
		addEphemeral(o, ec)
	}, "spec.ephemeralContainers[0].volumeMounts[0].subPath", field.ErrorTypeForbidden},
}

// TestEphemeralContainersUpdate: writes through pods/ephemeralcontainers
// may add ephemeral containers and nothing else, with upstream's paths.
func TestEphemeralContainersUpdate(t *testing.T) {
	runUpdateCases(t, ephemeralCases, func(obj, old runtime.Object) field.ErrorList {
		return ValidatePodEphemeralContainersUpdate(obj.(*corev1.Pod), old.(*corev1.Pod))
	})
	// A static pod takes none (the error's path is empty).
	old := fixtures(t)["Pod"].(*corev1.Pod)
	old.Annotations = map[string]string{corev1.MirrorPodAnnotationKey: "x"}
	obj := old.DeepCopy()
	addEphemeral(obj, ephemeral("dbg"))
	if errs := ValidatePodEphemeralContainersUpdate(obj, old); len(errs) != 1 || errs[0].Detail != "static pods do not support ephemeral containers" {
		t.Errorf("static pod: %v", errs)
	}
	// Neither a create nor a plain update may set them.
	created := fixtures(t)["Pod"].(*corev1.Pod)
	addEphemeral(created, ephemeral("dbg"))
	if !hasError(ValidateCreate(created), "spec.ephemeralContainers", field.ErrorTypeForbidden) {
		t.Errorf("create with ephemeral containers: %v", ValidateCreate(created))
	}
	old = fixtures(t)["Pod"].(*corev1.Pod)
	obj = old.DeepCopy()
	addEphemeral(obj, ephemeral("dbg"))
	if !hasError(ValidateUpdate(obj, old), "spec", field.ErrorTypeForbidden) {
		t.Errorf("plain update adding an ephemeral container: %v", ValidateUpdate(obj, old))
	}
}
