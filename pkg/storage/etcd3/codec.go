package etcd3

import (
	"fmt"
	"reflect"

	"go.etcd.io/etcd/api/v3/mvccpb"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/tinykube/tinykube/pkg/storage"
)

type mvccKV = mvccpb.KeyValue

// encode serializes obj for storage. Like upstream it clears the
// resourceVersion on obj first: the revision lives in etcd, not in the
// value, so an unchanged object always encodes to the same bytes.
func (s *Store) encode(obj runtime.Object) ([]byte, error) {
	m, err := meta.Accessor(obj)
	if err != nil {
		return nil, err
	}
	m.SetResourceVersion("")
	m.SetSelfLink("")
	return runtime.Encode(s.codec, obj)
}

// decode fills into from data and sets its resourceVersion to rev.
func (s *Store) decode(data []byte, into runtime.Object, rev int64) error {
	if _, _, err := s.codec.Decode(data, nil, into); err != nil {
		return err
	}
	return setRV(into, rev)
}

func metaAccessor(obj runtime.Object) (metav1.Object, error) { return meta.Accessor(obj) }

func setRV(obj runtime.Object, rev int64) error {
	m, err := meta.Accessor(obj)
	if err != nil {
		return err
	}
	m.SetResourceVersion(storage.FormatResourceVersion(rev))
	return nil
}

// copyInto sets *out = *src (two pointers to the same struct type, src
// owned by the caller) and out's resourceVersion to rev.
func copyInto(src, out runtime.Object, rev int64) error {
	sv, ov := reflect.ValueOf(src), reflect.ValueOf(out)
	if sv.Type() != ov.Type() || ov.Kind() != reflect.Pointer {
		return fmt.Errorf("cannot copy %T into %T", src, out)
	}
	ov.Elem().Set(sv.Elem())
	return setRV(out, rev)
}
