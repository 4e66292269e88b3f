// Package api holds the runtime.Scheme of every type tinykube serves (the
// real k8s.io/api types) and the codecs built from it. Defaulting lives in
// api/defaults and validation in api/validation, mirroring upstream's
// pkg/apis/<group>/v1 and pkg/apis/<group>/validation.
package api
