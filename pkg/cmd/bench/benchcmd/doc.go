// Package benchcmd holds what the `tinykube bench` subcommands share: the
// --kubeconfig and --context flags that pick the API server, and running a
// benchmark to its report (JSON on stdout, summary on stderr) under a
// context that ends on SIGINT or SIGTERM.
package benchcmd
