package etcd

import (
	"crypto/tls"
	"fmt"
	"math"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
)

// NewClient connects to the etcd members at endpoints ("http://host:2379",
// "https://host:2379", "unix:///path"), with tlsConfig for https and
// unixs endpoints (nil: none; see External for loading one from files).
// It does not wait for a connection: the first request fails if no member
// answers. The caller closes the client.
func NewClient(endpoints []string, tlsConfig *tls.Config) (*clientv3.Client, error) {
	if len(endpoints) == 0 {
		return nil, fmt.Errorf("etcd: no endpoints")
	}
	c, err := clientv3.New(clientv3.Config{
		Endpoints:            endpoints,
		TLS:                  tlsConfig,
		DialTimeout:          20 * time.Second,
		DialKeepAliveTime:    30 * time.Second,
		DialKeepAliveTimeout: 10 * time.Second,
		// Values are bounded by the apiserver's request size (3 MiB for
		// objects, as upstream) plus lists of many of them.
		MaxCallRecvMsgSize: math.MaxInt32,
		Logger:             zap.NewNop(),
	})
	if err != nil {
		return nil, fmt.Errorf("etcd: client: %w", err)
	}
	return c, nil
}
