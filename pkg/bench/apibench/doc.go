// Package apibench is the `tinykube bench api` load generator. It speaks only
// the Kubernetes API through client-go typed clients, so the very same run
// can be pointed at tinykube and at upstream kube-apiserver.
//
// A run creates a fresh namespace and, in order:
//   - crud: for each concurrency level, creates, gets, updates and deletes
//     pods (count or duration per phase);
//   - list: creates ListObjects pods, times full lists with
//     resourceVersion "" (consistent) and "0" (any cached state), then deletes them;
//   - watch: opens Watchers watches on the namespace's pods and measures how
//     long each write takes to reach every watcher.
//
// It deletes the namespace at the end. No pod is ever scheduled: the
// benchmark expects a cluster without nodes and does not care if it has some.
package apibench
