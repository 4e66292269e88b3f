// Package controller holds what every controller shares: the Context it
// is built from and the Runner it returns. The controllers themselves live
// one per package below (pkg/controller/<name>), each in the
// sample-controller shape:
//
//	func New(ctx context.Context, cc controller.Context) (controller.Runner, error)
//	    registers informer event handlers that enqueue typed keys;
//	func (c *Controller) Run(ctx context.Context, workers int)
//	    waits for the informer caches, then runs workers;
//	func (c *Controller) sync(ctx context.Context, key K) error
//	    reconciles one object; returning an error requeues it with backoff.
//
// Shared helpers: RunWorkers and NewQueue (worker.go); the event handlers
// NameHandler, OwnerHandler (an object's controller of a kind) and
// PodSelectorHandler, and Unwrap, which looks inside a delete's tombstone
// (handlers.go). Pod predicates such as readiness are in
// pkg/controller/podcontrol, adoption and its owner recheck in
// pkg/controller/claim.
//
// Rules: never mutate an object from an informer cache (DeepCopy first);
// for permanent problems record an Event and return nil; keys are typed
// (cache.ObjectName or a small struct), never interface{}.
package controller
