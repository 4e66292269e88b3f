// Package version reports the build's version as /version and `tinykube
// version` print it.
package version
