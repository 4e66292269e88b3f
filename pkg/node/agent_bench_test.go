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
	coreinformers "k8s.io/client-go/informers/core/v1"
	"k8s.io/client-go/tools/cache"

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
	waitAll(b, ctx, "nodes", nodes, coreinformers.NewNodeInformer(s.Client, 0, nil),
		func(obj any) (string, bool) { n := obj.(*corev1.Node); return n.Name, ready(n) })
	nodesReady := time.Since(start)

	podStart := time.Now()
	running := make(chan struct{})
	go func() {
		defer close(running)
		waitAll(b, ctx, "pods", pods, coreinformers.NewPodInformer(s.Client, "default", 0, nil),
			func(obj any) (string, bool) {
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

// waitAll runs an informer on inf until n distinct objects satisfy done
// (an informer, not a bare watch: the server may close a slow watch).
func waitAll(b *testing.B, ctx context.Context, what string, n int, inf cache.SharedIndexInformer, done func(any) (string, bool)) {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Minute)
	defer cancel()
	var mu sync.Mutex
	seen := map[string]bool{}
	all := make(chan struct{})
	check := func(obj any) {
		name, ok := done(obj)
		mu.Lock()
		defer mu.Unlock()
		if ok && !seen[name] {
			seen[name] = true
			if len(seen) == n {
				close(all)
			}
		}
	}
	if _, err := inf.AddEventHandler(cache.ResourceEventHandlerFuncs{AddFunc: check, UpdateFunc: func(_, o any) { check(o) }}); err != nil {
		b.Fatal(err)
	}
	go inf.RunWithContext(ctx)
	select {
	case <-all:
	case <-ctx.Done():
		mu.Lock()
		defer mu.Unlock()
		b.Fatalf("%s: %d/%d after timeout", what, len(seen), n)
	}
}
