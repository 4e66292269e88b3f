package scheduler

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/strategicpatch"

	"github.com/tinykube/tinykube/pkg/scheduler/framework"
)

// Sampling as upstream's percentageOfNodesToScore default: in clusters
// of more than minFeasibleNodes nodes, stop looking once a share of the
// nodes (50% minus 1% per 125 nodes, at least 5%) was found feasible.
const (
	minFeasibleNodes           = 100
	minFeasibleNodesPercentage = 5
	// noteLengthLimit caps event messages, as upstream's validation.
	noteLengthLimit = 1024
)

// scheduleOne pops a pod and runs one scheduling cycle for it. It first
// waits for one of the MaxBindingsInFlight binding slots, which the
// cycle hands to the pod's binding or gives back.
func (s *Scheduler) scheduleOne(ctx context.Context) {
	select {
	case s.bindSlots <- struct{}{}:
	case <-ctx.Done():
		return
	}
	binding := false
	defer func() {
		if !binding {
			<-s.bindSlots
		}
	}()
	qp, cycle := s.queue.Pop()
	if qp == nil {
		return
	}
	pod := qp.Pod
	if pod.DeletionTimestamp != nil || s.cache.IsAssumed(pod.UID) {
		s.queue.Done(pod.UID)
		return
	}
	s.cache.UpdateSnapshot(s.snapshot)
	state := framework.NewCycleState(qp.PodInfo)
	node, err := s.schedulePod(ctx, state, pod)
	if err != nil {
		var nominate *string
		var fitErr *FitError
		if errors.As(err, &fitErr) {
			qp.UnschedulablePlugins = sets.New(fitErr.rejectors()...)
			nominate = s.preempt(ctx, state, pod, fitErr)
		}
		s.handleFailure(ctx, qp, cycle, err, nominate)
		return
	}
	assumed := pod.DeepCopy()
	assumed.Spec.NodeName = node
	pi := *qp.PodInfo
	pi.Pod = assumed
	s.cache.AssumePod(&pi)
	s.binding.Add(1)
	binding = true
	go func() {
		defer s.binding.Done()
		defer func() { <-s.bindSlots }()
		s.bind(ctx, qp, assumed)
	}()
}

// bind posts the Binding; on failure the assumed pod is forgotten and
// the pod retried after backoff.
func (s *Scheduler) bind(ctx context.Context, qp *QueuedPod, assumed *corev1.Pod) {
	b := &corev1.Binding{
		ObjectMeta: metav1.ObjectMeta{Namespace: assumed.Namespace, Name: assumed.Name, UID: assumed.UID},
		Target:     corev1.ObjectReference{Kind: "Node", Name: assumed.Spec.NodeName},
	}
	err := s.client.CoreV1().Pods(assumed.Namespace).Bind(ctx, b, metav1.CreateOptions{})
	if err != nil {
		s.cache.ForgetPod(assumed.UID)
		if apierrors.IsNotFound(err) || apierrors.IsConflict(err) || ctx.Err() != nil {
			s.queue.Done(assumed.UID) // gone, or bound by someone else: the informer says what happened
			return
		}
		s.cfg.Logger.Warn("scheduler: binding failed", "pod", assumed.Namespace+"/"+assumed.Name, "node", assumed.Spec.NodeName, "err", err)
		s.recorder.Eventf(qp.Pod, corev1.EventTypeWarning, "FailedScheduling", "Binding rejected: %v", err)
		s.queue.AddBackoff(qp)
		return
	}
	s.cache.FinishBinding(assumed.UID)
	s.queue.Done(assumed.UID)
	s.recorder.Eventf(assumed, corev1.EventTypeNormal, "Scheduled", "Successfully assigned %s/%s to %s", assumed.Namespace, assumed.Name, assumed.Spec.NodeName)
}

// schedulePod picks a node for pod, or returns a *FitError saying why
// none fits (or ErrNoNodesAvailable).
func (s *Scheduler) schedulePod(ctx context.Context, state *framework.CycleState, pod *corev1.Pod) (string, error) {
	nodes := s.snapshot.Nodes()
	if len(nodes) == 0 {
		return "", ErrNoNodesAvailable
	}
	if st := s.runPreFilter(ctx, state, pod, nodes); !st.IsSuccess() {
		if st.IsRejected() {
			return "", &FitError{Pod: pod, NumAllNodes: len(nodes), PreFilterMsg: st.Message()}
		}
		return "", fmt.Errorf("running PreFilter plugin %q: %s", st.Plugin(), st.Message())
	}
	// A pod that preempted others tries its nominated node first.
	if nn := pod.Status.NominatedNodeName; nn != "" {
		if n := s.snapshot.Get(nn); n != nil && s.filterNode(ctx, state, pod, n).IsSuccess() {
			return nn, nil
		}
	}
	feasible, statuses, err := s.findFeasible(ctx, state, pod, nodes)
	if err != nil {
		return "", err
	}
	switch len(feasible) {
	case 0:
		return "", &FitError{Pod: pod, NumAllNodes: len(nodes), Statuses: statuses}
	case 1:
		return feasible[0].Name(), nil
	}
	scores, err := s.prioritize(ctx, state, pod, feasible, nodes)
	if err != nil {
		return "", err
	}
	return selectHost(feasible, scores), nil
}

// runPreFilter runs every PreFilter plugin, recording which ones skip.
func (s *Scheduler) runPreFilter(ctx context.Context, state *framework.CycleState, pod *corev1.Pod, nodes []*framework.NodeInfo) *framework.Status {
	for _, pl := range s.profile.PreFilter {
		st := pl.PreFilter(ctx, state, pod, nodes)
		state.SetSkipFilter(pl.Name(), st.Code() == framework.Skip)
		if !st.IsSuccess() && st.Code() != framework.Skip {
			return st.WithPlugin(pl.Name())
		}
	}
	return nil
}

// filterNode runs the filters on one node, counting pods nominated to it
// with at least pod's priority as if they ran there already. It returns
// the first rejection.
func (s *Scheduler) filterNode(ctx context.Context, state *framework.CycleState, pod *corev1.Pod, n *framework.NodeInfo) *framework.Status {
	if nominated := s.queue.NominatedPods(n.Name(), podPriority(pod), pod.UID); len(nominated) > 0 {
		n = n.Clone()
		for _, pi := range nominated {
			n.AddPod(pi)
		}
	}
	for _, pl := range s.profile.Filter {
		if state.SkipFilter(pl.Name()) {
			continue
		}
		if st := pl.Filter(ctx, state, pod, n); !st.IsSuccess() {
			return st.WithPlugin(pl.Name())
		}
	}
	return nil
}

// numFeasibleToFind is how many feasible nodes are enough (upstream's
// adaptive percentage of nodes to score).
func numFeasibleToFind(all int) int {
	if all < minFeasibleNodes {
		return all
	}
	pct := max(50-all/125, minFeasibleNodesPercentage)
	return max(all*pct/100, minFeasibleNodes)
}

// findFeasible filters nodes starting where the last cycle stopped, until
// enough are feasible; it returns the feasible nodes and the statuses of
// the rejected ones.
func (s *Scheduler) findFeasible(ctx context.Context, state *framework.CycleState, pod *corev1.Pod, nodes []*framework.NodeInfo) ([]*framework.NodeInfo, map[string]*framework.Status, error) {
	want := numFeasibleToFind(len(nodes))
	var feasible []*framework.NodeInfo
	statuses := map[string]*framework.Status{}
	visited := 0
	for ; visited < len(nodes) && len(feasible) < want; visited++ {
		n := nodes[(s.nextStart+visited)%len(nodes)]
		st := s.filterNode(ctx, state, pod, n)
		switch {
		case st.IsSuccess():
			feasible = append(feasible, n)
		case st.IsRejected():
			statuses[n.Name()] = st
		default:
			return nil, nil, fmt.Errorf("running filter plugin %q on node %s: %s", st.Plugin(), n.Name(), st.Message())
		}
	}
	s.nextStart = (s.nextStart + visited) % len(nodes)
	return feasible, statuses, nil
}

// prioritize runs PreScore and the weighted, normalized Score plugins;
// scores[i] is feasible[i]'s total.
func (s *Scheduler) prioritize(ctx context.Context, state *framework.CycleState, pod *corev1.Pod, feasible, all []*framework.NodeInfo) ([]int64, error) {
	for _, pl := range s.profile.PreScore {
		st := pl.PreScore(ctx, state, pod, feasible, all)
		state.SetSkipScore(pl.Name(), st.Code() == framework.Skip)
		if !st.IsSuccess() && st.Code() != framework.Skip {
			return nil, fmt.Errorf("running PreScore plugin %q: %s", pl.Name(), st.Message())
		}
	}
	total := make([]int64, len(feasible))
	scores := make([]int64, len(feasible))
	for _, ws := range s.profile.Score {
		if state.SkipScore(ws.Name()) {
			continue
		}
		for i, n := range feasible {
			sc, st := ws.Score(ctx, state, pod, n)
			if !st.IsSuccess() {
				return nil, fmt.Errorf("running Score plugin %q: %s", ws.Name(), st.Message())
			}
			scores[i] = sc
		}
		if norm, ok := ws.ScorePlugin.(framework.ScoreNormalizer); ok {
			if st := norm.NormalizeScore(ctx, state, pod, feasible, scores); !st.IsSuccess() {
				return nil, fmt.Errorf("normalizing %q scores: %s", ws.Name(), st.Message())
			}
		}
		for i := range total {
			total[i] += scores[i] * ws.Weight
		}
	}
	return total, nil
}

// selectHost returns a node with the highest score, picking uniformly
// among ties.
func selectHost(nodes []*framework.NodeInfo, scores []int64) string {
	best, ties := 0, 1
	for i := 1; i < len(nodes); i++ {
		switch {
		case scores[i] > scores[best]:
			best, ties = i, 1
		case scores[i] == scores[best]:
			ties++
			if rand.IntN(ties) == 0 {
				best = i
			}
		}
	}
	return nodes[best].Name()
}

// handleFailure requeues a pod that could not be scheduled, records a
// FailedScheduling event, and sets PodScheduled=False (and
// nominatedNodeName, if nominate is set) on the pod's status.
func (s *Scheduler) handleFailure(ctx context.Context, qp *QueuedPod, cycle int64, err error, nominate *string) {
	pod := qp.Pod
	reason := corev1.PodReasonUnschedulable
	var fitErr *FitError
	rejected := errors.As(err, &fitErr) || errors.Is(err, ErrNoNodesAvailable)
	if !rejected {
		reason = corev1.PodReasonSchedulerError
		s.cfg.Logger.Warn("scheduler: error scheduling pod; retrying", "pod", pod.Namespace+"/"+pod.Name, "err", err)
	}
	cur, getErr := s.pods.Pods(pod.Namespace).Get(pod.Name)
	if getErr != nil || cur.UID != pod.UID || cur.Spec.NodeName != "" {
		s.queue.Done(pod.UID) // deleted, recreated or bound meanwhile
		return
	}
	if nominate != nil {
		s.queue.Nominate(cur, *nominate)
	}
	if rejected {
		s.queue.AddUnschedulable(qp, cycle)
	} else {
		s.queue.AddBackoff(qp)
	}
	msg := err.Error()
	if len(msg) > noteLengthLimit {
		msg = msg[:noteLengthLimit-4] + " ..."
	}
	s.recorder.Event(cur, corev1.EventTypeWarning, "FailedScheduling", msg)
	cond := corev1.PodCondition{Type: corev1.PodScheduled, Status: corev1.ConditionFalse, Reason: reason, Message: err.Error()}
	if err := s.patchStatus(ctx, cur, &cond, nominate); err != nil {
		s.cfg.Logger.Warn("scheduler: updating pod status", "pod", pod.Namespace+"/"+pod.Name, "err", err)
	}
}

// patchStatus sets one condition (and nominatedNodeName, if nominate is
// set) on the pod's status with a strategic merge patch, and only if
// that changes anything.
func (s *Scheduler) patchStatus(ctx context.Context, pod *corev1.Pod, cond *corev1.PodCondition, nominate *string) error {
	status := pod.Status.DeepCopy()
	if cond != nil {
		setCondition(status, *cond, metav1.Now())
	}
	if nominate != nil {
		status.NominatedNodeName = *nominate
	}
	oldJSON, err := json.Marshal(&corev1.Pod{Status: pod.Status})
	if err != nil {
		return err
	}
	newJSON, err := json.Marshal(&corev1.Pod{Status: *status})
	if err != nil {
		return err
	}
	patch, err := strategicpatch.CreateTwoWayMergePatch(oldJSON, newJSON, &corev1.Pod{})
	if err != nil || string(patch) == "{}" {
		return err
	}
	_, err = s.client.CoreV1().Pods(pod.Namespace).Patch(ctx, pod.Name, types.StrategicMergePatchType, patch, metav1.PatchOptions{}, "status")
	if apierrors.IsNotFound(err) {
		return nil
	}
	return err
}

// setCondition adds or updates c; lastTransitionTime changes only with
// the condition's status, and nothing changes if c is already there.
func setCondition(status *corev1.PodStatus, c corev1.PodCondition, now metav1.Time) {
	for i := range status.Conditions {
		old := &status.Conditions[i]
		if old.Type != c.Type {
			continue
		}
		if old.Status == c.Status && old.Reason == c.Reason && old.Message == c.Message {
			return
		}
		c.LastProbeTime, c.LastTransitionTime = now, old.LastTransitionTime
		if old.Status != c.Status {
			c.LastTransitionTime = now
		}
		*old = c
		return
	}
	c.LastProbeTime, c.LastTransitionTime = now, now
	status.Conditions = append(status.Conditions, c)
}
