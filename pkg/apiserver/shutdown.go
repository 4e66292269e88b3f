package apiserver

import (
	"context"
	"net/http"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

// withShutdownSignal ends long-running requests (watches, followed logs)
// when shuttingDown closes, as upstream's ServerShutdownSignal does once
// the server stops accepting new requests: their context ends, the watch
// loop returns, and the client sees its stream end cleanly (the last
// chunk, or END_STREAM on HTTP/2) rather than a reset when the process
// exits. A long-running request that arrives after that is answered 429
// with Retry-After: 1, as upstream's WithWatchTerminationDuringShutdown:
// the client retries, likely on another server. Requests that are not
// long-running run to completion; the HTTP server's Shutdown waits for
// them. Upgraded (hijacked) connections are not ended here.
func withShutdownSignal(h http.Handler, shuttingDown <-chan struct{}) http.Handler {
	if shuttingDown == nil {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !isLongRunning(r) {
			h.ServeHTTP(w, r)
			return
		}
		select {
		case <-shuttingDown:
			writeError(w, r, apierrors.NewTooManyRequests("the apiserver is shutting down, please try again later", 1))
			return
		default:
		}
		ctx, cancel := context.WithCancel(r.Context())
		defer cancel()
		go func() {
			select {
			case <-shuttingDown:
				cancel()
			case <-ctx.Done():
			}
		}()
		h.ServeHTTP(w, r.WithContext(ctx))
	})
}
