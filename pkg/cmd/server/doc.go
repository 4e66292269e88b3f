// Package server is the `tinykube server` and `tinykube apiserver`
// commands: flags in, pkg/server out.
package server
