// Package images builds small container images with the standard library
// alone — no registry, no Docker, no compiler at run time — and writes
// them as OCI image layout tars that `ctr images import` (and
// `tinykube images import`) load into a node's containerd.
//
// The node uses it for its pause image (pause.go: a 4-instruction static
// ELF, built here byte by byte); tests use it to wrap Debian's
// busybox-static (/bin/busybox) and test binaries into images.
package images
