// Package kubeconfig is the --kubeconfig and --context flags of every
// command that runs against an API server (controller-manager,
// scheduler, node, bench): loaded as kubectl loads them, so KUBECONFIG
// (a list of files, as kubectl reads it) is honoured when --kubeconfig
// is not given, and ~/.kube/config after it. WaitForAPIServer (wait.go)
// is their start: it waits, logging each try, for the server to answer,
// and fails naming it.
package kubeconfig
