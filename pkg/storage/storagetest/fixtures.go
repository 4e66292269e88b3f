package storagetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	ktypes "k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/tinykube/tinykube/pkg/etcd"
	"github.com/tinykube/tinykube/pkg/storage"
)

// StartEtcd starts an embedded etcd in a temp dir for the test's lifetime.
func StartEtcd(t testing.TB) *clientv3.Client {
	t.Helper()
	e, err := etcd.StartEmbedded(context.Background(), etcd.Config{DataDir: t.TempDir(), UnsafeNoFsync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e.Client()
}

// PodCodec is a protobuf codec for core/v1 built on a scheme local to
// the tests, so stored values carry upstream's "k8s\x00" envelope.
func PodCodec() runtime.Codec {
	scheme := runtime.NewScheme()
	if err := corev1.AddToScheme(scheme); err != nil {
		panic(err)
	}
	metav1.AddToGroupVersion(scheme, schema.GroupVersion{Version: "v1"})
	codecs := serializer.NewCodecFactory(scheme)
	info, ok := runtime.SerializerInfoForMediaType(codecs.SupportedMediaTypes(), runtime.ContentTypeProtobuf)
	if !ok {
		panic("no protobuf serializer")
	}
	return codecs.CodecForVersions(info.Serializer, info.Serializer, corev1.SchemeGroupVersion, corev1.SchemeGroupVersion)
}

// NewPod and NewPodList are the newFunc/newListFunc of the suite's store.
func NewPod() runtime.Object     { return &corev1.Pod{} }
func NewPodList() runtime.Object { return &corev1.PodList{} }

// PodAttrs is the AttrFunc for pods: labels, metadata.name/namespace,
// spec.nodeName and status.phase.
func PodAttrs(obj runtime.Object) (labels.Set, fields.Set, error) {
	p, ok := obj.(*corev1.Pod)
	if !ok {
		return nil, nil, fmt.Errorf("not a pod: %T", obj)
	}
	return labels.Set(p.Labels), fields.Set{
		"metadata.name":      p.Name,
		"metadata.namespace": p.Namespace,
		"spec.nodeName":      p.Spec.NodeName,
		"status.phase":       string(p.Status.Phase),
	}, nil
}

// Pod returns a pod in namespace ns with optional labels k=v pairs.
func Pod(ns, name string, kv ...string) *corev1.Pod {
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, UID: ktypes.UID("uid-" + name)}}
	if len(kv) > 0 {
		p.Labels = map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			p.Labels[kv[i]] = kv[i+1]
		}
	}
	p.Spec.Containers = []corev1.Container{{Name: "c", Image: "busybox"}}
	return p
}

// Key is the registry key of pod ns/name.
func Key(ns, name string) string { return "/registry/pods/" + ns + "/" + name }

// Prefix is the registry key of namespace ns's pods ("" = all).
func Prefix(ns string) string {
	if ns == "" {
		return "/registry/pods/"
	}
	return "/registry/pods/" + ns + "/"
}

// Selector builds a label predicate.
func Selector(sel string) storage.Predicate {
	s, err := labels.Parse(sel)
	if err != nil {
		panic(err)
	}
	return storage.Predicate{Label: s, GetAttrs: PodAttrs}
}

// NextEvent waits up to 10s for an event on w.
func NextEvent(t testing.TB, w watch.Interface) watch.Event {
	t.Helper()
	select {
	case e, ok := <-w.ResultChan():
		if !ok {
			t.Fatal("watch closed, want an event")
		}
		return e
	case <-time.After(10 * time.Second):
		t.Fatal("no watch event within 10s")
	}
	return watch.Event{}
}

// NoEvent asserts that w delivers nothing for a short while.
func NoEvent(t testing.TB, w watch.Interface) {
	t.Helper()
	select {
	case e, ok := <-w.ResultChan():
		if ok {
			t.Fatalf("unexpected event %s %v", e.Type, describe(e.Object))
		}
	case <-time.After(100 * time.Millisecond):
	}
}

func describe(obj runtime.Object) string {
	switch o := obj.(type) {
	case *corev1.Pod:
		return o.Namespace + "/" + o.Name + "@" + o.ResourceVersion
	case *metav1.Status:
		return fmt.Sprintf("Status %d %s %s", o.Code, o.Reason, o.Message)
	}
	return fmt.Sprintf("%T", obj)
}

func metaAccessor(obj runtime.Object) (metav1.Common, error) { return meta.CommonAccessor(obj) }
