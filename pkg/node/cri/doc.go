// Package cri is the node agent's client of a CRI v1 runtime (containerd)
// over gRPC on a unix socket. Client implements node.Runtime, which the
// agent drives, and the whole of upstream's CRI client interfaces
// (k8s.io/cri-api/pkg/apis RuntimeService and ImageManagerService) with
// their exact signatures, so the other parts of the node (image pulls,
// exec/attach/port-forward streaming, stats) call it as the kubelet calls
// its remote runtime.
//
// Dial never hangs: a missing socket is an error at once, and a socket
// nobody answers on fails after the dial timeout. containerd 1.6 does not
// implement GetContainerEvents; Client reports that as
// node.ErrNoContainerEvents, and the agent then polls ListContainers.
package cri
