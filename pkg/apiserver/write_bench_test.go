package apiserver_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"syscall"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer/protobuf"

	"github.com/tinykube/tinykube/internal/testserver"
	"github.com/tinykube/tinykube/pkg/api"
	"github.com/tinykube/tinykube/pkg/apiserver"
	"github.com/tinykube/tinykube/pkg/auth/authz"
	"github.com/tinykube/tinykube/pkg/bench"
	"github.com/tinykube/tinykube/pkg/server"
)

// The write benchmarks drive the API server's handler directly (no TLS,
// no HTTP/2, no client) with what client-go sends for `tinykube bench
// api`'s crud phase: a protobuf pod, a protobuf answer. Storage is the
// real one — watch cache over embedded etcd, fsync off — so ns/op is
// latency-bound; compare cpu-µs/op (process CPU, etcd included) and
// allocs/op. BenchmarkEtcdPut is the floor: the same pod's bytes put
// straight into the same etcd.
//
//	go test ./pkg/apiserver -run '^$' -bench 'Create|Update|EtcdPut' -count 6

const benchNS = "bench"

type writeBench struct {
	srv     *testserver.Server
	handler http.Handler
	pb      runtime.Serializer
}

func startWriteBench(b *testing.B) *writeBench {
	b.Helper()
	srv := testserver.Start(b, "")
	reg := srv.Registry
	authorizer := authz.AlwaysAllow()
	cfg := apiserver.Config{Stores: reg.Stores, Authorizer: authorizer,
		SpecialCreates: apiserver.AccessReviewHandlers(authorizer), MaxRequestsInFlight: 10000}
	server.AddSubresources(&cfg, reg)
	tokenReviews, reviewTokens := apiserver.TokenReviewHandler(nil, nil) // never called here
	cfg.SpecialCreates[tokenReviews] = reviewTokens
	s, err := apiserver.New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	if _, err := srv.Client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: benchNS}}, metav1.CreateOptions{}); err != nil {
		b.Fatal(err)
	}
	return &writeBench{srv: srv, handler: s.Handler(), pb: protobuf.NewSerializer(api.Scheme, api.Scheme)}
}

// do sends one protobuf request and fails unless it answers want; it
// returns the answer's body.
func (w *writeBench) do(b *testing.B, method, path string, pod *corev1.Pod, want int) []byte {
	var body bytes.Buffer
	if err := w.pb.Encode(pod, &body); err != nil {
		b.Fatal(err)
	}
	req := httptest.NewRequest(method, path, &body)
	req.Header.Set("Content-Type", "application/vnd.kubernetes.protobuf")
	req.Header.Set("Accept", "application/vnd.kubernetes.protobuf, */*")
	req.Header.Set("User-Agent", "tinykube/v1.37.0 (linux/amd64) kubernetes/bench")
	rec := httptest.NewRecorder()
	w.handler.ServeHTTP(rec, req)
	if rec.Code != want {
		b.Fatalf("%s %s: %d %s", method, path, rec.Code, rec.Body.String())
	}
	return rec.Body.Bytes()
}

// cpuClock returns the process's user+system CPU time in nanoseconds.
func cpuClock() int64 {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// runParallel runs op from 32 goroutines (the live benchmark's
// concurrency) and reports process CPU per operation.
func runParallel(b *testing.B, op func(worker int, i int64)) {
	b.SetParallelism((32 + 1) / 2)
	var workers, n atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	start := cpuClock()
	b.RunParallel(func(pb *testing.PB) {
		w := int(workers.Add(1))
		for pb.Next() {
			op(w, n.Add(1))
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(cpuClock()-start)/1e3/float64(b.N), "cpu-µs/op")
}

func benchPod(name string) *corev1.Pod {
	return bench.NewPod(benchNS, name, "run", "crud")
}

// BenchmarkCreatePod: POST of a new pod.
func BenchmarkCreatePod(b *testing.B) {
	w := startWriteBench(b)
	runParallel(b, func(_ int, i int64) {
		w.do(b, http.MethodPost, "/api/v1/namespaces/"+benchNS+"/pods", benchPod("p"+strconv.FormatInt(i, 10)), http.StatusCreated)
	})
}

// BenchmarkUpdatePod: PUT of a pod with a new annotation and label, as
// the live benchmark's update phase: each worker cycles through pods of
// its own, sending back the last answer (resourceVersion and
// managedFields included) with the change.
func BenchmarkUpdatePod(b *testing.B) {
	w := startWriteBench(b)
	const perWorker = 20
	pods := map[int][]*corev1.Pod{}
	for wk := 1; wk <= 64; wk++ {
		for k := range perWorker {
			out := w.do(b, http.MethodPost, "/api/v1/namespaces/"+benchNS+"/pods", benchPod(fmt.Sprintf("w%d-%d", wk, k)), http.StatusCreated)
			pods[wk] = append(pods[wk], w.decode(b, out))
		}
	}
	runParallel(b, func(wk int, i int64) {
		mine := pods[wk]
		k := i % perWorker
		p := mine[k].DeepCopy()
		if p.Annotations == nil {
			p.Annotations = map[string]string{}
		}
		p.Annotations["bench.tinykube.io/update"] = strconv.FormatInt(i, 10)
		p.Labels["bench.tinykube.io/generation"] = strconv.FormatInt(i, 10)
		mine[k] = w.decode(b, w.do(b, http.MethodPut, "/api/v1/namespaces/"+benchNS+"/pods/"+p.Name, p, http.StatusOK))
	})
}

func (w *writeBench) decode(b *testing.B, data []byte) *corev1.Pod {
	p := &corev1.Pod{}
	if _, _, err := w.pb.Decode(data, nil, p); err != nil {
		b.Fatal(err)
	}
	return p
}

// BenchmarkEtcdPut: the floor — the pod's encoded bytes written straight
// to the same etcd (outside /registry, so no watch decodes them).
func BenchmarkEtcdPut(b *testing.B) {
	w := startWriteBench(b)
	client := w.srv.EtcdClient()
	runParallel(b, func(_ int, i int64) {
		var body bytes.Buffer
		if err := w.pb.Encode(benchPod("p"+strconv.FormatInt(i, 10)), &body); err != nil {
			b.Fatal(err)
		}
		if _, err := client.Put(context.Background(), "/bench-raw/"+strconv.FormatInt(i, 10), body.String()); err != nil {
			b.Fatal(err)
		}
	})
}
