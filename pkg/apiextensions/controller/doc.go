// Package controller runs, inside the API server process, what upstream's
// apiextensions-apiserver runs next to its CRD handler: the naming,
// establishing and finalizing controllers, plus the serving of custom
// resources. One Controller watches CustomResourceDefinitions through the
// server's own CRD store (its watch cache, no polling) and, for each CRD:
//
//  1. names: checks the requested names against the names other CRDs of
//     the group have accepted (upstream's PluralConflict, SingularConflict,
//     ShortNamesConflict, KindConflict, ListKindConflict), records
//     status.acceptedNames and the NamesAccepted condition;
//  2. serving: builds a store per served version over one watch cache of
//     the CRD's objects (JSON under /registry/<group>/<plural>) and hands
//     the set of served versions to the API server
//     (apiserver.Server.SetCustomResources: routes and discovery) and the
//     CRDs to OpenAPI;
//  3. establishing: sets Established once the versions are served — at
//     once, as a single API server may (upstream waits ~5 s for its peers
//     in HA);
//  4. finalizing: for a deleting CRD (Terminating, finalizer
//     customresourcecleanup.apiextensions.k8s.io), refuses new objects,
//     deletes every custom resource, waits for those with finalizers to go
//     (watching them), then removes the finalizer so the CRD is deleted,
//     and stops serving.
//
// Conversion is strategy None only (objects change only their apiVersion
// between versions). tinykube does not call conversion webhooks: for a CRD
// with a Webhook conversion the storage version is served normally and
// every request for another version fails with a 500 Status, "conversion
// webhook for <kind> failed: …", as upstream answers when the webhook
// cannot be reached.
package controller
