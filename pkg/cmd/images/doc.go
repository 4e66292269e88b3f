// Package images is `tinykube images`: side-loading images into a node's
// container runtime on machines without a registry, and listing what it
// holds.
//
//	tinykube images import FILE...   docker-archive or OCI layout tars
//	tinykube images ls               IMAGE TAG IMAGE ID SIZE, as crictl images
//
// The runtime is the CRI endpoint given by --container-runtime-endpoint,
// or the private containerd of the node whose --data-dir is given.
// Import goes through containerd's ctr (shipped with Debian's
// containerd) into the CRI namespace k8s.io; ls asks the CRI image
// service.
package images
