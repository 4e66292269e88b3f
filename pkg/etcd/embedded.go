package etcd

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/server/v3/embed"
)

// Config configures an embedded etcd. Only DataDir is required; the zero
// value of every other field picks a default suited to a small cluster.
type Config struct {
	// DataDir holds the WAL, snapshots and the bbolt backend, and the
	// unix sockets the member serves on (etcd.sock for clients,
	// etcd-peer.sock for peers). It is made private (PrivateDir): mode
	// 0700, owned by this user. A second start on the same DataDir keeps
	// all data.
	DataDir string

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

	// Logger receives what this package says (a data dir made private,
	// sockets moved off a long path); etcd's own log goes through zap at
	// LogLevel. Default slog.Default().
	Logger *slog.Logger
}

func (c *Config) setDefaults() {
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
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}

// Validate reports a configuration that StartEmbedded would refuse.
func (c Config) Validate() error {
	if c.DataDir == "" {
		return errors.New("etcd: DataDir is required")
	}
	return nil
}

// Embedded is a running single-member etcd and a client connected to it.
type Embedded struct {
	etcd    *embed.Etcd
	client  *clientv3.Client
	closing *atomic.Bool
	// removeSockets removes a temp socket dir (socketDir); nil if none.
	removeSockets func()
	// Endpoint is the URL clients use: "unix:///…/etcd.sock".
	Endpoint string
}

// StartEmbedded starts etcd in this process and returns once it serves
// requests. The member listens on unix sockets only, in DataDir or, if
// that path is too long for a socket, in a private temp dir: no TCP port
// at all, so no other local user can reach the store. Call Close to stop
// it.
func StartEmbedded(ctx context.Context, cfg Config) (*Embedded, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.setDefaults()
	if err := PrivateDir(cfg.DataDir, cfg.Logger); err != nil {
		return nil, fmt.Errorf("etcd: %w", err)
	}
	sockDir, removeSockets, err := socketDir(cfg.DataDir)
	if err != nil {
		return nil, fmt.Errorf("etcd: %w", err)
	}
	if removeSockets != nil {
		cfg.Logger.Info("etcd data dir path too long for a unix socket; serving from a private temp dir", "dir", sockDir)
	} else {
		removeSockets = func() {}
	}
	clientSock := filepath.Join(sockDir, clientSocket)
	peerSock := filepath.Join(sockDir, peerSocket)
	if err := checkNotServed(clientSock); err != nil {
		removeSockets()
		return nil, err
	}

	closing := new(atomic.Bool)
	ec, err := embedConfig(cfg, clientSock, peerSock, closing)
	if err != nil {
		removeSockets()
		return nil, err
	}
	noPopulate()
	e, err := embed.StartEtcd(ec)
	if err != nil {
		removeSockets()
		return nil, fmt.Errorf("etcd: start: %w", err)
	}
	fail := func(err error) (*Embedded, error) {
		closing.Store(true)
		e.Close()
		removeSockets()
		return nil, err
	}
	timer := time.NewTimer(cfg.StartTimeout)
	defer timer.Stop()
	select {
	case <-e.Server.ReadyNotify():
	case err := <-e.Err():
		return fail(fmt.Errorf("etcd: start: %w", err))
	case <-timer.C:
		return fail(fmt.Errorf("etcd: not ready after %s", cfg.StartTimeout))
	case <-ctx.Done():
		return fail(ctx.Err())
	}
	// The dir already keeps others out; 0600 sockets say so twice, in
	// case the dir is ever loosened by hand.
	for _, sock := range []string{clientSock, peerSock} {
		if err := os.Chmod(sock, 0o600); err != nil {
			return fail(fmt.Errorf("etcd: %w", err))
		}
	}

	endpoint := "unix://" + clientSock
	client, err := NewClient([]string{endpoint}, nil)
	if err != nil {
		return fail(err)
	}
	return &Embedded{etcd: e, client: client, closing: closing, removeSockets: removeSockets, Endpoint: endpoint}, nil
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
	e.removeSockets()
	if errors.Is(err, context.Canceled) {
		err = nil
	}
	return err
}

func embedConfig(cfg Config, clientSock, peerSock string, closing *atomic.Bool) (*embed.Config, error) {
	ec := embed.NewConfig()
	ec.Name = "tinykube"
	ec.Dir = cfg.DataDir

	// Clients: etcd binds Host+Path of a unix URL, so the usual
	// unix:///abs/path form works.
	clientURL := url.URL{Scheme: "unix", Path: clientSock}
	ec.ListenClientUrls = []url.URL{clientURL}
	ec.AdvertiseClientUrls = []url.URL{clientURL}
	// Peers: etcd needs a peer listener even for one member, and binds
	// only the Host of a peer URL, so an absolute path goes there (a URL
	// that only this struct can hold; it is never parsed). The advertised
	// form is the usual one. A single member never dials its own peer
	// URL; the socket exists so that no TCP port does.
	ec.ListenPeerUrls = []url.URL{{Scheme: "unix", Host: peerSock}}
	ec.AdvertisePeerUrls = []url.URL{{Scheme: "unix", Path: peerSock}}
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
