package customresourcedefinition

import (
	"context"
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/tinykube/tinykube/pkg/api"
)

func crd(storage string, versions ...string) *apiextensionsv1.CustomResourceDefinition {
	c := &apiextensionsv1.CustomResourceDefinition{ObjectMeta: metav1.ObjectMeta{Name: "widgets.example.com"},
		Spec: apiextensionsv1.CustomResourceDefinitionSpec{Group: "example.com", Scope: apiextensionsv1.NamespaceScoped,
			Names: apiextensionsv1.CustomResourceDefinitionNames{Plural: "widgets", Singular: "widget", Kind: "Widget", ListKind: "WidgetList"}}}
	for _, v := range versions {
		c.Spec.Versions = append(c.Spec.Versions, apiextensionsv1.CustomResourceDefinitionVersion{Name: v, Served: true, Storage: v == storage,
			Schema: &apiextensionsv1.CustomResourceValidation{OpenAPIV3Schema: &apiextensionsv1.JSONSchemaProps{Type: "object"}}})
	}
	return c
}

func strategy(t *testing.T) Strategy {
	r, ok := api.Lookup(apiextensionsv1.SchemeGroupVersion.WithResource("customresourcedefinitions"))
	if !ok {
		t.Fatal("customresourcedefinitions not served")
	}
	return NewStrategy(r)
}

// TestStoredVersions: create records the storage version; a later storage
// version is added, never replacing the old one; users cannot write status.
func TestStoredVersions(t *testing.T) {
	s, ctx := strategy(t), context.Background()
	c := crd("v1", "v1", "v2")
	c.Status.StoredVersions = []string{"bogus"}
	s.PrepareForCreate(ctx, c)
	if got := c.Status.StoredVersions; len(got) != 1 || got[0] != "v1" {
		t.Fatalf("storedVersions after create = %v", got)
	}
	if errs := s.Validate(ctx, c); len(errs) != 0 {
		t.Fatalf("valid CRD: %v", errs)
	}
	next := crd("v2", "v1", "v2")
	next.Status.Conditions = []apiextensionsv1.CustomResourceDefinitionCondition{{Type: apiextensionsv1.Established}}
	s.PrepareForUpdate(ctx, next, c)
	if got := next.Status.StoredVersions; len(got) != 2 || got[1] != "v2" || len(next.Status.Conditions) != 0 {
		t.Errorf("status after update = %+v", next.Status)
	}
	bad := crd("v1", "v1")
	bad.Name = "wrong.example.com"
	s.PrepareForCreate(ctx, bad)
	if errs := s.Validate(ctx, bad); len(errs) == 0 {
		t.Error("a CRD not named <plural>.<group> validated")
	}
}

// TestDeletion: the first delete marks the CRD Terminating with the
// cleanup finalizer; once marked, only the finalizer holds it.
func TestDeletion(t *testing.T) {
	s := strategy(t)
	c := crd("v1", "v1")
	if !s.HasPendingFinalizers(c) {
		t.Fatal("an unmarked CRD does not wait for its cleanup")
	}
	s.MarkDeleting(c)
	s.MarkDeleting(c)
	if len(c.Finalizers) != 1 || c.Finalizers[0] != CleanupFinalizer {
		t.Errorf("finalizers = %v", c.Finalizers)
	}
	if cond, ok := Condition(c, apiextensionsv1.Terminating); !ok || cond.Status != apiextensionsv1.ConditionTrue || cond.Reason != "InstanceDeletionPending" {
		t.Errorf("Terminating = %+v", cond)
	}
	now := metav1.Now()
	c.DeletionTimestamp = &now
	if s.HasPendingFinalizers(c) {
		t.Error("a marked CRD still waits beyond its finalizers")
	}
}
