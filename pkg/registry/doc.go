// Package registry assembles the served resources: one generic.Store per
// resource (pkg/api's table), each configured with its strategy from the
// resource packages under registry/<group>/<resource>. Build is the one
// place where a resource's storage, strategy and hooks meet.
package registry
