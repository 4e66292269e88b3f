// Package componentstatus serves v1 componentstatuses (kubectl get cs):
// not stored, but probed on each get or list, as upstream's deprecated
// API does — etcd through the server's own client, the scheduler and the
// controller manager through their /healthz on upstream's default secure
// ports of the local host. Storage plugs the probes under the generic
// store as a read-only storage.Interface.
package componentstatus
