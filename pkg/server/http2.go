package server

import (
	"net/http"
	"time"

	"golang.org/x/net/http2"
)

// configureHTTP2 serves HTTP/2 with x/net's server (as upstream does) and a
// write scheduler that looks only at streams with frames to send.
//
// A watch is a long-lived stream, and client-go multiplexes up to 250 of
// them on one connection. The default round-robin scheduler walks the ring
// of every open stream on each frame it writes, so with 1,000 mostly idle
// watches it spent a sixth of the server's CPU finding the few streams that
// had an event queued. The random scheduler keeps only streams with queued
// frames; which of them goes first is arbitrary, and every frame of one
// stream still leaves in order.
//
// The limits are upstream's: an idle connection closes after 90 s, 1,000
// streams per connection (kube-apiserver's setting, for watches), and
// 256 KiB frames and per-stream buffers (most objects fit one frame).
func configureHTTP2(srv *http.Server) error {
	const streams, perStream = 1000, 256 << 10
	return http2.ConfigureServer(srv, &http2.Server{
		NewWriteScheduler: func() http2.WriteScheduler {
			return http2.NewRandomWriteScheduler() //nolint:staticcheck // deprecated only where x/net wraps net/http (Go ≥ 1.27)
		},
		IdleTimeout:                  idleTimeout,
		MaxConcurrentStreams:         streams,
		MaxReadFrameSize:             perStream,
		MaxUploadBufferPerStream:     perStream,
		MaxUploadBufferPerConnection: perStream * streams,
	})
}

// idleTimeout closes a connection that has carried no request (HTTP/1.1)
// or no stream (HTTP/2) for this long, as upstream.
const idleTimeout = 90 * time.Second
