// Package service is the services resource: ClusterIP allocation through
// IPAddress objects and NodePort allocation (alloc.go), and keeping
// allocated values across updates.
package service
