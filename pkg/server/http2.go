package server

import (
	"net/http"

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
func configureHTTP2(srv *http.Server) error {
	return http2.ConfigureServer(srv, &http2.Server{
		NewWriteScheduler: func() http2.WriteScheduler {
			return http2.NewRandomWriteScheduler() //nolint:staticcheck // deprecated only where x/net wraps net/http (Go ≥ 1.27)
		},
	})
}
