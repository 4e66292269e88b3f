package cacher_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/tinykube/tinykube/pkg/storage"
	"github.com/tinykube/tinykube/pkg/storage/storagetest"
)

// BenchmarkCreate measures write throughput through the cache (which
// passes writes to etcd) with parallel writers, fsync disabled.
func BenchmarkCreate(b *testing.B) {
	client := storagetest.StartEtcd(b)
	c := newCacher(b, client)
	var n atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			p := storagetest.Pod("bench", fmt.Sprint("p", i))
			if err := c.Create(context.Background(), storagetest.Key("bench", p.Name), p, &corev1.Pod{}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkList10k lists 10,000 pods from the cache.
func BenchmarkList10k(b *testing.B) {
	client := storagetest.StartEtcd(b)
	c := newCacher(b, client)
	ctx := context.Background()
	var last *corev1.Pod
	for i := range 10000 {
		p := storagetest.Pod(fmt.Sprint("ns", i%10), fmt.Sprintf("p%05d", i), "app", fmt.Sprint("a", i%4))
		last = &corev1.Pod{}
		if err := c.Create(ctx, storagetest.Key(p.Namespace, p.Name), p, last); err != nil {
			b.Fatal(err)
		}
	}
	for _, bc := range []struct {
		name   string
		prefix string
		opts   storage.ListOptions
		want   int
	}{
		{"rv=0", storagetest.Prefix(""), storage.ListOptions{ResourceVersion: "0"}, 10000},
		{"consistent", storagetest.Prefix(""), storage.ListOptions{}, 10000},
		{"rv=0/selector", storagetest.Prefix(""), storage.ListOptions{ResourceVersion: "0", Predicate: storagetest.Selector("app=a1")}, 2500},
		{"rv=0/namespace", storagetest.Prefix("ns3"), storage.ListOptions{ResourceVersion: "0"}, 1000},
	} {
		opts := bc.opts
		opts.Recursive = true
		// Wait for the cache to hold everything.
		if err := c.GetList(ctx, bc.prefix, storage.ListOptions{Recursive: true, ResourceVersion: last.ResourceVersion}, &corev1.PodList{}); err != nil {
			b.Fatal(err)
		}
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				l := &corev1.PodList{}
				if err := c.GetList(ctx, bc.prefix, opts, l); err != nil {
					b.Fatal(err)
				}
				if len(l.Items) != bc.want {
					b.Fatalf("%d items, want %d", len(l.Items), bc.want)
				}
			}
		})
		// What the API uses for JSON and protobuf: the cached objects, no copies.
		b.Run(bc.name+"/cached-objects", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				l, err := c.ListCachedObjects(ctx, bc.prefix, opts)
				if err != nil {
					b.Fatal(err)
				}
				if len(l.Items) != bc.want {
					b.Fatalf("%d items, want %d", len(l.Items), bc.want)
				}
			}
		})
	}
}
