package scheduler

import (
	"container/heap"
	"context"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/utils/clock"

	"github.com/tinykube/tinykube/pkg/scheduler/framework"
)

// QueuedPod is a pending pod in the scheduling queue.
type QueuedPod struct {
	*framework.PodInfo
	// Timestamp is when the pod (re)entered the queue; pods of equal
	// priority are scheduled in that order.
	Timestamp time.Time
	// Attempts counts scheduling attempts; backoff doubles with each.
	Attempts int
	// UnschedulablePlugins rejected the pod in its last attempt; cluster
	// events that cannot help those plugins leave the pod where it is.
	UnschedulablePlugins sets.Set[string]
	backoffUntil         time.Time
}

// Queue orders the pods waiting to be scheduled. It has three places:
//   - active: pods to try now, highest priority first, then oldest;
//   - backoff: pods that failed and wait out their backoff (1s doubling
//     to 10s by default) before going back to active;
//   - unschedulable: pods that did not fit; they go back (through
//     backoff) when MoveAll reports a cluster change that may help them,
//     or after MaxInUnschedulable at the latest.
//
// A popped pod is in flight until Done, AddUnschedulable or AddBackoff.
// Pods with scheduling gates wait in gated until the gates are removed.
// All methods are safe for concurrent use.
type Queue struct {
	clock                      clock.WithTicker
	initialBackoff, maxBackoff time.Duration
	maxInUnschedulable         time.Duration
	mu                         sync.Mutex
	cond                       *sync.Cond
	active, backoff            *podHeap
	unschedulable, gated       map[types.UID]*QueuedPod
	inFlight                   map[types.UID]*corev1.Pod
	cycle, moveCycle           int64
	closed                     bool
	nominated                  map[string]map[types.UID]*framework.PodInfo
	nominatedNode              map[types.UID]string
}

// NewQueue returns an empty queue.
func NewQueue(clk clock.WithTicker, initialBackoff, maxBackoff, maxInUnschedulable time.Duration) *Queue {
	q := &Queue{
		clock: clk, initialBackoff: initialBackoff, maxBackoff: maxBackoff, maxInUnschedulable: maxInUnschedulable,
		active: newPodHeap(func(a, b *QueuedPod) bool {
			pa, pb := podPriority(a.Pod), podPriority(b.Pod)
			if pa != pb {
				return pa > pb
			}
			return a.Timestamp.Before(b.Timestamp)
		}),
		backoff:       newPodHeap(func(a, b *QueuedPod) bool { return a.backoffUntil.Before(b.backoffUntil) }),
		unschedulable: map[types.UID]*QueuedPod{}, gated: map[types.UID]*QueuedPod{},
		inFlight:  map[types.UID]*corev1.Pod{},
		nominated: map[string]map[types.UID]*framework.PodInfo{}, nominatedNode: map[types.UID]string{},
	}
	q.cond = sync.NewCond(&q.mu)
	return q
}

// podPriority is spec.priority, 0 when unset.
func podPriority(p *corev1.Pod) int32 {
	if p.Spec.Priority != nil {
		return *p.Spec.Priority
	}
	return 0
}

// Run moves pods whose backoff ended to active, every second, and pods
// unschedulable for too long back too, until ctx ends; then it closes the
// queue (Pop returns nil).
func (q *Queue) Run(ctx context.Context) {
	t := q.clock.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			q.mu.Lock()
			q.closed = true
			q.cond.Broadcast()
			q.mu.Unlock()
			return
		case <-t.C():
			q.flush()
		}
	}
}

func (q *Queue) flush() {
	q.mu.Lock()
	defer q.mu.Unlock()
	now := q.clock.Now()
	for q.backoff.Len() > 0 && !q.backoff.peek().backoffUntil.After(now) {
		qp := q.backoff.pop()
		q.active.push(qp)
		q.cond.Signal()
	}
	for uid, qp := range q.unschedulable {
		if now.Sub(qp.Timestamp) >= q.maxInUnschedulable {
			delete(q.unschedulable, uid)
			q.requeueLocked(qp)
		}
	}
}

// Add queues a new pending pod.
func (q *Queue) Add(pod *corev1.Pod) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.findLocked(pod.UID) != nil {
		q.updateLocked(pod)
		return
	}
	qp := &QueuedPod{PodInfo: framework.NewPodInfo(pod), Timestamp: q.clock.Now()}
	q.nominateLocked(qp.PodInfo, pod.Status.NominatedNodeName)
	if len(pod.Spec.SchedulingGates) > 0 {
		q.gated[pod.UID] = qp
		return
	}
	q.active.push(qp)
	q.cond.Signal()
}

// Update replaces a queued pod with its new version. A pod waiting as
// unschedulable whose spec or labels changed is tried again.
func (q *Queue) Update(pod *corev1.Pod) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.updateLocked(pod)
}

func (q *Queue) updateLocked(pod *corev1.Pod) {
	q.nominateLocked(framework.NewPodInfo(pod), pod.Status.NominatedNodeName)
	if _, ok := q.inFlight[pod.UID]; ok {
		q.inFlight[pod.UID] = pod
		return
	}
	if qp := q.gated[pod.UID]; qp != nil {
		qp.PodInfo = framework.NewPodInfo(pod)
		if len(pod.Spec.SchedulingGates) == 0 {
			delete(q.gated, pod.UID)
			q.active.push(qp)
			q.cond.Signal()
		}
		return
	}
	if qp := q.unschedulable[pod.UID]; qp != nil {
		changed := !equality.Semantic.DeepEqual(qp.Pod.Spec, pod.Spec) || !equality.Semantic.DeepEqual(qp.Pod.Labels, pod.Labels)
		qp.PodInfo = framework.NewPodInfo(pod)
		if changed {
			delete(q.unschedulable, pod.UID)
			q.requeueLocked(qp)
		}
		return
	}
	for _, h := range []*podHeap{q.active, q.backoff} {
		if qp := h.get(pod.UID); qp != nil {
			qp.PodInfo = framework.NewPodInfo(pod)
			h.fix(pod.UID)
			return
		}
	}
	qp := &QueuedPod{PodInfo: framework.NewPodInfo(pod), Timestamp: q.clock.Now()}
	q.active.push(qp)
	q.cond.Signal()
}

// Delete forgets a pod (deleted, or bound).
func (q *Queue) Delete(pod *corev1.Pod) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.nominateLocked(&framework.PodInfo{Pod: pod}, "")
	delete(q.unschedulable, pod.UID)
	delete(q.gated, pod.UID)
	delete(q.inFlight, pod.UID)
	q.active.remove(pod.UID)
	q.backoff.remove(pod.UID)
}

func (q *Queue) findLocked(uid types.UID) *QueuedPod {
	if qp := q.unschedulable[uid]; qp != nil {
		return qp
	}
	if qp := q.gated[uid]; qp != nil {
		return qp
	}
	if _, ok := q.inFlight[uid]; ok {
		return &QueuedPod{}
	}
	if qp := q.active.get(uid); qp != nil {
		return qp
	}
	return q.backoff.get(uid)
}

// Pop blocks until a pod is active and returns it with the scheduling
// cycle it starts, or nil once the queue is closed.
func (q *Queue) Pop() (*QueuedPod, int64) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for q.active.Len() == 0 && !q.closed {
		q.cond.Wait()
	}
	if q.closed {
		return nil, 0
	}
	qp := q.active.pop()
	qp.Attempts++
	q.cycle++
	q.inFlight[qp.Pod.UID] = qp.Pod
	return qp, q.cycle
}

// Done ends the flight of a pod that was scheduled (or is gone).
func (q *Queue) Done(uid types.UID) {
	q.mu.Lock()
	delete(q.inFlight, uid)
	q.mu.Unlock()
}

// AddUnschedulable returns a pod that did not fit. If the cluster changed
// while it was being scheduled (a MoveAll since cycle began) it only
// backs off; otherwise it waits in unschedulable.
func (q *Queue) AddUnschedulable(qp *QueuedPod, cycle int64) {
	q.mu.Lock()
	defer q.mu.Unlock()
	latest, ok := q.inFlight[qp.Pod.UID]
	if !ok {
		return // deleted meanwhile
	}
	delete(q.inFlight, qp.Pod.UID)
	if latest != qp.Pod {
		qp.PodInfo = framework.NewPodInfo(latest)
	}
	now := q.clock.Now()
	qp.Timestamp = now
	qp.backoffUntil = now.Add(q.backoffFor(qp.Attempts))
	if q.moveCycle >= cycle || latest != qp.Pod {
		q.backoff.push(qp)
		return
	}
	q.unschedulable[qp.Pod.UID] = qp
}

// AddBackoff returns a pod whose attempt failed with an error (or whose
// binding failed): it is retried after its backoff.
func (q *Queue) AddBackoff(qp *QueuedPod) {
	q.mu.Lock()
	defer q.mu.Unlock()
	latest, ok := q.inFlight[qp.Pod.UID]
	if !ok {
		return
	}
	delete(q.inFlight, qp.Pod.UID)
	qp.PodInfo = framework.NewPodInfo(latest)
	qp.backoffUntil = q.clock.Now().Add(q.backoffFor(qp.Attempts))
	q.backoff.push(qp)
}

// backoffFor is initialBackoff doubled per earlier attempt, capped.
func (q *Queue) backoffFor(attempts int) time.Duration {
	d := q.initialBackoff
	for i := 1; i < attempts && d < q.maxBackoff; i++ {
		d *= 2
	}
	return min(d, q.maxBackoff)
}

// MoveAll moves unschedulable pods for which helps returns true back to
// active (or backoff, if theirs has not ended): a cluster change may let
// them fit. helps nil means every pod.
func (q *Queue) MoveAll(helps func(*QueuedPod) bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for uid, qp := range q.unschedulable {
		if helps == nil || helps(qp) {
			delete(q.unschedulable, uid)
			q.requeueLocked(qp)
		}
	}
	q.moveCycle = q.cycle
}

func (q *Queue) requeueLocked(qp *QueuedPod) {
	if qp.backoffUntil.After(q.clock.Now()) {
		q.backoff.push(qp)
		return
	}
	q.active.push(qp)
	q.cond.Signal()
}

// Nominate records that pod is to run on node once preemption victims
// are gone ("" clears it).
func (q *Queue) Nominate(pod *corev1.Pod, node string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.nominateLocked(framework.NewPodInfo(pod), node)
}

func (q *Queue) nominateLocked(pi *framework.PodInfo, node string) {
	uid := pi.Pod.UID
	if old, ok := q.nominatedNode[uid]; ok {
		delete(q.nominated[old], uid)
		if len(q.nominated[old]) == 0 {
			delete(q.nominated, old)
		}
		delete(q.nominatedNode, uid)
	}
	if node == "" {
		return
	}
	if q.nominated[node] == nil {
		q.nominated[node] = map[types.UID]*framework.PodInfo{}
	}
	q.nominated[node][uid] = pi
	q.nominatedNode[uid] = node
}

// NominatedPods returns the pods nominated to node with priority at
// least prio, other than uid.
func (q *Queue) NominatedPods(node string, prio int32, uid types.UID) []*framework.PodInfo {
	q.mu.Lock()
	defer q.mu.Unlock()
	var out []*framework.PodInfo
	for u, pi := range q.nominated[node] {
		if u != uid && podPriority(pi.Pod) >= prio {
			out = append(out, pi)
		}
	}
	return out
}

// Pending counts pods waiting in each place (for tests and logs).
func (q *Queue) Pending() (active, backoff, unschedulable int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.active.Len(), q.backoff.Len(), len(q.unschedulable)
}

// podHeap is a heap of pods that can also find, fix and remove a pod by
// UID.
type podHeap struct {
	items []*QueuedPod
	index map[types.UID]int
	less  func(a, b *QueuedPod) bool
}

func newPodHeap(less func(a, b *QueuedPod) bool) *podHeap {
	return &podHeap{index: map[types.UID]int{}, less: less}
}

func (h *podHeap) Len() int           { return len(h.items) }
func (h *podHeap) Less(i, j int) bool { return h.less(h.items[i], h.items[j]) }
func (h *podHeap) Swap(i, j int) {
	h.items[i], h.items[j] = h.items[j], h.items[i]
	h.index[h.items[i].Pod.UID] = i
	h.index[h.items[j].Pod.UID] = j
}
func (h *podHeap) Push(x any) {
	qp := x.(*QueuedPod)
	h.index[qp.Pod.UID] = len(h.items)
	h.items = append(h.items, qp)
}
func (h *podHeap) Pop() any {
	last := h.items[len(h.items)-1]
	h.items[len(h.items)-1] = nil
	h.items = h.items[:len(h.items)-1]
	delete(h.index, last.Pod.UID)
	return last
}

func (h *podHeap) push(qp *QueuedPod) {
	if i, ok := h.index[qp.Pod.UID]; ok {
		h.items[i] = qp
		heap.Fix(h, i)
		return
	}
	heap.Push(h, qp)
}
func (h *podHeap) pop() *QueuedPod  { return heap.Pop(h).(*QueuedPod) }
func (h *podHeap) peek() *QueuedPod { return h.items[0] }
func (h *podHeap) get(uid types.UID) *QueuedPod {
	if i, ok := h.index[uid]; ok {
		return h.items[i]
	}
	return nil
}
func (h *podHeap) fix(uid types.UID) {
	if i, ok := h.index[uid]; ok {
		heap.Fix(h, i)
	}
}
func (h *podHeap) remove(uid types.UID) {
	if i, ok := h.index[uid]; ok {
		heap.Remove(h, i)
	}
}
