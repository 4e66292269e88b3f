// Package version is the `tinykube version` command.
package version
