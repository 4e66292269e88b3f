package integration

import (
	"context"
	"slices"
	"testing"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/tinykube/tinykube/internal/testserver"
)

// TestRegisteredSubresources drives the subresources the server registers
// with the HTTP layer (pkg/server/subresources.go): pods/binding and the
// bindings resource, pods/eviction, namespaces/finalize and
// selfsubjectreviews, asserting on the stored state.
func TestRegisteredSubresources(t *testing.T) {
	s := testserver.Start(t, "")
	ctx, c := context.Background(), s.Client
	pods := c.CoreV1().Pods("default")
	for _, name := range []string{"a", "b", "c"} {
		if _, err := pods.Create(ctx, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name},
			Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "busybox"}}}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	nodeOf := func(name string) string {
		t.Helper()
		p, err := pods.Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return p.Spec.NodeName
	}
	binding := func(name string) *corev1.Binding {
		return &corev1.Binding{ObjectMeta: metav1.ObjectMeta{Name: name}, Target: corev1.ObjectReference{Kind: "Node", Name: "n1"}}
	}

	// pods/binding: dryRun binds nothing, a real bind does.
	if err := pods.Bind(ctx, binding("a"), metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}}); err != nil {
		t.Fatalf("dry-run bind: %v", err)
	}
	if n := nodeOf("a"); n != "" {
		t.Fatalf("dry-run bind set nodeName %q", n)
	}
	if err := pods.Bind(ctx, binding("a"), metav1.CreateOptions{}); err != nil {
		t.Fatalf("bind: %v", err)
	}
	if n := nodeOf("a"); n != "n1" {
		t.Fatalf("after bind nodeName = %q, want n1", n)
	}
	// A body naming another pod than the URL is refused.
	err := c.CoreV1().RESTClient().Post().Namespace("default").Resource("pods").Name("b").SubResource("binding").
		Body(binding("c")).Do(ctx).Error()
	if !apierrors.IsBadRequest(err) || err.Error() != "the name of the binding does not match the name of the pod" {
		t.Fatalf("mismatched binding: %v, want 400", err)
	}
	// The bindings resource binds the pod its body names.
	var st metav1.Status
	if err := c.CoreV1().RESTClient().Post().Namespace("default").Resource("bindings").Body(binding("b")).Do(ctx).Into(&st); err != nil {
		t.Fatalf("POST bindings: %v", err)
	}
	if st.Status != metav1.StatusSuccess || st.Code != 201 {
		t.Errorf("POST bindings answered %+v, want a 201 Success Status", st)
	}
	if n := nodeOf("b"); n != "n1" {
		t.Fatalf("after POST bindings nodeName = %q, want n1", n)
	}

	// pods/eviction: a mismatched name is refused, a matching one deletes.
	err = c.CoreV1().RESTClient().Post().AbsPath("/api/v1/namespaces/default/pods/c/eviction").
		Body(&policyv1.Eviction{TypeMeta: metav1.TypeMeta{APIVersion: "policy/v1", Kind: "Eviction"},
			ObjectMeta: metav1.ObjectMeta{Name: "a", Namespace: "default"}}).Do(ctx).Error()
	if !apierrors.IsBadRequest(err) || err.Error() != "name in URL does not match name in Eviction object" {
		t.Fatalf("mismatched eviction: %v, want 400", err)
	}
	if err := c.PolicyV1().Evictions("default").Evict(ctx, &policyv1.Eviction{ObjectMeta: metav1.ObjectMeta{Name: "c", Namespace: "default"}}); err != nil {
		t.Fatalf("evict: %v", err)
	}
	if p, err := pods.Get(ctx, "c", metav1.GetOptions{}); err == nil && p.DeletionTimestamp == nil {
		t.Fatalf("evicted pod still there, not terminating")
	} else if err != nil && !apierrors.IsNotFound(err) {
		t.Fatal(err)
	}

	// namespaces/finalize changes spec.finalizers, and only them.
	ns, err := c.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "fin"}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ns.Spec.Finalizers, []corev1.FinalizerName{corev1.FinalizerKubernetes}) {
		t.Fatalf("new namespace finalizers = %v", ns.Spec.Finalizers)
	}
	ns.Spec.Finalizers = nil
	ns.Labels = map[string]string{"through": "finalize"}
	out, err := c.CoreV1().Namespaces().Finalize(ctx, ns, metav1.UpdateOptions{})
	if err != nil {
		t.Fatalf("finalize: %v", err)
	}
	got, err := c.CoreV1().Namespaces().Get(ctx, "fin", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Spec.Finalizers) != 0 || len(out.Spec.Finalizers) != 0 {
		t.Errorf("after finalize spec.finalizers = %v (answer %v), want none", got.Spec.Finalizers, out.Spec.Finalizers)
	}
	if got.Labels["through"] != "" {
		t.Errorf("finalize changed labels: %v", got.Labels)
	}

	// selfsubjectreviews answer the caller's own user.
	review, err := c.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("selfsubjectreview: %v", err)
	}
	if review.Status.UserInfo.Username == "" {
		t.Errorf("selfsubjectreview named no user: %+v", review.Status)
	}
}
