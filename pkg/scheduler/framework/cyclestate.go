package framework

import "sync"

// CycleState carries data between the extension points of one
// scheduling cycle, keyed by the plugin that wrote it. Reads are safe
// concurrently with each other; writes happen in PreFilter/PreScore,
// which run one at a time.
type CycleState struct {
	// PodInfo is the pod being scheduled, parsed once per cycle.
	PodInfo *PodInfo

	mu   sync.RWMutex
	data map[string]any
	// skip holds plugins whose PreFilter/PreScore answered Skip.
	skipFilter, skipScore map[string]bool
}

// NewCycleState returns an empty state for scheduling pi.
func NewCycleState(pi *PodInfo) *CycleState {
	return &CycleState{PodInfo: pi, data: map[string]any{}, skipFilter: map[string]bool{}, skipScore: map[string]bool{}}
}

// Write stores v under key.
func (c *CycleState) Write(key string, v any) {
	c.mu.Lock()
	c.data[key] = v
	c.mu.Unlock()
}

// Read returns the value stored under key as a T.
func Read[T any](c *CycleState, key string) (T, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	v, ok := c.data[key].(T)
	return v, ok
}

// SetSkipFilter records whether plugin's Filter is skipped this cycle.
func (c *CycleState) SetSkipFilter(plugin string, skip bool) {
	c.mu.Lock()
	c.skipFilter[plugin] = skip
	c.mu.Unlock()
}

// SkipFilter reports whether plugin's Filter is skipped this cycle.
func (c *CycleState) SkipFilter(plugin string) bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.skipFilter[plugin]
}

// SetSkipScore records whether plugin's Score is skipped this cycle.
func (c *CycleState) SetSkipScore(plugin string, skip bool) {
	c.mu.Lock()
	c.skipScore[plugin] = skip
	c.mu.Unlock()
}

// SkipScore reports whether plugin's Score is skipped this cycle.
func (c *CycleState) SkipScore(plugin string) bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.skipScore[plugin]
}
