package densitybench

import (
	"context"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
)

// scriptedPods is a podsClient whose List and Watch answers are scripted:
// each Watch call takes the next FakeWatcher.
type scriptedPods struct {
	mu      sync.Mutex
	list    func() *corev1.PodList
	watches []*watch.FakeWatcher
	calls   int
}

func (s *scriptedPods) List(context.Context, metav1.ListOptions) (*corev1.PodList, error) {
	return s.list(), nil
}

func (s *scriptedPods) Watch(ctx context.Context, _ metav1.ListOptions) (watch.Interface, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.calls >= len(s.watches) {
		<-ctx.Done() // no more scripted watches: hang like an idle server
		return nil, ctx.Err()
	}
	w := s.watches[s.calls]
	s.calls++
	return w, nil
}

func TestPodWatchRelistsAfterExpired(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	now := time.Now()
	first, second := watch.NewFakeWithChanSize(4, false), watch.NewFakeWithChanSize(4, false)
	a := podAt("a", now, "", false, false)
	a.ResourceVersion = "10"
	first.Add(a)
	expired := apierrors.NewResourceExpired("too old resource version: 10 (20)").ErrStatus
	first.Error(&expired)
	// During the gap a was bound and started, b was created and bound.
	aRunning := podAt("a", now, "n1", true, true)
	aRunning.ResourceVersion = "30"
	b := podAt("b", now, "n2", false, false)
	b.ResourceVersion = "31"
	pods := &scriptedPods{
		list: func() *corev1.PodList {
			return &corev1.PodList{ListMeta: metav1.ListMeta{ResourceVersion: "31"}, Items: []corev1.Pod{*aRunning, *b}}
		},
		watches: []*watch.FakeWatcher{first, second},
	}
	bRunning := podAt("b", now, "n2", true, true)
	bRunning.ResourceVersion = "32"
	second.Modify(bRunning)

	tr := newTracker(2)
	w := &podWatch{pods: pods, tracker: tr, done: make(chan struct{})}
	if err := w.open(ctx, "1"); err != nil {
		t.Fatal(err)
	}
	go w.loop(ctx)
	select {
	case <-tr.Done():
	case <-w.done:
		t.Fatalf("watch ended: %v", w.err)
	case <-time.After(10 * time.Second):
		t.Fatal("pods never seen Running")
	}
	if err := w.stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}
	r := tr.summarize(now)
	if r.Running != 2 || r.Seen != 2 || r.WatchRelists != 1 {
		t.Fatalf("running %d seen %d relists %d, want 2, 2, 1", r.Running, r.Seen, r.WatchRelists)
	}
}
