package testserver

import (
	"context"
	"sync"
	"testing"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/tinykube/tinykube/pkg/server"
)

// Server is a started server plus its admin client config.
type Server struct {
	*server.Server
	Config  server.Config
	DataDir string
	// RESTConfig authenticates as the admin (system:masters).
	RESTConfig *rest.Config
	Client     kubernetes.Interface

	closeOnce sync.Once
	closeErr  error
}

// Close stops the server; it is safe to call more than once (tests that
// restart a server close it themselves before the cleanup does).
func (s *Server) Close() error {
	s.closeOnce.Do(func() { s.closeErr = s.Server.Close() })
	return s.closeErr
}

// Start starts a server for t on a fresh data dir; it is closed when the
// test ends. dataDir "" means a new temp dir.
//
// The server runs no controllers, so nothing creates the "default"
// service account of a namespace: as upstream's integration test server
// does, Start leaves ServiceAccount admission out, and pods are created
// as they are written. Tests of that plugin use StartWithConfig with
// server.DefaultConfig().
func Start(t testing.TB, dataDir string) *Server {
	t.Helper()
	if dataDir == "" {
		dataDir = t.TempDir()
	}
	cfg := server.DefaultConfig()
	cfg.DataDir = dataDir
	cfg.SecurePort = 0
	cfg.UnsafeNoFsync = true
	cfg.DisableAdmissionPlugins = []string{"ServiceAccount"}
	return StartWithConfig(t, cfg)
}

// StartWithConfig starts a server with cfg (DataDir must be set).
func StartWithConfig(t testing.TB, cfg server.Config) *Server {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	s, err := server.Start(ctx, cfg)
	if err != nil {
		t.Fatalf("starting server: %v", err)
	}
	restCfg, err := clientcmd.BuildConfigFromFlags("", s.KubeconfigPath)
	if err != nil {
		s.Close()
		t.Fatalf("kubeconfig: %v", err)
	}
	restCfg.QPS, restCfg.Burst = 1000, 2000
	client, err := kubernetes.NewForConfig(restCfg)
	if err != nil {
		s.Close()
		t.Fatalf("client: %v", err)
	}
	ts := &Server{Server: s, Config: cfg, DataDir: cfg.DataDir, RESTConfig: restCfg, Client: client}
	t.Cleanup(func() { ts.Close() })
	return ts
}
