package serviceaccount

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

// TestMountToken: the volume is added once, reused when the pod already
// has a kube-api-access-* volume, and not added when every container
// mounts something at the token path already.
func TestMountToken(t *testing.T) {
	c := func(mounts ...corev1.VolumeMount) corev1.Container {
		return corev1.Container{Name: "c", VolumeMounts: mounts}
	}
	own := corev1.VolumeMount{Name: "own", MountPath: MountPath}
	cases := []struct {
		name        string
		pod         corev1.PodSpec
		wantVolumes int    // after admission
		wantName    string // of the mount, when known
	}{
		{"plain", corev1.PodSpec{Containers: []corev1.Container{c(), c()}}, 1, ""},
		{"existing volume reused", corev1.PodSpec{Containers: []corev1.Container{c()},
			Volumes: []corev1.Volume{{Name: "kube-api-access-abcde"}}}, 1, "kube-api-access-abcde"},
		{"all mount their own", corev1.PodSpec{Containers: []corev1.Container{c(own)}}, 0, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			pod := &corev1.Pod{Spec: tc.pod}
			mountToken(pod)
			if len(pod.Spec.Volumes) != tc.wantVolumes {
				t.Fatalf("volumes = %+v", pod.Spec.Volumes)
			}
			for _, ctr := range pod.Spec.Containers {
				m := ctr.VolumeMounts[len(ctr.VolumeMounts)-1]
				if m.MountPath != MountPath || (tc.wantVolumes == 1 && !m.ReadOnly) {
					t.Errorf("mount = %+v", m)
				}
				if tc.wantName != "" && m.Name != tc.wantName {
					t.Errorf("mount name = %q, want %q", m.Name, tc.wantName)
				}
				if tc.wantVolumes == 1 && !strings.HasPrefix(m.Name, VolumeNamePrefix) {
					t.Errorf("mount name = %q", m.Name)
				}
			}
		})
	}
}
