package scheduler

import (
	"context"
	"fmt"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/record"

	"github.com/tinykube/tinykube/pkg/scheduler/framework"
)

// BenchmarkScheduleCycle measures the scheduling cycle alone (snapshot,
// filters, scores, assume) for one pod on 100 nodes holding up to 1000
// assumed pods, with no API calls: the scheduler's own ceiling.
func BenchmarkScheduleCycle(b *testing.B) {
	client := kubernetes.NewForConfigOrDie(&rest.Config{Host: "http://127.0.0.1:1"}) // never called
	cfg := DefaultConfig()
	s, err := New(cfg, client, informers.NewSharedInformerFactory(client, 0), record.NewFakeRecorder(0))
	if err != nil {
		b.Fatal(err)
	}
	rl := corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("32"), corev1.ResourceMemory: resource.MustParse("128Gi"), corev1.ResourcePods: resource.MustParse("5000")}
	for i := range 100 {
		s.cache.AddNode(&corev1.Node{
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("node-%03d", i), Labels: map[string]string{corev1.LabelHostname: fmt.Sprintf("node-%03d", i)}},
			Status:     corev1.NodeStatus{Allocatable: rl},
		})
	}
	ctx := context.Background()
	i := 0
	for b.Loop() {
		if i%1000 == 0 { // start over with empty nodes every 1000 pods
			b.StopTimer()
			s.cache = NewCache(s.cfg.Clock, s.cfg.AssumedPodTTL)
			for j := range 100 {
				s.cache.AddNode(&corev1.Node{
					ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("node-%03d", j), Labels: map[string]string{corev1.LabelHostname: fmt.Sprintf("node-%03d", j)}},
					Status:     corev1.NodeStatus{Allocatable: rl},
				})
			}
			s.snapshot = NewSnapshot()
			b.StartTimer()
		}
		p := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("p%d", i), Namespace: "default", UID: types.UID(fmt.Sprint(i))},
			Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Resources: corev1.ResourceRequirements{
				Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m")}}}}},
		}
		i++
		pi := framework.NewPodInfo(p)
		s.cache.UpdateSnapshot(s.snapshot)
		node, err := s.schedulePod(ctx, framework.NewCycleState(pi), p)
		if err != nil {
			b.Fatal(err)
		}
		p.Spec.NodeName = node
		s.cache.AssumePod(pi)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pods/s")
}
