// Package etcdbench is the `tinykube bench etcd` load generator: it writes
// the same pods the API benchmark creates, protobuf-encoded exactly as an
// API server stores them, straight into etcd with the same operations an
// API server's storage layer issues (create = put if absent, update =
// compare-and-swap on the mod revision). Its figures are the ceiling any
// API server on that etcd can reach.
//
// Keys live under a separate prefix (default /bench-raw/) so the benchmark
// never touches real cluster data; everything it wrote is deleted at the end.
package etcdbench
