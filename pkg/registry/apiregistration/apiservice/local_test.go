package apiservice

import (
	"context"
	"testing"

	apiregistrationv1 "k8s.io/kube-aggregator/pkg/apis/apiregistration/v1"

	"github.com/tinykube/tinykube/pkg/api"
)

// TestLocal: every served group version but apiregistration.k8s.io has a
// valid local APIService.
func TestLocal(t *testing.T) {
	for _, gv := range api.GroupVersions {
		a, ok := Local(gv)
		if gv.Group == apiregistrationv1.GroupName {
			if ok {
				t.Errorf("%s registered", gv)
			}
			continue
		}
		if !ok {
			t.Errorf("%s has no priority", gv)
			continue
		}
		if errs := strategy(t).Validate(context.Background(), a); len(errs) > 0 {
			t.Errorf("%s: %v", a.Name, errs)
		}
	}
}
