package expectations

import (
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// Timeout after which unmet expectations are given up on (a watch event
// may have been lost); upstream uses the same five minutes.
const Timeout = 5 * time.Minute

// Expectations of the controller keys K.
//
// Creations are a count (a created pod's name is only known once the
// server answers); deletions are a set of pod names, so a pod seen first
// with a deletionTimestamp and then deleted is counted once, and the
// deletion of a pod nobody asked for does not count.
//
// Safe for concurrent use. The zero value is not usable; call New.
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

// New returns empty expectations; now is the clock (nil: time.Now).
func New[K comparable](now func() time.Time) *Expectations[K] {
	if now == nil {
		now = time.Now
	}
	return &Expectations[K]{m: map[K]*expectation{}, now: now}
}

// Expect records that adds pods are about to be created and dels
// deleted for key. It replaces what key expected before.
func (e *Expectations[K]) Expect(key K, adds int, dels []*corev1.Pod) {
	e.mu.Lock()
	defer e.mu.Unlock()
	x := &expectation{adds: adds, dels: make(map[string]struct{}, len(dels)), at: e.now()}
	for _, p := range dels {
		x.dels[p.Name] = struct{}{}
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

// DeletionObserved marks pod's deletion as seen (it is terminating or
// gone), or failed and never to be seen.
func (e *Expectations[K]) DeletionObserved(key K, pod *corev1.Pod) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if x, ok := e.m[key]; ok {
		delete(x.dels, pod.Name)
	}
}

// Satisfied reports whether key has no outstanding creations or
// deletions, or its expectations are older than Timeout.
func (e *Expectations[K]) Satisfied(key K) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	x, ok := e.m[key]
	if !ok {
		return true
	}
	if (x.adds <= 0 && len(x.dels) == 0) || e.now().Sub(x.at) > Timeout {
		delete(e.m, key)
		return true
	}
	return false
}

// Forget drops key's expectations (its owner is gone).
func (e *Expectations[K]) Forget(key K) {
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.m, key)
}
