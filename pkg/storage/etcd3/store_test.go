package etcd3_test

import (
	"testing"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/tinykube/tinykube/pkg/storage"
	"github.com/tinykube/tinykube/pkg/storage/etcd3"
	"github.com/tinykube/tinykube/pkg/storage/storagetest"
)

func TestConformance(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, client *clientv3.Client) storage.Interface {
		return etcd3.New(client, storagetest.PodCodec(), storagetest.NewPod, storagetest.NewPodList)
	})
}
