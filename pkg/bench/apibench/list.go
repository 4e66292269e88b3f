package apibench

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/tinykube/tinykube/pkg/bench"
)

// list fills the namespace with ListObjects pods, then times full
// (unpaginated) lists of them: resourceVersion "" asks for a consistent
// (quorum-fresh) list, "0" for any cached state. Latency includes the client
// decoding the response, as every real client does; list-rv-0-undecoded
// times the same list read but not decoded.
func (r *run) list(ctx context.Context) error {
	cfg := r.cfg
	conc := cfg.ListConcurrency
	if conc < 1 {
		conc = maxConcurrency(cfg.Concurrency)
	}
	cfg.logf("list: creating %d pods at concurrency %d", cfg.ListObjects, conc)
	pool, err := newClientPool(cfg, conc)
	if err != nil {
		return err
	}
	create := bench.Run(ctx, bench.Phase{Name: "list-setup-create", Concurrency: conc, Count: cfg.ListObjects},
		func(ctx context.Context, w, i int) error {
			pod := bench.NewPod(r.ns, fmt.Sprintf("list-%06d", i), r.id, PhaseList)
			_, err := pool.For(w).CoreV1().Pods(r.ns).Create(ctx, pod, metav1.CreateOptions{})
			return err
		})
	r.add(create)
	if create.Ops == 0 {
		return fmt.Errorf("list setup created no pods: %s", create.FirstError)
	}

	// One client, one list at a time: the byte counter then measures exactly
	// the lists of this phase.
	lister, err := newClientPool(cfg, 1)
	if err != nil {
		return err
	}
	for _, mode := range []struct {
		name, rv string
		raw      bool
	}{{"list-rv-consistent", "", false}, {"list-rv-0", "0", false}, {"list-rv-0-undecoded", "0", true}} {
		before := lister.bytes.Load()
		objects := 0
		res := bench.Run(ctx, bench.Phase{Name: mode.name, Concurrency: 1, Count: cfg.ListIterations},
			func(ctx context.Context, _, _ int) error {
				if mode.raw {
					// Read to the last byte, decode nothing: the server's and
					// the transport's share of a list, without the client's
					// decoding, which costs every server the same.
					_, err := lister.For(0).CoreV1().RESTClient().Get().Namespace(r.ns).Resource("pods").
						Param("resourceVersion", mode.rv).DoRaw(ctx)
					return err
				}
				l, err := lister.For(0).CoreV1().Pods(r.ns).List(ctx, metav1.ListOptions{ResourceVersion: mode.rv})
				if err != nil {
					return err
				}
				objects = len(l.Items)
				return nil
			})
		res.Objects = objects
		if res.Ops > 0 {
			res.BytesPerOp = (lister.bytes.Load() - before) / int64(res.Ops)
		}
		r.add(res)
	}

	// Remove them with individual concurrent deletes: one delete-collection
	// call for 10,000 pods outlives upstream's 60 s request timeout.
	zero := int64(0)
	r.add(bench.Run(ctx, bench.Phase{Name: "list-cleanup-delete", Concurrency: conc, Count: cfg.ListObjects},
		func(ctx context.Context, w, i int) error {
			err := pool.For(w).CoreV1().Pods(r.ns).Delete(ctx, fmt.Sprintf("list-%06d", i), metav1.DeleteOptions{GracePeriodSeconds: &zero})
			if apierrors.IsNotFound(err) {
				return nil // its create failed
			}
			return err
		}))
	return nil
}
