package garbagecollector_test

import (
	"context"
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/metadata"

	"github.com/tinykube/tinykube/internal/controllertest"
	"github.com/tinykube/tinykube/internal/testserver"
	"github.com/tinykube/tinykube/pkg/controller"
	"github.com/tinykube/tinykube/pkg/controller/garbagecollector"
)

// TestSharesTypedInformers: for a resource a controller already watches
// through the shared typed informers (here configmaps), the collector
// adds its handler to that informer instead of opening a second, metadata
// watch — and still collects through it: background deletion of a
// configmap's secret, orphaning of another's.
func TestSharesTypedInformers(t *testing.T) {
	s := testserver.Start(t, "")
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	meta, err := metadata.NewForConfig(s.RESTConfig)
	if err != nil {
		t.Fatal(err)
	}
	factory := informers.NewSharedInformerFactory(s.Client, 0)
	factory.Core().V1().ConfigMaps().Informer() // as a controller would
	gc, err := garbagecollector.New(ctx, controller.Context{Client: s.Client, Metadata: meta, RESTConfig: s.RESTConfig, Informers: factory})
	if err != nil {
		t.Fatal(err)
	}
	factory.Start(ctx.Done())
	go gc.Run(ctx, 2)
	t.Cleanup(func() { cancel(); factory.Shutdown() })

	configmaps := corev1.SchemeGroupVersion.WithResource("configmaps")
	secrets := corev1.SchemeGroupVersion.WithResource("secrets")
	controllertest.Eventually(t, "collector watching", func(context.Context) (bool, error) {
		shared, own := garbagecollector.Monitors(gc)
		return len(shared) > 0 && len(own) > 0, nil
	})
	shared, own := garbagecollector.Monitors(gc)
	if len(shared) != 1 || shared[0] != configmaps {
		t.Errorf("shared informers: %v, want only %v", shared, configmaps)
	}
	if !slices.Contains(own, secrets) || slices.Contains(own, configmaps) {
		t.Errorf("own metadata informers %v: want secrets and not configmaps", own)
	}

	f := fixture{ctx, t, s.Client, "default"}
	owner := f.configMap("owner", nil)
	keeper := f.configMap("keeper", nil)
	f.secret("dep", nil, cmRef(owner, false))
	f.secret("kept", nil, cmRef(keeper, false))
	f.secretsSeen()
	f.deleteCM("owner", metav1.DeletePropagationBackground)
	f.deleteCM("keeper", metav1.DeletePropagationOrphan)
	controllertest.Eventually(t, "dependent of deleted owner gone", f.secretGone("dep"))
	controllertest.Eventually(t, "orphaned dependent loses its owner reference", func(context.Context) (bool, error) {
		return len(f.getSecret("kept").OwnerReferences) == 0, nil
	})
}
