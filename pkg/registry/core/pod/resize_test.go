package pod_test

import (
	"context"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/tinykube/tinykube/internal/testserver"
)

func rl(kv ...string) corev1.ResourceList {
	out := corev1.ResourceList{}
	for i := 0; i < len(kv); i += 2 {
		out[corev1.ResourceName(kv[i])] = resource.MustParse(kv[i+1])
	}
	return out
}

// TestResizeSubresource: pods/resize reads the pod, writes only the
// containers' cpu and memory (moving generation), and refuses what
// upstream refuses; the main endpoint may not change resources.
func TestResizeSubresource(t *testing.T) {
	s := testserver.Start(t, "")
	ctx, pods := context.Background(), s.Client.CoreV1().Pods("default")
	restart := corev1.ContainerRestartPolicyAlways
	p, err := pods.Create(ctx, &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "p", Labels: map[string]string{"a": "b"}},
		Spec: corev1.PodSpec{
			InitContainers: []corev1.Container{
				{Name: "init", Image: "busybox", Resources: corev1.ResourceRequirements{Requests: rl("cpu", "10m")}},
				{Name: "sidecar", Image: "busybox", RestartPolicy: &restart, Resources: corev1.ResourceRequirements{Requests: rl("cpu", "10m")}},
			},
			Containers: []corev1.Container{
				{Name: "c1", Image: "busybox", Resources: corev1.ResourceRequirements{Requests: rl("cpu", "100m")}},
				{Name: "c2", Image: "busybox", Resources: corev1.ResourceRequirements{Requests: rl("memory", "20Mi"), Limits: rl("memory", "40Mi")},
					ResizePolicy: []corev1.ContainerResizePolicy{{ResourceName: corev1.ResourceMemory, RestartPolicy: corev1.RestartContainer}}},
			},
		}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if p.Status.QOSClass != corev1.PodQOSBurstable {
		t.Fatalf("qos %s", p.Status.QOSClass)
	}

	// GET pods/resize answers the pod.
	got := &corev1.Pod{}
	if err := s.Client.CoreV1().RESTClient().Get().Namespace("default").Resource("pods").Name("p").SubResource("resize").Do(ctx).Into(got); err != nil {
		t.Fatalf("GET resize: %v", err)
	}
	if got.UID != p.UID || got.ResourceVersion != p.ResourceVersion {
		t.Errorf("GET resize answered %s@%s, want %s@%s", got.UID, got.ResourceVersion, p.UID, p.ResourceVersion)
	}

	// The main endpoint may not change resources.
	upd := p.DeepCopy()
	upd.Spec.Containers[0].Resources.Requests = rl("cpu", "200m")
	if _, err := pods.Update(ctx, upd, metav1.UpdateOptions{}); !apierrors.IsInvalid(err) {
		t.Errorf("update of resources through the main endpoint: %v, want Invalid", err)
	}

	// PUT pods/resize: resources change, other changes are dropped.
	upd = p.DeepCopy()
	upd.Spec.Containers[0].Resources = corev1.ResourceRequirements{Requests: rl("cpu", "200m"), Limits: rl("cpu", "400m")}
	upd.Spec.Containers[0].Image = "other"
	upd.Labels = map[string]string{"x": "y"}
	r, err := pods.UpdateResize(ctx, "p", upd, metav1.UpdateOptions{})
	if err != nil {
		t.Fatalf("UpdateResize: %v", err)
	}
	if q := r.Spec.Containers[0].Resources.Limits[corev1.ResourceCPU]; q.String() != "400m" {
		t.Errorf("cpu limit after resize = %s, want 400m", q.String())
	}
	if r.Spec.Containers[0].Image != "busybox" || r.Labels["a"] != "b" || r.Labels["x"] != "" {
		t.Errorf("resize changed more than resources: image %q labels %v", r.Spec.Containers[0].Image, r.Labels)
	}
	if r.Generation != 2 {
		t.Errorf("generation after resize = %d, want 2", r.Generation)
	}

	// PATCH pods/resize (strategic merge, as kubectl and the e2e specs).
	patch := `{"spec":{"containers":[{"name":"c2","resources":{"requests":{"memory":"30Mi","cpu":"5m"}}}]}}`
	r, err = pods.Patch(ctx, "p", types.StrategicMergePatchType, []byte(patch), metav1.PatchOptions{}, "resize")
	if err != nil {
		t.Fatalf("patch resize: %v", err)
	}
	if q := r.Spec.Containers[1].Resources.Requests[corev1.ResourceMemory]; q.String() != "30Mi" || r.Generation != 3 {
		t.Errorf("after patch: memory request %s generation %d, want 30Mi and 3", q.String(), r.Generation)
	}

	for _, tc := range []struct {
		name, patch, want string
	}{
		{"remove request", `{"spec":{"containers":[{"name":"c2","resources":{"requests":{"cpu":null}}}]}}`, "resource requests cannot be removed"},
		{"remove limit", `{"spec":{"containers":[{"name":"c2","resources":{"limits":{"memory":null}}}]}}`, "resource limits cannot be removed"},
		{"other resource", `{"spec":{"containers":[{"name":"c1","resources":{"requests":{"ephemeral-storage":"1Gi"}}}]}}`, "only cpu and memory resources are mutable"},
		{"qos change", `{"spec":{"containers":[{"name":"c1","resources":{"requests":{"cpu":"400m","memory":"10Mi"},"limits":{"memory":"10Mi"}}},{"name":"c2","resources":{"requests":{"cpu":"10m","memory":"40Mi"},"limits":{"cpu":"10m"}}}],"initContainers":[{"name":"init","resources":{"limits":{"cpu":"10m","memory":"1Mi"},"requests":{"memory":"1Mi"}}},{"name":"sidecar","resources":{"limits":{"cpu":"10m","memory":"1Mi"},"requests":{"memory":"1Mi"}}}]}}`, "Pod QOS Class may not change"},
		{"bad policy", `{"spec":{"containers":[{"name":"c1","resizePolicy":[{"resourceName":"cpu","restartPolicy":"Sometimes"}]}]}}`, "Unsupported value"},
	} {
		_, err := pods.Patch(ctx, "p", types.StrategicMergePatchType, []byte(tc.patch), metav1.PatchOptions{}, "resize")
		if !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want Invalid containing %q", tc.name, err, tc.want)
		}
	}

	// Init containers: the sidecar and (as in 1.37, where init container
	// resize is GA) the plain init container may be resized.
	patch = `{"spec":{"initContainers":[{"name":"init","resources":{"requests":{"cpu":"20m"}}},{"name":"sidecar","resources":{"requests":{"cpu":"20m"}}}]}}`
	if _, err := pods.Patch(ctx, "p", types.StrategicMergePatchType, []byte(patch), metav1.PatchOptions{}, "resize"); err != nil {
		t.Errorf("resizing init containers: %v", err)
	}
}

// TestResizePolicyValidation: resizePolicy is checked on create.
func TestResizePolicyValidation(t *testing.T) {
	s := testserver.Start(t, "")
	ctx, pods := context.Background(), s.Client.CoreV1().Pods("default")
	for _, tc := range []struct {
		name    string
		restart corev1.RestartPolicy
		rules   []corev1.ContainerResizePolicy
		init    bool
		want    string
	}{
		{"duplicate", corev1.RestartPolicyAlways, []corev1.ContainerResizePolicy{{ResourceName: "cpu", RestartPolicy: corev1.NotRequired}, {ResourceName: "cpu", RestartPolicy: corev1.NotRequired}}, false, "Duplicate value"},
		{"resource", corev1.RestartPolicyAlways, []corev1.ContainerResizePolicy{{ResourceName: "gpu", RestartPolicy: corev1.NotRequired}}, false, "Unsupported value"},
		{"never", corev1.RestartPolicyNever, []corev1.ContainerResizePolicy{{ResourceName: "cpu", RestartPolicy: corev1.RestartContainer}}, false, "must be 'NotRequired'"},
		{"init restart", corev1.RestartPolicyAlways, []corev1.ContainerResizePolicy{{ResourceName: "cpu", RestartPolicy: corev1.RestartContainer}}, true, "non-sidecar initContainers"},
	} {
		pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{GenerateName: "p-"}, Spec: corev1.PodSpec{RestartPolicy: tc.restart,
			Containers: []corev1.Container{{Name: "c", Image: "busybox"}}}}
		if tc.init {
			pod.Spec.InitContainers = []corev1.Container{{Name: "i", Image: "busybox", ResizePolicy: tc.rules}}
		} else {
			pod.Spec.Containers[0].ResizePolicy = tc.rules
		}
		_, err := pods.Create(ctx, pod, metav1.CreateOptions{})
		if !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want Invalid containing %q", tc.name, err, tc.want)
		}
	}
}
