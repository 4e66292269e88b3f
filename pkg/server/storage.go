package server

import (
	"log/slog"

	clientv3 "go.etcd.io/etcd/client/v3"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/tinykube/tinykube/pkg/api"
	"github.com/tinykube/tinykube/pkg/apiextensions/controller"
	"github.com/tinykube/tinykube/pkg/registry"
	"github.com/tinykube/tinykube/pkg/registry/core/componentstatus"
	"github.com/tinykube/tinykube/pkg/storage"
	"github.com/tinykube/tinykube/pkg/storage/cacher"
	"github.com/tinykube/tinykube/pkg/storage/etcd3"
)

// componentStatuses are probed, not stored.
var componentStatuses = corev1.SchemeGroupVersion.WithResource("componentstatuses")

// storageFunc returns the per-resource storage: a watch cache in front of
// etcd. Built-in types are stored as upstream stores them
// (api.StorageCodec: protobuf, or JSON for CRDs and APIServices, in their
// storage version), and read in any encoding, so upstream can read our
// etcd and we can read theirs. Every
// cache is added to caches, for Close to stop. The caches are lazy: each
// lists and watches etcd at the first read it answers, not before
// /readyz, and a resource nobody lists or watches (core/v1 Events when
// no client watches them, the autoscaling/v1 view of HPAs) holds none.
func storageFunc(client *clientv3.Client, caches *[]*cacher.Cacher, components **componentstatus.Storage, logger *slog.Logger) registry.StorageFunc {
	return func(r api.Resource, keyRoot string, newFunc, newListFunc func() runtime.Object, attrs storage.AttrFunc) (storage.Interface, error) {
		if r.GVR() == componentStatuses {
			*components = componentstatus.New(client)
			return *components, nil
		}
		codec := api.StorageCodec(r)
		c, err := cacher.New(cacher.Config{
			Storage: etcd3.New(client, codec, newFunc, newListFunc), ResourcePrefix: keyRoot,
			NewFunc: newFunc, NewListFunc: newListFunc, GetAttrs: attrs, Logger: logger, Lazy: true,
		})
		if err != nil {
			return nil, err
		}
		*caches = append(*caches, c)
		return c, nil
	}
}

// customResourceStorage returns the storage of one CRD's custom resources:
// a watch cache in front of etcd, values encoded by codec (JSON, as
// upstream). The CRD controller stops the cache once the CRD is gone.
func customResourceStorage(client *clientv3.Client, logger *slog.Logger) controller.StorageFunc {
	return func(keyRoot string, codec runtime.Codec, newFunc, newListFunc func() runtime.Object, attrs storage.AttrFunc) (storage.Interface, func(), error) {
		c, err := cacher.New(cacher.Config{
			Storage: etcd3.New(client, codec, newFunc, newListFunc), ResourcePrefix: keyRoot,
			NewFunc: newFunc, NewListFunc: newListFunc, GetAttrs: attrs, Logger: logger,
		})
		if err != nil {
			return nil, nil, err
		}
		return c, c.Stop, nil
	}
}

// SetComponentProbe makes componentstatuses answer for name with probe:
// `tinykube server`, which runs the scheduler and controller manager in
// its own process, reports them so instead of probing upstream's ports.
func (s *Server) SetComponentProbe(name string, probe componentstatus.Probe) {
	if s.components != nil {
		s.components.SetProbe(name, probe)
	}
}
