// Package expectations remembers, per controller key, how many pod
// creations and deletions a controller has asked for but not yet seen in
// its informer cache. A controller that counts pods from a cache must not
// act again until the cache has caught up with its own writes, or it
// creates (or deletes) twice; the job and daemonset controllers consult
// Satisfied before they manage pods.
package expectations

import (
	"sync"
	"time"
)

// Timeout after which unmet expectations are given up on (a watch event
// may have been lost); upstream uses the same five minutes.
const Timeout = 5 * time.Minute

// Expectations is safe for concurrent use. The zero value is not usable;
// call New.
type Expectations struct {
	now func() time.Time
	mu  sync.Mutex
	m   map[string]*pending
}

type pending struct {
	adds, dels int
	since      time.Time
}

// New returns empty expectations; now is the clock (time.Now if nil).
func New(now func() time.Time) *Expectations {
	if now == nil {
		now = time.Now
	}
	return &Expectations{now: now, m: map[string]*pending{}}
}

// Expect records adds creations and dels deletions about to be issued for
// key, replacing whatever was expected before.
func (e *Expectations) Expect(key string, adds, dels int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.m[key] = &pending{adds: adds, dels: dels, since: e.now()}
}

// Created lowers the pending creations of key by one: the informer saw
// a creation, or a creation failed and will never be seen.
func (e *Expectations) Created(key string) { e.lower(key, 1, 0) }

// Deleted lowers the pending deletions of key by one.
func (e *Expectations) Deleted(key string) { e.lower(key, 0, 1) }

func (e *Expectations) lower(key string, adds, dels int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if p, ok := e.m[key]; ok {
		p.adds -= adds
		p.dels -= dels
	}
}

// Satisfied reports whether every write expected for key has been
// observed (or the expectations expired, or none were recorded).
func (e *Expectations) Satisfied(key string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	p, ok := e.m[key]
	return !ok || (p.adds <= 0 && p.dels <= 0) || e.now().Sub(p.since) > Timeout
}

// Forget drops key (its object was deleted).
func (e *Expectations) Forget(key string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.m, key)
}
