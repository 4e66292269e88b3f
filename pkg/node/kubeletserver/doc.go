// Package kubeletserver is the node's kubelet API: the HTTPS endpoints
// the API server calls to reach a node's containers, with upstream
// kubelet's paths and query parameters.
//
//	GET  /healthz
//	GET  /pods                                   PodList of the pods the node runs
//	GET  /containerLogs/{ns}/{pod}/{container}   follow, previous, tailLines, sinceSeconds,
//	                                             sinceTime, timestamps, limitBytes
//	GET|POST /exec/{ns}/{pod}/{container}        ?command=…&stdin&stdout&stderr&tty (upgrade)
//	GET|POST /attach/{ns}/{pod}/{container}      ?stdin&stdout&stderr&tty (upgrade)
//	GET|POST /portForward/{ns}/{pod}             (upgrade)
//	POST /run/{ns}/{pod}/{container}             ?cmd=…: runs it, answers its output
//	GET  /stats/summary                          ?only_cpu_and_memory: stats/v1alpha1 Summary
//	                                             (Config.Stats, pkg/node/stats; 501 without)
//
// Exec, attach and port-forward ask the runtime for a streaming URL with
// the CRI's Exec, Attach and PortForward calls, and proxy the upgraded
// (SPDY) connection to it: containerd serves the stream itself, on
// loopback. Logs are read from the container's CRI log file
// (pkg/node/crilog). Every request must carry a client certificate
// signed by the cluster CA whose subject is in ClientGroup (the API
// server's kubelet-client certificate, as upstream's
// apiserver-kubelet-client in system:masters).
package kubeletserver
