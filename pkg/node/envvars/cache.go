package envvars

import (
	"context"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/clock"
)

// CachingGetter reads through Getter at most once per TTL for each
// object, as the kubelet's TTL cache strategy for ConfigMaps and Secrets:
// the periodic volume refresh of many pods sharing an object (every
// kube-api-access volume projects kube-root-ca.crt) then costs one read
// per TTL, not one per pod. Errors (a missing object) are not cached, so
// a pod waiting for one sees it as soon as it exists.
type CachingGetter struct {
	Getter Getter
	TTL    time.Duration
	Clock  clock.PassiveClock

	mu      sync.Mutex
	entries map[cacheKey]cacheEntry
}

type cacheKey struct {
	secret          bool
	namespace, name string
}

type cacheEntry struct {
	obj     any
	expires time.Time
}

var _ Getter = &CachingGetter{}

// ConfigMap gets a ConfigMap, from the cache while it is fresh.
func (g *CachingGetter) ConfigMap(ctx context.Context, namespace, name string) (*corev1.ConfigMap, error) {
	obj, err := g.get(cacheKey{false, namespace, name}, func() (any, error) { return g.Getter.ConfigMap(ctx, namespace, name) })
	if err != nil {
		return nil, err
	}
	return obj.(*corev1.ConfigMap), nil
}

// Secret gets a Secret, from the cache while it is fresh.
func (g *CachingGetter) Secret(ctx context.Context, namespace, name string) (*corev1.Secret, error) {
	obj, err := g.get(cacheKey{true, namespace, name}, func() (any, error) { return g.Getter.Secret(ctx, namespace, name) })
	if err != nil {
		return nil, err
	}
	return obj.(*corev1.Secret), nil
}

func (g *CachingGetter) get(k cacheKey, read func() (any, error)) (any, error) {
	now := g.Clock.Now()
	g.mu.Lock()
	if e, ok := g.entries[k]; ok && now.Before(e.expires) {
		g.mu.Unlock()
		return e.obj, nil
	}
	g.mu.Unlock()
	obj, err := read()
	if err != nil {
		return nil, err
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.entries == nil {
		g.entries = map[cacheKey]cacheEntry{}
	}
	for old, e := range g.entries { // objects no pod reads any more
		if !now.Before(e.expires) {
			delete(g.entries, old)
		}
	}
	g.entries[k] = cacheEntry{obj: obj, expires: now.Add(g.TTL)}
	return obj, nil
}
