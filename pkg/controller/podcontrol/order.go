package podcontrol

import (
	"sort"
	"strconv"
	"sync"

	corev1 "k8s.io/api/core/v1"
)

// deletionCostAnnotation lets users rank pods for scale-down (lower cost
// goes first), as upstream's controller.kubernetes.io/pod-deletion-cost.
const deletionCostAnnotation = "controller.kubernetes.io/pod-deletion-cost"

// phaseRank orders phases for deletion: pods that are further from
// serving go first.
var phaseRank = map[corev1.PodPhase]int{corev1.PodPending: 0, corev1.PodUnknown: 1, corev1.PodRunning: 2}

// SortForDeletion orders pods so the ones cheapest to lose come first:
// unscheduled before scheduled, Pending < Unknown < Running, not ready
// before ready, lower pod-deletion-cost first, then the most recently
// ready, more container restarts, and finally the newest. (Upstream
// additionally prefers pods doubled up on a node and buckets times
// logarithmically; we compare times exactly.) It sorts in place.
func SortForDeletion(pods []*corev1.Pod) {
	sort.SliceStable(pods, func(i, j int) bool { return deleteBefore(pods[i], pods[j]) })
}

func deleteBefore(a, b *corev1.Pod) bool {
	if (a.Spec.NodeName == "") != (b.Spec.NodeName == "") {
		return a.Spec.NodeName == ""
	}
	if ra, rb := phaseRank[a.Status.Phase], phaseRank[b.Status.Phase]; ra != rb {
		return ra < rb
	}
	if IsReady(a) != IsReady(b) {
		return !IsReady(a)
	}
	if ca, cb := deletionCost(a), deletionCost(b); ca != cb {
		return ca < cb
	}
	if IsReady(a) && IsReady(b) {
		ta, tb := readyCondition(a).LastTransitionTime, readyCondition(b).LastTransitionTime
		if !ta.Equal(&tb) {
			return ta.After(tb.Time) // ready for less time goes first
		}
	}
	if ra, rb := maxRestarts(a), maxRestarts(b); ra != rb {
		return ra > rb
	}
	if !a.CreationTimestamp.Equal(&b.CreationTimestamp) {
		return a.CreationTimestamp.After(b.CreationTimestamp.Time)
	}
	return a.UID < b.UID
}

func deletionCost(p *corev1.Pod) int64 {
	c, err := strconv.ParseInt(p.Annotations[deletionCostAnnotation], 10, 32)
	if err != nil {
		return 0
	}
	return c
}

func maxRestarts(p *corev1.Pod) int32 {
	var n int32
	for _, s := range p.Status.ContainerStatuses {
		n = max(n, s.RestartCount)
	}
	return n
}

// SlowStartInitialBatch is the size of the first batch of SlowStart.
const SlowStartInitialBatch = 1

// SlowStart calls fn count times in batches of 1, 2, 4, … run in
// parallel, stopping after the first batch with a failure: a controller
// that would create 500 pods into a quota that admits none makes one
// request, not 500. It returns how many calls succeeded and the first
// error.
func SlowStart(count int, fn func() error) (int, error) {
	done := 0
	for batch := min(count, SlowStartInitialBatch); batch > 0; batch = min(2*batch, count-done) {
		errs := make(chan error, batch)
		var wg sync.WaitGroup
		for range batch {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := fn(); err != nil {
					errs <- err
				}
			}()
		}
		wg.Wait()
		close(errs)
		done += batch - len(errs)
		if err, failed := <-errs; failed {
			return done, err
		}
	}
	return done, nil
}
