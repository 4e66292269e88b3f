// Package printers turns API objects into the metav1.Table that kubectl get
// asks for with
//
//	Accept: application/json;as=Table;v=v1;g=meta.k8s.io
//
// It sits at the very end of a read: the registry has fetched an object (or
// a list, or one watch event's object) and the API layer, seeing the Table
// media type, calls ToTable instead of encoding the object directly.
//
// Every served resource has a printer: its column definitions (names, types,
// descriptions and priorities exactly as upstream kube-apiserver declares
// them; priority 1 columns are the ones kubectl shows only with -o wide) and
// a function from one typed object to that row's cells. Printers are
// registered per Go type in one file per API group (core.go, pods.go,
// apps.go, batch.go, ...). Types without a printer get upstream's default
// columns, Name and Created At, as roles, clusterroles and limitranges do.
//
// Like kube-apiserver, the server always fills every column (wide output);
// kubectl drops priority-1 columns itself unless -o wide is given.
package printers
