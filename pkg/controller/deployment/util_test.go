package deployment

import (
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

func rolling(replicas int32, surge, unavailable intstr.IntOrString) *appsv1.Deployment {
	return &appsv1.Deployment{Spec: appsv1.DeploymentSpec{Replicas: &replicas, Strategy: appsv1.DeploymentStrategy{
		Type:          appsv1.RollingUpdateDeploymentStrategyType,
		RollingUpdate: &appsv1.RollingUpdateDeployment{MaxSurge: &surge, MaxUnavailable: &unavailable}}}}
}

// Surge rounds up, unavailable rounds down, and both zero means one
// unavailable — as upstream.
func TestSurgeAndUnavailable(t *testing.T) {
	for _, tc := range []struct {
		replicas                   int32
		surge, unavailable         intstr.IntOrString
		wantSurge, wantUnavailable int32
	}{
		{10, intstr.FromString("25%"), intstr.FromString("25%"), 3, 2},
		{3, intstr.FromString("25%"), intstr.FromString("25%"), 1, 0},
		{1, intstr.FromString("25%"), intstr.FromString("25%"), 1, 0},
		{4, intstr.FromInt32(0), intstr.FromInt32(0), 0, 1},
		{2, intstr.FromInt32(1), intstr.FromInt32(5), 1, 2},
	} {
		d := rolling(tc.replicas, tc.surge, tc.unavailable)
		if s, u := maxSurge(d), maxUnavailable(d); s != tc.wantSurge || u != tc.wantUnavailable {
			t.Errorf("%d replicas, surge %s, unavailable %s: got %d/%d, want %d/%d", tc.replicas,
				tc.surge.String(), tc.unavailable.String(), s, u, tc.wantSurge, tc.wantUnavailable)
		}
	}
}

func TestTemplateHashAndName(t *testing.T) {
	tmpl := &corev1.PodTemplateSpec{Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "nginx"}}}}
	h := templateHash(tmpl, nil)
	if h != templateHash(tmpl.DeepCopy(), nil) {
		t.Fatal("hash not stable")
	}
	one := int32(1)
	if h == templateHash(tmpl, &one) {
		t.Fatal("collisionCount does not change the hash")
	}
	if strings.ContainsAny(h, "aeiou") {
		t.Errorf("hash %q not SafeEncodeString-encoded", h)
	}
	long := strings.Repeat("d", 260)
	if n := replicaSetName(long, h); len(n) != 253 || !strings.HasSuffix(n, "-"+h) {
		t.Errorf("long name %q (%d chars)", n, len(n))
	}
}

// Scaling 10→20 mid-rollout (6 old, 4 new, max 12 before) keeps the
// proportions.
func TestProportion(t *testing.T) {
	d := rolling(20, intstr.FromInt32(2), intstr.FromInt32(0))
	rs := func(n int32) *appsv1.ReplicaSet {
		return &appsv1.ReplicaSet{Spec: appsv1.ReplicaSetSpec{Replicas: &n}}
	}
	old, cur := rs(6), rs(4)
	for _, r := range []*appsv1.ReplicaSet{old, cur} {
		setReplicasAnnotations(r, 10, 12)
	}
	toAdd := int32(22 - 10)
	a := proportion(d, old, toAdd)
	b := proportion(d, cur, toAdd-a)
	if a != 5 || b != 3 {
		t.Errorf("proportions %d and %d, want 5 and 3 (6*22/12=11, 4*22/12≈7)", a, b)
	}
}
