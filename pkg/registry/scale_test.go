package registry

import (
	"testing"

	"github.com/tinykube/tinykube/pkg/api"
)

// TestScalers: every row with a …/scale subresource has a Scaler that
// reads spec.replicas (1 when unset) and writes it back.
func TestScalers(t *testing.T) {
	n := 0
	for _, r := range api.Resources {
		s, err := scalerFor(r)
		if err != nil {
			t.Fatal(err)
		}
		if s == nil {
			continue
		}
		n++
		obj, err := api.Scheme.New(r.GVK())
		if err != nil {
			t.Fatal(err)
		}
		sc, err := s.Scale(obj)
		if err != nil || sc.Spec.Replicas != 1 {
			t.Errorf("%s: unset replicas scale as %v, %v; want 1", r.Name, sc, err)
		}
		if err := s.SetReplicas(obj, 4); err != nil {
			t.Fatalf("%s: %v", r.Name, err)
		}
		if sc, err = s.Scale(obj); err != nil || sc.Spec.Replicas != 4 {
			t.Errorf("%s: after SetReplicas(4) scale is %v, %v", r.Name, sc, err)
		}
	}
	if n != len(scalers) {
		t.Errorf("%d rows with a scale subresource, %d scalers: one names no such row", n, len(scalers))
	}
}
