// Package secret is the secrets resource: selectable by type; the
// write-only stringData is folded into data on every write.
package secret
