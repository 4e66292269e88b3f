// Package envvars computes a container's environment the way the kubelet
// does, for the node agent to hand to the runtime as CRI KeyValues:
//
//   - envFrom (configMapRef / secretRef, with prefix) first, then env in
//     order, each replacing an earlier variable of the same name;
//   - a literal value has its $(VAR) references expanded (expand.go:
//     $$ escapes, an undefined reference stays as written) against the
//     variables defined before it and the service variables;
//   - valueFrom: fieldRef (fields.go: metadata, spec.nodeName,
//     spec.serviceAccountName, status.hostIP(s), status.podIP(s)),
//     resourceFieldRef (limits default to the node's allocatable),
//     configMapKeyRef and secretKeyRef (optional ones may be missing);
//   - last, the service variables (services.go: FOO_SERVICE_HOST,
//     FOO_PORT_80_TCP… for the Services of the pod's namespace when
//     enableServiceLinks, and the kubernetes Service of default always)
//     not already defined.
//
// Resolve reads ConfigMaps and Secrets through a Getter, each at most once
// per call. pkg/node/volumes uses the field and resource helpers for
// downwardAPI volumes.
package envvars
