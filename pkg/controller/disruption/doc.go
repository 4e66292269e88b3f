// Package disruption is the disruption controller: it keeps every
// PodDisruptionBudget's status current — expectedPods, currentHealthy
// (Ready, not terminating, not just evicted), desiredHealthy (from
// minAvailable or maxUnavailable, integer or percent),
// disruptionsAllowed, observedGeneration and the DisruptionAllowed
// condition. The eviction subresource (pkg/registry/core/pod/eviction.go)
// reads that status, and spends one disruption per eviction by recording
// the pod in status.disruptedPods; this controller forgets such pods once
// they are deleting or gone, or after DeletionTimeout.
//
// Deviation from upstream: expectedPods is the number of pods the
// selector matches, not the scale of the pods' controllers (upstream
// follows controller ownerReferences to the scale subresource). The two
// differ while a controller is short of pods: upstream then counts the
// missing pods as unhealthy, this controller does not see them.
package disruption
