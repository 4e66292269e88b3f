package envvars

import (
	"context"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	clocktesting "k8s.io/utils/clock/testing"
)

// countingGetter serves one ConfigMap, "cm", counting its reads; any
// other name is not found.
type countingGetter struct{ reads int }

func (g *countingGetter) ConfigMap(_ context.Context, ns, name string) (*corev1.ConfigMap, error) {
	g.reads++
	if name != "cm" {
		return nil, apierrors.NewNotFound(schema.GroupResource{Resource: "configmaps"}, name)
	}
	return &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}, nil
}

func (g *countingGetter) Secret(context.Context, string, string) (*corev1.Secret, error) {
	panic("not used")
}

func TestCachingGetter(t *testing.T) {
	ctx := context.Background()
	clk := clocktesting.NewFakePassiveClock(time.Unix(1000, 0))
	src := &countingGetter{}
	g := &CachingGetter{Getter: src, TTL: 10 * time.Second, Clock: clk}
	for range 3 {
		if _, err := g.ConfigMap(ctx, "ns", "cm"); err != nil {
			t.Fatal(err)
		}
	}
	if src.reads != 1 {
		t.Fatalf("3 gets within the TTL read %d times, want 1", src.reads)
	}
	clk.SetTime(clk.Now().Add(10 * time.Second))
	if _, err := g.ConfigMap(ctx, "ns", "cm"); err != nil || src.reads != 2 {
		t.Fatalf("after the TTL: err %v, reads %d, want a second read", err, src.reads)
	}
	for range 2 {
		if _, err := g.ConfigMap(ctx, "ns", "missing"); !apierrors.IsNotFound(err) {
			t.Fatalf("missing: %v", err)
		}
	}
	if src.reads != 4 {
		t.Fatalf("a missing object was cached: %d reads, want 4", src.reads)
	}
}
