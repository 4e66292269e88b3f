// Package volumes materialises a pod's volumes on the node's disk and
// turns its containers' volumeMounts into CRI mounts: the kubelet's
// volume manager, for the volume kinds a single machine can serve.
//
// A Manager owns <RootDir>/pods/<uid>/volumes/<plugin>/<name>:
//
//   - emptyDir (emptydir.go): a directory, or with medium Memory a tmpfs
//     mounted there (sizeLimit), unmounted on Teardown;
//   - configMap, secret, downwardAPI and projected (projection.go,
//     token.go): files written by the AtomicWriter (atomic.go) — a
//     timestamped ..<ts> directory, a ..data symlink swapped by rename and
//     user-visible symlinks through ..data — so that Update changes what
//     running containers see in one step; serviceAccountToken sources
//     are TokenRequests bound to the pod, renewed at 80% of their life;
//     clusterTrustBundle sources (trustbundle.go) the bundles' PEMs;
//   - hostPath (hostpath.go): the path itself, after upstream's type
//     checks (DirectoryOrCreate, Directory, FileOrCreate, File, Socket,
//     CharDevice, BlockDevice);
//   - persistentVolumeClaim (pvc.go): the path of the bound hostPath or
//     local PersistentVolume; an unbound claim waits.
//
// A volume that cannot be set up yet (a missing ConfigMap that is not
// optional, an unbound claim, a failed type check) is a *MountError; the
// agent reports each as a FailedMount event and retries while the pod
// waits in ContainerCreating, as the kubelet does. fsGroup makes the
// files the pod's group's (ownership.go, best effort).
//
// Sources are read through an envvars.Getter (ConfigMaps, Secrets) and the
// client (claims, volumes, tokens), each object at most once per SetUp or
// Update call.
package volumes
