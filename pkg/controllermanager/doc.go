// Package controllermanager runs tinykube's controllers: the control loops
// under pkg/controller/<name> that make the cluster match what the API
// stores. It shares one informer factory among them, and runs them only
// while holding the controller-manager Lease, so two servers on one etcd
// never both act.
//
// Each controller follows the sample-controller shape (see
// pkg/controller/doc.go): New(ctx, Context) builds it from the shared
// informers, Run(ctx, workers) waits for the caches and runs workers that
// pop typed keys off a rate-limited queue and call sync(ctx, key).
package controllermanager
