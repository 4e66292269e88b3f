package integration

import (
	"context"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/tinykube/tinykube/internal/controllertest"
	sacontroller "github.com/tinykube/tinykube/pkg/controller/serviceaccount"
	"github.com/tinykube/tinykube/pkg/registry/core/serviceaccount"
)

// TestServiceAccountAdmission: pods get the default account and the
// kube-api-access projected volume, unless they or their account opt out;
// a pod naming a missing account is refused. The serviceaccount
// controller runs, so a pod created right after its namespace finds the
// default account as it would with upstream.
func TestServiceAccountAdmission(t *testing.T) {
	s := startWithServiceAccounts(t)
	controllertest.StartControllers(t, s, sacontroller.New)
	c, ctx := s.Client, context.Background()
	controllertest.CreateNamespace(t, c, "apps")
	no := false
	if _, err := c.CoreV1().ServiceAccounts("apps").Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "nomount"},
		AutomountServiceAccountToken: &no, ImagePullSecrets: []corev1.LocalObjectReference{{Name: "regcred"}}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	newPod := func(name, sa string, automount *bool) *corev1.Pod {
		return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: corev1.PodSpec{ServiceAccountName: sa, AutomountServiceAccountToken: automount,
			InitContainers: []corev1.Container{{Name: "init", Image: "busybox"}},
			Containers: []corev1.Container{{Name: "a", Image: "busybox"}, {Name: "b", Image: "busybox",
				VolumeMounts: []corev1.VolumeMount{{Name: "own", MountPath: serviceaccount.MountPath}}}},
			Volumes: []corev1.Volume{{Name: "own", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}}}}
	}

	// Created right after the namespace: admission waits for the
	// controller's default account.
	p, err := c.CoreV1().Pods("apps").Create(ctx, newPod("defaulted", "", nil), metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("pod in a fresh namespace: %v", err)
	}
	if p.Spec.ServiceAccountName != "default" || p.Spec.DeprecatedServiceAccount != "default" { //nolint:staticcheck // the alias is part of the answer
		t.Errorf("serviceAccountName = %q / %q", p.Spec.ServiceAccountName, p.Spec.DeprecatedServiceAccount) //nolint:staticcheck
	}
	vol := p.Spec.Volumes[len(p.Spec.Volumes)-1]
	if len(p.Spec.Volumes) != 2 || !strings.HasPrefix(vol.Name, "kube-api-access-") || len(vol.Name) != len("kube-api-access-")+5 {
		t.Fatalf("volumes = %+v", p.Spec.Volumes)
	}
	want := &corev1.ProjectedVolumeSource{
		DefaultMode: new(int32(420)),
		Sources: []corev1.VolumeProjection{
			{ServiceAccountToken: &corev1.ServiceAccountTokenProjection{Path: "token", ExpirationSeconds: new(int64(3607))}},
			{ConfigMap: &corev1.ConfigMapProjection{LocalObjectReference: corev1.LocalObjectReference{Name: "kube-root-ca.crt"},
				Items: []corev1.KeyToPath{{Key: "ca.crt", Path: "ca.crt"}}}},
			{DownwardAPI: &corev1.DownwardAPIProjection{Items: []corev1.DownwardAPIVolumeFile{{Path: "namespace",
				FieldRef: &corev1.ObjectFieldSelector{APIVersion: "v1", FieldPath: "metadata.namespace"}}}}},
		},
	}
	if !equality.Semantic.DeepEqual(vol.Projected, want) {
		t.Errorf("projected volume = %+v", vol.Projected)
	}
	mount := corev1.VolumeMount{Name: vol.Name, ReadOnly: true, MountPath: "/var/run/secrets/kubernetes.io/serviceaccount"}
	if m := p.Spec.InitContainers[0].VolumeMounts; len(m) != 1 || !equality.Semantic.DeepEqual(m[0], mount) {
		t.Errorf("init container mounts = %+v", m)
	}
	if m := p.Spec.Containers[0].VolumeMounts; len(m) != 1 || !equality.Semantic.DeepEqual(m[0], mount) {
		t.Errorf("container a mounts = %+v", m)
	}
	if m := p.Spec.Containers[1].VolumeMounts; len(m) != 1 || m[0].Name != "own" {
		t.Errorf("container b, which mounts its own volume there, mounts = %+v", m)
	}

	// Opting out: the account's choice, overridden by the pod's.
	yes := true
	for _, tc := range []struct {
		name, sa  string
		automount *bool
		want      bool
	}{
		{"sa-off", "nomount", nil, false},
		{"sa-off-pod-on", "nomount", &yes, true},
		{"pod-off", "default", &no, false},
	} {
		p, err := c.CoreV1().Pods("apps").Create(ctx, newPod(tc.name, tc.sa, tc.automount), metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if got := len(p.Spec.Volumes) == 2; got != tc.want {
			t.Errorf("%s: token volume %v, want %v (%+v)", tc.name, got, tc.want, p.Spec.Volumes)
		}
		if tc.sa == "nomount" && (len(p.Spec.ImagePullSecrets) != 1 || p.Spec.ImagePullSecrets[0].Name != "regcred") {
			t.Errorf("%s: imagePullSecrets = %v, want the account's", tc.name, p.Spec.ImagePullSecrets)
		}
	}

	// A missing account is refused (not waited for: it is not "default").
	_, err = c.CoreV1().Pods("apps").Create(ctx, newPod("orphan", "ghost", nil), metav1.CreateOptions{})
	if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), `error looking up service account apps/ghost: serviceaccount "ghost" not found`) {
		t.Errorf("missing account: err = %v", err)
	}
	// Mirror pods are not given an account.
	mirror := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "mirror", Annotations: map[string]string{"kubernetes.io/config.mirror": "x"}},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "busybox"}}}}
	if p, err := c.CoreV1().Pods("apps").Create(ctx, mirror, metav1.CreateOptions{}); err != nil || p.Spec.ServiceAccountName != "" || len(p.Spec.Volumes) != 0 {
		t.Errorf("mirror pod: %v %+v", err, p)
	}
}
