package apiserver

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"time"

	restful "github.com/emicklei/go-restful/v3"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/tinykube/tinykube/pkg/storage"
)

// minWatchTimeout is the shortest server-chosen watch lifetime when the
// client gives no timeoutSeconds; upstream picks 30–60 minutes at random
// so reconnects spread out.
const minWatchTimeout = 30 * time.Minute

// watch streams events as chunked JSON objects or length-framed protobuf,
// flushing whenever no further event is waiting. Objects from the watch
// cache are encoded once for all watchers (cachedencode.go); this loop
// only frames them.
func (e *endpoint) watch(req *restful.Request, resp *restful.Response, ns string, opts *metav1.ListOptions) {
	out, err := e.negotiate(req.Request, false)
	if err != nil {
		fail(resp, req, err)
		return
	}
	if opts.SendInitialEvents != nil && *opts.SendInitialEvents && !opts.AllowWatchBookmarks {
		fail(resp, req, apierrors.NewInvalid(metaGV.WithKind("ListOptions").GroupKind(), "", field.ErrorList{
			field.Forbidden(field.NewPath("allowWatchBookmarks"), "allowWatchBookmarks must be set to true when sendInitialEvents is true")}))
		return
	}
	timeout := minWatchTimeout + time.Duration(rand.Int64N(int64(minWatchTimeout)))
	if opts.TimeoutSeconds != nil {
		timeout = time.Duration(*opts.TimeoutSeconds) * time.Second
	}
	ctx, cancel := context.WithTimeout(reqCtx(req), timeout)
	defer cancel()
	w, err := e.store.WatchCachedObjects(ctx, ns, opts)
	if isResourceVersionError(err) {
		// As upstream: once the request is admitted and its
		// resourceVersion parsed, a too old (410) or too new (504)
		// resourceVersion is one ERROR event on a 200 stream, which
		// is what reflectors expect before relisting.
		w, err = errorWatch(err), nil
	}
	if err != nil {
		fail(resp, req, err)
		return
	}
	defer w.Stop()

	stream := out.info.StreamSerializer
	if stream == nil {
		fail(resp, req, apierrors.NewBadRequest("no streaming support for "+out.info.MediaType))
		return
	}
	flusher, _ := resp.ResponseWriter.(http.Flusher)
	ct := out.info.MediaType
	if ct == "application/vnd.kubernetes.protobuf" {
		ct = "application/vnd.kubernetes.protobuf;stream=watch"
	}
	resp.ResponseWriter.Header().Set("Content-Type", ct)
	resp.ResponseWriter.Header().Set("Transfer-Encoding", "chunked")
	resp.ResponseWriter.WriteHeader(http.StatusOK)
	if flusher != nil {
		flusher.Flush()
	}
	frames := stream.Framer.NewFrameWriter(resp.ResponseWriter)
	var enc *cachedEncoder // nil: encode every event
	if out.as == asObject && canEncodeCached(out.info) {
		enc = newCachedEncoder(out.info, e.resource().GVK())
	}
	var objBuf, evBuf bytes.Buffer
	first := true
	for {
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-w.ResultChan():
			if !ok {
				return
			}
			evBuf.Reset()
			if co, isCached := ev.Object.(*storage.CachedObject); isCached && enc != nil {
				// Encoded once for every watcher; only the event framing is ours.
				data, err := enc.Encoded(co)
				if err == nil {
					err = writeCachedEvent(&evBuf, out.info.MediaType, ev.Type, data)
				}
				if err != nil {
					return
				}
			} else {
				if isCached {
					ev.Object = co.Object()
				}
				obj, err := e.watchObject(req, ev, out, first)
				if err != nil {
					obj = errorStatus(err)
					ev.Type = watch.Error
				}
				objBuf.Reset()
				if err := out.info.Serializer.Encode(obj, &objBuf); err != nil {
					return
				}
				we := &metav1.WatchEvent{Type: string(ev.Type), Object: runtime.RawExtension{Raw: objBuf.Bytes()}}
				if err := stream.Serializer.Encode(we, &evBuf); err != nil {
					return
				}
			}
			first = false
			if _, err := frames.Write(evBuf.Bytes()); err != nil {
				return
			}
			if flusher != nil && len(w.ResultChan()) == 0 {
				flusher.Flush()
			}
		}
	}
}

// watchObject shapes one event's object for the client, with its kind set.
func (e *endpoint) watchObject(req *restful.Request, ev watch.Event, out output, first bool) (runtime.Object, error) {
	if ev.Type == watch.Error {
		if s, ok := ev.Object.(*metav1.Status); ok {
			return withKind(s, statusKind), nil
		}
		return nil, fmt.Errorf("watch error: %v", ev.Object)
	}
	switch out.as {
	case asTable:
		opts, err := tableOptions(req.Request)
		if err != nil {
			return nil, err
		}
		if ev.Type == watch.Bookmark {
			t := &metav1.Table{}
			if m, err := meta.Accessor(ev.Object); err == nil {
				t.ResourceVersion = m.GetResourceVersion()
			}
			return withKind(t, metaGV.WithKind("Table")), nil
		}
		t, err := out.toTable(ev.Object, opts, !first)
		if err != nil {
			return nil, err
		}
		return withKind(t, metaGV.WithKind("Table")), nil
	case asPartialMeta:
		return partialMeta(ev.Object)
	}
	return withKind(ev.Object, e.resource().GVK()), nil
}

// isResourceVersionError reports a 410 Expired/Gone or 504 too large
// resourceVersion error from the store.
func isResourceVersionError(err error) bool {
	return apierrors.IsResourceExpired(err) || apierrors.IsGone(err) || apierrors.HasStatusCause(err, metav1.CauseTypeResourceVersionTooLarge)
}

// errorWatch is a watch that delivers one ERROR event carrying err's
// Status and ends.
func errorWatch(err error) watch.Interface {
	ch := make(chan watch.Event, 1)
	ch <- watch.Event{Type: watch.Error, Object: errorStatus(err)}
	close(ch)
	return watch.NewProxyWatcher(ch)
}
