package deployment

import (
	"context"

	appsv1 "k8s.io/api/apps/v1"

	"github.com/tinykube/tinykube/pkg/controller/podcontrol"
)

// rolloutRecreate scales every old ReplicaSet to zero, waits until none
// of their pods is left running, and only then creates (or scales up)
// the new ReplicaSet.
func (c *Controller) rolloutRecreate(ctx context.Context, d *appsv1.Deployment, rsList []*appsv1.ReplicaSet) error {
	newRS, oldRSs, err := c.newAndOld(ctx, d, rsList, false)
	if err != nil {
		return err
	}
	all := append(oldRSs, newRS)
	scaled := false
	for i, rs := range oldRSs {
		if rsReplicas(rs) == 0 {
			continue
		}
		ok, updated, err := c.scaleReplicaSet(ctx, d, rs, 0)
		if err != nil {
			return err
		}
		oldRSs[i], scaled = updated, scaled || ok
	}
	if scaled {
		return c.syncRolloutStatus(ctx, d, newRS, all)
	}
	running, err := c.oldPodsRunning(newRS, oldRSs)
	if err != nil {
		return err
	}
	if running {
		return c.syncRolloutStatus(ctx, d, newRS, all)
	}
	if newRS == nil {
		if newRS, oldRSs, err = c.newAndOld(ctx, d, rsList, true); err != nil {
			return err
		}
		all = append(oldRSs, newRS)
	}
	if _, _, err := c.scaleReplicaSet(ctx, d, newRS, replicas(d)); err != nil {
		return err
	}
	if complete(d, c.calculateStatus(d, newRS, all)) {
		if err := c.cleanupHistory(ctx, d, oldRSs); err != nil {
			return err
		}
	}
	return c.syncRolloutStatus(ctx, d, newRS, all)
}

// oldPodsRunning reports whether an old ReplicaSet still has pods that
// have not finished — terminating ones included, since their containers
// may still run.
func (c *Controller) oldPodsRunning(newRS *appsv1.ReplicaSet, oldRSs []*appsv1.ReplicaSet) (bool, error) {
	if sum(oldRSs, statusReplicas) > 0 {
		return true, nil
	}
	for _, rs := range oldRSs {
		if newRS != nil && rs.UID == newRS.UID {
			continue
		}
		pods, err := podcontrol.ByController(c.pods, rs.Namespace, string(rs.UID), false)
		if err != nil {
			return false, err
		}
		for _, p := range pods {
			if podcontrol.IsActive(p) || podcontrol.IsTerminating(p) {
				return true, nil
			}
		}
	}
	return false, nil
}
