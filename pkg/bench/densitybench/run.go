package densitybench

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/tinykube/tinykube/pkg/bench"
)

// errTimeout is returned when not every pod ran within Config.Timeout.
var errTimeout = errors.New("timed out before every pod was Running")

// run is the state of one density run.
type run struct {
	cfg    *Config
	id     string
	ns     string
	client kubernetes.Interface
	report *Report
}

// Run waits for the nodes, creates the Deployments, measures until every
// pod is Running (or Timeout) and deletes the namespace. It returns the
// report whenever it got as far as contacting the server, also with an
// error (partial figures are still figures).
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	r := &run{cfg: &cfg, id: bench.NewRunID()}
	r.ns = cfg.Namespace
	if r.ns == "" {
		r.ns = "tinykube-density-" + r.id
	}
	var err error
	if r.client, err = newClient(&cfg, "tinykube-bench-density"); err != nil {
		return nil, err
	}
	r.report = &Report{Report: bench.Report{
		Benchmark: "density",
		Target:    cfg.Target,
		Started:   time.Now().UTC(),
		Machine:   bench.CurrentMachine(),
		Settings:  cfg,
	}}
	r.report.Density.Namespace = r.ns
	r.report.Density.LoadAvgStart = r.report.Machine.LoadAvg
	v, err := r.client.Discovery().ServerVersion()
	if err != nil {
		return nil, fmt.Errorf("contacting API server: %w", err)
	}
	r.report.ServerVersion = v.GitVersion

	err = r.measure(ctx)
	if err != nil {
		r.report.Density.FirstError = err.Error()
	}
	// Machine again at the end: the load average of the run itself.
	r.report.Machine = bench.CurrentMachine()
	r.report.Seconds = time.Since(r.report.Started).Round(time.Millisecond).Seconds()
	return r.report, err
}

// measure is the run proper; the namespace, once created, is deleted on
// every path out.
func (r *run) measure(ctx context.Context) error {
	cfg, d := r.cfg, &r.report.Density
	t0 := time.Now()
	nodes, err := waitNodes(ctx, r.client, cfg.Nodes, cfg.NodeTimeout, cfg.logf)
	d.NodesReady, d.NodePodCapacity = nodes.ready, nodes.podCapacity
	d.NodeWaitSeconds = round3(time.Since(t0).Seconds())
	if err != nil {
		return err
	}
	cfg.logf("%d nodes Ready (pod capacity %d) on %s (%s)", nodes.ready, nodes.podCapacity, cfg.Target, r.report.ServerVersion)
	if nodes.podCapacity < int64(cfg.Pods) {
		cfg.logf("warning: %d pods wanted but Ready nodes allocate only %d pods; the run will time out", cfg.Pods, nodes.podCapacity)
	}

	if err := r.setupNamespace(ctx); err != nil {
		return err
	}
	defer r.cleanup(ctx)

	tr := newTracker(cfg.Pods)
	pw, err := startPodWatch(ctx, r.client, r.ns, tr)
	if err != nil {
		return err
	}
	// Probe and RSS sampler run from just before the first create until
	// the last pod is Running.
	side, stopSide := context.WithCancel(ctx)
	defer stopSide()
	var probeDone chan probeResult
	if cfg.ProbeRate > 0 {
		pc, err := newClient(cfg, "tinykube-bench-density-probe")
		if err != nil {
			pw.stop()
			return err
		}
		p := &probe{client: pc, ns: r.ns, runID: r.id, rate: cfg.ProbeRate}
		probeDone = make(chan probeResult, 1)
		go func() { probeDone <- p.run(side) }()
	}
	var rss *rssSampler
	if cfg.ServerPID > 0 {
		if rss, err = startRSS(side, cfg.ServerPID, cfg.RSSInterval); err != nil {
			stopSide()
			pw.stop()
			return err
		}
	}

	cfg.logf("creating %d Deployments with %d pods in total (%s cpu, %s memory each)", cfg.Deployments, cfg.Pods, cfg.PodCPU, cfg.PodMemory)
	start := time.Now()
	create := bench.Run(ctx, bench.Phase{Name: "create-deployments", Concurrency: min(cfg.CreateConcurrency, cfg.Deployments), Count: cfg.Deployments},
		func(ctx context.Context, _, i int) error {
			_, err := r.client.AppsV1().Deployments(r.ns).Create(ctx, newDeployment(cfg, r.ns, r.id, i), metav1.CreateOptions{})
			return err
		})
	r.add(create)

	var waitErr error
	if create.Errors > 0 {
		waitErr = fmt.Errorf("creating Deployments: %d failed, first: %s", create.Errors, create.FirstError)
	} else {
		waitErr = r.waitRunning(ctx, tr, pw, start)
	}

	stopSide()
	if watchErr := pw.stop(); watchErr != nil && waitErr == nil {
		waitErr = watchErr
	}
	d.Pods = tr.summarize(start)
	if probeDone != nil {
		pr := <-probeDone
		r.add(pr.create)
		r.add(pr.update)
		l := bench.Summarize(pr.all)
		d.MutatingAPI = &l
	}
	if rss != nil {
		d.ServerRSS = rss.result()
	}
	p := d.Pods
	cfg.logf("pods: %d/%d Running after %s; startup p50 %.0f ms p99 %.0f ms; scheduling %.1f pods/s",
		p.Running, p.Want, seconds(p.SecondsToAllRunning), p.Startup.P50, p.Startup.P99, p.Throughput.Avg)
	return waitErr
}

// waitRunning blocks until every pod is Running and Ready, the watch
// fails, Timeout passes or ctx ends, logging progress every 5 s.
func (r *run) waitRunning(ctx context.Context, tr *tracker, pw *podWatch, start time.Time) error {
	timeout := time.NewTimer(r.cfg.Timeout - time.Since(start))
	defer timeout.Stop()
	progress := time.NewTicker(5 * time.Second)
	defer progress.Stop()
	for {
		select {
		case <-tr.Done():
			return nil
		case <-pw.done:
			return pw.err
		case <-ctx.Done():
			return ctx.Err()
		case <-timeout.C:
			_, _, running := tr.counts()
			return fmt.Errorf("%w: %d/%d after %v", errTimeout, running, r.cfg.Pods, r.cfg.Timeout)
		case <-progress.C:
			seen, bound, running := tr.counts()
			r.cfg.logf("  %6.1fs: %d pods seen, %d bound, %d Running", time.Since(start).Seconds(), seen, bound, running)
		}
	}
}

// setupNamespace creates the run's namespace, which must not exist yet,
// and its "default" ServiceAccount: upstream's ServiceAccount admission
// rejects pods until it exists, and waiting for the controller manager to
// create it would be counted against the first pods' startup.
func (r *run) setupNamespace(ctx context.Context) error {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{
		Name:   r.ns,
		Labels: map[string]string{bench.LabelRun: r.id, "app.kubernetes.io/created-by": "tinykube-bench"},
	}}
	if _, err := r.client.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("creating namespace %s: %w", r.ns, err)
	}
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default"}}
	if _, err := r.client.CoreV1().ServiceAccounts(r.ns).Create(ctx, sa, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("creating service account %s/default: %w", r.ns, err)
	}
	return nil
}

// cleanup deletes the namespace (the namespace controller and garbage
// collector remove the Deployments, ReplicaSets and pods) and waits for
// it to disappear, at most CleanupTimeout. It runs even when ctx was
// cancelled.
func (r *run) cleanup(parent context.Context) {
	if r.cfg.KeepNamespace {
		r.cfg.logf("cleanup: keeping namespace %s", r.ns)
		return
	}
	d := &r.report.Density
	ctx, cancel := context.WithTimeout(context.WithoutCancel(parent), r.cfg.CleanupTimeout)
	defer cancel()
	t0 := time.Now()
	defer func() { d.CleanupSeconds = round3(time.Since(t0).Seconds()) }()
	bg := metav1.DeletePropagationBackground
	if err := r.client.CoreV1().Namespaces().Delete(ctx, r.ns, metav1.DeleteOptions{PropagationPolicy: &bg}); err != nil && !apierrors.IsNotFound(err) {
		r.cfg.logf("cleanup: deleting namespace %s: %v", r.ns, err)
		return
	}
	r.cfg.logf("cleanup: deleting namespace %s (waiting up to %v)", r.ns, r.cfg.CleanupTimeout)
	for {
		_, err := r.client.CoreV1().Namespaces().Get(ctx, r.ns, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			d.NamespaceDeleted = true
			r.cfg.logf("cleanup: namespace %s deleted after %.1fs", r.ns, time.Since(t0).Seconds())
			return
		}
		select {
		case <-ctx.Done():
			r.cfg.logf("cleanup: namespace %s still Terminating after %v; it will go on in the background", r.ns, r.cfg.CleanupTimeout)
			return
		case <-time.After(time.Second):
		}
	}
}

func (r *run) add(p bench.PhaseResult) {
	r.report.Phases = append(r.report.Phases, p)
	extra := ""
	if p.Errors > 0 {
		extra = fmt.Sprintf(", %d errors (first: %s)", p.Errors, p.FirstError)
	}
	r.cfg.logf("  %-22s c=%-3d %6d ops in %6.2fs = %9.1f ops/s  p50 %7.2f ms  p99 %7.2f ms%s",
		p.Phase, p.Concurrency, p.Ops, p.Seconds, p.OpsPerSec, p.P50, p.P99, extra)
}

// newClient returns a protobuf client with the run's QPS and a dialer of
// its own: client-go shares transports between configs with equal TLS
// settings and dialer, so a fresh dialer gives the probe a connection that
// is not queued behind the watch and the creates.
func newClient(c *Config, userAgent string) (kubernetes.Interface, error) {
	rc := rest.CopyConfig(c.RESTConfig)
	rc.QPS, rc.Burst = c.QPS, c.Burst
	rc.UserAgent = userAgent
	rc.ContentType = "application/vnd.kubernetes.protobuf"
	rc.AcceptContentTypes = "application/vnd.kubernetes.protobuf,application/json"
	dialer := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}
	rc.Dial = dialer.DialContext
	cs, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return nil, fmt.Errorf("building client: %w", err)
	}
	return cs, nil
}
