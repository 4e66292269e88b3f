// Package startwait is the one retry loop components use at start-up to
// wait for what they depend on (the API server for nodes,
// controllers, scheduler and proxy; etcd for the API server): each failed
// try is logged with its reason, and the wait fails with an error naming
// what it waited for after a timeout or when the context ends (Ctrl-C),
// so that an unreachable dependency is never a silent hang.
package startwait
