package namespace

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/tinykube/tinykube/pkg/registry/generic"
)

// Lifecycle is the namespace lifecycle admission check.
type Lifecycle struct {
	Namespaces *generic.Store
}

// Admit is the NamespaceLifecycle admission plugin (generic.Plugin):
// it checks creates of namespaced resources with CheckCreate.
func (l Lifecycle) Admit(ctx context.Context, a *generic.Attributes) error {
	if a.Operation != generic.Create || !a.Resource.Namespaced {
		return nil
	}
	return l.CheckCreate(ctx, a.Namespace, a.Resource.GVR().GroupResource(), a.Name)
}

// CheckCreate rejects creates in a namespace that is missing (404) or
// terminating (403), as upstream's NamespaceLifecycle plugin. It reads
// the watch cache (generic.Store.GetFromCache: caught up with this
// server's own namespace writes) and etcd only on a miss, so a namespace
// created a moment ago is still found. The 403 names the object being
// created and carries the NamespaceTerminating cause, which controllers look for to
// stop retrying creates in a namespace being deleted.
func (l Lifecycle) CheckCreate(ctx context.Context, name string, resource schema.GroupResource, objName string) error {
	obj, err := l.Namespaces.GetFromCache(ctx, "", name)
	if err != nil {
		return err
	}
	if ns := obj.(*corev1.Namespace); ns.Status.Phase == corev1.NamespaceTerminating {
		err := apierrors.NewForbidden(resource, objName,
			fmt.Errorf("unable to create new content in namespace %s because it is being terminated", name))
		err.ErrStatus.Details.Causes = append(err.ErrStatus.Details.Causes, metav1.StatusCause{
			Type: corev1.NamespaceTerminatingCause, Message: fmt.Sprintf("namespace %s is being terminated", name), Field: "metadata.namespace",
		})
		return err
	}
	return nil
}

// immortal are the namespaces upstream's NamespaceLifecycle plugin never
// lets anyone delete.
var immortal = map[string]bool{metav1.NamespaceDefault: true, metav1.NamespaceSystem: true, metav1.NamespacePublic: true}

// CheckDelete refuses deleting default, kube-system and kube-public with
// upstream's 403.
func CheckDelete(name string) error {
	if immortal[name] {
		return apierrors.NewForbidden(corev1.Resource("namespaces"), name, fmt.Errorf("this namespace may not be deleted"))
	}
	return nil
}
