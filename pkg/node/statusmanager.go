package node

import (
	"context"
	"fmt"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/utils/clock"
)

// statusManager writes pod statuses apart from the pod syncs, as the
// kubelet's status manager does: a pod sync computes the status and moves
// on, and the status reaches the API server as soon as a writer is free.
// A status not yet written is replaced by a newer one for the same pod,
// so a pod that starts and becomes ready quickly costs one write.
//
// Each kubelet's status manager writes one status at a time, so a cluster
// of N nodes has up to N writes in flight; the agent runs as many writers
// (Config.StatusWorkers may cap them). The writes compete for the API
// server with the scheduler's bindings and the ReplicaSet controller's
// creates, and the stage with the fewest requests in flight gets the
// smallest share: with one pool of 16 workers for pod syncs and writes,
// 100 nodes wrote ≈ 90 statuses/s while the scheduler bound 300/s, and
// pods queued for seconds between bound and Running.
//
// A status is written with the resourceVersion of the pod it was computed
// from (a PUT of that version with the new status), never on top of a
// newer one: the newer version reaches the pod queue through the
// informer, and its sync computes the status again on top of whatever
// else changed (conditions others own, a deletion), replacing this one.
// A conflict is retried with backoff until the informer has the newer
// version.
type statusManager struct {
	client kubernetes.Interface
	pods   corelisters.PodLister
	queue  workqueue.TypedRateLimitingInterface[cache.ObjectName]

	mu      sync.Mutex
	pending map[cache.ObjectName]*pendingStatus
}

// pendingStatus is a status to write and the pod version it was computed
// from (an informer-cache object: never mutated).
type pendingStatus struct {
	base   *corev1.Pod
	status corev1.PodStatus
}

func newStatusManager(client kubernetes.Interface, pods corelisters.PodLister, clk clock.WithTicker) *statusManager {
	return &statusManager{
		client: client, pods: pods, pending: map[cache.ObjectName]*pendingStatus{},
		// Per-pod backoff only: a client-wide bucket (the controller
		// default, 10/s) would throttle every retry once a burst of
		// writes failed together.
		queue: workqueue.NewTypedRateLimitingQueueWithConfig(
			workqueue.NewTypedItemExponentialFailureRateLimiter[cache.ObjectName](5*time.Millisecond, 10*time.Second),
			workqueue.TypedRateLimitingQueueConfig[cache.ObjectName]{Name: "node-agent-status", Clock: clk}),
	}
}

// set records status as pod's wanted status. If pod already has it,
// nothing is written (and a pending older status is dropped).
func (m *statusManager) set(pod *corev1.Pod, status corev1.PodStatus) {
	key := cacheKey(pod)
	m.mu.Lock()
	defer m.mu.Unlock()
	if apiequality.Semantic.DeepEqual(status, pod.Status) {
		delete(m.pending, key)
		return
	}
	m.pending[key] = &pendingStatus{base: pod, status: status}
	m.queue.Add(key)
}

// forget drops any pending status of the pod (it was deleted, or its
// final status is being written directly).
func (m *statusManager) forget(key cache.ObjectName) {
	m.mu.Lock()
	delete(m.pending, key)
	m.mu.Unlock()
}

// sync writes key's pending status, if any.
func (m *statusManager) sync(ctx context.Context, key cache.ObjectName) (time.Duration, error) {
	m.mu.Lock()
	ps := m.pending[key]
	m.mu.Unlock()
	if ps == nil {
		return 0, nil
	}
	done := func() {
		m.mu.Lock()
		if m.pending[key] == ps {
			delete(m.pending, key)
		}
		m.mu.Unlock()
	}
	if cur, err := m.pods.Pods(key.Namespace).Get(key.Name); err != nil || cur.ResourceVersion != ps.base.ResourceVersion {
		// Deleted (the pod's sync forgets it), or a newer version is on
		// its way to the pod queue, whose sync replaces or drops this
		// status: writing it would only conflict.
		return 0, nil
	}
	p := ps.base.DeepCopy()
	p.Status = ps.status
	_, err := m.client.CoreV1().Pods(p.Namespace).UpdateStatus(ctx, p, metav1.UpdateOptions{})
	if err != nil && !apierrors.IsNotFound(err) {
		return 0, fmt.Errorf("pod status: %w", err)
	}
	done()
	return 0, nil
}
