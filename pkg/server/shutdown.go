package server

import (
	"context"
	"errors"
	"sync"
	"time"
)

// defaultShutdownTimeout bounds the drain of in-flight requests: upstream
// uses its --request-timeout (60s by default) for the same wait.
const defaultShutdownTimeout = 60 * time.Second

// shutdownState follows a graceful shutdown, whose steps are upstream's
// lifecycle signals: ShutdownInitiated (BeginShutdown: /readyz fails,
// the kubernetes endpoints entry is removed), AfterShutdownDelayDuration,
// NotAcceptingNewRequest (the listener closes and watches end),
// InFlightRequestsDrained, then the stores and etcd close.
type shutdownState struct {
	begin sync.Once
	// began is when BeginShutdown was first called (set in begin).
	began time.Time
	// endpointsDone closes once this server is out of the kubernetes
	// Service's endpoints (upstream's pre-shutdown hook).
	endpointsDone chan struct{}
	// notAccepting closes when the HTTP server stops accepting:
	// pkg/apiserver then ends long-running requests.
	notAccepting chan struct{}
	stopOnce     sync.Once
}

func newShutdownState() *shutdownState {
	return &shutdownState{endpointsDone: make(chan struct{}), notAccepting: make(chan struct{})}
}

func (st *shutdownState) stopAccepting() { st.stopOnce.Do(func() { close(st.notAccepting) }) }

// BeginShutdown starts a graceful shutdown, as SIGTERM does upstream's:
// /readyz fails its "shutdown" check from now on, so load balancers and
// clients that probe it stop sending requests here, and the server takes
// itself out of the kubernetes Service's endpoints. Everything else is
// served as before until Close. Calling it again does nothing.
func (s *Server) BeginShutdown() {
	s.shutdown.begin.Do(func() {
		s.shutdown.began = time.Now()
		s.closing.Store(true)
		if s.ready.Load() {
			s.cfg.Logger.Info("shutting down: /readyz fails from now on; still serving",
				"shutdownDelayDuration", s.cfg.ShutdownDelayDuration)
		}
		go func() {
			defer close(s.shutdown.endpointsDone)
			if s.stopEndpoints != nil {
				s.stopEndpoints()
			}
		}()
	})
}

// Close shuts the server down in upstream's order. It calls
// BeginShutdown if nobody has; keeps serving until ShutdownDelayDuration
// has passed since then (if the server had become ready) and this server
// is out of the kubernetes endpoints; then stops accepting connections,
// ends watches cleanly and waits for the requests in flight to finish,
// for at most ShutdownTimeout, after which it closes the connections
// left; then it stops the CRD controller, the authorizer and the watch caches, and
// closes etcd last.
func (s *Server) Close() error {
	s.BeginShutdown()
	log := s.cfg.Logger
	if s.ready.Load() {
		if wait := time.Until(s.shutdown.began.Add(s.cfg.ShutdownDelayDuration)); wait > 0 {
			time.Sleep(wait)
		}
	}
	<-s.shutdown.endpointsDone
	if s.http != nil {
		timeout := s.cfg.ShutdownTimeout
		if timeout <= 0 {
			timeout = defaultShutdownTimeout
		}
		log.Info("shutting down: not accepting new connections; ending watches and draining requests in flight", "timeout", timeout)
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		err := s.http.Shutdown(ctx)
		cancel()
		if errors.Is(err, context.DeadlineExceeded) {
			log.Warn("shutting down: requests still in flight after the timeout; closing their connections", "timeout", timeout)
			_ = s.http.Close()
		} else {
			log.Info("shutting down: requests in flight drained")
		}
	}
	// Shutdown misses a listener Serve has not taken yet.
	if s.listener != nil {
		_ = s.listener.Close()
	}
	s.shutdown.stopAccepting()
	if s.stopCRDs != nil {
		s.stopCRDs()
		s.crds.Stop()
	}
	if s.stopAuthz != nil {
		s.stopAuthz()
	}
	for _, c := range s.caches {
		c.Stop()
	}
	if s.etcd != nil {
		return s.etcd.Close()
	}
	if s.client != nil {
		return s.client.Close()
	}
	return nil
}
