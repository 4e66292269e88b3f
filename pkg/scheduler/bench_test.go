package scheduler_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
)

// BenchmarkScheduling100Nodes1000Pods measures scheduling throughput
// against the in-process server: 1000 pods (100m cpu each) created by 16
// clients while the scheduler runs, 100 nodes; the clock runs from the
// first create until a watch has seen every pod bound.
//
//	go test -run '^$' -bench Scheduling ./pkg/scheduler
func BenchmarkScheduling100Nodes1000Pods(b *testing.B) {
	const nodes, pods, clients = 100, 1000, 16
	c := startCluster(b)
	for i := range nodes {
		c.addNode(fmt.Sprintf("node-%03d", i), nodeSpec{cpu: "32", memory: "128Gi", pods: 5000})
	}
	for i := 0; b.Loop(); i++ {
		ns := fmt.Sprintf("bench-%d", i)
		if _, err := c.client.CoreV1().Namespaces().Create(c.ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
			b.Fatal(err)
		}
		w, err := c.client.CoreV1().Pods(ns).Watch(c.ctx, metav1.ListOptions{})
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		var wg sync.WaitGroup
		for k := range clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for j := k; j < pods; j += clients {
					p := pod(fmt.Sprintf("p-%04d", j), "100m")
					p.Namespace = ns
					if _, err := c.client.CoreV1().Pods(ns).Create(c.ctx, p, metav1.CreateOptions{}); err != nil {
						b.Error(err)
						return
					}
				}
			}()
		}
		bound := map[string]bool{}
		timeout := time.After(5 * time.Minute)
		for len(bound) < pods {
			select {
			case ev, ok := <-w.ResultChan():
				if !ok {
					b.Fatal("watch closed")
				}
				if p, isPod := ev.Object.(*corev1.Pod); isPod && ev.Type != watch.Deleted && p.Spec.NodeName != "" {
					bound[p.Name] = true
				}
			case <-timeout:
				b.Fatalf("only %d/%d pods bound after 5m", len(bound), pods)
			}
		}
		elapsed := time.Since(start)
		w.Stop()
		wg.Wait()
		b.ReportMetric(float64(pods)/elapsed.Seconds(), "pods/s")
	}
}
