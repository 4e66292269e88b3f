package validation

import (
	"testing"
)

func TestValidFixturesPass(t *testing.T) {
	for kind, obj := range fixtures(t) {
		t.Run(kind, func(t *testing.T) {
			if errs := ValidateCreate(obj); len(errs) > 0 {
				t.Fatalf("create: %v", errs.ToAggregate())
			}
			if errs := ValidateUpdate(obj.DeepCopyObject(), obj); len(errs) > 0 {
				t.Fatalf("update: %v", errs.ToAggregate())
			}
			if errs := ValidateStatusUpdate(obj.DeepCopyObject(), obj); len(errs) > 0 {
				t.Fatalf("status update: %v", errs.ToAggregate())
			}
		})
	}
}
