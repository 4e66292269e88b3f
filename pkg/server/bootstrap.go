package server

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	apiregistrationv1 "k8s.io/kube-aggregator/pkg/apis/apiregistration/v1"

	"github.com/tinykube/tinykube/pkg/api"
	"github.com/tinykube/tinykube/pkg/controller/localpath"
	"github.com/tinykube/tinykube/pkg/registry"
	"github.com/tinykube/tinykube/pkg/registry/apiregistration/apiservice"
	"github.com/tinykube/tinykube/pkg/registry/generic"
)

// bootstrap creates the objects every cluster starts with, if missing:
// the system namespaces, the kubernetes Service in default, the two
// system priority classes and the local APIServices of the served group
// versions, and the default local-path StorageClass (its volumes under
// storagePath) unless the cluster has a default class. It is idempotent,
// so it runs on every start.
func bootstrap(ctx context.Context, reg *registry.Registry, securePort int32, storagePath string) error {
	namespaces := reg.Store("", "namespaces")
	for _, name := range []string{metav1.NamespaceDefault, metav1.NamespaceSystem, metav1.NamespacePublic, corev1.NamespaceNodeLease} {
		if err := ensure(ctx, namespaces, "", &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}); err != nil {
			return err
		}
	}
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "kubernetes", Namespace: metav1.NamespaceDefault,
			Labels: map[string]string{"component": "apiserver", "provider": "kubernetes"}},
		Spec: corev1.ServiceSpec{
			ClusterIP: reg.Allocator.FirstIP().String(),
			Ports: []corev1.ServicePort{{Name: "https", Port: 443, Protocol: corev1.ProtocolTCP,
				TargetPort: intstr.FromInt32(securePort)}},
		},
	}
	if err := ensure(ctx, reg.Store("", "services"), metav1.NamespaceDefault, svc); err != nil {
		return err
	}
	priorities := reg.Store("scheduling.k8s.io", "priorityclasses")
	for name, value := range map[string]int32{"system-node-critical": 2000001000, "system-cluster-critical": 2000000000} {
		pc := &schedulingv1.PriorityClass{ObjectMeta: metav1.ObjectMeta{Name: name}, Value: value,
			Description: "Used for system critical pods that must not be moved from their current node."}
		if err := ensure(ctx, priorities, "", pc); err != nil {
			return err
		}
	}
	if err := ensureDefaultStorageClass(ctx, reg.Store("storage.k8s.io", "storageclasses"), storagePath); err != nil {
		return err
	}
	return registerAPIServices(ctx, reg.Store("apiregistration.k8s.io", "apiservices"))
}

// ensureDefaultStorageClass creates the local-path class (served by the
// controller-manager's local-path provisioner), as k3s does, when there
// is neither a class of that name nor another default class.
func ensureDefaultStorageClass(ctx context.Context, store *generic.Store, storagePath string) error {
	list, err := store.List(ctx, "", &metav1.ListOptions{})
	if err != nil {
		return err
	}
	items, err := meta.ExtractList(list)
	if err != nil {
		return err
	}
	for _, item := range items {
		sc := item.(*storagev1.StorageClass)
		if sc.Name == localpath.ClassName || sc.Annotations[localpath.AnnDefaultClass] == "true" {
			return nil
		}
	}
	return create(ctx, store, "", localpath.DefaultStorageClass(storagePath))
}

// registerAPIServices creates the local APIService of every served group
// version, and puts back the spec of one changed since, as upstream's
// autoregister controller does once at start for those it manages.
func registerAPIServices(ctx context.Context, store *generic.Store) error {
	list, err := store.List(ctx, "", &metav1.ListOptions{})
	if err != nil {
		return err
	}
	items, err := meta.ExtractList(list)
	if err != nil {
		return err
	}
	existing := make(map[string]*apiregistrationv1.APIService, len(items))
	for _, item := range items {
		a := item.(*apiregistrationv1.APIService)
		existing[a.Name] = a
	}
	for _, gv := range api.GroupVersions {
		want, ok := apiservice.Local(gv)
		if !ok {
			continue
		}
		have, exists := existing[want.Name]
		if !exists {
			if err := create(ctx, store, "", want); err != nil {
				return err
			}
			continue
		}
		if have.Labels[apiservice.AutoManagedLabel] != apiservice.ManagedOnStart || equality.Semantic.DeepEqual(have.Spec, want.Spec) {
			continue
		}
		_, _, err = store.Update(ctx, "", want.Name, func(_ context.Context, current runtime.Object) (runtime.Object, error) {
			if current == nil {
				return nil, apierrors.NewNotFound(apiregistrationv1.Resource("apiservices"), want.Name)
			}
			a := current.(*apiregistrationv1.APIService)
			a.Spec = want.Spec
			return a, nil
		}, generic.UpdateOptions{})
		if err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("bootstrap APIService %s: %w", want.Name, err)
		}
	}
	return nil
}

// ensure creates obj unless it exists.
func ensure(ctx context.Context, store *generic.Store, ns string, obj runtime.Object) error {
	if _, exists, err := store.Exists(ctx, ns, objectName(obj)); err != nil || exists {
		return err
	}
	return create(ctx, store, ns, obj)
}

// create defaults and creates obj; one created meanwhile is fine.
func create(ctx context.Context, store *generic.Store, ns string, obj runtime.Object) error {
	api.Scheme.Default(obj)
	if _, err := store.Create(ctx, ns, obj, false); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("bootstrap %T: %w", obj, err)
	}
	return nil
}

func objectName(obj runtime.Object) string {
	m, _ := meta.Accessor(obj)
	return m.GetName()
}
