// Package expectations remembers, per controller key, the pod creations
// and deletions a controller has issued but not yet seen in its informer
// cache. A controller that counts pods from a cache must not act again
// until the cache has caught up with its own writes, or it creates (or
// deletes) twice; the replicaset, job and daemonset controllers consult
// Satisfied before they manage pods.
package expectations
