package pod_test

import (
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/tinykube/tinykube/internal/testserver"
)

func resources(cpu, mem string) corev1.ResourceList {
	l := corev1.ResourceList{}
	if cpu != "" {
		l[corev1.ResourceCPU] = resource.MustParse(cpu)
	}
	if mem != "" {
		l[corev1.ResourceMemory] = resource.MustParse(mem)
	}
	return l
}

// TestLimitRanger: a namespace's LimitRange fills in missing container
// requests and limits on pod create, and pods outside its min/max (per
// container or summed per pod) are Forbidden; namespaces without one are
// untouched.
func TestLimitRanger(t *testing.T) {
	s := testserver.Start(t, "")
	ctx, c := context.Background(), s.Client
	_, err := c.CoreV1().LimitRanges("default").Create(ctx, &corev1.LimitRange{
		ObjectMeta: metav1.ObjectMeta{Name: "lr"},
		Spec: corev1.LimitRangeSpec{Limits: []corev1.LimitRangeItem{{
			Type: corev1.LimitTypeContainer,
			Min:  resources("50m", "100Mi"), Max: resources("500m", "500Mi"),
			Default: resources("500m", "500Mi"), DefaultRequest: resources("100m", "200Mi"),
		}, {
			Type: corev1.LimitTypePod, Max: resources("800m", ""),
		}}},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "free"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name       string
		namespace  string
		containers int
		req, lim   corev1.ResourceList
		forbidden  bool
		wantReq    corev1.ResourceList
		wantLim    corev1.ResourceList
	}{
		{name: "no-resources", namespace: "default", containers: 1, req: resources("", ""), lim: resources("", ""),
			wantReq: resources("100m", "200Mi"), wantLim: resources("500m", "500Mi")},
		// The cpu request defaults to the given limit before LimitRanger runs.
		{name: "partial", namespace: "default", containers: 1, req: resources("", "150Mi"), lim: resources("300m", ""),
			wantReq: resources("300m", "150Mi"), wantLim: resources("300m", "500Mi")},
		{name: "below-min", namespace: "default", containers: 1, req: resources("10m", "50Mi"), lim: resources("", ""), forbidden: true},
		{name: "above-max", namespace: "default", containers: 1, req: resources("600m", "600Mi"), lim: resources("", ""), forbidden: true},
		{name: "pod-sum-above-max", namespace: "default", containers: 2, req: resources("", ""), lim: resources("", ""), forbidden: true},
		{name: "no-limitrange", namespace: "free", containers: 1, req: resources("", ""), lim: resources("", ""),
			wantReq: resources("", ""), wantLim: resources("", "")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: tc.name}}
			for i := 0; i < tc.containers; i++ {
				pod.Spec.Containers = append(pod.Spec.Containers, corev1.Container{Name: "c" + string(rune('a'+i)), Image: "busybox",
					Resources: corev1.ResourceRequirements{Requests: tc.req.DeepCopy(), Limits: tc.lim.DeepCopy()}})
			}
			got, err := c.CoreV1().Pods(tc.namespace).Create(ctx, pod, metav1.CreateOptions{})
			if tc.forbidden {
				if !apierrors.IsForbidden(err) {
					t.Fatalf("want Forbidden, got %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			r := got.Spec.Containers[0].Resources
			for what, pair := range map[string][2]corev1.ResourceList{"requests": {r.Requests, tc.wantReq}, "limits": {r.Limits, tc.wantLim}} {
				if len(pair[0]) != len(pair[1]) {
					t.Errorf("%s = %v, want %v", what, pair[0], pair[1])
				}
				for k, v := range pair[1] {
					if g := pair[0][k]; g.Cmp(v) != 0 {
						t.Errorf("%s[%s] = %s, want %s", what, k, g.String(), v.String())
					}
				}
			}
		})
	}
}
