// Package controllermanager is the `tinykube controller-manager` command:
// the controllers alone, against any Kubernetes API server.
package controllermanager
