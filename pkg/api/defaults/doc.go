// Package defaults fills in the fields the upstream v1 API leaves to the
// server, for every type tinykube serves: the hand-written rules of
// kubernetes pkg/apis/<group>/v1/defaults.go plus the walk its generated
// zz_generated.defaults.go does over nested types (every container of every
// pod template, every port, every volume source…).
//
// It sits in the write path between decode and validation: the API server
// calls api.Scheme.Default(obj) on create and update, and RegisterDefaults
// is what makes the scheme know these functions. Defaulting is idempotent:
// applying it twice gives the same object as applying it once.
//
// Where upstream consults a feature gate, the v1.37 default value of the gate
// is baked in; the gates involved are named next to the code they affect.
// Defaults upstream applies outside defaulting (Service ClusterIP and IP
// families, Namespace finalizers, pod-level resource requests) belong to the
// registry strategies, not here.
package defaults
