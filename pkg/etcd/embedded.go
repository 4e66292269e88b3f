package etcd

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/server/v3/embed"
)

// Config configures an embedded etcd. Only DataDir is required; the zero
// value of every other field picks a default suited to a small cluster.
type Config struct {
	// DataDir holds the WAL, snapshots and the bbolt backend. A second
	// start on the same DataDir keeps all data.
	DataDir string

	// ClientURL is where clients connect: "" picks a random loopback port
	// ("http://127.0.0.1:0"); "unix:///path/etcd.sock" serves a unix
	// socket. Only loopback hosts are accepted.
	ClientURL string

	// QuotaBackendBytes caps the backend size (etcd raises NOSPACE above
	// it). Default 2 GiB, as etcd.
	QuotaBackendBytes int64

	// SnapshotCount is how many applied raft entries trigger a snapshot
	// (and so how much raft log is kept in memory). Default 5000.
	SnapshotCount uint64

	// UnsafeNoFsync disables fsync: much faster writes, data loss on a
	// machine crash. For tests and benchmarks only.
	UnsafeNoFsync bool

	// LogLevel for etcd's zap logger: "error" (default), "warn", "info"…
	// At "warn" etcd complains about running a single-member cluster
	// with grpc and http on one port, which is what we want.
	LogLevel string

	// StartTimeout bounds how long StartEmbedded waits for the member to
	// become ready. Default 60s.
	StartTimeout time.Duration
}

func (c *Config) setDefaults() {
	if c.ClientURL == "" {
		c.ClientURL = "http://127.0.0.1:0"
	}
	if c.QuotaBackendBytes == 0 {
		c.QuotaBackendBytes = 2 << 30
	}
	if c.SnapshotCount == 0 {
		c.SnapshotCount = 5000
	}
	if c.LogLevel == "" {
		c.LogLevel = "error"
	}
	if c.StartTimeout == 0 {
		c.StartTimeout = 60 * time.Second
	}
}

// Validate reports a configuration that StartEmbedded would refuse.
func (c Config) Validate() error {
	if c.DataDir == "" {
		return errors.New("etcd: DataDir is required")
	}
	if c.ClientURL != "" {
		u, err := url.Parse(c.ClientURL)
		if err != nil {
			return fmt.Errorf("etcd: ClientURL: %w", err)
		}
		switch u.Scheme {
		case "unix":
		case "http":
			if h := u.Hostname(); h != "127.0.0.1" && h != "localhost" && h != "::1" {
				return fmt.Errorf("etcd: ClientURL %q is not loopback", c.ClientURL)
			}
		default:
			return fmt.Errorf("etcd: ClientURL scheme %q: want http or unix", u.Scheme)
		}
	}
	return nil
}

// Embedded is a running single-member etcd and a client connected to it.
type Embedded struct {
	etcd    *embed.Etcd
	client  *clientv3.Client
	closing *atomic.Bool
	// Endpoint is the URL clients use ("http://127.0.0.1:41234" or
	// "unix:///…/etcd.sock").
	Endpoint string
}

// StartEmbedded starts etcd in this process and returns once it serves
// requests. The member listens on loopback only (peer traffic on a
// random loopback port that nothing else uses). Call Close to stop it.
func StartEmbedded(ctx context.Context, cfg Config) (*Embedded, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.setDefaults()
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("etcd: %w", err)
	}

	closing := new(atomic.Bool)
	ec, err := embedConfig(cfg, closing)
	if err != nil {
		return nil, err
	}
	noPopulate()
	e, err := embed.StartEtcd(ec)
	if err != nil {
		return nil, fmt.Errorf("etcd: start: %w", err)
	}
	timer := time.NewTimer(cfg.StartTimeout)
	defer timer.Stop()
	select {
	case <-e.Server.ReadyNotify():
	case err := <-e.Err():
		closing.Store(true)
		e.Close()
		return nil, fmt.Errorf("etcd: start: %w", err)
	case <-timer.C:
		closing.Store(true)
		e.Close()
		return nil, fmt.Errorf("etcd: not ready after %s", cfg.StartTimeout)
	case <-ctx.Done():
		closing.Store(true)
		e.Close()
		return nil, ctx.Err()
	}

	endpoint := clientEndpoint(cfg.ClientURL, e)
	client, err := NewClient([]string{endpoint})
	if err != nil {
		closing.Store(true)
		e.Close()
		return nil, err
	}
	return &Embedded{etcd: e, client: client, closing: closing, Endpoint: endpoint}, nil
}

// Client returns the client connected to the embedded member. It is
// closed by Close.
func (e *Embedded) Client() *clientv3.Client { return e.client }

// Err reports a fatal error of the running member (e.g. a listener that
// failed); the channel never closes on a clean Close.
func (e *Embedded) Err() <-chan error { return e.etcd.Err() }

// Close stops the client and the member, flushing the backend.
func (e *Embedded) Close() error {
	err := e.client.Close()
	e.closing.Store(true)
	e.etcd.Close()
	if errors.Is(err, context.Canceled) {
		err = nil
	}
	return err
}

func embedConfig(cfg Config, closing *atomic.Bool) (*embed.Config, error) {
	ec := embed.NewConfig()
	ec.Name = "tinykube"
	ec.Dir = cfg.DataDir

	clientURL, err := url.Parse(cfg.ClientURL)
	if err != nil {
		return nil, err
	}
	peerURL, _ := url.Parse("http://127.0.0.1:0")
	ec.ListenClientUrls = []url.URL{*clientURL}
	ec.AdvertiseClientUrls = []url.URL{*clientURL}
	ec.ListenPeerUrls = []url.URL{*peerURL}
	ec.AdvertisePeerUrls = []url.URL{*peerURL}
	ec.InitialCluster = ec.InitialClusterFromName(ec.Name)
	ec.InitialClusterToken = "tinykube"

	// A single member elects itself: short ticks make that take a few
	// milliseconds instead of a second.
	ec.TickMs = 10
	ec.ElectionMs = 100
	ec.InitialElectionTickAdvance = true

	ec.SnapshotCount = cfg.SnapshotCount
	ec.SnapshotCatchUpEntries = cfg.SnapshotCount / 2
	ec.MaxSnapFiles = 2
	ec.MaxWalFiles = 2
	ec.QuotaBackendBytes = cfg.QuotaBackendBytes
	ec.UnsafeNoFsync = cfg.UnsafeNoFsync
	// Auto compaction is off: RunCompaction does it, as kube-apiserver.
	ec.AutoCompactionMode = embed.CompactorModePeriodic
	ec.AutoCompactionRetention = "0"
	ec.EnableGRPCGateway = false
	ec.Metrics = "basic"

	lg, err := newLogger(cfg.LogLevel, closing)
	if err != nil {
		return nil, fmt.Errorf("etcd: LogLevel: %w", err)
	}
	ec.Logger = "zap"
	ec.LogLevel = cfg.LogLevel
	ec.ZapLoggerBuilder = embed.NewZapLoggerBuilder(lg)
	return ec, nil
}

// clientEndpoint turns the configured client URL into a dialable one,
// resolving a random port to the port actually bound.
func clientEndpoint(configured string, e *embed.Etcd) string {
	if strings.HasPrefix(configured, "unix://") {
		return configured
	}
	if len(e.Clients) > 0 {
		return "http://" + e.Clients[0].Addr().String()
	}
	return configured
}
