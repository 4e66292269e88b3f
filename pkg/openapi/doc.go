// Package openapi serves the OpenAPI documents of the built-in API and of
// custom resources: /openapi/v2 (JSON and protobuf) and /openapi/v3 with one document per
// group version. kubectl needs them for --validate=strict (it looks up the
// PATCH operation of a kind and checks for the fieldValidation parameter)
// and for `kubectl explain`; server-side apply needs the schemas.
//
// Where it sits: the apiserver mounts NewHandler at /openapi/. Nothing in
// the request path of ordinary API calls depends on it.
//
// How it is built:
//   - definitions: generated/zz_generated.openapi.go, produced by
//     kube-openapi's openapi-gen from k8s.io/api, k8s.io/apimachinery and
//     the apiextensions.k8s.io/v1 types;
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
// Custom resources: the server calls Handler.SetCustomResources with the
// established CustomResourceDefinitions whenever they change. Every served
// version is published as upstream's apiextensions-apiserver publishes it
// (crd*.go):
//   - definitions named after the reversed group (com.example.stable.v1.
//     CronTab and …CronTabList), tagged with x-kubernetes-group-version-kind
//     (kubectl explain finds kinds by it); the CRD schema gets apiVersion,
//     kind and metadata (a reference to ObjectMeta), embedded resources get
//     the same, and int-or-string is unfolded to anyOf (crd_schema.go). v2
//     drops what Swagger 2.0 and kubectl's v2 validation cannot take:
//     allOf/anyOf/oneOf/not, nullable (the field becomes untyped and not
//     required), everything below x-kubernetes-preserve-unknown-fields; a
//     schema that is not structural (crd_structural.go) is a bare object;
//   - paths for list (also across namespaces), create, deletecollection,
//     read, replace, patch and delete, status and scale when enabled, with
//     upstream's operation IDs, parameters and media types (crd_routes.go);
//   - v3: one document per group version under /openapi/v3, merged with the
//     built-in one when the group version has built-ins; v2: merged into
//     /openapi/v2 the way upstream's MergeSpecs does (crd_build.go);
//   - Builder.CustomResourceSchemas gives server-side apply the v3 schemas
//     of a CRD, as Builder.Schemas does for the built-ins.
//
// Documents are built on first request and then cached: building them
// costs far more than server start is allowed to (see BenchmarkBuild and
// BenchmarkFirstRequests). A change of custom resources only replaces the
// cached documents it affects, which are rebuilt on their next request;
// /openapi/v3 lists each document with the hash of its content, so clients
// caching by hash see exactly the group versions that changed.
package openapi
