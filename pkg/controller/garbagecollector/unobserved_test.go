package garbagecollector_test

import (
	"context"
	"slices"
	"testing"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apiextensionsclient "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/metadata"

	"github.com/tinykube/tinykube/internal/controllertest"
	"github.com/tinykube/tinykube/internal/testserver"
	"github.com/tinykube/tinykube/pkg/controller"
	"github.com/tinykube/tinykube/pkg/controller/garbagecollector"
)

var gadgets = schema.GroupVersionResource{Group: "gc.example.com", Version: "v1", Resource: "gadgets"}

func gadgetCRD() *apiextensionsv1.CustomResourceDefinition {
	return &apiextensionsv1.CustomResourceDefinition{
		ObjectMeta: metav1.ObjectMeta{Name: "gadgets.gc.example.com"},
		Spec: apiextensionsv1.CustomResourceDefinitionSpec{
			Group: "gc.example.com", Scope: apiextensionsv1.NamespaceScoped,
			Names: apiextensionsv1.CustomResourceDefinitionNames{Plural: "gadgets", Singular: "gadget", Kind: "Gadget", ListKind: "GadgetList"},
			Versions: []apiextensionsv1.CustomResourceDefinitionVersion{{Name: "v1", Served: true, Storage: true,
				Schema: &apiextensionsv1.CustomResourceValidation{OpenAPIV3Schema: &apiextensionsv1.JSONSchemaProps{
					Type: "object", XPreserveUnknownFields: ptrTo(true)}}}},
		},
	}
}

func ptrTo[T any](v T) *T { return &v }

// TestUnobservedOwner: owners of a resource the collector does not watch
// yet (a CRD created, or deleted and created again, after it started)
// are found by lookup before its informer observes them. The collector
// keeps such dependents but must recheck the owner until it observes it
// or finds it gone: a deletion it never sees (made before the informer
// lists, or while the informer of a re-created CRD is still backing off)
// must still cascade, and so must one it sees through the late informer.
func TestUnobservedOwner(t *testing.T) {
	s := testserver.Start(t, "")
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	meta, err := metadata.NewForConfig(s.RESTConfig)
	if err != nil {
		t.Fatal(err)
	}
	gc, err := garbagecollector.New(ctx, controller.Context{Client: s.Client, Metadata: meta, RESTConfig: s.RESTConfig})
	if err != nil {
		t.Fatal(err)
	}
	go gc.Run(ctx, 2)
	ext := apiextensionsclient.NewForConfigOrDie(s.RESTConfig)
	dyn := dynamic.NewForConfigOrDie(s.RESTConfig).Resource(gadgets).Namespace("default")
	f := fixture{ctx, t, s.Client, "default"}
	f.secretsSeen() // the collector runs

	createCRD := func() {
		t.Helper()
		if _, err := ext.ApiextensionsV1().CustomResourceDefinitions().Create(ctx, gadgetCRD(), metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		controllertest.Eventually(t, "gadgets served", func(ctx context.Context) (bool, error) {
			_, err := dyn.List(ctx, metav1.ListOptions{})
			return err == nil, nil
		})
	}
	gadget := func(name string) *unstructured.Unstructured {
		t.Helper()
		u := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "gc.example.com/v1", "kind": "Gadget",
			"metadata": map[string]any{"name": name}}}
		u, err := dyn.Create(ctx, u, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	dependent := func(name string, owner *unstructured.Unstructured) {
		t.Helper()
		f.configMap(name, nil, ref("Gadget", "gc.example.com/v1", owner.GetName(), owner.GetUID(), false))
	}
	deleteGadget := func(name string) {
		t.Helper()
		if err := dyn.Delete(ctx, name, metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	cmGone := func(name string) func(context.Context) (bool, error) {
		return func(ctx context.Context) (bool, error) {
			_, err := s.Client.CoreV1().ConfigMaps("default").Get(ctx, name, metav1.GetOptions{})
			return apierrors.IsNotFound(err), nil
		}
	}
	// Well under the collector's 30s rediscovery period: the collector
	// must not wait for it to judge an owner again.
	const within = 15 * time.Second

	createCRD()
	// Deleted before the collector's informer for gadgets can list it:
	// the collector finds it by lookup (and keeps its dependent), then
	// never observes it.
	early := gadget("early")
	dependent("early-dep", early)
	kept := gadget("kept")
	dependent("kept-dep", kept)
	time.Sleep(time.Second) // the collector has looked "early" up
	deleteGadget("early")
	controllertest.EventuallyWithin(t, "dependent of an owner deleted unobserved collected", within, cmGone("early-dep"))

	// The late informer observes "kept"; its deletion, seen through that
	// informer, cascades.
	controllertest.EventuallyWithin(t, "collector watching gadgets", within, func(context.Context) (bool, error) {
		_, own := garbagecollector.Monitors(gc)
		return slices.Contains(own, gadgets), nil
	})
	time.Sleep(time.Second)
	if _, err := s.Client.CoreV1().ConfigMaps("default").Get(ctx, "kept-dep", metav1.GetOptions{}); err != nil {
		t.Fatalf("dependent of a live owner: %v", err)
	}
	deleteGadget("kept")
	controllertest.EventuallyWithin(t, "dependent of an owner deleted while watched collected", within, cmGone("kept-dep"))

	// The CRD deleted and created again: the collector's informer for
	// gadgets lost its watch and relists late.
	if err := ext.ApiextensionsV1().CustomResourceDefinitions().Delete(ctx, "gadgets.gc.example.com", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	controllertest.Eventually(t, "CRD gone", func(ctx context.Context) (bool, error) {
		_, err := ext.ApiextensionsV1().CustomResourceDefinitions().Get(ctx, "gadgets.gc.example.com", metav1.GetOptions{})
		return apierrors.IsNotFound(err), nil
	})
	createCRD()
	again := gadget("again")
	dependent("again-dep", again)
	time.Sleep(time.Second)
	deleteGadget("again")
	controllertest.EventuallyWithin(t, "dependent of a re-created CRD's object collected", within, cmGone("again-dep"))
}
