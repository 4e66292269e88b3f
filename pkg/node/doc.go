// Package node is the node agent (tinykube's kubelet): it registers Nodes,
// heartbeats their Leases in kube-node-lease, reports node status, and
// runs the pods bound to them through a Runtime — a CRI-shaped interface
// (runtime.go) whose simulated implementation lives in pkg/node/simulated.
//
// One Agent runs many nodes in one process with a fixed set of goroutines,
// whatever the node count:
//
//   - one pod informer (pods with a spec.nodeName) and one node informer
//     are shared by all nodes;
//   - a node queue of node names: each sync registers the node, renews its
//     Lease, reports status when due or when someone else changed it, and
//     re-adds the name after the delay until the next renewal (the
//     workqueue's delaying heap is the timer wheel);
//   - a pod queue of pod keys: each sync drives the pod's sandbox and
//     containers in the runtime one step and hands the resulting status
//     to the status manager (agent_pods.go, podstatus.go); graceful
//     deletions are confirmed after a short simulated shutdown (a delayed
//     re-add, again);
//   - a status queue of pod keys (statusmanager.go): writers, one per
//     node (StatusWorkers may cap them), send each pod's latest status,
//     so that API latency never holds up the pod syncs and the nodes
//     report in parallel, as separate kubelets do;
//   - the runtimes' container events (exits) re-add the pod key.
//
// A real node (Config.Real; `tinykube node --runtime containerd`,
// `tinykube server --node`) is one node on a runtime that runs processes:
// the CRI client in pkg/node/cri, to a containerd that pkg/node/containerd
// starts. The same queues drive it; agent_realnode.go adds the machine's
// capacity and identity (machine.go), MemoryPressure, DiskPressure and
// PIDPressure from the machine's eviction signals (pkg/node/eviction;
// no pod is evicted), Ready from the runtime, and
// polling for container exits (containerd 1.6 streams no events);
// agent_realpod.go adds what the kubelet puts in CRI configs (log paths,
// DNS, port mappings, cgroups, security context), image pulls, and
// stopping containers with the pod's grace period; agent_realfinish.go
// keeps a finished pod's exited containers and logs (its sandbox
// stopped) until the pod is deleted; agent_realadopt.go adopts the pods
// still there from an earlier run of the agent, and
// agent_realsandbox.go replaces a sandbox that died.
//
// On every node a pod active longer than its activeDeadlineSeconds is
// failed (DeadlineExceeded) and its containers killed, by one decision
// in deadline.go, as the kubelet's activeDeadlineHandler does.
//
// Nodes whose runtime can run commands in containers (CRI's ExecSync:
// every real node) also probe their containers and run lifecycle hooks
// (pkg/node/prober) and record the kubelet's events (pkg/node/events),
// agent_probes.go. Simulated nodes do neither: their running containers
// are ready (unless the readiness annotations say otherwise,
// simreadiness.go), and they write no events for pods that run, as
// kwok's nodes do not. They do check what a kubelet would refuse
// (simchecks.go): a missing ConfigMap, Secret or claim (FailedMount,
// CreateContainerConfigError), an image that cannot be pulled
// (InvalidImageName, or --simulated-failing-images: ErrImagePull,
// ImagePullBackOff), and record events for those only. Everything a
// user can expect of a simulated node is in docs/simulated-nodes.md.
//
// Ephemeral containers (kubectl debug) run once each, before the init
// containers, in the pod's sandbox (agent_pods.go, ensureEphemeral);
// with a targetContainerName in that container's process namespace.
//
// Reading order: config.go, agent.go, agent_nodes.go, agent_pods.go,
// podstatus.go, statusmanager.go, then agent_realnode.go,
// agent_realpod.go, agent_realfinish.go, agent_realadopt.go, agent_realsandbox.go,
// agent_probes.go and agent_volumes.go (a real pod's volumes, through
// pkg/node/volumes, and its containers' env, through pkg/node/envvars).
package node
