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
// Rules: never mutate an object from an informer cache (DeepCopy first);
// for permanent problems record an Event and return nil; keys are typed
// (cache.ObjectName or a small struct), never interface{}.
package controller
