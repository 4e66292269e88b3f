package endpointreconciler

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// LeasePrefix is where the API servers' lease keys live, as upstream.
const LeasePrefix = "/registry/masterleases/"

// Leases is the set of live API server IPs, one etcd key each bound to an
// etcd lease of TTL. Values are core/v1 Endpoints holding the IP, encoded
// as upstream stores them. Safe for concurrent use.
type Leases struct {
	client *clientv3.Client
	codec  runtime.Encoder
	ttl    time.Duration

	mu    sync.Mutex
	lease clientv3.LeaseID // this server's etcd lease, 0 before the first Update
}

// NewLeases returns the leases in client's etcd; ttl is how long a key
// outlives its last Update (whole seconds, at least 1).
func NewLeases(client *clientv3.Client, codec runtime.Encoder, ttl time.Duration) *Leases {
	return &Leases{client: client, codec: codec, ttl: ttl}
}

// Update writes ip's key and extends its lifetime to ttl from now.
func (l *Leases) Update(ctx context.Context, ip string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.lease != 0 {
		if _, err := l.client.KeepAliveOnce(ctx, l.lease); err != nil {
			if !errors.Is(err, rpctypes.ErrLeaseNotFound) {
				return fmt.Errorf("renewing lease of %s: %w", ip, err)
			}
			l.lease = 0 // expired: take a new one
		}
	}
	if l.lease == 0 {
		secs := max(int64(l.ttl/time.Second), 1)
		g, err := l.client.Grant(ctx, secs)
		if err != nil {
			return fmt.Errorf("granting lease for %s: %w", ip, err)
		}
		l.lease = g.ID
	}
	ep := &corev1.Endpoints{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Endpoints"},
		ObjectMeta: metav1.ObjectMeta{Name: ip},
		Subsets:    []corev1.EndpointSubset{{Addresses: []corev1.EndpointAddress{{IP: ip}}}},
	}
	data, err := runtime.Encode(l.codec, ep)
	if err != nil {
		return err
	}
	// Rewrite only when the key is missing or bound to another lease.
	key := LeasePrefix + ip
	_, err = l.client.Txn(ctx).
		If(clientv3.Compare(clientv3.LeaseValue(key), "=", l.lease)).
		Else(clientv3.OpPut(key, string(data), clientv3.WithLease(l.lease))).
		Commit()
	return err
}

// List returns the IPs whose keys are alive, sorted.
func (l *Leases) List(ctx context.Context) ([]string, error) {
	resp, err := l.client.Get(ctx, LeasePrefix, clientv3.WithPrefix(), clientv3.WithKeysOnly())
	if err != nil {
		return nil, err
	}
	ips := make([]string, 0, len(resp.Kvs))
	for _, kv := range resp.Kvs {
		if ip := strings.TrimPrefix(string(kv.Key), LeasePrefix); ip != "" {
			ips = append(ips, ip)
		}
	}
	sort.Strings(ips)
	return ips, nil
}

// Remove deletes ip's key and gives back the lease.
func (l *Leases) Remove(ctx context.Context, ip string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, err := l.client.Delete(ctx, LeasePrefix+ip); err != nil {
		return err
	}
	if l.lease != 0 {
		_, _ = l.client.Revoke(ctx, l.lease)
		l.lease = 0
	}
	return nil
}
