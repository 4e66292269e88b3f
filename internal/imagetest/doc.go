// Package imagetest builds container images for tests and serves them,
// since no test may pull from the internet. Images are one layer made
// from files of this machine: Busybox (Debian's busybox-static with its
// applet links, so /bin/sh, cat, sleep… work) and TestServer (that plus
// the project's test/images/testserver binary, built once per source
// version and cached). Tests hand them to a node either through a
// registry run in-process on loopback (StartRegistry, optionally behind
// basic auth, to test imagePullSecrets) or as a docker-archive or OCI
// layout tar for `tinykube images import` (WriteDockerArchive,
// WriteOCIArchive).
//
// It uses github.com/google/go-containerregistry, which only tests link.
package imagetest
