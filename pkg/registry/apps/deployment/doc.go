// Package deployment is the deployments resource: generation also moves
// when annotations change, because the deployment controller copies them
// to the ReplicaSets it owns (as upstream's deployment strategy).
package deployment
