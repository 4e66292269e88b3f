// Package api is the `tinykube bench api` command: pod create/get/update/
// delete throughput, list latency and watch fan-out against any Kubernetes
// API server, through client-go typed clients only.
package api
