package apibench

import (
	"context"
	"fmt"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/kubernetes"

	"github.com/tinykube/tinykube/pkg/bench"
)

// run is the state of one benchmark run.
type run struct {
	cfg    *Config
	id     string
	ns     string
	admin  kubernetes.Interface
	report *bench.Report
}

// Run executes the configured phases and returns the report. The namespace
// is removed even when ctx is cancelled half-way (with a fresh deadline).
func Run(ctx context.Context, cfg Config) (*bench.Report, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	r := &run{cfg: &cfg, id: bench.NewRunID()}
	r.ns = cfg.Namespace
	if r.ns == "" {
		r.ns = bench.NamespaceFor(r.id)
	}
	pool, err := newClientPool(&cfg, 1)
	if err != nil {
		return nil, err
	}
	r.admin = pool.For(0)
	r.report = &bench.Report{
		Benchmark: "api",
		Target:    cfg.Target,
		Started:   time.Now().UTC(),
		Machine:   bench.CurrentMachine(),
		Settings:  cfg,
	}
	if v, err := r.admin.Discovery().ServerVersion(); err == nil {
		r.report.ServerVersion = v.GitVersion
	} else {
		return nil, fmt.Errorf("contacting API server: %w", err)
	}
	if err := r.setupNamespace(ctx); err != nil {
		return nil, err
	}
	defer r.cleanup(ctx)

	if cfg.has(PhaseCRUD) {
		for _, c := range cfg.Concurrency {
			if err := r.crud(ctx, c); err != nil {
				return r.report, err
			}
		}
	}
	if cfg.has(PhaseList) && cfg.ListObjects > 0 {
		if err := r.list(ctx); err != nil {
			return r.report, err
		}
	}
	if cfg.has(PhaseWatch) && cfg.Watchers > 0 && cfg.WatchEvents > 0 {
		if err := r.watch(ctx); err != nil {
			return r.report, err
		}
	}
	r.report.Seconds = time.Since(r.report.Started).Round(time.Millisecond).Seconds()
	return r.report, ctx.Err()
}

// setupNamespace creates the run's namespace and its "default" service
// account: upstream's ServiceAccount admission rejects pods whose account
// does not exist, and without a controller manager nobody else creates it.
func (r *run) setupNamespace(ctx context.Context) error {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{
		Name:   r.ns,
		Labels: map[string]string{bench.LabelRun: r.id, "app.kubernetes.io/created-by": "tinykube-bench"},
	}}
	if _, err := r.admin.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("creating namespace %s: %w", r.ns, err)
	}
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default"}}
	if _, err := r.admin.CoreV1().ServiceAccounts(r.ns).Create(ctx, sa, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("creating service account %s/default: %w", r.ns, err)
	}
	r.cfg.logf("namespace %s ready on %s (%s)", r.ns, r.cfg.Target, r.report.ServerVersion)
	return nil
}

// cleanup deletes every pod of the run and then the namespace. Namespace
// deletion finishes only if a namespace controller runs; without one the
// (empty) namespace stays Terminating, which is reported, not fatal.
func (r *run) cleanup(parent context.Context) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(parent), 2*time.Minute)
	defer cancel()
	if err := r.deleteByPhase(ctx, ""); err != nil {
		r.cfg.logf("cleanup: deleting pods: %v", err)
	}
	if r.cfg.KeepNamespace {
		return
	}
	if err := r.admin.CoreV1().Namespaces().Delete(ctx, r.ns, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
		r.cfg.logf("cleanup: deleting namespace %s: %v", r.ns, err)
		return
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if _, err := r.admin.CoreV1().Namespaces().Get(ctx, r.ns, metav1.GetOptions{}); apierrors.IsNotFound(err) {
			r.cfg.logf("cleanup: namespace %s deleted", r.ns)
			return
		}
		time.Sleep(250 * time.Millisecond)
	}
	r.cfg.logf("cleanup: namespace %s is still Terminating (its pods are gone; no namespace controller running?)", r.ns)
}

// deleteByPhase removes the run's pods of one phase ("" = all phases) with a
// single delete-collection call.
func (r *run) deleteByPhase(ctx context.Context, phase string) error {
	set := labels.Set{bench.LabelRun: r.id}
	if phase != "" {
		set[bench.LabelPhase] = phase
	}
	zero := int64(0)
	return r.admin.CoreV1().Pods(r.ns).DeleteCollection(ctx,
		metav1.DeleteOptions{GracePeriodSeconds: &zero},
		metav1.ListOptions{LabelSelector: set.String()})
}

func (r *run) add(p bench.PhaseResult) {
	r.report.Phases = append(r.report.Phases, p)
	extra := ""
	if p.Errors > 0 {
		extra = fmt.Sprintf(", %d errors (first: %s)", p.Errors, p.FirstError)
	}
	r.cfg.logf("  %-18s c=%-3d %6d ops in %6.2fs = %9.1f ops/s  p50 %7.2f ms  p99 %7.2f ms%s",
		p.Phase, p.Concurrency, p.Ops, p.Seconds, p.OpsPerSec, p.P50, p.P99, extra)
}

func maxConcurrency(levels []int) int { return slices.Max(levels) }
