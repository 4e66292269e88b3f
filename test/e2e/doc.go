// Package e2e drives a real `tinykube server` subprocess with real
// kubectl binaries: upstream kubectl built from the k8s.io/kubectl
// version pinned in go.mod (./kubectl, cached between runs) and the
// machine's preinstalled kubectl, so client skew is covered too.
//
// Reading order: build_test.go (binaries), server_test.go (the server
// subprocess), kubectl_test.go (the command helpers), session_test.go
// (the scripted session against the API server), workloads_test.go (the
// control loops: controllers, scheduler and simulated nodes under
// `tinykube server --simulated-nodes 3`, plus one `tinykube node` process
// it kills to fail a node). The tools people already use: helm_test.go
// (Helm v4, built from the separate module test/tools/helm so its
// dependencies never move tinykube's), kustomize_test.go (`kubectl apply
// -k` with generators) and envtest_test.go (controller-runtime's envtest
// pointed at a tinykube server, as docs/envtest.md shows).
package e2e
