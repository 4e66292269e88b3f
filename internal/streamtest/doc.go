// Package streamtest is a stand-in for a CRI runtime's containers and
// stream server (containerd's, on loopback), for tests of the kubelet
// API and the API server's streaming subresources without containerd:
// Runtime answers the CRI calls pkg/node/kubeletserver makes, and its
// stream server speaks the SPDY protocols of exec/attach
// (v4.channel.k8s.io) and port-forward (portforward.k8s.io) as
// containerd's does. Exec runs a few commands: "cat" copies stdin to
// stdout, "echo ARGS" prints them, "exit N" ends with code N; attach
// copies stdin to stdout. Port-forward connects to ForwardAddr(port).
//
// StartCluster puts it behind a real API server: a node whose kubelet
// API (pkg/node/kubeletserver) runs on loopback over the stand-in, and a
// pod on it.
//
// Tests with a real containerd (test/e2e) cover the real thing.
package streamtest
