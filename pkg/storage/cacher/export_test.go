package cacher

// Waiting is how many reads are blocked waiting for the cache to reach a
// revision.
func (c *Cacher) Waiting() int { return int(c.waiting.Load()) }
