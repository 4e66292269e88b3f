package podcontrol

import (
	"sync"
	"time"
)

// ExpectationsTTL is how long unmet expectations block a controller
// before it stops trusting them (a watch event may have been lost).
const ExpectationsTTL = 5 * time.Minute

// Expectations remembers, per owner key, the pod creations and deletions
// a controller has issued but not yet seen in its informer. A controller
// only counts pods and acts again when its expectations are satisfied,
// so a sync that runs before the informer has caught up does not create
// (or delete) the same pods twice.
//
// Creations are a count (a created pod's name is only known once the
// server answers); deletions are a set of pod names, so a pod seen first
// with a deletionTimestamp and then deleted is counted once.
//
// Safe for concurrent use.
type Expectations[K comparable] struct {
	mu  sync.Mutex
	m   map[K]*expectation
	now func() time.Time
}

type expectation struct {
	adds int
	dels map[string]struct{}
	at   time.Time
}

// NewExpectations returns empty expectations; now is the clock (nil:
// time.Now).
func NewExpectations[K comparable](now func() time.Time) *Expectations[K] {
	if now == nil {
		now = time.Now
	}
	return &Expectations[K]{m: map[K]*expectation{}, now: now}
}

// Satisfied reports whether key has no outstanding creations or
// deletions, or its expectations are older than ExpectationsTTL.
func (e *Expectations[K]) Satisfied(key K) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	x, ok := e.m[key]
	if !ok {
		return true
	}
	if (x.adds <= 0 && len(x.dels) == 0) || e.now().Sub(x.at) > ExpectationsTTL {
		delete(e.m, key)
		return true
	}
	return false
}

// ExpectCreations records that n pods are about to be created for key.
// It replaces what key expected before.
func (e *Expectations[K]) ExpectCreations(key K, n int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.m[key] = &expectation{adds: n, at: e.now()}
}

// ExpectDeletions records that the named pods are about to be deleted
// for key. It replaces what key expected before.
func (e *Expectations[K]) ExpectDeletions(key K, podNames []string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	x := &expectation{dels: make(map[string]struct{}, len(podNames)), at: e.now()}
	for _, n := range podNames {
		x.dels[n] = struct{}{}
	}
	e.m[key] = x
}

// CreationObserved lowers key's expected creations by one: a created pod
// was seen, or a create failed and will never be seen.
func (e *Expectations[K]) CreationObserved(key K) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if x, ok := e.m[key]; ok && x.adds > 0 {
		x.adds--
	}
}

// DeletionObserved marks the named pod's deletion as seen (or failed).
func (e *Expectations[K]) DeletionObserved(key K, podName string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if x, ok := e.m[key]; ok {
		delete(x.dels, podName)
	}
}

// Forget drops key's expectations (its owner is gone).
func (e *Expectations[K]) Forget(key K) {
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.m, key)
}
