// Package controllertest helps controller tests run against the real
// in-process server: it starts chosen controllers and polls for state.
// (pkg/controller/internal/kubelettest plays the kubelet for their pods.)
package controllertest
