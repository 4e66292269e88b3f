// Command kubectl is upstream kubectl, built from the k8s.io/kubectl
// version pinned in go.mod. The e2e tests build it once and drive
// `tinykube server` with it; nothing here is tinykube code.
package main
