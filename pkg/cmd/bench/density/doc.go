// Package density is the `tinykube bench density` command: how fast a
// cluster with N Ready nodes turns Deployments into M Running pods, through
// client-go only.
package density
