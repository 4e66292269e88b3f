package scheduler

import (
	"context"
	"fmt"
	"sort"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/tinykube/tinykube/pkg/scheduler/framework"
)

// Preemption, as upstream's DefaultPreemption: for a pod that fits no
// node, find nodes where deleting lower-priority pods would make it fit,
// keep as many of those pods as still lets it fit (the most important
// first), pick the node whose victims matter least, delete them, and
// nominate the node for the pod. The pod stays pending until the victims
// are gone; then the next cycle binds it to its nominated node.

const (
	msgNoVictims   = "No preemption victims found for incoming pod"
	msgNotHelpful  = "Preemption is not helpful for scheduling"
	disruptionType = corev1.DisruptionTarget
)

// candidate is a node and the pods to delete there.
type candidate struct {
	node    string
	victims []*framework.PodInfo
}

// preempt runs preemption for pod after fitErr; it fills
// fitErr.PostFilterMsg when preemption cannot help. It returns the node
// to nominate ("" clears a nomination), or nil to leave it unchanged.
func (s *Scheduler) preempt(ctx context.Context, state *framework.CycleState, pod *corev1.Pod, fitErr *FitError) *string {
	if pod.Spec.PreemptionPolicy != nil && *pod.Spec.PreemptionPolicy == corev1.PreemptNever {
		fitErr.PostFilterMsg = "preemption: not eligible due to preemptionPolicy=Never."
		return nil
	}
	prio := podPriority(pod)
	if nn := pod.Status.NominatedNodeName; nn != "" {
		if st := fitErr.Statuses[nn]; st.Code() != framework.UnschedulableAndUnresolvable {
			if n := s.snapshot.Get(nn); n != nil {
				for _, p := range n.Pods {
					if p.Pod.DeletionTimestamp != nil && podPriority(p.Pod) < prio {
						fitErr.PostFilterMsg = "preemption: not eligible due to a terminating pod on the nominated node."
						return nil
					}
				}
			}
		}
	}
	nodes := s.snapshot.Nodes()
	statuses := map[string]*framework.Status{}
	var candidates []candidate
	if fitErr.PreFilterMsg == "" {
		for _, n := range nodes {
			if fitErr.Statuses[n.Name()].Code() != framework.Unschedulable {
				continue
			}
			victims, st := s.selectVictims(ctx, state, pod, n, nodes)
			if !st.IsSuccess() {
				statuses[n.Name()] = st
				continue
			}
			candidates = append(candidates, candidate{node: n.Name(), victims: victims})
		}
	}
	if len(candidates) == 0 {
		none := &FitError{NumAllNodes: len(nodes), Statuses: statuses, AbsentReason: msgNotHelpful}
		fitErr.PostFilterMsg = "preemption: " + none.Error()
		empty := ""
		return &empty
	}
	best := pickCandidate(candidates)
	for _, v := range best.victims {
		if err := s.evict(ctx, v.Pod, pod, best.node); err != nil {
			s.cfg.Logger.Warn("scheduler: preempting", "victim", v.Pod.Namespace+"/"+v.Pod.Name, "err", err)
			return nil
		}
	}
	return &best.node
}

// selectVictims finds the fewest, least important lower-priority pods on
// n whose removal lets pod fit.
func (s *Scheduler) selectVictims(ctx context.Context, state *framework.CycleState, pod *corev1.Pod, n *framework.NodeInfo, all []*framework.NodeInfo) ([]*framework.PodInfo, *framework.Status) {
	prio := podPriority(pod)
	trial := n.Clone()
	var potential []*framework.PodInfo
	for _, p := range trial.Pods {
		if podPriority(p.Pod) < prio {
			potential = append(potential, p)
		}
	}
	if len(potential) == 0 {
		return nil, framework.NewStatus(framework.UnschedulableAndUnresolvable, msgNoVictims)
	}
	for _, p := range potential {
		trial.RemovePod(p.Pod.UID)
	}
	// Nodes as they would be on n without the victims, for plugins whose
	// PreFilter counts over the cluster.
	nodes := make([]*framework.NodeInfo, len(all))
	for i, x := range all {
		nodes[i] = x
		if x.Name() == n.Name() {
			nodes[i] = trial
		}
	}
	fits := func() *framework.Status {
		st := framework.NewCycleState(state.PodInfo)
		if pre := s.runPreFilter(ctx, st, pod, nodes); !pre.IsSuccess() {
			return pre
		}
		return s.filterNode(ctx, st, pod, trial)
	}
	if st := fits(); !st.IsSuccess() {
		return nil, st
	}
	// Reprieve the most important first: higher priority, then older.
	sort.SliceStable(potential, func(i, j int) bool {
		pi, pj := podPriority(potential[i].Pod), podPriority(potential[j].Pod)
		if pi != pj {
			return pi > pj
		}
		return startTime(potential[i].Pod).Time.Before(startTime(potential[j].Pod).Time)
	})
	var victims []*framework.PodInfo
	for _, p := range potential {
		trial.AddPod(p)
		if !fits().IsSuccess() {
			trial.RemovePod(p.Pod.UID)
			victims = append(victims, p)
		}
	}
	return victims, nil
}

func startTime(p *corev1.Pod) metav1.Time {
	if p.Status.StartTime != nil {
		return *p.Status.StartTime
	}
	return p.CreationTimestamp
}

// pickCandidate prefers, in order: the lowest highest-victim priority,
// the lowest sum of victim priorities, the fewest victims.
func pickCandidate(cs []candidate) candidate {
	key := func(c candidate) (top int64, sum int64, n int) {
		top = -1 << 40
		for _, v := range c.victims {
			p := int64(podPriority(v.Pod))
			top = max(top, p)
			// Shift so that negative priorities still add up as costs.
			sum += p + 1<<31
		}
		return top, sum, len(c.victims)
	}
	best := cs[0]
	bt, bs, bn := key(best)
	for _, c := range cs[1:] {
		t, s, n := key(c)
		if t < bt || (t == bt && (s < bs || (s == bs && n < bn))) {
			best, bt, bs, bn = c, t, s, n
		}
	}
	return best
}

// evict marks victim with the DisruptionTarget condition, records a
// Preempted event and deletes it (gracefully, as upstream).
func (s *Scheduler) evict(ctx context.Context, victim, preemptor *corev1.Pod, node string) error {
	cond := corev1.PodCondition{Type: disruptionType, Status: corev1.ConditionTrue, Reason: corev1.PodReasonPreemptionByScheduler,
		Message: fmt.Sprintf("%s: preempting to accommodate a higher priority pod", s.cfg.SchedulerName)}
	if err := s.patchStatus(ctx, victim, &cond, nil); err != nil {
		return err
	}
	s.recorder.Eventf(victim, corev1.EventTypeNormal, "Preempted", "Preempted by pod %s on node %s", preemptor.UID, node)
	uid := victim.UID
	err := s.client.CoreV1().Pods(victim.Namespace).Delete(ctx, victim.Name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &uid}})
	if apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
		return nil
	}
	return err
}
