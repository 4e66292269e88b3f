package cacher_test

import (
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/tinykube/tinykube/pkg/storage"
	"github.com/tinykube/tinykube/pkg/storage/cacher"
	"github.com/tinykube/tinykube/pkg/storage/etcd3"
	"github.com/tinykube/tinykube/pkg/storage/storagetest"
)

func newCacher(t testing.TB, client *clientv3.Client, tweak ...func(*cacher.Config)) *cacher.Cacher {
	t.Helper()
	cfg := cacher.Config{
		Storage:        etcd3.New(client, storagetest.PodCodec(), storagetest.NewPod, storagetest.NewPodList),
		ResourcePrefix: "/registry/pods",
		NewFunc:        storagetest.NewPod,
		NewListFunc:    storagetest.NewPodList,
		GetAttrs:       storagetest.PodAttrs,
	}
	for _, f := range tweak {
		f(&cfg)
	}
	c, err := cacher.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Stop)
	return c
}

func TestConformance(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, client *clientv3.Client) storage.Interface {
		// Too-large cases wait WaitTimeout; keep them short.
		return newCacher(t, client, func(cfg *cacher.Config) { cfg.WaitTimeout = 300 * time.Millisecond })
	})
}
