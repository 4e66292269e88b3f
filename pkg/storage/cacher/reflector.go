package cacher

import (
	"errors"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/tinykube/tinykube/pkg/storage"
)

// run keeps the cache in sync with the store until Stop: list, watch
// from the list's revision, and start over (after a short backoff) when
// the watch fails.
func (c *Cacher) run() {
	defer close(c.done)
	defer c.terminateAll()
	backoff := 100 * time.Millisecond
	for c.ctx.Err() == nil {
		err := c.listAndWatch()
		if c.ctx.Err() != nil {
			return
		}
		c.cfg.Logger.Warn("watch cache: re-listing", "resource", c.cfg.ResourcePrefix, "err", err)
		select {
		case <-c.ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 5*time.Second)
	}
}

func (c *Cacher) listAndWatch() error {
	list := c.cfg.NewListFunc()
	if err := c.storage.GetList(c.ctx, c.prefix, storage.ListOptions{Recursive: true}, list); err != nil {
		return fmt.Errorf("list: %w", err)
	}
	lm, err := meta.ListAccessor(list)
	if err != nil {
		return err
	}
	rev, err := storage.ParseResourceVersion(lm.GetResourceVersion())
	if err != nil {
		return err
	}
	items, err := meta.ExtractList(list)
	if err != nil {
		return err
	}
	objects := make(map[string]*entry, len(items))
	for _, obj := range items {
		key, err := c.cfg.KeyFunc(obj)
		if err != nil {
			return err
		}
		objects[key] = c.newEntry(key, obj)
	}

	w, err := c.storage.Watch(c.ctx, c.prefix, storage.ListOptions{
		Recursive: true, ResourceVersion: lm.GetResourceVersion(), ProgressNotify: true,
	})
	if err != nil {
		return fmt.Errorf("watch: %w", err)
	}
	defer w.Stop()

	c.mu.Lock()
	c.terminateAllLocked() // they may have missed events while we re-listed
	c.objects = newObjectIndex(objects)
	c.events.reset(rev)
	if c.firstRev == 0 {
		c.firstRev = rev
	}
	c.ready = true
	c.rev = 0
	c.advanceLocked(rev)
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		c.ready = false
		c.advanceLocked(0)
		c.mu.Unlock()
	}()

	bookmarks := time.NewTicker(c.cfg.BookmarkInterval)
	defer bookmarks.Stop()
	for {
		select {
		case <-c.ctx.Done():
			return nil
		case <-bookmarks.C:
			c.sendBookmarks()
		case ev, ok := <-w.ResultChan():
			if !ok {
				return errors.New("watch closed")
			}
			if err := c.process(ev); err != nil {
				return err
			}
		}
	}
}

// process applies one event from the store to the cache and fans it out.
func (c *Cacher) process(ev watch.Event) error {
	if ev.Type == watch.Error {
		if s, ok := ev.Object.(*metav1.Status); ok {
			return fmt.Errorf("watch error: %d %s", s.Code, s.Message)
		}
		return fmt.Errorf("watch error: %v", ev.Object)
	}
	m, err := meta.Accessor(ev.Object)
	if err != nil {
		return err
	}
	rev, err := storage.ParseResourceVersion(m.GetResourceVersion())
	if err != nil {
		return err
	}
	if ev.Type == watch.Bookmark {
		c.mu.Lock()
		c.advanceLocked(rev)
		c.mu.Unlock()
		return nil
	}
	key, err := c.cfg.KeyFunc(ev.Object)
	if err != nil {
		return err
	}
	cur := c.newEntry(key, ev.Object)

	c.mu.Lock()
	defer c.mu.Unlock()
	prev, _ := c.objects.get(key)
	e := &event{typ: ev.Type, key: key, cur: cur, prev: prev, rev: rev}
	switch ev.Type {
	case watch.Added, watch.Modified:
		c.objects.set(cur)
		if prev != nil {
			e.typ = watch.Modified
		} else {
			e.typ = watch.Added
		}
	case watch.Deleted:
		c.objects.delete(key)
	default:
		return fmt.Errorf("unexpected watch event %q", ev.Type)
	}
	c.events.add(e, time.Now())
	c.dispatchLocked(e)
	c.advanceLocked(rev)
	return nil
}

// dispatchLocked hands e to every watcher whose key it concerns. Watchers
// with room get it at once; the others share a short grace period
// (dispatchBudget, as upstream's cacher) and are closed if they still
// have no room, so one slow client cannot stall the rest for long.
func (c *Cacher) dispatchLocked(e *event) {
	var blocked []*cacheWatcher
	for w := range c.watchers {
		if !w.wants(e.key) {
			continue
		}
		select {
		case w.input <- e:
		default:
			blocked = append(blocked, w)
		}
	}
	if len(blocked) == 0 {
		return
	}
	timer := time.NewTimer(dispatchBudget)
	defer timer.Stop()
	expired := false
	for _, w := range blocked {
		if !expired {
			select {
			case w.input <- e:
				continue
			case <-w.done:
				c.terminateLocked(w)
				continue
			case <-timer.C:
				expired = true
			}
		}
		// Once the budget is spent, a watcher still gets the event if it
		// has made room meanwhile (a fast one, full only for a moment
		// of a burst, while a slow one used up the budget), as upstream.
		select {
		case w.input <- e:
			continue
		default:
		}
		c.terminateLocked(w)
	}
}

// dispatchBudget is how long one event's fan-out may wait for slow watchers.
const dispatchBudget = 50 * time.Millisecond

// sendBookmarks gives every watcher that asked for bookmarks one at the
// cache's revision, if its buffer has room (a bookmark is only a hint).
func (c *Cacher) sendBookmarks() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.ready {
		return
	}
	e := &event{typ: watch.Bookmark, rev: c.rev}
	for w := range c.watchers {
		if !w.bookmarks || c.rev <= w.startRev {
			continue
		}
		select {
		case w.input <- e:
		default:
		}
	}
}

// terminateLocked closes w's input; its goroutine drains what was sent
// and then closes the result channel.
func (c *Cacher) terminateLocked(w *cacheWatcher) {
	if _, ok := c.watchers[w]; !ok {
		return
	}
	delete(c.watchers, w)
	close(w.input)
}

func (c *Cacher) terminateAllLocked() {
	for w := range c.watchers {
		c.terminateLocked(w)
	}
}

func (c *Cacher) terminateAll() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.terminateAllLocked()
	c.ready = false
	c.advanceLocked(0)
}
