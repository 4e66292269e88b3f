package validation

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// TestExternalTrafficPolicyExternalIPs: a ClusterIP Service with
// externalIPs is externally accessible (upstream's
// apiservice.ExternallyAccessible), so its defaulted
// externalTrafficPolicy is valid; without them it is not.
func TestExternalTrafficPolicyExternalIPs(t *testing.T) {
	for _, tc := range []struct {
		externalIPs []string
		wantErr     bool
	}{{[]string{"192.0.2.10"}, false}, {nil, true}} {
		svc := fixtures(t)["Service"].(*corev1.Service)
		svc.Spec.Type = corev1.ServiceTypeClusterIP
		svc.Spec.ExternalIPs = tc.externalIPs
		svc.Spec.ExternalTrafficPolicy = corev1.ServiceExternalTrafficPolicyCluster
		errs := ValidateCreate(svc)
		if got := hasError(errs, "spec.externalTrafficPolicy", field.ErrorTypeInvalid); got != tc.wantErr {
			t.Errorf("externalIPs %v: errors %v, want an externalTrafficPolicy error: %v", tc.externalIPs, errs, tc.wantErr)
		}
	}
}
