package job

import (
	"context"
	"strconv"

	batchv1 "k8s.io/api/batch/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"
)

// A sync must not act on a Job older than its own last status write: the
// pod cache may already show what that write recorded (finalizers removed
// from pods it counted) while the Job cache does not yet show the record,
// and the sync would then run the counted pods' indexes or completions
// again. Upstream guards against the same with its consistency store;
// here the controller remembers the resourceVersion of each status it
// wrote and skips syncs of Jobs the informer has not caught up with (the
// write's own watch event queues the Job again). Versions are etcd
// revisions, which only grow, so a Job recreated under the same name is
// never behind its predecessor's writes.

// updateStatus writes a Job's status and remembers the version written.
func (c *Controller) updateStatus(ctx context.Context, job *batchv1.Job) (*batchv1.Job, error) {
	updated, err := c.client.BatchV1().Jobs(job.Namespace).UpdateStatus(ctx, job, metav1.UpdateOptions{})
	if err != nil {
		return nil, err
	}
	if rv, err := strconv.ParseUint(updated.ResourceVersion, 10, 64); err == nil {
		c.mu.Lock()
		c.written[cache.MetaObjectToName(updated)] = rv
		c.mu.Unlock()
	}
	return updated, nil
}

// behindOwnWrite reports a cached Job older than the controller's last
// status write to it. Versions that are not numbers are never behind.
func (c *Controller) behindOwnWrite(job *batchv1.Job) bool {
	rv, err := strconv.ParseUint(job.ResourceVersion, 10, 64)
	if err != nil {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return rv < c.written[cache.MetaObjectToName(job)]
}

func (c *Controller) forgetWritten(key cache.ObjectName) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.written, key)
}
