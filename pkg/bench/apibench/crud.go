package apibench

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/tinykube/tinykube/pkg/bench"
)

// crud runs create, get, update and delete of pods at one concurrency level,
// each with its own fresh clients.
func (r *run) crud(ctx context.Context, conc int) error {
	cfg := r.cfg
	cfg.logf("crud at concurrency %d", conc)
	pool, err := newClientPool(cfg, conc)
	if err != nil {
		return err
	}
	phase := func(name string) bench.Phase {
		return bench.Phase{Name: name, Concurrency: conc, Count: cfg.Count, Duration: cfg.Duration}
	}

	// create: each worker remembers the pods it created, as returned by the
	// server; the update phase reuses them so that workers never race on
	// the same object and every update carries a current resourceVersion.
	owned := make([][]*corev1.Pod, conc)
	res := bench.Run(ctx, phase("create"), func(ctx context.Context, w, i int) error {
		pod := bench.NewPod(r.ns, fmt.Sprintf("crud-c%d-%06d", conc, i), r.id, PhaseCRUD)
		out, err := pool.For(w).CoreV1().Pods(r.ns).Create(ctx, pod, metav1.CreateOptions{})
		if err != nil {
			return err
		}
		owned[w] = append(owned[w], out)
		return nil
	})
	r.add(res)
	var names []string
	for _, pods := range owned {
		for _, p := range pods {
			names = append(names, p.Name)
		}
	}
	if len(names) == 0 {
		return fmt.Errorf("create phase created no pods: %s", res.FirstError)
	}

	r.add(bench.Run(ctx, phase("get"), func(ctx context.Context, w, i int) error {
		_, err := pool.For(w).CoreV1().Pods(r.ns).Get(ctx, names[i%len(names)], metav1.GetOptions{})
		return err
	}))

	// update: worker w cycles through the pods it created, changing an
	// annotation and a label each time (a full PUT of the last response).
	next := make([]int, conc)
	r.add(bench.Run(ctx, phase("update"), func(ctx context.Context, w, i int) error {
		mine := owned[w]
		if len(mine) == 0 {
			return errors.New("worker owns no pods")
		}
		k := next[w] % len(mine)
		next[w]++
		pod := mine[k].DeepCopy()
		if pod.Annotations == nil {
			pod.Annotations = map[string]string{}
		}
		pod.Annotations["bench.tinykube.io/update"] = fmt.Sprint(i)
		pod.Labels["bench.tinykube.io/generation"] = fmt.Sprint(next[w])
		out, err := pool.For(w).CoreV1().Pods(r.ns).Update(ctx, pod, metav1.UpdateOptions{})
		if err != nil {
			return err
		}
		mine[k] = out
		return nil
	}))

	// delete: every pod created above, once, grace period 0 (unscheduled
	// pods are deleted at once anyway).
	var deleted atomic.Int64
	zero := int64(0)
	del := phase("delete")
	del.Count, del.Duration = len(names), 0
	r.add(bench.Run(ctx, del, func(ctx context.Context, w, i int) error {
		err := pool.For(w).CoreV1().Pods(r.ns).Delete(ctx, names[i], metav1.DeleteOptions{GracePeriodSeconds: &zero})
		if err == nil {
			deleted.Add(1)
		}
		return err
	}))
	if int(deleted.Load()) != len(names) {
		// leave nothing behind for the next level
		return r.deleteByPhase(ctx, PhaseCRUD)
	}
	return nil
}
