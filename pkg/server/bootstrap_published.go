package server

import (
	"context"
	"fmt"
	"net/netip"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/tinykube/tinykube/pkg/registry"
	"github.com/tinykube/tinykube/pkg/registry/generic"
)

// Objects upstream's kube-apiserver publishes about itself at start, which
// other components read: the default ServiceCIDR and the
// extension-apiserver-authentication ConfigMap.

// DefaultServiceCIDRName names the ServiceCIDR holding the server's
// service range, as upstream's.
const DefaultServiceCIDRName = "kubernetes"

// AuthenticationConfigMap is the kube-system ConfigMap in which
// kube-scheduler, kube-controller-manager and extension API servers
// find the client CA to trust for delegated authentication.
const AuthenticationConfigMap = "extension-apiserver-authentication"

// publish creates (or brings up to date) the default ServiceCIDR with
// condition Ready, and the authentication ConfigMap with the client CA
// (client-ca-file). The server has no request-header (front proxy)
// authentication, so the ConfigMap has no requestheader-* keys, as
// upstream's without --requestheader-client-ca-file.
func publish(ctx context.Context, reg *registry.Registry, serviceCIDR netip.Prefix, clientCA []byte) error {
	if err := defaultServiceCIDR(ctx, reg.Store("networking.k8s.io", "servicecidrs"), serviceCIDR); err != nil {
		return err
	}
	cm := &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: AuthenticationConfigMap, Namespace: metav1.NamespaceSystem},
		Data:       map[string]string{"client-ca-file": string(clientCA)},
	}
	return ensureUpToDate(ctx, reg.Store("", "configmaps"), cm, func(cur runtime.Object) {
		cur.(*corev1.ConfigMap).Data = cm.Data
	})
}

// defaultServiceCIDR creates the ServiceCIDR "kubernetes" with the
// server's range, then sets its Ready condition to True unless a
// condition is already decided, as upstream's default ServiceCIDR
// controller. A changed range is left alone (upstream reports it as an
// event; the allocator follows the flag).
func defaultServiceCIDR(ctx context.Context, store *generic.Store, cidr netip.Prefix) error {
	sc := &networkingv1.ServiceCIDR{ObjectMeta: metav1.ObjectMeta{Name: DefaultServiceCIDRName},
		Spec: networkingv1.ServiceCIDRSpec{CIDRs: []string{cidr.Masked().String()}}}
	if err := ensure(ctx, store, "", sc); err != nil {
		return err
	}
	_, _, err := store.Update(ctx, "", DefaultServiceCIDRName, func(_ context.Context, cur runtime.Object) (runtime.Object, error) {
		if cur == nil {
			return nil, apierrors.NewNotFound(networkingv1.Resource("servicecidrs"), DefaultServiceCIDRName)
		}
		c := cur.(*networkingv1.ServiceCIDR)
		if ready := meta.FindStatusCondition(c.Status.Conditions, networkingv1.ServiceCIDRConditionReady); ready != nil && ready.Status != metav1.ConditionUnknown {
			return c, nil
		}
		meta.SetStatusCondition(&c.Status.Conditions, metav1.Condition{Type: networkingv1.ServiceCIDRConditionReady,
			Status: metav1.ConditionTrue, Message: "Kubernetes default Service CIDR is ready"})
		return c, nil
	}, generic.UpdateOptions{Strategy: generic.ForStatus(store.Strategy)})
	if err != nil {
		return fmt.Errorf("bootstrap default ServiceCIDR status: %w", err)
	}
	return nil
}

// ensureUpToDate creates obj, or applies change to the stored one (an
// update that changes nothing writes nothing).
func ensureUpToDate(ctx context.Context, store *generic.Store, obj runtime.Object, change func(cur runtime.Object)) error {
	m, _ := meta.Accessor(obj)
	if _, exists, err := store.Exists(ctx, m.GetNamespace(), m.GetName()); err != nil {
		return err
	} else if !exists {
		return create(ctx, store, m.GetNamespace(), obj)
	}
	_, _, err := store.Update(ctx, m.GetNamespace(), m.GetName(), func(_ context.Context, cur runtime.Object) (runtime.Object, error) {
		if cur == nil {
			return nil, apierrors.NewNotFound(corev1.Resource("configmaps"), m.GetName())
		}
		change(cur)
		return cur, nil
	}, generic.UpdateOptions{})
	if err != nil {
		return fmt.Errorf("bootstrap %s/%s: %w", m.GetNamespace(), m.GetName(), err)
	}
	return nil
}
