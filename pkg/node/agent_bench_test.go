package node_test

import (
	"context"
	"flag"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/tinykube/tinykube/internal/testserver"
	"github.com/tinykube/tinykube/pkg/node"
)

var (
	benchNodes = flag.Int("sim-nodes", 1000, "BenchmarkSimulatedNodes: simulated nodes")
	benchPods  = flag.Int("sim-pods", 10000, "BenchmarkSimulatedNodes: pods, spread over the nodes")
)

// BenchmarkSimulatedNodes registers -sim-nodes simulated nodes on an
// in-process server and runs -sim-pods pods bound to them; it reports
// the time until all nodes are Ready, until all pods are Running, and
// the growth of the process heap while the agent runs (server and agent
// share the process, so this is an upper bound for the agent).
//
//	go test ./pkg/node -run XXX -bench SimulatedNodes -benchtime 1x
func BenchmarkSimulatedNodes(b *testing.B) {
	for i := 0; i < b.N; i++ {
		benchOnce(b, *benchNodes, *benchPods)
	}
}

func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}

func benchOnce(b *testing.B, nodes, pods int) {
	b.StopTimer()
	s := testserver.Start(b, "")
	ctx := context.Background()
	before := heapInUse()
	b.StartTimer()
	start := time.Now()
	stop := startAgent(b, s, "bench-", 0, nodes, func(c *node.Config) {
		c.PodCIDRWait, c.LeaseDuration, c.LeaseRenewInterval = 0, 40*time.Second, 10*time.Second
	})
	defer stop()

	ready := func(n *corev1.Node) bool { return readyCondition(n) == corev1.ConditionTrue }
	waitAll(b, ctx, s, "nodes", nodes, func(ctx context.Context, opts metav1.ListOptions) (watch.Interface, error) {
		return s.Client.CoreV1().Nodes().Watch(ctx, opts)
	}, func(obj any) (string, bool) { n := obj.(*corev1.Node); return n.Name, ready(n) })
	nodesReady := time.Since(start)

	podStart := time.Now()
	running := make(chan struct{})
	go func() {
		defer close(running)
		waitAll(b, ctx, s, "pods", pods, func(ctx context.Context, opts metav1.ListOptions) (watch.Interface, error) {
			return s.Client.CoreV1().Pods("default").Watch(ctx, opts)
		}, func(obj any) (string, bool) {
			p := obj.(*corev1.Pod)
			return p.Name, p.Status.Phase == corev1.PodRunning
		})
	}()
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < 32; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1)) - 1; i < pods; i = int(next.Add(1)) - 1 {
				p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("p-%d", i)}, Spec: corev1.PodSpec{
					NodeName: fmt.Sprintf("bench-%d", i%nodes), Containers: []corev1.Container{{Name: "c", Image: "pause"}}}}
				if _, err := s.Client.CoreV1().Pods("default").Create(ctx, p, metav1.CreateOptions{}); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	created := time.Since(podStart)
	<-running
	podsRunning := time.Since(podStart)
	b.StopTimer()
	after := heapInUse()
	b.ReportMetric(nodesReady.Seconds(), "s-nodes-ready")
	b.ReportMetric(created.Seconds(), "s-pods-created")
	b.ReportMetric(podsRunning.Seconds(), "s-pods-running")
	b.ReportMetric(float64(after-before)/(1<<20), "MB-heap-growth")
}

// waitAll watches until n distinct objects satisfy done.
func waitAll(b *testing.B, ctx context.Context, s *testserver.Server, what string, n int,
	watchFn func(context.Context, metav1.ListOptions) (watch.Interface, error), done func(any) (string, bool)) {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Minute)
	defer cancel()
	seen := map[string]bool{}
	w, err := watchFn(ctx, metav1.ListOptions{FieldSelector: fields.Everything().String(), ResourceVersion: "0"})
	if err != nil {
		b.Fatal(err)
	}
	defer w.Stop()
	for len(seen) < n {
		select {
		case ev, ok := <-w.ResultChan():
			if !ok {
				b.Fatalf("%s: watch closed with %d/%d", what, len(seen), n)
			}
			if ev.Type == watch.Added || ev.Type == watch.Modified {
				if name, ok := done(ev.Object); ok {
					seen[name] = true
				}
			}
		case <-ctx.Done():
			b.Fatalf("%s: %d/%d after timeout", what, len(seen), n)
		}
	}
}
