package integration

import (
	"context"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/metadata"

	"github.com/tinykube/tinykube/internal/testserver"
	"github.com/tinykube/tinykube/pkg/api"
)

// upstreamGeneration lists the kinds whose metadata.generation upstream
// sets to 1 on create and bumps on spec changes.
var upstreamGeneration = map[string]bool{
	"Pod": true, "ReplicationController": true, "Deployment": true, "ReplicaSet": true, "StatefulSet": true,
	"DaemonSet": true, "Job": true, "CronJob": true, "PodDisruptionBudget": true,
	"ValidatingAdmissionPolicy": true, "ValidatingAdmissionPolicyBinding": true, "MutatingAdmissionPolicy": true,
	"MutatingAdmissionPolicyBinding": true, "FlowSchema": true, "PriorityLevelConfiguration": true,
	"Ingress": true, "IngressClass": true, "NetworkPolicy": true,
	"DeviceClass": true, "DeviceTaintRule": true, "ResourceSlice": true,
}

// crudResources returns the served resources that support full CRUD.
func crudResources() []api.Resource {
	var out []api.Resource
	for _, r := range api.Resources {
		// CRDs are named <plural>.<group> and their deletion waits on
		// the CRD controller: crd_test.go covers them. APIServices are
		// named <version>.<group>: apiservice_test.go covers them.
		switch resourceKey(r) {
		case "apiextensions.k8s.io/customresourcedefinitions", "apiregistration.k8s.io/apiservices":
			continue
		// ComponentStatuses are probed, get and list only; IPAddresses
		// are named after their address: resources_v137_test.go covers
		// both.
		case "/componentstatuses", "networking.k8s.io/ipaddresses":
			continue
		}
		// autoscaling/v1 serves the v2 HorizontalPodAutoscalers
		// converted: hpa_v1_test.go covers it.
		if r.GroupVersion.String() == "autoscaling/v1" {
			continue
		}
		if !createOnly[resourceKey(r)] {
			out = append(out, r)
		}
	}
	return out
}

func createNamespace(t *testing.T, s *testserver.Server, name string) {
	t.Helper()
	_, err := s.Client.CoreV1().Namespaces().Create(context.Background(),
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
}

// checkCreated asserts the metadata the server must set on create.
func checkCreated(t *testing.T, kind string, m metav1.Object) {
	t.Helper()
	ts := m.GetCreationTimestamp()
	if m.GetUID() == "" || m.GetResourceVersion() == "" || ts.IsZero() {
		t.Errorf("server-set metadata missing: uid=%q rv=%q created=%v", m.GetUID(), m.GetResourceVersion(), ts)
	}
	if upstreamGeneration[kind] && m.GetGeneration() != 1 {
		t.Errorf("generation on create = %d, want 1", m.GetGeneration())
	}
}

// checkDeleted asserts the object is gone, or (namespaces, which wait for
// a controller to finalize them) marked for deletion.
func checkDeleted(t *testing.T, getErr error, m metav1.Object) {
	t.Helper()
	if apierrors.IsNotFound(getErr) {
		return
	}
	if getErr == nil && m.GetDeletionTimestamp() != nil {
		return
	}
	t.Errorf("after delete: want NotFound or deletionTimestamp, got err=%v", getErr)
}

func checkListed(t *testing.T, list runtime.Object, name string) {
	t.Helper()
	lm, err := meta.ListAccessor(list)
	if err != nil {
		t.Fatal(err)
	}
	if lm.GetResourceVersion() == "" {
		t.Errorf("list resourceVersion empty")
	}
	items, err := meta.ExtractList(list)
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 1 {
		t.Fatalf("label-selected list has %d items, want 1", len(items))
	}
	if m, _ := meta.Accessor(items[0]); m.GetName() != name {
		t.Errorf("listed %q, want %q", m.GetName(), name)
	}
}

var annotatePatch = []byte(`{"metadata":{"annotations":{"patched":"yes"}}}`)

// TestCRUDTyped drives every served resource through its generated
// client in kubernetes.Interface.
func TestCRUDTyped(t *testing.T) {
	s := testserver.Start(t, "")
	createNamespace(t, s, "typed")
	ctx := context.Background()
	for _, r := range crudResources() {
		t.Run(resourceKey(r), func(t *testing.T) {
			c, err := typedClientFor(s.Client, resourceKey(r), "typed")
			if err != nil {
				t.Fatal(err)
			}
			name := "typed-" + r.SingularName
			obj, err := api.Scheme.New(r.GVK())
			if err != nil {
				t.Fatal(err)
			}
			if err := runtime.DefaultUnstructuredConverter.FromUnstructured(fixture(t, r, "typed", name).Object, obj); err != nil {
				t.Fatal(err)
			}
			created, err := c.create(ctx, obj)
			if err != nil {
				t.Fatalf("create: %v", err)
			}
			checkCreated(t, r.Kind, created)
			got, err := c.get(ctx, name)
			if err != nil {
				t.Fatalf("get: %v", err)
			}
			if got.GetUID() != created.GetUID() || got.GetResourceVersion() != created.GetResourceVersion() {
				t.Errorf("get returned uid/rv %s/%s, created %s/%s", got.GetUID(), got.GetResourceVersion(), created.GetUID(), created.GetResourceVersion())
			}
			list, err := c.list(ctx, metav1.ListOptions{LabelSelector: "fixture=" + name})
			if err != nil {
				t.Fatalf("list: %v", err)
			}
			checkListed(t, list, name)

			labels := got.GetLabels()
			labels["updated"] = "true"
			got.SetLabels(labels)
			updated, err := c.update(ctx, got)
			if err != nil {
				t.Fatalf("update: %v", err)
			}
			if updated.GetLabels()["updated"] != "true" || updated.GetResourceVersion() == got.GetResourceVersion() {
				t.Errorf("update not applied: labels %v rv %s", updated.GetLabels(), updated.GetResourceVersion())
			}
			if updated.GetGeneration() != created.GetGeneration() {
				t.Errorf("metadata-only update changed generation %d → %d", created.GetGeneration(), updated.GetGeneration())
			}
			patched, err := c.patch(ctx, name, types.MergePatchType, annotatePatch)
			if err != nil {
				t.Fatalf("merge patch: %v", err)
			}
			if patched.GetAnnotations()["patched"] != "yes" || patched.GetLabels()["updated"] != "true" {
				t.Errorf("merge patch: annotations %v labels %v", patched.GetAnnotations(), patched.GetLabels())
			}
			if _, ok := r.Sub("status"); ok {
				if c.updateStatus == nil {
					t.Fatalf("status served but typed client has no UpdateStatus")
				}
				st, err := c.updateStatus(ctx, patched)
				if err != nil {
					t.Fatalf("update status: %v", err)
				}
				if st.GetGeneration() != patched.GetGeneration() {
					t.Errorf("status update changed generation %d → %d", patched.GetGeneration(), st.GetGeneration())
				}
			}
			if _, ok := r.Sub("scale"); ok {
				sc, err := c.scale.GetScale(ctx, name, metav1.GetOptions{})
				if err != nil {
					t.Fatalf("get scale: %v", err)
				}
				if sc.Spec.Replicas != 1 || sc.Status.Selector == "" && r.Kind != "ReplicationController" {
					t.Errorf("scale = %+v", sc)
				}
				sc.Spec.Replicas = 3
				if sc, err = c.scale.UpdateScale(ctx, name, sc, metav1.UpdateOptions{}); err != nil {
					t.Fatalf("update scale: %v", err)
				}
				after, err := c.get(ctx, name)
				if err != nil {
					t.Fatal(err)
				}
				if sc.Spec.Replicas != 3 || !upstreamGeneration[r.Kind] || after.GetGeneration() != patched.GetGeneration()+1 {
					t.Errorf("after scale to 3: scale %d, generation %d (was %d)", sc.Spec.Replicas, after.GetGeneration(), patched.GetGeneration())
				}
			}
			if err := c.delete(ctx, name); err != nil {
				t.Fatalf("delete: %v", err)
			}
			gone, err := c.get(ctx, name)
			checkDeleted(t, err, gone)
		})
	}
}

// TestCRUDDynamic drives every served resource through dynamic.Interface
// with unstructured objects.
func TestCRUDDynamic(t *testing.T) {
	s := testserver.Start(t, "")
	createNamespace(t, s, "dynamic")
	dc, err := dynamic.NewForConfig(s.RESTConfig)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, r := range crudResources() {
		t.Run(resourceKey(r), func(t *testing.T) {
			var c dynamic.ResourceInterface = dc.Resource(r.GVR())
			if r.Namespaced {
				c = dc.Resource(r.GVR()).Namespace("dynamic")
			}
			name := "dynamic-" + r.SingularName
			created, err := c.Create(ctx, fixture(t, r, "dynamic", name), metav1.CreateOptions{})
			if err != nil {
				t.Fatalf("create: %v", err)
			}
			checkCreated(t, r.Kind, created)
			if created.GetKind() != r.Kind || created.GetAPIVersion() != r.GroupVersion.String() {
				t.Errorf("create returned %s %s", created.GetAPIVersion(), created.GetKind())
			}
			got, err := c.Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				t.Fatalf("get: %v", err)
			}
			list, err := c.List(ctx, metav1.ListOptions{LabelSelector: "fixture=" + name})
			if err != nil {
				t.Fatalf("list: %v", err)
			}
			checkListed(t, list, name)
			labels := got.GetLabels()
			labels["updated"] = "true"
			got.SetLabels(labels)
			updated, err := c.Update(ctx, got, metav1.UpdateOptions{})
			if err != nil {
				t.Fatalf("update: %v", err)
			}
			if updated.GetLabels()["updated"] != "true" || updated.GetGeneration() != created.GetGeneration() {
				t.Errorf("update: labels %v generation %d", updated.GetLabels(), updated.GetGeneration())
			}
			patched, err := c.Patch(ctx, name, types.MergePatchType, annotatePatch, metav1.PatchOptions{})
			if err != nil {
				t.Fatalf("merge patch: %v", err)
			}
			if patched.GetAnnotations()["patched"] != "yes" {
				t.Errorf("merge patch: annotations %v", patched.GetAnnotations())
			}
			if _, ok := r.Sub("status"); ok {
				st, err := c.UpdateStatus(ctx, patched, metav1.UpdateOptions{})
				if err != nil {
					t.Fatalf("update status: %v", err)
				}
				if st.GetGeneration() != patched.GetGeneration() {
					t.Errorf("status update changed generation")
				}
				if _, err := c.Get(ctx, name, metav1.GetOptions{}, "status"); err != nil {
					t.Errorf("get status: %v", err)
				}
			}
			if _, ok := r.Sub("scale"); ok {
				sc, err := c.Get(ctx, name, metav1.GetOptions{}, "scale")
				if err != nil {
					t.Fatalf("get scale: %v", err)
				}
				if sc.GetKind() != "Scale" || sc.GetAPIVersion() != "autoscaling/v1" {
					t.Errorf("scale is %s %s", sc.GetAPIVersion(), sc.GetKind())
				}
				sc, err = c.Patch(ctx, name, types.MergePatchType, []byte(`{"spec":{"replicas":2}}`), metav1.PatchOptions{}, "scale")
				if err != nil {
					t.Fatalf("patch scale: %v", err)
				}
				if n, _, _ := unstructured.NestedInt64(sc.Object, "spec", "replicas"); n != 2 {
					t.Errorf("patched scale replicas = %d", n)
				}
			}
			if err := c.Delete(ctx, name, metav1.DeleteOptions{}); err != nil {
				t.Fatalf("delete: %v", err)
			}
			gone, err := c.Get(ctx, name, metav1.GetOptions{})
			if gone == nil {
				gone = &unstructured.Unstructured{}
			}
			checkDeleted(t, err, gone)
		})
	}
}

// TestCRUDMetadata reads, lists, patches and deletes every served
// resource through metadata.Interface (PartialObjectMetadata).
func TestCRUDMetadata(t *testing.T) {
	s := testserver.Start(t, "")
	createNamespace(t, s, "metadata")
	dc, err := dynamic.NewForConfig(s.RESTConfig)
	if err != nil {
		t.Fatal(err)
	}
	mc, err := metadata.NewForConfig(s.RESTConfig)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, r := range crudResources() {
		t.Run(resourceKey(r), func(t *testing.T) {
			name := "metadata-" + r.SingularName
			var c metadata.ResourceInterface = mc.Resource(r.GVR())
			var d dynamic.ResourceInterface = dc.Resource(r.GVR())
			if r.Namespaced {
				c = mc.Resource(r.GVR()).Namespace("metadata")
				d = dc.Resource(r.GVR()).Namespace("metadata")
			}
			created, err := d.Create(ctx, fixture(t, r, "metadata", name), metav1.CreateOptions{})
			if err != nil {
				t.Fatalf("create: %v", err)
			}
			got, err := c.Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				t.Fatalf("get: %v", err)
			}
			if got.UID != created.GetUID() || got.ResourceVersion != created.GetResourceVersion() || got.Labels["fixture"] != name {
				t.Errorf("metadata %+v does not match created object", got.ObjectMeta)
			}
			list, err := c.List(ctx, metav1.ListOptions{LabelSelector: "fixture=" + name})
			if err != nil {
				t.Fatalf("list: %v", err)
			}
			if len(list.Items) != 1 || list.Items[0].Name != name || list.ResourceVersion == "" {
				t.Errorf("list: rv %q items %d", list.ResourceVersion, len(list.Items))
			}
			patched, err := c.Patch(ctx, name, types.MergePatchType, annotatePatch, metav1.PatchOptions{})
			if err != nil {
				t.Fatalf("merge patch: %v", err)
			}
			if patched.Annotations["patched"] != "yes" {
				t.Errorf("patch: annotations %v", patched.Annotations)
			}
			if full, err := d.Get(ctx, name, metav1.GetOptions{}); err != nil || full.GetAnnotations()["patched"] != "yes" {
				t.Errorf("patch through metadata client not stored: %v", err)
			}
			if err := c.Delete(ctx, name, metav1.DeleteOptions{}); err != nil {
				t.Fatalf("delete: %v", err)
			}
			gone, err := c.Get(ctx, name, metav1.GetOptions{})
			if gone == nil {
				gone = &metav1.PartialObjectMetadata{}
			}
			checkDeleted(t, err, gone)
		})
	}
}

// TestGeneration checks metadata.generation: 1 on create, bumped by a
// spec change, untouched by status writes; the main endpoint ignores
// status and the status endpoint ignores spec.
func TestGeneration(t *testing.T) {
	s := testserver.Start(t, "")
	ctx := context.Background()
	r, _ := api.Lookup(appsv1.SchemeGroupVersion.WithResource("deployments"))
	obj := &appsv1.Deployment{}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(fixture(t, r, "default", "gen").Object, obj); err != nil {
		t.Fatal(err)
	}
	deps := s.Client.AppsV1().Deployments("default")
	d, err := deps.Create(ctx, obj, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if d.Generation != 1 {
		t.Fatalf("create: generation %d", d.Generation)
	}
	d.Spec.Replicas = ptr(int32(4))
	d.Status.Replicas = 9 // ignored by the main endpoint
	if d, err = deps.Update(ctx, d, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	if d.Generation != 2 || d.Status.Replicas != 0 {
		t.Fatalf("spec update: generation %d status.replicas %d, want 2 and 0", d.Generation, d.Status.Replicas)
	}
	d.Status.Replicas, d.Status.ObservedGeneration = 4, 2
	d.Spec.Replicas = ptr(int32(7)) // ignored by the status endpoint
	if d, err = deps.UpdateStatus(ctx, d, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	if d.Generation != 2 || d.Status.Replicas != 4 || *d.Spec.Replicas != 4 {
		t.Fatalf("status update: generation %d status.replicas %d spec.replicas %d, want 2, 4, 4", d.Generation, d.Status.Replicas, *d.Spec.Replicas)
	}
	if d, err = deps.Patch(ctx, "gen", types.StrategicMergePatchType, []byte(`{"spec":{"template":{"spec":{"containers":[{"name":"app","image":"nginx:1.28"}]}}}}`), metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	if d.Generation != 3 || d.Spec.Template.Spec.Containers[0].Image != "nginx:1.28" {
		t.Fatalf("strategic patch: generation %d image %s", d.Generation, d.Spec.Template.Spec.Containers[0].Image)
	}
}

func ptr[T any](v T) *T { return &v }

// TestGenerationOnBindAndDelete: as upstream, a pod's generation starts
// at 1 whatever the client sent, a binding (the scheduler's placement)
// does not move it, and the start of a deletion — graceful, or held by a
// finalizer — bumps it once (the upstream conformance spec "Pods
// Generation, graceful delete").
func TestGenerationOnBindAndDelete(t *testing.T) {
	s := testserver.Start(t, "")
	ctx := context.Background()
	pods := s.Client.CoreV1().Pods("default")
	p, err := pods.Create(ctx, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "gen", Generation: 100},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "busybox"}}}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if p.Generation != 1 {
		t.Fatalf("create with generation 100: generation %d, want 1", p.Generation)
	}
	if err := pods.Bind(ctx, &corev1.Binding{ObjectMeta: metav1.ObjectMeta{Name: "gen"},
		Target: corev1.ObjectReference{Kind: "Node", Name: "n1"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if p, err = pods.Get(ctx, "gen", metav1.GetOptions{}); err != nil || p.Spec.NodeName != "n1" || p.Generation != 1 {
		t.Fatalf("after binding: node %q generation %d (%v), want n1 and 1", p.Spec.NodeName, p.Generation, err)
	}
	if err := pods.Delete(ctx, "gen", metav1.DeleteOptions{GracePeriodSeconds: ptr(int64(60))}); err != nil {
		t.Fatal(err)
	}
	if p, err = pods.Get(ctx, "gen", metav1.GetOptions{}); err != nil || p.DeletionTimestamp == nil || p.Generation != 2 {
		t.Fatalf("after a graceful delete: deletionTimestamp %v generation %d (%v), want set and 2", p.DeletionTimestamp, p.Generation, err)
	}
	// A second delete shortens the grace period but bumps nothing.
	if err := pods.Delete(ctx, "gen", metav1.DeleteOptions{GracePeriodSeconds: ptr(int64(30))}); err != nil {
		t.Fatal(err)
	}
	if p, err = pods.Get(ctx, "gen", metav1.GetOptions{}); err != nil || p.Generation != 2 {
		t.Fatalf("after a second delete: generation %d (%v), want 2", p.Generation, err)
	}

	// A deletion a finalizer holds bumps a tracked generation too.
	rs := s.Client.AppsV1().ReplicaSets("default")
	r, err := rs.Create(ctx, &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Name: "gen", Finalizers: []string{"example.com/hold"}},
		Spec: appsv1.ReplicaSetSpec{Replicas: ptr(int32(0)), Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"a": "b"}},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"a": "b"}},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "busybox"}}}}}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := rs.Delete(ctx, "gen", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if r, err = rs.Get(ctx, "gen", metav1.GetOptions{}); err != nil || r.DeletionTimestamp == nil || r.Generation != 2 {
		t.Fatalf("after a delete held by a finalizer: deletionTimestamp %v generation %d (%v), want set and 2", r.DeletionTimestamp, r.Generation, err)
	}
	r.Finalizers = nil
	if _, err := rs.Update(ctx, r, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
}
