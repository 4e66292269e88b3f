package statefulset_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/tinykube/tinykube/internal/controllertest"
	"github.com/tinykube/tinykube/internal/testserver"
	"github.com/tinykube/tinykube/pkg/controller/internal/kubelettest"
	"github.com/tinykube/tinykube/pkg/controllermanager"
)

func start(t *testing.T) (*testserver.Server, context.Context) {
	s := testserver.Start(t, "")
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	cfg := controllermanager.DefaultConfig()
	cfg.RESTConfig, cfg.LeaderElect, cfg.Controllers = s.RESTConfig, false, []string{"statefulset"}
	go func() { _ = controllermanager.Run(ctx, cfg) }()
	return s, ctx
}

func newSet(name string, replicas int32, policy appsv1.PodManagementPolicyType) *appsv1.StatefulSet {
	lbls := map[string]string{"app": name}
	return &appsv1.StatefulSet{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: appsv1.StatefulSetSpec{
			Replicas: &replicas, ServiceName: name, PodManagementPolicy: policy,
			Selector: &metav1.LabelSelector{MatchLabels: lbls},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: lbls},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "db", Image: "postgres:16"}}},
			},
			VolumeClaimTemplates: []corev1.PersistentVolumeClaim{{
				ObjectMeta: metav1.ObjectMeta{Name: "data"},
				Spec: corev1.PersistentVolumeClaimSpec{
					AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
					Resources:   corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")}},
				},
			}},
		},
	}
}

func podNames(ctx context.Context, t *testing.T, s *testserver.Server) []string {
	t.Helper()
	l, err := s.Client.CoreV1().Pods("default").List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range l.Items {
		names = append(names, p.Name)
	}
	slices.Sort(names)
	return names
}

func waitPods(ctx context.Context, t *testing.T, s *testserver.Server, want ...string) {
	t.Helper()
	controllertest.Eventually(t, fmt.Sprintf("pods %v", want), func(ctx context.Context) (bool, error) {
		return slices.Equal(podNames(ctx, t, s), want), nil
	})
}

func waitStatus(ctx context.Context, t *testing.T, s *testserver.Server, name string, ok func(appsv1.StatefulSetStatus) bool) appsv1.StatefulSetStatus {
	t.Helper()
	var st appsv1.StatefulSetStatus
	controllertest.Eventually(t, "statefulset status", func(ctx context.Context) (bool, error) {
		set, err := s.Client.AppsV1().StatefulSets("default").Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		st = set.Status
		return set.Status.ObservedGeneration == set.Generation && ok(set.Status), nil
	})
	return st
}

func run(ctx context.Context, t *testing.T, s *testserver.Server, names ...string) {
	t.Helper()
	for _, n := range names {
		if err := kubelettest.Run(ctx, s.Client, "default", n); err != nil {
			t.Fatal(err)
		}
	}
}

func scale(ctx context.Context, t *testing.T, s *testserver.Server, name string, patch string) {
	t.Helper()
	if _, err := s.Client.AppsV1().StatefulSets("default").Patch(ctx, name, types.MergePatchType, []byte(patch), metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
}

// TestOrderedReady: db-0, db-1, db-2 one at a time, each after the one
// before is Ready; claims first; scale down from the top; a rolling
// update with a partition touches only ordinals at or above it.
func TestOrderedReady(t *testing.T) {
	s, ctx := start(t)
	if _, err := s.Client.AppsV1().StatefulSets("default").Create(ctx, newSet("db", 3, appsv1.OrderedReadyPodManagement), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		want := []string{}
		for j := 0; j <= i; j++ {
			want = append(want, fmt.Sprintf("db-%d", j))
		}
		waitPods(ctx, t, s, want...)
		// The controller has seen its newest pod and still made no other.
		waitStatus(ctx, t, s, "db", func(st appsv1.StatefulSetStatus) bool { return st.Replicas == int32(i+1) })
		if got := podNames(ctx, t, s); !slices.Equal(got, want) {
			t.Fatalf("before db-%d is Ready: pods %v", i, got)
		}
		run(ctx, t, s, fmt.Sprintf("db-%d", i))
	}
	st := waitStatus(ctx, t, s, "db", func(st appsv1.StatefulSetStatus) bool { return st.ReadyReplicas == 3 && st.AvailableReplicas == 3 })
	if st.CurrentRevision == "" || st.CurrentRevision != st.UpdateRevision || st.CurrentReplicas != 3 || st.UpdatedReplicas != 3 {
		t.Errorf("status %+v", st)
	}
	for i := range 3 {
		pod, err := s.Client.CoreV1().Pods("default").Get(ctx, fmt.Sprintf("db-%d", i), metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if pod.Labels[appsv1.StatefulSetPodNameLabel] != pod.Name || pod.Labels[appsv1.PodIndexLabel] != fmt.Sprint(i) ||
			pod.Labels[appsv1.ControllerRevisionHashLabelKey] != st.CurrentRevision || pod.Spec.Hostname != pod.Name || pod.Spec.Subdomain != "db" {
			t.Errorf("pod %s: labels %v hostname %q subdomain %q", pod.Name, pod.Labels, pod.Spec.Hostname, pod.Spec.Subdomain)
		}
		claim := fmt.Sprintf("data-db-%d", i)
		if _, err := s.Client.CoreV1().PersistentVolumeClaims("default").Get(ctx, claim, metav1.GetOptions{}); err != nil {
			t.Errorf("claim %s: %v", claim, err)
		}
		if v := pod.Spec.Volumes; len(v) == 0 || v[len(v)-1].PersistentVolumeClaim == nil || v[len(v)-1].PersistentVolumeClaim.ClaimName != claim {
			t.Errorf("pod %s volumes %+v", pod.Name, v)
		}
	}
	rev, err := s.Client.AppsV1().ControllerRevisions("default").Get(ctx, st.CurrentRevision, metav1.GetOptions{})
	if err != nil || rev.Revision != 1 {
		t.Fatalf("revision %s: %v %+v", st.CurrentRevision, err, rev)
	}

	// Scale down: db-2 goes, its claim stays (Retain).
	scale(ctx, t, s, "db", `{"spec":{"replicas":2}}`)
	waitPods(ctx, t, s, "db-0", "db-1")
	if _, err := s.Client.CoreV1().PersistentVolumeClaims("default").Get(ctx, "data-db-2", metav1.GetOptions{}); err != nil {
		t.Errorf("claim data-db-2 after scale down: %v", err)
	}
	waitStatus(ctx, t, s, "db", func(st appsv1.StatefulSetStatus) bool { return st.Replicas == 2 })

	// Back to 3, then a new image under partition 2: only db-2 moves.
	kubelettest.Start(t, s.Client, "default")
	scale(ctx, t, s, "db", `{"spec":{"replicas":3}}`)
	waitStatus(ctx, t, s, "db", func(st appsv1.StatefulSetStatus) bool { return st.ReadyReplicas == 3 })
	scale(ctx, t, s, "db", `{"spec":{"updateStrategy":{"rollingUpdate":{"partition":2}},"template":{"spec":{"containers":[{"name":"db","image":"postgres:17"}]}}}}`)
	st = waitStatus(ctx, t, s, "db", func(st appsv1.StatefulSetStatus) bool {
		return st.UpdatedReplicas == 1 && st.ReadyReplicas == 3 && st.UpdateRevision != st.CurrentRevision
	})
	images := func() map[string]string {
		m := map[string]string{}
		l, _ := s.Client.CoreV1().Pods("default").List(ctx, metav1.ListOptions{})
		for _, p := range l.Items {
			m[p.Name] = p.Spec.Containers[0].Image
		}
		return m
	}
	if got := images(); got["db-0"] != "postgres:16" || got["db-1"] != "postgres:16" || got["db-2"] != "postgres:17" {
		t.Errorf("images under partition 2: %v", got)
	}
	// Partition 0 finishes the rollout.
	scale(ctx, t, s, "db", `{"spec":{"updateStrategy":{"rollingUpdate":{"partition":0}}}}`)
	final := waitStatus(ctx, t, s, "db", func(st appsv1.StatefulSetStatus) bool {
		return st.UpdatedReplicas == 3 && st.ReadyReplicas == 3 && st.CurrentRevision == st.UpdateRevision
	})
	if final.UpdateRevision != st.UpdateRevision {
		t.Errorf("update revision moved from %s to %s", st.UpdateRevision, final.UpdateRevision)
	}
	if got := images(); got["db-0"] != "postgres:17" || got["db-1"] != "postgres:17" {
		t.Errorf("images after rollout: %v", got)
	}
}

// TestOrderedScaleDownHalts is the conformance spec "Scaling should
// happen in predictable order and halt if any stateful pod is
// unhealthy": with every pod unready, scaling down to 0 deletes none (the
// highest is not the lowest unhealthy one); once only db-0 is unready,
// db-2 and db-1 go, then db-0 as the lowest unhealthy pod.
func TestOrderedScaleDownHalts(t *testing.T) {
	s, ctx := start(t)
	set := newSet("db", 3, appsv1.OrderedReadyPodManagement)
	set.Spec.VolumeClaimTemplates = nil
	if _, err := s.Client.AppsV1().StatefulSets("default").Create(ctx, set, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		waitPods(ctx, t, s, podRange(0, i)...)
		run(ctx, t, s, fmt.Sprintf("db-%d", i))
	}
	waitStatus(ctx, t, s, "db", func(st appsv1.StatefulSetStatus) bool { return st.ReadyReplicas == 3 })
	for i := range 3 {
		if err := kubelettest.Unready(ctx, s.Client, "default", fmt.Sprintf("db-%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	waitStatus(ctx, t, s, "db", func(st appsv1.StatefulSetStatus) bool { return st.ReadyReplicas == 0 })
	scale(ctx, t, s, "db", `{"spec":{"replicas":0}}`)
	// The controller has synced the new generation (status written after
	// the sync's one step) and deleted nothing.
	waitStatus(ctx, t, s, "db", func(appsv1.StatefulSetStatus) bool { return true })
	if got := podNames(ctx, t, s); !slices.Equal(got, podRange(0, 2)) {
		t.Fatalf("scaled down with every pod unhealthy: pods %v, want all three kept", got)
	}
	run(ctx, t, s, "db-1")
	run(ctx, t, s, "db-2")
	waitPods(ctx, t, s)
}

func podRange(from, to int) []string {
	var names []string
	for i := from; i <= to; i++ {
		names = append(names, fmt.Sprintf("db-%d", i))
	}
	return names
}

// TestParallel creates every pod at once.
func TestParallel(t *testing.T) {
	s, ctx := start(t)
	if _, err := s.Client.AppsV1().StatefulSets("default").Create(ctx, newSet("web", 3, appsv1.ParallelPodManagement), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitPods(ctx, t, s, "web-0", "web-1", "web-2")
	scale(ctx, t, s, "web", `{"spec":{"replicas":0}}`)
	waitPods(ctx, t, s)
}
