package etcd

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"time"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// DefaultCompactionInterval is how often kube-apiserver compacts.
const DefaultCompactionInterval = 5 * time.Minute

// compactRevKey is the key through which every API server sharing an
// etcd agrees on who compacts (the same key upstream uses, so a mixed
// fleet of tinykube and kube-apiserver compacts once per interval).
const compactRevKey = "compact_rev_key"

// RunCompaction compacts etcd every interval until ctx ends, keeping one
// interval of history: at each tick it compacts to the revision it saw at
// the previous tick. When several servers share the etcd, a
// compare-and-swap on the version of compact_rev_key lets only one of
// them compact per tick. Errors are logged and retried at the next tick.
func RunCompaction(ctx context.Context, client *clientv3.Client, interval time.Duration) {
	if interval <= 0 {
		interval = DefaultCompactionInterval
	}
	log := slog.Default().With("component", "etcd-compactor")
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	var c Compactor
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
		if err := c.Tick(ctx, client); err != nil && ctx.Err() == nil {
			log.WarnContext(ctx, "compaction failed", "err", err)
		}
	}
}

// Compactor holds the state RunCompaction carries between ticks; Tick is
// exposed so tests can drive compaction without waiting.
type Compactor struct {
	version int64 // version of compact_rev_key we last saw
	rev     int64 // revision seen at the previous tick (0: none yet)
}

// Tick records the current revision and, if this server won the round,
// compacts to the revision recorded at the previous Tick.
func (c *Compactor) Tick(ctx context.Context, client *clientv3.Client) error {
	resp, err := client.Txn(ctx).
		If(clientv3.Compare(clientv3.Version(compactRevKey), "=", c.version)).
		Then(clientv3.OpPut(compactRevKey, strconv.FormatInt(c.rev, 10))).
		Else(clientv3.OpGet(compactRevKey)).
		Commit()
	if err != nil {
		return err
	}
	target := c.rev
	c.rev = resp.Header.Revision
	if !resp.Succeeded {
		// Another server compacted this round; follow its count.
		if kvs := resp.Responses[0].GetResponseRange().Kvs; len(kvs) > 0 {
			c.version = kvs[0].Version
		}
		return nil
	}
	c.version++
	if target == 0 {
		return nil
	}
	if _, err := client.Compact(ctx, target); err != nil && !errors.Is(err, rpctypes.ErrCompacted) {
		return err
	}
	return nil
}
