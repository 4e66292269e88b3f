// Package densitybench is the `tinykube bench density` load generator: how
// fast a cluster turns Deployments into Running pods. Like apibench it speaks
// only the Kubernetes API through client-go, so the same run can be pointed at
// tinykube (`tinykube server --simulated-nodes N`) and at upstream
// kube-apiserver + kube-controller-manager + kube-scheduler with the same
// simulated nodes (`tinykube node --simulated N`). It never starts nodes.
//
// A run:
//  1. waits until Nodes nodes are Ready;
//  2. creates a fresh namespace and opens one watch on its pods (it
//     re-lists and goes on if the server answers a resume with 410);
//  3. creates Deployments Deployments whose replicas add up to Pods, while a
//     probe creates and updates ConfigMaps at a fixed rate (the "mutating API
//     latency" a user would see during the storm) and, with ServerPID, the
//     API server's RSS is sampled from /proc;
//  4. stops when the watch has seen every pod Running and Ready, or at
//     Timeout;
//  5. deletes the namespace and waits (bounded) for it to go.
//
// Everything about pods is timed from the watch (tracker.go): when a pod
// was first seen, bound (spec.nodeName set) and Running with Ready=True.
package densitybench
