// Package images is everything a node does with container images.
//
// Building: small images made with the standard library alone — no
// registry, no Docker, no compiler at run time — written as OCI image
// layout tars that `ctr images import` (and `tinykube images import`)
// load into a node's containerd. The node uses it for its pause image
// (pause.go: a 4-instruction static ELF, built here byte by byte); tests
// use it to wrap Debian's busybox-static (/bin/busybox) and test binaries
// into images (oci.go).
//
// Pulling: the node agent's image manager, what the kubelet's image
// manager and credential keyring do. Before the agent creates a
// container it calls Manager.EnsureImage (manager.go), which
//
//   - parses the image reference (an unparsable one is InvalidImageName)
//     and adds the default tag "latest" when neither tag nor digest is
//     given (reference.go);
//   - applies the container's imagePullPolicy: Always pulls, IfNotPresent
//     pulls when the runtime lacks the image, Never never pulls
//     (ErrImageNeverPull when absent);
//   - turns the pod's imagePullSecrets (kubernetes.io/dockerconfigjson
//     and kubernetes.io/dockercfg) into CRI AuthConfigs for the image's
//     registry, matched as upstream's docker keyring matches them
//     (keyring.go), tries them in order, and remembers which credentials
//     pulled an image so that a pod without them cannot use it from the
//     cache (upstream's KubeletEnsureSecretPulledImages, in memory);
//   - backs off per pod and image after a failed pull, 10s doubling to
//     5m (backoff.go): the container waits with ErrImagePull after a
//     failure and ImagePullBackOff while backing off, with upstream's
//     messages;
//   - records upstream's events: Pulling, Pulled, Failed, BackOff,
//     ErrImageNeverPull, InspectFailed, FailedToRetrieveImagePullSecret
//     (reasons and messages from pkg/node/events).
//
// NodeImages builds a Node's status.images from the runtime's image
// list. The runtime is reached through Service, the image half of CRI
// (k8s.io/cri-api), which the CRI client for containerd satisfies.
package images
