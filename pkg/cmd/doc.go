// Package cmd assembles the tinykube command tree. Each subcommand lives in
// its own package (pkg/cmd/<verb>) with a flags struct and NewCommand; this
// file only adds the children.
package cmd
