package integration

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/strategicpatch"

	"github.com/tinykube/tinykube/internal/testserver"
)

// TestEphemeralContainersSubresource drives pods/ephemeralcontainers as
// kubectl debug (a strategic merge patch), client-go
// (UpdateEphemeralContainers) and a JSON patch do: containers are added,
// never changed or removed; upstream's field errors come back as 422s;
// the pod's main endpoint may not touch the list, nor a create set it;
// discovery lists the subresource.
func TestEphemeralContainersSubresource(t *testing.T) {
	s := testserver.Start(t, "")
	ctx, c := context.Background(), s.Client
	pods := c.CoreV1().Pods("default")
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "web", Labels: map[string]string{"app": "web"}},
		Spec: corev1.PodSpec{
			InitContainers: []corev1.Container{{Name: "init", Image: "busybox"}},
			Containers:     []corev1.Container{{Name: "app", Image: "busybox"}},
		}}
	withEC := pod.DeepCopy()
	withEC.Name = "created-with"
	withEC.Spec.EphemeralContainers = []corev1.EphemeralContainer{{EphemeralContainerCommon: corev1.EphemeralContainerCommon{Name: "dbg", Image: "busybox"}}}
	_, err := pods.Create(ctx, withEC, metav1.CreateOptions{})
	expectInvalid(t, "create with ephemeral containers", err, "spec.ephemeralContainers: Forbidden: cannot be set on create")
	created, err := pods.Create(ctx, pod, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}

	// kubectl debug's request: a two-way strategic merge patch of the
	// pod with one container added.
	debugged := created.DeepCopy()
	debugged.Spec.EphemeralContainers = append(debugged.Spec.EphemeralContainers, corev1.EphemeralContainer{
		EphemeralContainerCommon: corev1.EphemeralContainerCommon{Name: "debugger-1", Image: "busybox", Command: []string{"sh"},
			Stdin: true, TTY: true, TerminationMessagePolicy: corev1.TerminationMessageReadFile},
		TargetContainerName: "app"})
	patch := twoWayPatch(t, created, debugged)
	// Labels in the same patch are not the subresource's to change.
	patch = strings.Replace(patch, `{"spec"`, `{"metadata":{"labels":{"app":"changed"}},"spec"`, 1)
	out, err := pods.Patch(ctx, "web", types.StrategicMergePatchType, []byte(patch), metav1.PatchOptions{}, "ephemeralcontainers")
	if err != nil {
		t.Fatalf("strategic merge patch: %v (patch %s)", err, patch)
	}
	if n := len(out.Spec.EphemeralContainers); n != 1 || out.Spec.EphemeralContainers[0].TargetContainerName != "app" {
		t.Fatalf("after patch: %+v", out.Spec.EphemeralContainers)
	}
	ec := out.Spec.EphemeralContainers[0]
	if ec.ImagePullPolicy != corev1.PullAlways || ec.TerminationMessagePath != corev1.TerminationMessagePathDefault {
		t.Errorf("ephemeral container not defaulted: pullPolicy %q, terminationMessagePath %q", ec.ImagePullPolicy, ec.TerminationMessagePath)
	}
	if out.Labels["app"] != "web" {
		t.Errorf("the subresource changed labels: %v", out.Labels)
	}
	if out.Generation != created.Generation+1 {
		t.Errorf("generation %d after adding an ephemeral container, want %d", out.Generation, created.Generation+1)
	}

	// GET answers the pod.
	var got corev1.Pod
	if err := c.CoreV1().RESTClient().Get().Namespace("default").Resource("pods").Name("web").SubResource("ephemeralcontainers").Do(ctx).Into(&got); err != nil {
		t.Fatalf("GET ephemeralcontainers: %v", err)
	}
	if got.Name != "web" || len(got.Spec.EphemeralContainers) != 1 {
		t.Fatalf("GET ephemeralcontainers: %s with %d ephemeral containers", got.Name, len(got.Spec.EphemeralContainers))
	}

	// client-go's UpdateEphemeralContainers (PUT) adds a second; the
	// rest of the spec in the body is ignored.
	got.Spec.EphemeralContainers = append(got.Spec.EphemeralContainers, corev1.EphemeralContainer{
		EphemeralContainerCommon: corev1.EphemeralContainerCommon{Name: "debugger-2", Image: "busybox"}})
	got.Spec.ActiveDeadlineSeconds = new(int64)
	*got.Spec.ActiveDeadlineSeconds = 5
	out, err = pods.UpdateEphemeralContainers(ctx, "web", &got, metav1.UpdateOptions{})
	if err != nil {
		t.Fatalf("UpdateEphemeralContainers: %v", err)
	}
	if len(out.Spec.EphemeralContainers) != 2 || out.Spec.ActiveDeadlineSeconds != nil {
		t.Fatalf("after PUT: %d ephemeral containers, activeDeadlineSeconds %v", len(out.Spec.EphemeralContainers), out.Spec.ActiveDeadlineSeconds)
	}

	// A JSON patch adding a third.
	jp := `[{"op":"add","path":"/spec/ephemeralContainers/-","value":{"name":"debugger-3","image":"busybox"}}]`
	if out, err = pods.Patch(ctx, "web", types.JSONPatchType, []byte(jp), metav1.PatchOptions{}, "ephemeralcontainers"); err != nil {
		t.Fatalf("JSON patch: %v", err)
	}
	if len(out.Spec.EphemeralContainers) != 3 {
		t.Fatalf("after JSON patch: %d ephemeral containers", len(out.Spec.EphemeralContainers))
	}

	// What upstream refuses, with its field paths.
	bad := []struct {
		name, patch, want string
	}{
		{"remove", `[{"op":"remove","path":"/spec/ephemeralContainers/0"}]`,
			`spec.ephemeralContainers: Forbidden: existing ephemeral containers "debugger-1" may not be removed`},
		{"change", `[{"op":"replace","path":"/spec/ephemeralContainers/0/image","value":"other"}]`,
			`spec.ephemeralContainers: Forbidden: existing ephemeral containers "debugger-1" may not be changed`},
		{"name of a container", `[{"op":"add","path":"/spec/ephemeralContainers/-","value":{"name":"app","image":"busybox"}}]`,
			`spec.ephemeralContainers[3].name: Duplicate value: "app"`},
		{"name of an init container", `[{"op":"add","path":"/spec/ephemeralContainers/-","value":{"name":"init","image":"busybox"}}]`,
			`spec.ephemeralContainers[3].name: Duplicate value: "init"`},
		{"unknown target", `[{"op":"add","path":"/spec/ephemeralContainers/-","value":{"name":"d4","image":"busybox","targetContainerName":"nope"}}]`,
			`spec.ephemeralContainers[3].targetContainerName: Not found: "nope"`},
		{"ephemeral target", `[{"op":"add","path":"/spec/ephemeralContainers/-","value":{"name":"d4","image":"busybox","targetContainerName":"debugger-1"}}]`,
			`spec.ephemeralContainers[3].targetContainerName: Not found: "debugger-1"`},
		{"ports", `[{"op":"add","path":"/spec/ephemeralContainers/-","value":{"name":"d4","image":"busybox","ports":[{"containerPort":80}]}}]`,
			`spec.ephemeralContainers[3].ports: Forbidden: cannot be set for an Ephemeral Container`},
		{"probe", `[{"op":"add","path":"/spec/ephemeralContainers/-","value":{"name":"d4","image":"busybox","readinessProbe":{"exec":{"command":["true"]}}}}]`,
			`spec.ephemeralContainers[3].readinessProbe: Forbidden: cannot be set for an Ephemeral Container`},
		{"lifecycle", `[{"op":"add","path":"/spec/ephemeralContainers/-","value":{"name":"d4","image":"busybox","lifecycle":{"preStop":{"exec":{"command":["true"]}}}}}]`,
			`spec.ephemeralContainers[3].lifecycle: Forbidden: cannot be set for an Ephemeral Container`},
		{"no image", `[{"op":"add","path":"/spec/ephemeralContainers/-","value":{"name":"d4"}}]`,
			`spec.ephemeralContainers[3].image: Required value`},
	}
	for _, b := range bad {
		_, err := pods.Patch(ctx, "web", types.JSONPatchType, []byte(b.patch), metav1.PatchOptions{}, "ephemeralcontainers")
		expectInvalid(t, b.name, err, b.want)
	}
	// Resources, in a strategic merge patch.
	res := corev1.EphemeralContainer{EphemeralContainerCommon: corev1.EphemeralContainerCommon{Name: "d5", Image: "busybox",
		Resources: corev1.ResourceRequirements{Limits: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1")}}}}
	body, _ := json.Marshal(map[string]any{"spec": map[string]any{"ephemeralContainers": []any{res}}})
	_, err = pods.Patch(ctx, "web", types.StrategicMergePatchType, body, metav1.PatchOptions{}, "ephemeralcontainers")
	// (A strategic merge patch puts new list items first.)
	expectInvalid(t, "resources", err, `spec.ephemeralContainers[0].resources: Forbidden: cannot be set for an Ephemeral Container`)

	// The pod's own endpoint may not change the list.
	cur, err := pods.Get(ctx, "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cur.Spec.EphemeralContainers = cur.Spec.EphemeralContainers[:2]
	_, err = pods.Update(ctx, cur, metav1.UpdateOptions{})
	expectInvalid(t, "plain update", err, "spec: Forbidden: pod updates may not change fields")
	// A missing pod is a 404 that names it (kubectl tells it from a
	// server without the subresource by the name).
	_, err = pods.Patch(ctx, "nope", types.JSONPatchType, []byte(jp), metav1.PatchOptions{}, "ephemeralcontainers")
	var se *apierrors.StatusError
	if !apierrors.IsNotFound(err) || !asStatus(err, &se) || se.ErrStatus.Details == nil || se.ErrStatus.Details.Name != "nope" {
		t.Errorf("patch of a missing pod: %v", err)
	}

	// Discovery lists it, as upstream.
	list, err := c.Discovery().ServerResourcesForGroupVersion("v1")
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, r := range list.APIResources {
		if r.Name == "pods/ephemeralcontainers" {
			found = r.Kind == "Pod" && strings.Join(r.Verbs, ",") == "get,patch,update"
		}
	}
	if !found {
		t.Errorf("discovery: no pods/ephemeralcontainers (kind Pod, verbs get,patch,update)")
	}
}

func twoWayPatch(t *testing.T, from, to *corev1.Pod) string {
	t.Helper()
	a, _ := json.Marshal(from)
	b, _ := json.Marshal(to)
	p, err := strategicpatch.CreateTwoWayMergePatch(a, b, from)
	if err != nil {
		t.Fatal(err)
	}
	return string(p)
}

// expectInvalid wants a 422 whose message contains want.
func expectInvalid(t *testing.T, what string, err error, want string) {
	t.Helper()
	if !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), want) {
		t.Errorf("%s: %v, want 422 with %q", what, err, want)
	}
}

func asStatus(err error, se **apierrors.StatusError) bool {
	s, ok := err.(*apierrors.StatusError)
	*se = s
	return ok
}
