// Package service is the services resource: ClusterIP and NodePort
// allocation (alloc.go) and keeping allocated values across updates.
package service
