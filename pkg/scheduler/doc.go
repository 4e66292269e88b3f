// Package scheduler is tinykube's scheduler: it assigns each pending pod
// (spec.schedulerName == "default-scheduler", no spec.nodeName) to a node
// and binds it through pods/binding. It speaks only client-go, so it runs
// against tinykube's API server or upstream kube-apiserver alike.
//
// Reading order:
//
//	scheduler.go      Config, New, Run (informers, leader election on the
//	                  kube-system/kube-scheduler Lease, the loop)
//	eventhandlers.go  informer events → queue and cache; which cluster
//	                  changes move unschedulable pods back
//	queue.go          active (priority, then age) / backoff / unschedulable
//	cache.go          NodeInfo per node, assumed pods, per-cycle Snapshot
//	schedule_one.go   one cycle: PreFilter → Filter → Score → assume → bind
//	                  (in the background); failures become a FailedScheduling
//	                  event and PodScheduled=False
//	fiterror.go       the "0/3 nodes are available: …" message
//	preemption.go     evicting lower-priority pods for a pod that does not fit
//
// The plugins are in pkg/scheduler/plugins, their vocabulary (Status,
// NodeInfo, CycleState) in pkg/scheduler/framework. The shape follows
// upstream's scheduling framework, much smaller: one profile, no
// extenders, no queueing hints beyond "which plugins rejected the pod".
package scheduler
