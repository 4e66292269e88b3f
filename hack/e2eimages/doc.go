// Command e2eimages writes local stand-ins for the images the upstream
// e2e suite (e2e.test --list-images) uses, under their exact names, into
// one OCI layout tar for `tinykube images import`. hack/e2e-images.sh
// builds agnhost and runs it; see there.
package main
