// Package kubelettest plays the kubelet in controller tests: no node runs
// the pods there, so tests move pod status themselves, the way a kubelet
// would report it (Running and Ready; Succeeded or Failed with a container
// exit code), one pod at a time (Run, Exit) or for every new pod of a
// namespace (Start).
package kubelettest
