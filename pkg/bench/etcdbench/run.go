package etcdbench

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/protobuf/proto"
	corev1 "k8s.io/api/core/v1"

	"github.com/tinykube/tinykube/pkg/bench"
)

// errConflict is a failed compare: the key existed on create, or changed
// under an update or delete. The benchmark partitions keys between workers,
// so it means someone else writes under our prefix.
var errConflict = errors.New("compare failed")

// item is one key the benchmark owns, with its last known mod revision.
type item struct {
	key string
	pod *corev1.Pod
	rev int64
}

type run struct {
	cfg    *Config
	id     string
	ns     string
	base   string // <prefix>registry/pods/<ns>/
	codec  podCodec
	report *bench.Report
}

// Run executes the configured phases and returns the report. Every key the
// run wrote is deleted at the end, also when ctx is cancelled.
func Run(ctx context.Context, cfg Config) (*bench.Report, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	r := &run{cfg: &cfg, id: bench.NewRunID(), codec: newPodCodec()}
	r.ns = bench.NamespaceFor(r.id)
	r.base = cfg.Prefix + "registry/pods/" + r.ns + "/"
	r.report = &bench.Report{
		Benchmark: "etcd",
		Target:    strings.Join(cfg.Endpoints, ","),
		Started:   time.Now().UTC(),
		Machine:   bench.CurrentMachine(),
		Settings:  cfg,
	}
	admin, err := r.newClient()
	if err != nil {
		return nil, err
	}
	defer admin.Close()
	sctx, cancel := context.WithTimeout(ctx, cfg.DialTimeout)
	st, err := admin.Status(sctx, cfg.Endpoints[0])
	cancel()
	if err != nil {
		return nil, fmt.Errorf("contacting etcd at %s: %w", cfg.Endpoints[0], err)
	}
	r.report.ServerVersion = "etcd " + st.Version
	sample, err := r.codec.encode(stored(bench.NewPod(r.ns, "crud-c1-000000", r.id, PhaseCRUD)))
	if err != nil {
		return nil, err
	}
	r.report.ObjectBytes = len(sample)
	cfg.logf("etcd %s at %s; keys under %s; one pod encodes to %d bytes", st.Version, r.report.Target, r.base, len(sample))
	defer r.cleanup(ctx, admin)

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
	r.report.Seconds = time.Since(r.report.Started).Round(time.Millisecond).Seconds()
	return r.report, ctx.Err()
}

func (r *run) newClient() (*clientv3.Client, error) {
	c, err := clientv3.New(clientv3.Config{
		Endpoints:   r.cfg.Endpoints,
		DialTimeout: r.cfg.DialTimeout,
		Logger:      nil,
	})
	if err != nil {
		return nil, fmt.Errorf("etcd client: %w", err)
	}
	return c, nil
}

// clients returns the clients for workers workers per the client mode and
// a function closing them.
func (r *run) clients(workers int) ([]*clientv3.Client, func(), error) {
	n := 1
	if r.cfg.ClientMode == ClientPerWorker {
		n = workers
	}
	var cs []*clientv3.Client
	closeAll := func() {
		for _, c := range cs {
			_ = c.Close()
		}
	}
	for range n {
		c, err := r.newClient()
		if err != nil {
			closeAll()
			return nil, nil, err
		}
		cs = append(cs, c)
	}
	return cs, closeAll, nil
}

// crud creates, gets, updates and deletes keys at one concurrency level with
// the transactions an API server's etcd storage issues for the same verbs.
func (r *run) crud(ctx context.Context, conc int) error {
	cfg := r.cfg
	cfg.logf("crud at concurrency %d", conc)
	cs, closeAll, err := r.clients(conc)
	if err != nil {
		return err
	}
	defer closeAll()
	cli := func(w int) *clientv3.Client { return cs[w%len(cs)] }
	phase := func(name string) bench.Phase {
		return bench.Phase{Name: name, Concurrency: conc, Count: cfg.Count, Duration: cfg.Duration}
	}

	owned := make([][]*item, conc)
	res := bench.Run(ctx, phase("create"), func(ctx context.Context, w, i int) error {
		pod := stored(bench.NewPod(r.ns, fmt.Sprintf("crud-c%d-%06d", conc, i), r.id, PhaseCRUD))
		it := &item{key: r.base + pod.Name, pod: pod}
		rev, err := r.create(ctx, cli(w), it.key, pod)
		if err != nil {
			return err
		}
		it.rev = rev
		owned[w] = append(owned[w], it)
		return nil
	})
	r.add(res)
	var all []*item
	for _, its := range owned {
		all = append(all, its...)
	}
	if len(all) == 0 {
		return fmt.Errorf("create phase wrote no keys: %s", res.FirstError)
	}

	r.add(bench.Run(ctx, phase("get"), func(ctx context.Context, w, i int) error {
		resp, err := cli(w).Get(ctx, all[i%len(all)].key)
		if err == nil && len(resp.Kvs) != 1 {
			err = fmt.Errorf("key %s: %d values", all[i%len(all)].key, len(resp.Kvs))
		}
		return err
	}))

	next := make([]int, conc)
	r.add(bench.Run(ctx, phase("update"), func(ctx context.Context, w, i int) error {
		mine := owned[w]
		if len(mine) == 0 {
			return errors.New("worker owns no keys")
		}
		it := mine[next[w]%len(mine)]
		next[w]++
		pod := it.pod.DeepCopy()
		if pod.Annotations == nil {
			pod.Annotations = map[string]string{}
		}
		pod.Annotations["bench.tinykube.io/update"] = fmt.Sprint(i)
		pod.Labels["bench.tinykube.io/generation"] = fmt.Sprint(next[w])
		val, err := r.codec.encode(pod)
		if err != nil {
			return err
		}
		resp, err := cli(w).Txn(ctx).
			If(clientv3.Compare(clientv3.ModRevision(it.key), "=", it.rev)).
			Then(clientv3.OpPut(it.key, string(val))).
			Else(clientv3.OpGet(it.key)).
			Commit()
		if err != nil {
			return err
		}
		if !resp.Succeeded {
			return fmt.Errorf("update %s: %w", it.key, errConflict)
		}
		it.pod, it.rev = pod, resp.Header.Revision
		return nil
	}))

	del := phase("delete")
	del.Count, del.Duration = len(all), 0
	r.add(bench.Run(ctx, del, func(ctx context.Context, w, i int) error {
		it := all[i]
		resp, err := cli(w).Txn(ctx).
			If(clientv3.Compare(clientv3.ModRevision(it.key), "=", it.rev)).
			Then(clientv3.OpDelete(it.key)).
			Else(clientv3.OpGet(it.key)).
			Commit()
		if err != nil {
			return err
		}
		if !resp.Succeeded {
			return fmt.Errorf("delete %s: %w", it.key, errConflict)
		}
		return nil
	}))
	return nil
}

// create puts pod under key if the key does not exist and returns the new
// revision.
func (r *run) create(ctx context.Context, c *clientv3.Client, key string, pod *corev1.Pod) (int64, error) {
	val, err := r.codec.encode(pod)
	if err != nil {
		return 0, err
	}
	resp, err := c.Txn(ctx).
		If(clientv3.Compare(clientv3.ModRevision(key), "=", 0)).
		Then(clientv3.OpPut(key, string(val))).
		Commit()
	if err != nil {
		return 0, err
	}
	if !resp.Succeeded {
		return 0, fmt.Errorf("create %s: %w", key, errConflict)
	}
	return resp.Header.Revision, nil
}

// list writes ListObjects keys and times full range reads of them, both
// linearizable (what a consistent list costs) and serializable (a local
// read, the cheapest etcd can answer), then deletes them in one call.
func (r *run) list(ctx context.Context) error {
	cfg := r.cfg
	conc := slicesMax(cfg.Concurrency)
	cfg.logf("list: writing %d keys at concurrency %d", cfg.ListObjects, conc)
	cs, closeAll, err := r.clients(conc)
	if err != nil {
		return err
	}
	defer closeAll()
	listBase := r.base + "list-"
	setup := bench.Run(ctx, bench.Phase{Name: "list-setup-create", Concurrency: conc, Count: cfg.ListObjects},
		func(ctx context.Context, w, i int) error {
			pod := stored(bench.NewPod(r.ns, fmt.Sprintf("list-%06d", i), r.id, PhaseList))
			_, err := r.create(ctx, cs[w%len(cs)], r.base+pod.Name, pod)
			return err
		})
	r.add(setup)

	for _, mode := range []struct {
		name string
		opts []clientv3.OpOption
	}{
		{"list-linearizable", []clientv3.OpOption{clientv3.WithPrefix()}},
		{"list-serializable", []clientv3.OpOption{clientv3.WithPrefix(), clientv3.WithSerializable()}},
	} {
		var objects int
		var bytes int64
		res := bench.Run(ctx, bench.Phase{Name: mode.name, Concurrency: 1, Count: cfg.ListIterations},
			func(ctx context.Context, _, _ int) error {
				resp, err := cs[0].Get(ctx, listBase, mode.opts...)
				if err != nil {
					return err
				}
				objects = len(resp.Kvs)
				bytes += int64(proto.Size((*pb.RangeResponse)(resp)))
				return nil
			})
		res.Objects = objects
		if res.Ops > 0 {
			res.BytesPerOp = bytes / int64(res.Ops)
		}
		r.add(res)
	}

	t0 := time.Now()
	resp, err := cs[0].Delete(ctx, listBase, clientv3.WithPrefix())
	el := time.Since(t0)
	dr := bench.PhaseResult{Phase: "list-deleterange", Concurrency: 1, Seconds: el.Round(time.Millisecond).Seconds()}
	if err != nil {
		dr.Errors, dr.FirstError = 1, err.Error()
	} else {
		dr.Ops = int(resp.Deleted)
		dr.OpsPerSec = float64(resp.Deleted) / el.Seconds()
		dr.Latency = bench.Summarize([]time.Duration{el})
	}
	r.add(dr)
	return nil
}

// cleanup deletes everything under the run's key prefix.
func (r *run) cleanup(parent context.Context, c *clientv3.Client) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(parent), time.Minute)
	defer cancel()
	resp, err := c.Delete(ctx, r.base, clientv3.WithPrefix())
	if err != nil {
		r.cfg.logf("cleanup: deleting %s*: %v", r.base, err)
		return
	}
	r.cfg.logf("cleanup: deleted %d leftover keys under %s", resp.Deleted, r.base)
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

func slicesMax(s []int) int {
	m := s[0]
	for _, v := range s[1:] {
		m = max(m, v)
	}
	return m
}
