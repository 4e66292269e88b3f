// Package openapi serves the OpenAPI documents of the built-in API:
// /openapi/v2 (JSON and protobuf) and /openapi/v3 with one document per
// group version. kubectl needs them for --validate=strict (it looks up the
// PATCH operation of a kind and checks for the fieldValidation parameter)
// and for `kubectl explain`; server-side apply needs the schemas.
//
// Where it sits: the apiserver mounts NewHandler at /openapi/. Nothing in
// the request path of ordinary API calls depends on it.
//
// How it is built:
//   - definitions: generated/zz_generated.openapi.go, produced by
//     kube-openapi's openapi-gen from k8s.io/api and k8s.io/apimachinery;
//     names are upstream's (io.k8s.api.apps.v1.Deployment…), and every
//     schema of a kind registered in api.Scheme carries
//     x-kubernetes-group-version-kind (names.go);
//   - paths: routes.go turns the static table api.Resources into
//     kube-openapi common.Route values — the same operations, operation
//     IDs, parameters and vendor extensions upstream's apiserver derives
//     from its go-restful routes;
//   - kube-openapi's builder (v2) and builder3 (v3) join the two, and its
//     handler and handler3 packages serve the results with content
//     negotiation, ETags, gzip and hash-addressed immutable caching.
//
// Documents are built on first request and then cached: building them
// costs far more than server start is allowed to (see BenchmarkBuild and
// BenchmarkFirstRequests).
package openapi
