package server

import (
	clientv3 "go.etcd.io/etcd/client/v3"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer/protobuf"

	"github.com/tinykube/tinykube/pkg/api"
	"github.com/tinykube/tinykube/pkg/registry"
	"github.com/tinykube/tinykube/pkg/storage"
	"github.com/tinykube/tinykube/pkg/storage/etcd3"
)

// storageFunc returns the per-resource storage: built-in types are stored
// as protobuf (upstream's "k8s\x00" envelope), so upstream can read our
// etcd and we can read theirs.
func storageFunc(client *clientv3.Client) registry.StorageFunc {
	pb := protobuf.NewSerializer(api.Scheme, api.Scheme)
	return func(r api.Resource, keyRoot string, newFunc, newListFunc func() runtime.Object, attrs storage.AttrFunc) (storage.Interface, error) {
		codec := api.Codecs.CodecForVersions(pb, pb, r.GroupVersion, r.GroupVersion)
		return etcd3.New(client, codec, newFunc, newListFunc), nil
	}
}
