package etcd3

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/tinykube/tinykube/pkg/storage"
)

// watchBuffer is how many decoded events a watcher holds for a slow reader
// before it stops reading from etcd.
const watchBuffer = 100

// Watch implements storage.Interface with one etcd watch per call.
//
// Initial state: with SendInitialEvents=true, or when it is unset and RV
// is "" or "0", the current objects are listed and sent as ADDED, and the
// watch starts after that list's revision (with SendInitialEvents=true,
// then a Bookmark marking the end of the initial events). Otherwise
// events after RV are sent ("" with SendInitialEvents=false: from now).
// A compacted RV fails Watch itself with an *storage.RVError (ErrExpired);
// a compaction or etcd failure later ends the stream with one watch.Error
// event carrying a *metav1.Status (410 Expired, or 500).
func (s *Store) Watch(ctx context.Context, key string, opts storage.ListOptions) (watch.Interface, error) {
	rv, err := storage.ParseResourceVersion(opts.ResourceVersion)
	if err != nil {
		return nil, err
	}
	if opts.Recursive {
		key = storage.PrefixKey(key)
	}
	initial := rv == 0
	if opts.SendInitialEvents != nil {
		initial = *opts.SendInitialEvents
	}

	ctx, cancel := context.WithCancel(ctx)
	w := &watcher{
		store:  s,
		pred:   opts.Predicate,
		notify: opts.ProgressNotify,
		result: make(chan watch.Event, watchBuffer),
		cancel: cancel,
		done:   make(chan struct{}),
	}

	var initialObjs []runtime.Object
	if initial {
		objs, listRev, err := s.listForWatch(ctx, key, opts.Recursive, rv, opts.Predicate)
		if err != nil {
			cancel()
			return nil, err
		}
		initialObjs, rv = objs, listRev
	}

	if rv > 0 && !initial {
		// etcd reports a compacted watch start only after the watch is
		// created; a read at rv tells synchronously.
		if _, err := s.client.Get(ctx, key, clientv3.WithRev(rv), clientv3.WithCountOnly()); err != nil {
			if !errors.Is(err, rpctypes.ErrFutureRev) {
				cancel()
				return nil, s.listError(ctx, err, rv, false, "", "", "")
			}
		}
	}

	wopts := []clientv3.OpOption{clientv3.WithPrevKV()}
	if rv > 0 || initial {
		// Start at rv itself, not rv+1, and drop rv's own events: etcd
		// answers a progress request on a gRPC stream only when no watch
		// on it starts after its current revision, and every watch on the
		// stream (every watch cache's included) shares it. A watch from
		// rv+1 made while rv is etcd's newest revision would refuse
		// progress to the whole stream until the next write anywhere, and
		// the watch caches' consistent reads wait on that progress.
		wopts = append(wopts, clientv3.WithRev(rv))
		w.after = rv
	}
	if opts.Recursive {
		wopts = append(wopts, clientv3.WithPrefix())
	}
	if opts.ProgressNotify {
		wopts = append(wopts, clientv3.WithProgressNotify())
	}
	wch := s.client.Watch(clientv3.WithRequireLeader(ctx), key, wopts...)

	var bookmark runtime.Object
	if opts.SendInitialEvents != nil && *opts.SendInitialEvents {
		if bookmark, err = InitialEventsEndBookmark(s.newFunc, rv); err != nil {
			cancel()
			return nil, err
		}
	}
	go w.run(ctx, wch, initialObjs, bookmark)
	return w, nil
}

// InitialEventsEndBookmark returns the object of the Bookmark that ends
// the initial events of a WatchList: an empty object of the watched type
// with only resourceVersion and the k8s.io/initial-events-end annotation.
func InitialEventsEndBookmark(newFunc func() runtime.Object, rev int64) (runtime.Object, error) {
	obj := newFunc()
	if err := setRV(obj, rev); err != nil {
		return nil, err
	}
	m, _ := metaAccessor(obj)
	m.SetAnnotations(map[string]string{metav1.InitialEventsAnnotationKey: "true"})
	return obj, nil
}

// listForWatch reads the current objects under key that pass pred, at
// the latest revision (which must be at least minRV).
func (s *Store) listForWatch(ctx context.Context, key string, recursive bool, minRV int64, pred storage.Predicate) ([]runtime.Object, int64, error) {
	var getOpts []clientv3.OpOption
	if recursive {
		getOpts = append(getOpts, clientv3.WithPrefix())
	}
	resp, err := s.client.Get(ctx, key, getOpts...)
	if err != nil {
		return nil, 0, err
	}
	if minRV > resp.Header.Revision {
		return nil, 0, &storage.RVError{Err: storage.ErrTooLarge, Requested: minRV, Current: resp.Header.Revision}
	}
	var objs []runtime.Object
	for _, kv := range resp.Kvs {
		obj := s.newFunc()
		if err := s.decode(kv.Value, obj, kv.ModRevision); err != nil {
			return nil, 0, err
		}
		if ok, err := pred.Matches(obj); err != nil {
			return nil, 0, err
		} else if ok {
			objs = append(objs, obj)
		}
	}
	return objs, resp.Header.Revision, nil
}

// watcher turns one etcd watch into watch.Events.
type watcher struct {
	store  *Store
	pred   storage.Predicate
	notify bool
	// after: events at or before this revision are already known to the
	// client (the watch starts there in etcd, see Watch) and are dropped.
	after  int64
	result chan watch.Event
	cancel context.CancelFunc
	done   chan struct{}
	once   sync.Once
}

var _ watch.Interface = (*watcher)(nil)

func (w *watcher) ResultChan() <-chan watch.Event { return w.result }

// Stop ends the watch and waits until the result channel is closed.
func (w *watcher) Stop() {
	w.cancel()
	<-w.done
}

func (w *watcher) run(ctx context.Context, wch clientv3.WatchChan, initial []runtime.Object, bookmark runtime.Object) {
	defer close(w.done)
	defer close(w.result)
	defer w.cancel()

	for _, obj := range initial {
		if !w.send(ctx, watch.Event{Type: watch.Added, Object: obj}) {
			return
		}
	}
	if bookmark != nil && !w.send(ctx, watch.Event{Type: watch.Bookmark, Object: bookmark}) {
		return
	}
	for resp := range wch {
		if !w.handle(ctx, resp) {
			return
		}
	}
	// The channel closed without an error response: ctx ended.
}

// handle sends the events of one etcd watch response; false ends the watch.
func (w *watcher) handle(ctx context.Context, resp clientv3.WatchResponse) bool {
	if resp.CompactRevision != 0 {
		w.send(ctx, watch.Event{Type: watch.Error, Object: ExpiredStatus(resp.CompactRevision-1, resp.CompactRevision)})
		return false
	}
	if err := resp.Err(); err != nil {
		if ctx.Err() == nil {
			w.send(ctx, watch.Event{Type: watch.Error, Object: internalErrorStatus(err)})
		}
		return false
	}
	if resp.IsProgressNotify() {
		if !w.notify {
			return true
		}
		obj := w.store.newFunc()
		if err := setRV(obj, resp.Header.Revision); err != nil {
			return w.send(ctx, watch.Event{Type: watch.Error, Object: internalErrorStatus(err)})
		}
		return w.send(ctx, watch.Event{Type: watch.Bookmark, Object: obj})
	}
	for _, ev := range resp.Events {
		if ev.Kv.ModRevision <= w.after {
			continue
		}
		e, ok, err := w.transform(ev)
		if err != nil {
			if !w.send(ctx, watch.Event{Type: watch.Error, Object: internalErrorStatus(err)}) {
				return false
			}
			continue
		}
		if ok && !w.send(ctx, e) {
			return false
		}
	}
	return true
}

// transform maps one etcd event to a watch.Event after filtering: an
// update that makes an object stop matching is DELETED (with the old
// object), one that makes it start matching is ADDED.
func (w *watcher) transform(ev *clientv3.Event) (watch.Event, bool, error) {
	rev := ev.Kv.ModRevision
	var cur, prev runtime.Object
	if ev.Type == clientv3.EventTypePut {
		cur = w.store.newFunc()
		if err := w.store.decode(ev.Kv.Value, cur, rev); err != nil {
			return watch.Event{}, false, err
		}
	}
	if ev.PrevKv != nil && (ev.Type == clientv3.EventTypeDelete || !w.pred.Empty()) {
		prev = w.store.newFunc()
		if err := w.store.decode(ev.PrevKv.Value, prev, rev); err != nil {
			return watch.Event{}, false, err
		}
	}
	curOK, prevOK := cur != nil, prev != nil
	var err error
	if curOK {
		if curOK, err = w.pred.Matches(cur); err != nil {
			return watch.Event{}, false, err
		}
	}
	if prevOK {
		if prevOK, err = w.pred.Matches(prev); err != nil {
			return watch.Event{}, false, err
		}
	}
	switch {
	case ev.Type == clientv3.EventTypeDelete:
		return watch.Event{Type: watch.Deleted, Object: prev}, prevOK, nil
	case ev.IsCreate():
		return watch.Event{Type: watch.Added, Object: cur}, curOK, nil
	case w.pred.Empty():
		return watch.Event{Type: watch.Modified, Object: cur}, true, nil
	case curOK && prevOK:
		return watch.Event{Type: watch.Modified, Object: cur}, true, nil
	case curOK:
		return watch.Event{Type: watch.Added, Object: cur}, true, nil
	case prevOK:
		return watch.Event{Type: watch.Deleted, Object: prev}, true, nil
	}
	return watch.Event{}, false, nil
}

func (w *watcher) send(ctx context.Context, e watch.Event) bool {
	select {
	case w.result <- e:
		return true
	case <-ctx.Done():
		return false
	}
}

// ExpiredStatus is the Status of the ERROR event that ends a watch whose
// revision was compacted: 410 Gone, reason Expired, upstream's message.
func ExpiredStatus(requested, current int64) *metav1.Status {
	return &metav1.Status{
		TypeMeta: metav1.TypeMeta{Kind: "Status", APIVersion: "v1"},
		Status:   metav1.StatusFailure,
		Code:     http.StatusGone,
		Reason:   metav1.StatusReasonExpired,
		Message:  fmt.Sprintf("too old resource version: %d (%d)", requested, current),
	}
}

func internalErrorStatus(err error) *metav1.Status {
	return &metav1.Status{
		TypeMeta: metav1.TypeMeta{Kind: "Status", APIVersion: "v1"},
		Status:   metav1.StatusFailure,
		Code:     http.StatusInternalServerError,
		Reason:   metav1.StatusReasonInternalError,
		Message:  "Internal error occurred: " + err.Error(),
	}
}
