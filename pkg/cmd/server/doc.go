// Package server is the `tinykube server` and `tinykube apiserver`
// commands: flags in, pkg/server out. Both lower GOGC while the process
// is idle (--idle-gc-percent, pkg/idlegc) unless GOGC is set.
package server
