// Package bench is the `tinykube bench` command: a parent for the load
// generators in pkg/bench, each a subcommand printing one JSON report on
// stdout and a human summary on stderr.
package bench
