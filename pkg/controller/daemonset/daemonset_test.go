package daemonset_test

import (
	"context"
	"slices"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/tinykube/tinykube/internal/testserver"
	"github.com/tinykube/tinykube/pkg/controller/internal/kubelettest"
	"github.com/tinykube/tinykube/pkg/controllermanager"
)

func start(t *testing.T) (*testserver.Server, context.Context) {
	s := testserver.Start(t, "")
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	cfg := controllermanager.DefaultConfig()
	cfg.RESTConfig, cfg.LeaderElect, cfg.Controllers = s.RESTConfig, false, []string{"daemonset"}
	go func() { _ = controllermanager.Run(ctx, cfg) }()
	return s, ctx
}

func addNode(ctx context.Context, t *testing.T, s *testserver.Server, name string, taints ...corev1.Taint) {
	t.Helper()
	n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"kubernetes.io/hostname": name}},
		Spec: corev1.NodeSpec{Taints: taints}}
	if _, err := s.Client.CoreV1().Nodes().Create(ctx, n, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// podsByNode maps node name to the images of the live daemon pods bound
// for it (by nodeName or by the pinning affinity).
func podsByNode(ctx context.Context, t *testing.T, s *testserver.Server) map[string][]string {
	t.Helper()
	l, err := s.Client.CoreV1().Pods("default").List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	m := map[string][]string{}
	for _, p := range l.Items {
		if p.DeletionTimestamp != nil {
			continue
		}
		terms := p.Spec.Affinity.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms
		node := terms[0].MatchFields[0].Values[0]
		m[node] = append(m[node], p.Spec.Containers[0].Image)
	}
	return m
}

func waitNodes(ctx context.Context, t *testing.T, s *testserver.Server, image string, nodes ...string) {
	t.Helper()
	err := wait.PollUntilContextTimeout(ctx, 50*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		m := podsByNode(ctx, t, s)
		if len(m) != len(nodes) {
			return false, nil
		}
		for _, n := range nodes {
			if !slices.Equal(m[n], []string{image}) {
				return false, nil
			}
		}
		return true, nil
	})
	if err != nil {
		t.Fatalf("want one %s pod on each of %v; have %v", image, nodes, podsByNode(ctx, t, s))
	}
}

func waitStatus(ctx context.Context, t *testing.T, s *testserver.Server, ok func(appsv1.DaemonSetStatus) bool) appsv1.DaemonSetStatus {
	t.Helper()
	var st appsv1.DaemonSetStatus
	err := wait.PollUntilContextTimeout(ctx, 50*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		ds, err := s.Client.AppsV1().DaemonSets("default").Get(ctx, "agent", metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		st = ds.Status
		return st.ObservedGeneration == ds.Generation && ok(st), nil
	})
	if err != nil {
		t.Fatalf("daemonset status %+v", st)
	}
	return st
}

// TestDaemonSet: one pod per eligible node, none on a tainted node, a
// new node gets one, a rolling update replaces them all, a NoExecute
// taint evicts.
func TestDaemonSet(t *testing.T) {
	s, ctx := start(t)
	addNode(ctx, t, s, "n1")
	addNode(ctx, t, s, "n2")
	addNode(ctx, t, s, "gpu", corev1.Taint{Key: "dedicated", Value: "gpu", Effect: corev1.TaintEffectNoSchedule})
	lbls := map[string]string{"app": "agent"}
	ds := &appsv1.DaemonSet{
		ObjectMeta: metav1.ObjectMeta{Name: "agent"},
		Spec: appsv1.DaemonSetSpec{
			Selector: &metav1.LabelSelector{MatchLabels: lbls},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: lbls},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "agent", Image: "agent:1"}}},
			},
		},
	}
	if _, err := s.Client.AppsV1().DaemonSets("default").Create(ctx, ds, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitNodes(ctx, t, s, "agent:1", "n1", "n2")
	st := waitStatus(ctx, t, s, func(st appsv1.DaemonSetStatus) bool { return st.CurrentNumberScheduled == 2 })
	if st.DesiredNumberScheduled != 2 || st.UpdatedNumberScheduled != 2 || st.NumberMisscheduled != 0 {
		t.Errorf("status %+v", st)
	}
	l, _ := s.Client.CoreV1().Pods("default").List(ctx, metav1.ListOptions{})
	p := l.Items[0]
	hasNotReady := slices.ContainsFunc(p.Spec.Tolerations, func(t corev1.Toleration) bool {
		return t.Key == corev1.TaintNodeNotReady && t.Effect == corev1.TaintEffectNoExecute
	})
	if !hasNotReady || p.Labels[appsv1.DefaultDaemonSetUniqueLabelKey] == "" || metav1.GetControllerOf(&p) == nil {
		t.Errorf("daemon pod %s: tolerations %v labels %v", p.Name, p.Spec.Tolerations, p.Labels)
	}

	addNode(ctx, t, s, "n3")
	waitNodes(ctx, t, s, "agent:1", "n1", "n2", "n3")
	kubelettest.Start(t, s.Client, "default")
	waitStatus(ctx, t, s, func(st appsv1.DaemonSetStatus) bool { return st.NumberReady == 3 && st.NumberAvailable == 3 })

	// Rolling update, one node at a time (maxUnavailable 1).
	if _, err := s.Client.AppsV1().DaemonSets("default").Patch(ctx, "agent", types.StrategicMergePatchType,
		[]byte(`{"spec":{"template":{"spec":{"containers":[{"name":"agent","image":"agent:2"}]}}}}`), metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	waitNodes(ctx, t, s, "agent:2", "n1", "n2", "n3")
	waitStatus(ctx, t, s, func(st appsv1.DaemonSetStatus) bool { return st.UpdatedNumberScheduled == 3 && st.NumberAvailable == 3 })
	revs, err := s.Client.AppsV1().ControllerRevisions("default").List(ctx, metav1.ListOptions{})
	if err != nil || len(revs.Items) != 2 {
		t.Errorf("controller revisions: %v %d", err, len(revs.Items))
	}
	// Revisions carry their hash in controller-revision-hash, as
	// upstream's (e2e's DaemonSet update spec looks for it there), and
	// the updated pods' label names the newest one.
	l, _ = s.Client.CoreV1().Pods("default").List(ctx, metav1.ListOptions{})
	podHash := l.Items[0].Labels[appsv1.DefaultDaemonSetUniqueLabelKey]
	found := false
	for _, r := range revs.Items {
		h := r.Labels[appsv1.DefaultDaemonSetUniqueLabelKey]
		if h == "" || r.Name != "agent-"+h {
			t.Errorf("revision %s labels %v: want controller-revision-hash = its name's suffix", r.Name, r.Labels)
		}
		found = found || h == podHash
	}
	if !found {
		t.Errorf("pod hash %q names no revision", podHash)
	}

	// A NoExecute taint the pod does not tolerate removes it.
	n, _ := s.Client.CoreV1().Nodes().Get(ctx, "n1", metav1.GetOptions{})
	n.Spec.Taints = []corev1.Taint{{Key: "maintenance", Effect: corev1.TaintEffectNoExecute}}
	if _, err := s.Client.CoreV1().Nodes().Update(ctx, n, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitNodes(ctx, t, s, "agent:2", "n2", "n3")
	waitStatus(ctx, t, s, func(st appsv1.DaemonSetStatus) bool {
		return st.DesiredNumberScheduled == 2 && st.CurrentNumberScheduled == 2
	})
}
