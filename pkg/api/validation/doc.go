// Package validation decides whether an already-defaulted object may be
// written. It is the tinykube counterpart of upstream's
// pkg/apis/<group>/validation packages, reduced to the rules clients can
// observe: the field paths, error types and messages that come back as
// details.causes of a 422 Invalid Status.
//
// It sits in the write path after defaulting and before admission/storage:
//
//	decode → default → ValidateCreate / ValidateUpdate / ValidateStatusUpdate → store
//
// Every entry point takes the real k8s.io/api v1 types and type-switches on
// them; kinds it does not know get object-metadata validation only. The
// functions never mutate their arguments and never panic on any decodable
// object (see FuzzValidate).
package validation
