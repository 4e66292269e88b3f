// Package bench holds what every `tinykube bench` load generator shares: the
// phase runner (N workers issuing operations for a count or a duration), the
// latency statistics, the benchmark pod template and the JSON report.
//
// The generators themselves live in subpackages named after what they load:
// apibench speaks only the Kubernetes API through client-go typed clients, so
// the same run can be pointed at tinykube and at upstream kube-apiserver;
// etcdbench writes the same protobuf-encoded pods straight into etcd to give
// the raw-storage ceiling; densitybench times Deployments turning into
// Running pods on a cluster's (simulated) nodes, from one pod watch. The Cobra commands are in pkg/cmd/bench.
package bench
