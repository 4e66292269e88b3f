package deployment

import (
	"context"

	appsv1 "k8s.io/api/apps/v1"
)

// rolloutRolling takes one step of a RollingUpdate: grow the new
// ReplicaSet as far as maxSurge allows, else shrink old ones as far as
// maxUnavailable allows; when the rollout is complete, trim history.
// Each step ends by writing status; the ReplicaSets' status changes
// bring the next step.
func (c *Controller) rolloutRolling(ctx context.Context, d *appsv1.Deployment, rsList []*appsv1.ReplicaSet) error {
	newRS, oldRSs, err := c.newAndOld(ctx, d, rsList, true)
	if err != nil {
		return err
	}
	all := append(oldRSs, newRS)

	scaledUp, err := c.scaleUpNew(ctx, d, all, newRS)
	if err != nil {
		return err
	}
	if !scaledUp {
		scaledDown, err := c.scaleDownOld(ctx, d, all, active(oldRSs), newRS)
		if err != nil {
			return err
		}
		if !scaledDown && complete(d, c.calculateStatus(d, newRS, all)) {
			if err := c.cleanupHistory(ctx, d, oldRSs); err != nil {
				return err
			}
		}
	}
	return c.syncRolloutStatus(ctx, d, newRS, all)
}

// scaleUpNew scales the new ReplicaSet towards spec.replicas within the
// surge budget (or down, if it is above spec.replicas).
func (c *Controller) scaleUpNew(ctx context.Context, d *appsv1.Deployment, all []*appsv1.ReplicaSet, newRS *appsv1.ReplicaSet) (bool, error) {
	switch {
	case rsReplicas(newRS) == replicas(d):
		return false, nil
	case rsReplicas(newRS) > replicas(d):
		scaled, _, err := c.scaleReplicaSet(ctx, d, newRS, replicas(d))
		return scaled, err
	}
	scaled, _, err := c.scaleReplicaSet(ctx, d, newRS, newRSReplicas(d, all, newRS))
	return scaled, err
}

// scaleDownOld shrinks old ReplicaSets while keeping at least
// replicas-maxUnavailable pods available. Unhealthy old pods (spec
// replicas beyond their available ones) go first: removing them costs
// no availability and unblocks rollouts stuck on broken old pods.
func (c *Controller) scaleDownOld(ctx context.Context, d *appsv1.Deployment, all, oldRSs []*appsv1.ReplicaSet, newRS *appsv1.ReplicaSet) (bool, error) {
	if sum(oldRSs, specReplicas) == 0 {
		return false, nil
	}
	minAvailable := replicas(d) - maxUnavailable(d)
	newUnavailable := rsReplicas(newRS) - newRS.Status.AvailableReplicas
	budget := sum(all, specReplicas) - minAvailable - newUnavailable
	if budget <= 0 {
		return false, nil
	}

	byCreation(oldRSs)
	var done int32
	for i, rs := range oldRSs {
		if done >= budget {
			break
		}
		unhealthy := rsReplicas(rs) - rs.Status.AvailableReplicas
		if rsReplicas(rs) == 0 || unhealthy <= 0 {
			continue
		}
		n := min(budget-done, unhealthy)
		_, updated, err := c.scaleReplicaSet(ctx, d, rs, rsReplicas(rs)-n)
		if err != nil {
			return false, err
		}
		oldRSs[i] = updated
		done += n
	}

	// Then healthy old pods, as far as availability allows.
	excess := sum(append(oldRSs, newRS), availableReplicas) - minAvailable
	var scaled int32
	for _, rs := range oldRSs {
		if scaled >= excess {
			break
		}
		if rsReplicas(rs) == 0 {
			continue
		}
		n := min(rsReplicas(rs), excess-scaled)
		if _, _, err := c.scaleReplicaSet(ctx, d, rs, rsReplicas(rs)-n); err != nil {
			return false, err
		}
		scaled += n
	}
	return done+scaled > 0, nil
}
