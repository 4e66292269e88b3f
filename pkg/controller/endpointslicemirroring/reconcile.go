package endpointslicemirroring

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
)

// meta is what every mirrored slice of one Endpoints carries.
type meta struct {
	labels, annotations map[string]string
	owner               metav1.OwnerReference
}

// metaFor: the Endpoints' labels with the service-name and managed-by
// labels set, its annotations but the last-change trigger time and
// kubectl's last-applied configuration, and the Endpoints as controller.
func metaFor(ep *corev1.Endpoints) meta {
	m := meta{labels: map[string]string{}, owner: *metav1.NewControllerRef(ep, corev1.SchemeGroupVersion.WithKind("Endpoints"))}
	for k, v := range ep.Labels {
		m.labels[k] = v
	}
	m.labels[discoveryv1.LabelServiceName] = ep.Name
	m.labels[discoveryv1.LabelManagedBy] = ControllerName
	for k, v := range ep.Annotations {
		if k == corev1.EndpointsLastChangeTriggerTime || k == corev1.LastAppliedConfigAnnotation {
			continue
		}
		if m.annotations == nil {
			m.annotations = map[string]string{}
		}
		m.annotations[k] = v
	}
	return m
}

// reconcile makes the existing mirrored slices match the groups: chunk i
// of a group (MaxEndpointsPerSubset each) goes into the group's i-th
// existing slice or a new one, a new one taking over a slice of the same
// address type that would be deleted; the rest are deleted.
func (c *Controller) reconcile(ctx context.Context, ep *corev1.Endpoints, groups []group, existing []*discoveryv1.EndpointSlice) error {
	m := metaFor(ep)
	sort.Slice(existing, func(i, j int) bool { return existing[i].Name < existing[j].Name })
	byKey := map[string][]*discoveryv1.EndpointSlice{}
	for _, s := range existing {
		k := group{addressType: s.AddressType, ports: s.Ports}.key()
		byKey[k] = append(byKey[k], s)
	}
	type pending struct {
		g   group
		eps []discoveryv1.Endpoint
	}
	var creates []pending
	var deletes []*discoveryv1.EndpointSlice
	var errs []error
	for _, g := range groups {
		have := byKey[g.key()]
		delete(byKey, g.key())
		chunks := chunk(g.endpoints, MaxEndpointsPerSubset)
		for i, eps := range chunks {
			if i < len(have) {
				errs = append(errs, c.update(ctx, have[i], m, g.ports, eps))
				continue
			}
			creates = append(creates, pending{g, eps})
		}
		deletes = append(deletes, have[min(len(chunks), len(have)):]...)
	}
	keys := make([]string, 0, len(byKey))
	for k := range byKey {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		deletes = append(deletes, byKey[k]...)
	}
	for _, p := range creates {
		reused := false
		for i, s := range deletes {
			if s.AddressType == p.g.addressType {
				errs = append(errs, c.update(ctx, s, m, p.g.ports, p.eps))
				deletes = append(deletes[:i], deletes[i+1:]...)
				reused = true
				break
			}
		}
		if !reused {
			errs = append(errs, c.create(ctx, ep, m, p.g, p.eps))
		}
	}
	for _, s := range deletes {
		errs = append(errs, c.delete(ctx, s))
	}
	return errors.Join(errs...)
}

func chunk(eps []discoveryv1.Endpoint, n int) [][]discoveryv1.Endpoint {
	var out [][]discoveryv1.Endpoint
	for len(eps) > n {
		out = append(out, eps[:n])
		eps = eps[n:]
	}
	if len(eps) > 0 {
		out = append(out, eps)
	}
	return out
}

func (c *Controller) create(ctx context.Context, ep *corev1.Endpoints, m meta, g group, eps []discoveryv1.Endpoint) error {
	s := &discoveryv1.EndpointSlice{
		ObjectMeta: metav1.ObjectMeta{GenerateName: ep.Name + "-", Labels: m.labels, Annotations: m.annotations,
			OwnerReferences: []metav1.OwnerReference{m.owner}},
		AddressType: g.addressType, Ports: g.ports, Endpoints: eps,
	}
	_, err := c.client.DiscoveryV1().EndpointSlices(ep.Namespace).Create(ctx, s, metav1.CreateOptions{})
	if apierrors.IsForbidden(err) {
		return nil // namespace terminating
	}
	if err != nil {
		return fmt.Errorf("mirroring endpoints %s/%s: %w", ep.Namespace, ep.Name, err)
	}
	return nil
}

func (c *Controller) update(ctx context.Context, s *discoveryv1.EndpointSlice, m meta, ports []discoveryv1.EndpointPort, eps []discoveryv1.Endpoint) error {
	if equality.Semantic.DeepEqual(s.Endpoints, eps) && equality.Semantic.DeepEqual(s.Ports, ports) &&
		equality.Semantic.DeepEqual(s.Labels, m.labels) && len(s.Annotations) == len(m.annotations) &&
		(len(m.annotations) == 0 || equality.Semantic.DeepEqual(s.Annotations, m.annotations)) &&
		len(s.OwnerReferences) == 1 && s.OwnerReferences[0].UID == m.owner.UID {
		return nil
	}
	s = s.DeepCopy()
	s.Endpoints, s.Ports, s.Labels, s.Annotations = eps, ports, m.labels, m.annotations
	s.OwnerReferences = []metav1.OwnerReference{m.owner}
	_, err := c.client.DiscoveryV1().EndpointSlices(s.Namespace).Update(ctx, s, metav1.UpdateOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	return err
}

func (c *Controller) delete(ctx context.Context, s *discoveryv1.EndpointSlice) error {
	uid := s.UID
	err := c.client.DiscoveryV1().EndpointSlices(s.Namespace).Delete(ctx, s.Name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &uid}})
	if apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
		return nil
	}
	return err
}
