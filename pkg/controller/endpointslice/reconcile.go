package endpointslice

import (
	"context"
	"errors"
	"fmt"
	"sort"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/tools/cache"
)

// existingSlices lists the slices this controller manages for svc,
// sorted by name.
func (c *Controller) existingSlices(svc *corev1.Service) ([]*discoveryv1.EndpointSlice, error) {
	sel := labels.SelectorFromSet(labels.Set{discoveryv1.LabelServiceName: svc.Name, discoveryv1.LabelManagedBy: ControllerName})
	list, err := c.slices.EndpointSlices(svc.Namespace).List(sel)
	if err != nil {
		return nil, err
	}
	sort.Slice(list, func(i, j int) bool { return list[i].Name < list[j].Name })
	return list, nil
}

// sliceLabels are the service's labels plus the ones that tie a slice to
// it (and mark headless services), as upstream.
func sliceLabels(svc *corev1.Service) map[string]string {
	out := map[string]string{}
	for k, v := range svc.Labels {
		out[k] = v
	}
	out[discoveryv1.LabelServiceName] = svc.Name
	out[discoveryv1.LabelManagedBy] = ControllerName
	if svc.Spec.ClusterIP == corev1.ClusterIPNone {
		out[corev1.IsHeadlessService] = ""
	} else {
		delete(out, corev1.IsHeadlessService)
	}
	return out
}

// reconcile makes the existing slices match the desired groups: each
// group is cut into chunks of MaxEndpointsPerSlice, chunk i goes into the
// group's i-th existing slice (updated only if it differs) or a new one;
// slices left over are deleted. Simpler than upstream's placement, which
// moves as few endpoints as possible between slices; here a pod added in
// the middle shifts later endpoints into neighbouring slices.
//
// As upstream, a slice that would be created while another of the same
// address type would be deleted is written over the doomed one instead:
// a Service's placeholder slice becomes its first real slice in one
// update, so readers never see the empty placeholder next to endpoints.
func (c *Controller) reconcile(ctx context.Context, svc *corev1.Service, groups []group, existing []*discoveryv1.EndpointSlice) error {
	lbls := sliceLabels(svc)
	byKey := map[string][]*discoveryv1.EndpointSlice{}
	for _, s := range existing {
		k := group{addressType: s.AddressType, ports: s.Ports}.key()
		byKey[k] = append(byKey[k], s)
	}
	// A Service with no endpoints still gets one empty slice (upstream
	// does the same: consumers can tell "no endpoints" from "not synced").
	if len(groups) == 0 {
		groups = []group{{addressType: addressTypeOf(svc)}}
	}
	var errs []error
	var creates []pendingSlice
	var deletes []*discoveryv1.EndpointSlice
	for _, g := range groups {
		have := byKey[g.key()]
		delete(byKey, g.key())
		chunks := chunk(g.endpoints, MaxEndpointsPerSlice)
		for i, eps := range chunks {
			if i < len(have) {
				errs = append(errs, c.update(ctx, have[i], lbls, g.ports, eps))
				continue
			}
			creates = append(creates, pendingSlice{g, eps})
		}
		deletes = append(deletes, have[min(len(chunks), len(have)):]...)
	}
	for _, k := range sortedKeys(byKey) {
		deletes = append(deletes, byKey[k]...)
	}
	for _, p := range creates {
		if i := indexOfType(deletes, p.group.addressType); i >= 0 {
			errs = append(errs, c.update(ctx, deletes[i], lbls, p.group.ports, p.endpoints))
			deletes = append(deletes[:i], deletes[i+1:]...)
			continue
		}
		errs = append(errs, c.create(ctx, svc, lbls, p.group, p.endpoints))
	}
	for _, s := range deletes {
		errs = append(errs, c.delete(ctx, s))
	}
	return errors.Join(errs...)
}

// pendingSlice is a slice reconcile has still to write.
type pendingSlice struct {
	group     group
	endpoints []discoveryv1.Endpoint
}

func indexOfType(slices []*discoveryv1.EndpointSlice, t discoveryv1.AddressType) int {
	for i, s := range slices {
		if s.AddressType == t {
			return i
		}
	}
	return -1
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func addressTypeOf(svc *corev1.Service) discoveryv1.AddressType {
	if len(svc.Spec.IPFamilies) > 0 && svc.Spec.IPFamilies[0] == corev1.IPv6Protocol {
		return discoveryv1.AddressTypeIPv6
	}
	return discoveryv1.AddressTypeIPv4
}

// chunk cuts eps into pieces of at most n; no endpoints is one empty
// piece.
func chunk(eps []discoveryv1.Endpoint, n int) [][]discoveryv1.Endpoint {
	if len(eps) == 0 {
		return [][]discoveryv1.Endpoint{nil}
	}
	var out [][]discoveryv1.Endpoint
	for len(eps) > n {
		out = append(out, eps[:n])
		eps = eps[n:]
	}
	return append(out, eps)
}

func (c *Controller) create(ctx context.Context, svc *corev1.Service, lbls map[string]string, g group, eps []discoveryv1.Endpoint) error {
	s := &discoveryv1.EndpointSlice{
		ObjectMeta: metav1.ObjectMeta{
			GenerateName:    svc.Name + "-",
			Labels:          lbls,
			OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(svc, corev1.SchemeGroupVersion.WithKind("Service"))},
		},
		AddressType: g.addressType, Ports: g.ports, Endpoints: eps,
	}
	created, err := c.client.DiscoveryV1().EndpointSlices(svc.Namespace).Create(ctx, s, metav1.CreateOptions{})
	if apierrors.IsForbidden(err) {
		return nil // namespace terminating
	}
	if err != nil {
		return fmt.Errorf("creating endpoint slice for %s/%s: %w", svc.Namespace, svc.Name, err)
	}
	c.tracker.created(cache.MetaObjectToName(svc), created)
	return nil
}

func (c *Controller) update(ctx context.Context, s *discoveryv1.EndpointSlice, lbls map[string]string, ports []discoveryv1.EndpointPort, eps []discoveryv1.Endpoint) error {
	if equality.Semantic.DeepEqual(s.Endpoints, eps) && equality.Semantic.DeepEqual(s.Labels, lbls) &&
		portsKey(s.Ports) == portsKey(ports) && len(s.Ports) == len(ports) {
		return nil
	}
	s = s.DeepCopy()
	s.Endpoints, s.Labels, s.Ports = eps, lbls, ports
	_, err := c.client.DiscoveryV1().EndpointSlices(s.Namespace).Update(ctx, s, metav1.UpdateOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err == nil {
		c.tracker.updated(serviceOf(s), s.UID, s.ResourceVersion)
	}
	return err
}

func (c *Controller) delete(ctx context.Context, s *discoveryv1.EndpointSlice) error {
	uid := s.UID
	err := c.client.DiscoveryV1().EndpointSlices(s.Namespace).Delete(ctx, s.Name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &uid}})
	if apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
		return nil
	}
	if err == nil {
		c.tracker.deleted(serviceOf(s), uid)
	}
	return err
}

// serviceOf is the key of the Service a slice of ours belongs to.
func serviceOf(s *discoveryv1.EndpointSlice) cache.ObjectName {
	return cache.ObjectName{Namespace: s.Namespace, Name: s.Labels[discoveryv1.LabelServiceName]}
}
