package apibench

import (
	"context"

	"fmt"
	"sync"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/tinykube/tinykube/pkg/bench"
)

// delivery is one event as one watcher saw it.
type delivery struct {
	rv   string    // resourceVersion of the object in the event
	sent time.Time // writer's timestamp from the annotation (zero if absent)
	at   time.Time // when the watcher had the decoded event in hand
}

// watcher is one open watch and what it received. Only its goroutine
// appends to got; n lets the waiting loop read the count concurrently.
type watcher struct {
	w        watch.Interface
	stopping *atomic.Bool // set before the run stops its watches
	got      []delivery
	n        atomic.Int64
	errs     int
	firstErr string
}

// writeTimes is when one write was sent and when its response came back.
type writeTimes struct{ sent, resp time.Time }

// watch measures event fan-out: Watchers watches on the run's watch-phase
// pods, one writer creating and then updating pods at WatchRate writes/s,
// and for every (write, watcher) pair the delay until the watcher has it.
// All watches start from the same resourceVersion, taken from a list before
// any of them opens, so a slow watch start cannot lose events.
func (r *run) watch(ctx context.Context) error {
	cfg := r.cfg
	sel := labels.Set{bench.LabelRun: r.id, bench.LabelPhase: PhaseWatch}.String()
	cfg.logf("watch: opening %d watchers (%s clients)", cfg.Watchers, cfg.ClientMode)
	watchPool, err := newClientPool(cfg, cfg.Watchers)
	if err != nil {
		return err
	}
	writerPool, err := newClientPool(cfg, 1)
	if err != nil {
		return err
	}
	pods := writerPool.For(0).CoreV1().Pods(r.ns)
	start, err := pods.List(ctx, metav1.ListOptions{LabelSelector: sel})
	if err != nil {
		return fmt.Errorf("watch: initial list: %w", err)
	}

	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stopping := new(atomic.Bool)
	watchers, setup, err := r.openWatchers(wctx, watchPool, sel, start.ResourceVersion, stopping)
	defer func() {
		for _, w := range watchers {
			if w != nil {
				w.w.Stop()
			}
		}
	}()
	if err != nil {
		return err
	}
	var wg sync.WaitGroup
	for _, w := range watchers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w.consume()
		}()
	}

	cfg.logf("watch: %d watchers open in %.2fs; writing %d events at %.0f/s", len(watchers), setup.Seconds(), cfg.WatchEvents, cfg.WatchRate)
	writes, firstWriteErr := r.writeWatchEvents(ctx, pods)

	// Wait until every watcher has seen every successful write, or give up
	// after WatchTimeout.
	deadline := time.Now().Add(cfg.WatchTimeout)
	want := int64(len(writes))
	for time.Now().Before(deadline) && ctx.Err() == nil {
		done := true
		for _, w := range watchers {
			if w.n.Load() < want {
				done = false
				break
			}
		}
		if done {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	stopping.Store(true)
	cancel()
	for _, w := range watchers {
		w.w.Stop()
	}
	wg.Wait()

	res := summarizeWatch(watchers, writes)
	res.Events = cfg.WatchEvents
	res.WriteRatePerSec = cfg.WatchRate
	res.SetupSeconds = setup.Round(time.Millisecond).Seconds()
	if firstWriteErr != "" && res.FirstError == "" {
		res.FirstError = "write: " + firstWriteErr
	}
	r.report.Watch = &res
	cfg.logf("watch: delivered %d/%d (all arrived: %v); from send p50 %.2f ms p99 %.2f ms max %.2f ms",
		res.Delivered, res.ExpectedDelivered, res.AllArrived, res.FromSend.P50, res.FromSend.P99, res.FromSend.Max)
	return r.deleteByPhase(ctx, PhaseWatch)
}

// openWatchers opens cfg.Watchers watches from rv, 32 at a time. On error
// it returns the watches opened so far so the caller can stop them.
func (r *run) openWatchers(ctx context.Context, pool *clientPool, sel, rv string, stopping *atomic.Bool) ([]*watcher, time.Duration, error) {
	n := r.cfg.Watchers
	watchers := make([]*watcher, n)
	timeout := int64(3600)
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
		sem      = make(chan struct{}, 32)
	)
	t0 := time.Now()
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			opts := metav1.ListOptions{LabelSelector: sel, ResourceVersion: rv, TimeoutSeconds: &timeout}
			var (
				w   watch.Interface
				err error
			)
			if r.cfg.WatchDecode == WatchDecodeFull {
				w, err = pool.For(i).CoreV1().Pods(r.ns).Watch(ctx, opts)
			} else {
				opts.Watch = true
				w, err = pool.MetadataFor(i).Get().Namespace(r.ns).Resource("pods").
					VersionedParams(&opts, metav1.ParameterCodec).Watch(ctx)
			}
			if err != nil {
				mu.Lock()
				if firstErr == nil {
					firstErr = fmt.Errorf("opening watch %d: %w", i, err)
				}
				mu.Unlock()
				return
			}
			watchers[i] = &watcher{w: w, stopping: stopping}
		}()
	}
	wg.Wait()
	elapsed := time.Since(t0)
	if firstErr != nil {
		return watchers, elapsed, firstErr
	}
	return watchers, elapsed, nil
}

// consume records every event until the watch is stopped or closed.
func (w *watcher) consume() {
	for ev := range w.w.ResultChan() {
		at := time.Now()
		switch ev.Type {
		case watch.Added, watch.Modified:
			obj, ok := ev.Object.(metav1.Object)
			if !ok {
				w.recordErr(fmt.Errorf("unexpected object %T", ev.Object))
				continue
			}
			sent, _ := bench.SentAt(obj)
			w.got = append(w.got, delivery{rv: obj.GetResourceVersion(), sent: sent, at: at})
			w.n.Add(1)
		case watch.Error:
			// Stopping a watch makes client-go report the closed stream as
			// an error event; only errors before that are real.
			if !w.stopping.Load() {
				w.recordErr(apierrors.FromObject(ev.Object))
			}
		}
	}
}

func (w *watcher) recordErr(err error) {
	w.errs++
	if w.firstErr == "" {
		w.firstErr = err.Error()
	}
}

// writeWatchEvents performs cfg.WatchEvents paced writes — the first half
// creates pods, the rest updates them round-robin — and returns the send
// and response times of the successful ones by resulting resourceVersion.
func (r *run) writeWatchEvents(ctx context.Context, pods podClient) (map[string]writeTimes, string) {
	cfg := r.cfg
	writes := make(map[string]writeTimes, cfg.WatchEvents)
	creates := (cfg.WatchEvents + 1) / 2
	var objs []*corev1.Pod
	var firstErr string
	ticker := time.NewTicker(time.Duration(float64(time.Second) / cfg.WatchRate))
	defer ticker.Stop()
	for i := 0; i < cfg.WatchEvents && ctx.Err() == nil; i++ {
		if i > 0 {
			select {
			case <-ticker.C:
			case <-ctx.Done():
				return writes, firstErr
			}
		}
		var (
			out  *corev1.Pod
			err  error
			sent time.Time
		)
		if i < creates || len(objs) == 0 {
			pod := bench.NewPod(r.ns, fmt.Sprintf("watch-%06d", i), r.id, PhaseWatch)
			sent = bench.StampSentAt(pod)
			if out, err = pods.Create(ctx, pod, metav1.CreateOptions{}); err == nil {
				objs = append(objs, out)
			}
		} else {
			k := (i - creates) % len(objs)
			pod := objs[k].DeepCopy()
			sent = bench.StampSentAt(pod)
			if out, err = pods.Update(ctx, pod, metav1.UpdateOptions{}); err == nil {
				objs[k] = out
			}
		}
		resp := time.Now()
		if err != nil {
			if firstErr == "" {
				firstErr = err.Error()
			}
			continue
		}
		writes[out.ResourceVersion] = writeTimes{sent: sent, resp: resp}
	}
	return writes, firstErr
}

// podClient is the part of the typed pod client the writer needs.
type podClient interface {
	Create(ctx context.Context, pod *corev1.Pod, opts metav1.CreateOptions) (*corev1.Pod, error)
	Update(ctx context.Context, pod *corev1.Pod, opts metav1.UpdateOptions) (*corev1.Pod, error)
}

// summarizeWatch joins what the watchers received with what was written.
func summarizeWatch(watchers []*watcher, writes map[string]writeTimes) bench.WatchResult {
	res := bench.WatchResult{Watchers: len(watchers), ExpectedDelivered: len(watchers) * len(writes)}
	var fromSend, fromResp []time.Duration
	last := make(map[string]time.Time, len(writes))
	for _, w := range watchers {
		res.WatchErrors += w.errs
		if w.firstErr != "" && res.FirstError == "" {
			res.FirstError = w.firstErr
		}
		seen := make(map[string]bool, len(w.got))
		for _, d := range w.got {
			wt, ok := writes[d.rv]
			if !ok || seen[d.rv] {
				res.Unexpected++
				continue
			}
			seen[d.rv] = true
			res.Delivered++
			sent := d.sent
			if sent.IsZero() {
				sent = wt.sent
			}
			fromSend = append(fromSend, d.at.Sub(sent))
			fr := d.at.Sub(wt.resp)
			if fr < 0 {
				res.BeforeResponse++
				fr = 0
			}
			fromResp = append(fromResp, fr)
			if d.at.After(last[d.rv]) {
				last[d.rv] = d.at
			}
		}
		if len(seen) < len(writes) {
			res.IncompleteWatches++
		}
	}
	var lastLat []time.Duration
	for rv, at := range last {
		lastLat = append(lastLat, at.Sub(writes[rv].sent))
	}
	res.Missing = res.ExpectedDelivered - res.Delivered
	res.AllArrived = res.Missing == 0 && len(writes) > 0
	res.FromSend = bench.Summarize(fromSend)
	res.FromResponse = bench.Summarize(fromResp)
	res.LastDelivery = bench.Summarize(lastLat)
	return res
}
