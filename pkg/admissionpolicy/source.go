package admissionpolicy

import (
	"context"
	"fmt"
	"sync"

	admv1 "k8s.io/api/admissionregistration/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
)

// Lister reads one resource from the watch cache (generic.Store's
// ListFromCache and GetFromCache): at least as new as this server's own
// last write of it, so a policy written through this server applies to
// the next request.
type Lister interface {
	ListFromCache(ctx context.Context, ns string) (runtime.Object, error)
	GetFromCache(ctx context.Context, ns, name string) (runtime.Object, error)
}

// ParamSource finds the store of a paramKind (apiVersion and kind);
// namespaced reports the resource's scope.
type ParamSource func(gvk schema.GroupVersionKind) (l Lister, namespaced bool, ok bool)

// compiledCache keeps each policy's compiled form per generation: a
// policy is compiled the first time a request sees its generation, and
// dropped once it is no longer listed.
type compiledCache[P any] struct {
	mu      sync.Mutex
	entries map[types.UID]cacheEntry[P]
}

type cacheEntry[P any] struct {
	generation int64
	compiled   *P
}

// get returns the compiled form of the policy with uid at generation,
// compiling it with compile on a miss.
func (c *compiledCache[P]) get(uid types.UID, generation int64, compile func() *P) *P {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil {
		c.entries = map[types.UID]cacheEntry[P]{}
	}
	if e, ok := c.entries[uid]; ok && e.generation == generation {
		return e.compiled
	}
	p := compile()
	c.entries[uid] = cacheEntry[P]{generation: generation, compiled: p}
	return p
}

// retain drops the entries of policies not in live.
func (c *compiledCache[P]) retain(live map[types.UID]bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for uid := range c.entries {
		if !live[uid] {
			delete(c.entries, uid)
		}
	}
}

// errParamNotFound is a binding whose paramRef selects nothing.
var errParamNotFound = fmt.Errorf("no params found for policy binding with `Deny` parameterNotFoundAction")

// collectParams returns the params a binding selects (upstream's
// generic.CollectParams): one nil param when the policy has no paramKind;
// none (and no error) when nothing is found and parameterNotFoundAction
// is Allow.
func collectParams(ctx context.Context, src ParamSource, kind *admv1.ParamKind, ref *admv1.ParamRef, reqNamespace string) ([]any, error) {
	if kind == nil {
		return []any{nil}, nil
	}
	if ref == nil {
		// A binding that names no param evaluates with null params.
		return []any{nil}, nil
	}
	gv, err := schema.ParseGroupVersion(kind.APIVersion)
	if err != nil {
		return nil, err
	}
	lister, namespaced, ok := src(gv.WithKind(kind.Kind))
	if !ok {
		return nil, fmt.Errorf("failed to find resource referenced by paramKind: '%v'", gv.WithKind(kind.Kind))
	}
	ns := ""
	if namespaced {
		ns = ref.Namespace
		if ns == "" {
			ns = reqNamespace
		}
		if ns == "" {
			return nil, fmt.Errorf("cannot use namespaced paramRef in policy binding that matches cluster-scoped resources")
		}
	}
	var found []runtime.Object
	if ref.Name != "" {
		obj, err := lister.GetFromCache(ctx, ns, ref.Name)
		if err != nil && !apierrors.IsNotFound(err) {
			return nil, err
		}
		if err == nil {
			found = append(found, obj)
		}
	} else {
		sel := labels.Everything()
		if ref.Selector != nil {
			if sel, err = metav1.LabelSelectorAsSelector(ref.Selector); err != nil {
				return nil, err
			}
		}
		list, err := lister.ListFromCache(ctx, ns)
		if err != nil {
			return nil, err
		}
		items, err := meta.ExtractList(list)
		if err != nil {
			return nil, err
		}
		for _, it := range items {
			if m := metaOf(it); m != nil && sel.Matches(labels.Set(m.GetLabels())) {
				found = append(found, it)
			}
		}
	}
	if len(found) == 0 {
		if ref.ParameterNotFoundAction != nil && *ref.ParameterNotFoundAction == admv1.AllowAction {
			return nil, nil
		}
		return nil, errParamNotFound
	}
	out := make([]any, 0, len(found))
	for _, obj := range found {
		j, err := toJSON(obj)
		if err != nil {
			return nil, err
		}
		if m, ok := j.(map[string]any); ok {
			m["apiVersion"], m["kind"] = kind.APIVersion, kind.Kind
		}
		out = append(out, j)
	}
	return out, nil
}
