package endpointslice

import (
	"sync"
	"time"

	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/cache"
)

// trackerTimeout bounds how long a write is waited for: a slice created
// and at once deleted by someone else is never seen, and must not stall
// its Service for ever.
const trackerTimeout = 30 * time.Second

// tracker remembers, per Service, this controller's slice writes that the
// informer has not shown yet, as upstream's endpointSliceTracker: a sync
// computed from a cache that lacks its own last create would create the
// slice again, and one that still shows a deleted or outdated slice would
// plan from it. Safe for concurrent use.
type tracker struct {
	mu      sync.Mutex
	pending map[cache.ObjectName]map[types.UID]expectation
}

// expectation is what the cache must show of one slice: gone (deleted),
// or present at another resourceVersion than staleRV ("" for a create:
// present at all).
type expectation struct {
	gone    bool
	staleRV string
	at      time.Time
}

func newTracker() *tracker {
	return &tracker{pending: map[cache.ObjectName]map[types.UID]expectation{}}
}

func (t *tracker) expect(svc cache.ObjectName, uid types.UID, e expectation) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.pending[svc] == nil {
		t.pending[svc] = map[types.UID]expectation{}
	}
	e.at = time.Now()
	t.pending[svc][uid] = e
}

// created, updated and deleted record a write that succeeded.
func (t *tracker) created(svc cache.ObjectName, s *discoveryv1.EndpointSlice) {
	t.expect(svc, s.UID, expectation{})
}

func (t *tracker) updated(svc cache.ObjectName, uid types.UID, oldRV string) {
	t.expect(svc, uid, expectation{staleRV: oldRV})
}

func (t *tracker) deleted(svc cache.ObjectName, uid types.UID) {
	t.expect(svc, uid, expectation{gone: true})
}

// forget drops what is expected of a slice the informer saw deleted.
func (t *tracker) forget(svc cache.ObjectName, uid types.UID) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.pending[svc], uid)
}

// stale reports whether cached, the slices the cache shows for svc, still
// miss one of its expected writes; expectations met (or timed out) are
// dropped.
func (t *tracker) stale(svc cache.ObjectName, cached []*discoveryv1.EndpointSlice) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	byUID := make(map[types.UID]*discoveryv1.EndpointSlice, len(cached))
	for _, s := range cached {
		byUID[s.UID] = s
	}
	stale := false
	for uid, e := range t.pending[svc] {
		s, found := byUID[uid]
		waiting := found == e.gone || (found && e.staleRV != "" && s.ResourceVersion == e.staleRV)
		if waiting && time.Since(e.at) < trackerTimeout {
			stale = true
			continue
		}
		delete(t.pending[svc], uid)
	}
	if len(t.pending[svc]) == 0 {
		delete(t.pending, svc)
	}
	return stale
}
