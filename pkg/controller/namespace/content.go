package namespace

import (
	"context"
	"fmt"
	"sort"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"

	"github.com/tinykube/tinykube/pkg/controller"
)

// errRemaining means content is still going away (graceful deletion,
// finalizers): not a failure, the namespace is retried with backoff and
// nothing is logged.
var errRemaining = fmt.Errorf("%w for content to go", controller.ErrWaiting)

// contentResult is what one pass over a namespace's content found.
type contentResult struct {
	discoveryErr error
	// failed lists delete/list errors per resource.
	failed []string
	// remaining counts objects still present per resource ("pods.",
	// "deployments.apps"); finalizers counts finalizers they still carry.
	remaining  map[string]int
	finalizers map[string]int
}

// err folds the result into the error sync returns.
func (r contentResult) err() error {
	switch {
	case r.discoveryErr != nil:
		return fmt.Errorf("discovering namespaced resources: %w", r.discoveryErr)
	case len(r.failed) > 0:
		return fmt.Errorf("deleting content: %s", strings.Join(r.failed, "; "))
	case len(r.remaining) > 0:
		return fmt.Errorf("%w: %s", errRemaining, summary(r.remaining))
	}
	return nil
}

// deleteContent deletes every namespaced object in ns (one
// deletecollection per resource that supports it; pods first, the rest
// only once no pod is left) and counts what is left. Deletion uses background propagation: the garbage collector
// removes dependents, here or elsewhere.
func (c *Controller) deleteContent(ctx context.Context, ns string) contentResult {
	res := contentResult{remaining: map[string]int{}, finalizers: map[string]int{}}
	lists, err := c.discovery.ServerPreferredNamespacedResources()
	if err != nil && !discovery.IsGroupDiscoveryFailedError(err) {
		res.discoveryErr = err
		return res
	}
	// With some groups failing we still empty what we can, but must not
	// finalize: their content may remain.
	res.discoveryErr = err
	lists = discovery.FilteredBy(discovery.SupportsAllVerbs{Verbs: []string{"list", "deletecollection"}}, lists)
	gvrs, err := discovery.GroupVersionResources(lists)
	if err != nil {
		res.discoveryErr = err
		return res
	}
	// Pods go first, and nothing else goes while any remain (upstream's
	// ordered namespace deletion, KEP-5080): a pod still running must not
	// lose the ConfigMaps, Secrets and ServiceAccount it uses.
	pods := schema.GroupVersionResource{Version: "v1", Resource: "pods"}
	if _, ok := gvrs[pods]; ok {
		delete(gvrs, pods)
		c.deleteAll(ctx, ns, pods, &res)
		if res.remaining[resourceName(pods)] > 0 {
			sort.Strings(res.failed)
			return res
		}
	}
	for gvr := range gvrs {
		if strings.Contains(gvr.Resource, "/") {
			continue // subresource
		}
		c.deleteAll(ctx, ns, gvr, &res)
	}
	sort.Strings(res.failed)
	return res
}

// deleteAll deletes every gvr object in ns with one deletecollection and
// adds what remains (and its finalizers), or the error, to res.
func (c *Controller) deleteAll(ctx context.Context, ns string, gvr schema.GroupVersionResource, res *contentResult) {
	background := metav1.DeletePropagationBackground
	client := c.metadata.Resource(gvr).Namespace(ns)
	err := client.DeleteCollection(ctx, metav1.DeleteOptions{PropagationPolicy: &background}, metav1.ListOptions{})
	if err != nil && !apierrors.IsNotFound(err) {
		res.failed = append(res.failed, fmt.Sprintf("%s: %v", resourceName(gvr), err))
		return
	}
	list, err := client.List(ctx, metav1.ListOptions{})
	if apierrors.IsNotFound(err) {
		return
	}
	if err != nil {
		res.failed = append(res.failed, fmt.Sprintf("%s: %v", resourceName(gvr), err))
		return
	}
	for _, item := range list.Items {
		res.remaining[resourceName(gvr)]++
		for _, f := range item.Finalizers {
			res.finalizers[f]++
		}
	}
}

// resourceName is "resource.group" as upstream's conditions print it.
func resourceName(gvr schema.GroupVersionResource) string {
	return gvr.Resource + "." + gvr.Group
}

// summary prints counts as "pods. has 2 resource instances, …", sorted.
func summary(counts map[string]int) string {
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s has %d resource instances", k, counts[k])
	}
	return strings.Join(parts, ", ")
}
