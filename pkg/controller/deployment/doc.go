// Package deployment is the deployment controller. A Deployment owns
// ReplicaSets, one per pod template it has had; the one whose template
// equals the Deployment's is the new ReplicaSet, the others are old.
// The controller rolls out a template change by scaling the new
// ReplicaSet up and the old ones down — within maxSurge/maxUnavailable
// (RollingUpdate) or all old pods first (Recreate) — and never touches
// pods itself: the replicaset controller does.
//
// Reading order: controller.go (events → queue, the sync dispatch),
// replicasets.go (claiming ReplicaSets, finding or creating the new one,
// its name, hash and revision annotations), rolling.go, recreate.go,
// scale.go (scaling without a rollout, proportionally; history cleanup),
// status.go (status and the Progressing/Available conditions that
// `kubectl rollout status` reads), util.go (surge/unavailable
// arithmetic, counts).
//
// Rollback needs nothing special: `kubectl rollout undo` writes an old
// ReplicaSet's template back into the Deployment, the controller finds
// that ReplicaSet as the new one, and gives it the next revision.
package deployment
