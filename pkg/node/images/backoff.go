package images

import (
	"sync"
	"time"
)

// backoff is the per-(pod, image) pull back-off: after a failure the
// next pull waits initial, doubling per failure up to max; an entry
// idle for twice max starts over. Safe for concurrent use.
type backoff struct {
	initial, max time.Duration

	mu      sync.Mutex
	entries map[string]*backoffEntry
}

type backoffEntry struct {
	delay      time.Duration
	lastFailed time.Time
	// lastError is the failure, repeated while it is fresh and then in
	// ImagePullBackOff's message.
	lastError *Error
}

func newBackoff(initial, max time.Duration) *backoff {
	return &backoff{initial: initial, max: max, entries: map[string]*backoffEntry{}}
}

// wait returns how long key must still wait at now (0: may pull), how
// long since the last failure, and that failure.
func (b *backoff) wait(key string, now time.Time) (left, since time.Duration, last *Error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	e := b.entries[key]
	if e == nil {
		return 0, 0, nil
	}
	return max(0, e.lastFailed.Add(e.delay).Sub(now)), now.Sub(e.lastFailed), e.lastError
}

// failed records a failure of key at now and returns the delay before
// the next attempt.
func (b *backoff) failed(key string, now time.Time, err *Error) time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	e := b.entries[key]
	switch {
	case e == nil || now.Sub(e.lastFailed) > 2*b.max:
		e = &backoffEntry{delay: b.initial}
		b.entries[key] = e
	default:
		e.delay = min(2*e.delay, b.max)
	}
	e.lastFailed, e.lastError = now, err
	return e.delay
}

// succeeded forgets key, and every entry idle for twice max.
func (b *backoff) succeeded(key string, now time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.entries, key)
	for k, e := range b.entries {
		if now.Sub(e.lastFailed) > 2*b.max {
			delete(b.entries, k)
		}
	}
}
