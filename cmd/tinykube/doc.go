// Command tinykube is the single tinykube binary; see pkg/cmd for its
// subcommands.
package main
