// Package etcd3 implements storage.Interface directly on etcd v3.
//
// Values are the codec's bytes (protobuf "k8s\x00" envelopes for built-in
// types, JSON for custom resources) stored under the registry's keys, so
// the data is readable by kube-apiserver too. An object's
// resourceVersion is the ModRevision of its key and is never stored in
// the value; updates and deletes are compare-and-swap transactions on
// that revision, which may start from the caller's guess at the current
// object instead of a read (a stale guess only costs a failed
// transaction, whose else branch reads the key for the retry). Lists read one revision across all pages (continue
// tokens carry it); watches map etcd watch events to watch.Events,
// filtered by the caller's predicate.
//
// The registry normally reaches this store through pkg/storage/cacher,
// which serves lists and watches from memory and passes writes through
// with its copy of the object as that guess.
package etcd3
