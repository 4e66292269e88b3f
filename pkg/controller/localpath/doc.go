// Package localpath is tinykube's built-in local-path provisioner (as
// k3s ships Rancher's): for a PersistentVolumeClaim of a StorageClass
// whose provisioner is tinykube.io/local-path it creates a hostPath
// PersistentVolume (type DirectoryOrCreate, so the node agent makes the
// directory on first mount) under the class's "path" parameter on one
// node, pins it there with nodeAffinity, and binds the pair.
//
// With volumeBindingMode WaitForFirstConsumer (the default class's) the
// node is the claim's volume.kubernetes.io/selected-node annotation, as
// for upstream's external provisioners. tinykube's scheduler has no
// volume binding step, so this controller sets that annotation itself
// from the first scheduled pod that uses the claim. With Immediate it
// picks the first Ready node by name.
//
// There is no general PersistentVolume binder in tinykube: this
// controller binds only the volumes it provisions (claim spec.volumeName
// and status Bound, volume claimRef and status Bound), assigns the
// default StorageClass to claims created without one (as upstream's PV
// controller does retroactively), and deletes a provisioned volume whose
// claim is gone when its reclaim policy is Delete. The directory on the
// node is left in place (k3s removes it with a helper pod).
package localpath
