package defaults_test

import (
	"testing"
	"time"

	resourcev1 "k8s.io/api/resource/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestResourceDefaults(t *testing.T) {
	runDefaultCases(t, []defaultCase{{
		name: "claim requests: ExactCount of one, tolerations Equal",
		in: `
apiVersion: resource.k8s.io/v1
kind: ResourceClaim
metadata: {name: c, namespace: ns}
spec:
  devices:
    requests:
    - name: gpu
      exactly: {deviceClassName: gpu, tolerations: [{key: k, value: v}]}
    - name: all
      exactly: {deviceClassName: gpu, allocationMode: All}
    - name: alt
      firstAvailable:
      - {name: big, deviceClassName: big, count: 2}
      - {name: small, deviceClassName: small}`,
		want: `
apiVersion: resource.k8s.io/v1
kind: ResourceClaim
metadata: {name: c, namespace: ns}
spec:
  devices:
    requests:
    - name: gpu
      exactly: {deviceClassName: gpu, allocationMode: ExactCount, count: 1, tolerations: [{key: k, value: v, operator: Equal}]}
    - name: all
      exactly: {deviceClassName: gpu, allocationMode: All}
    - name: alt
      firstAvailable:
      - {name: big, deviceClassName: big, allocationMode: ExactCount, count: 2}
      - {name: small, deviceClassName: small, allocationMode: ExactCount, count: 1}
status: {}`,
	}, {
		name: "claim template requests",
		in: `
apiVersion: resource.k8s.io/v1
kind: ResourceClaimTemplate
metadata: {name: t, namespace: ns}
spec: {spec: {devices: {requests: [{name: gpu, exactly: {deviceClassName: gpu}}]}}}`,
		want: `
apiVersion: resource.k8s.io/v1
kind: ResourceClaimTemplate
metadata: {name: t, namespace: ns}
spec: {metadata: {}, spec: {devices: {requests: [{name: gpu, exactly: {deviceClassName: gpu, allocationMode: ExactCount, count: 1}}]}}}`,
	}})
}

// TestDeviceTaintTimeAdded: a taint without timeAdded was added now, to
// the second; a set one is kept.
func TestDeviceTaintTimeAdded(t *testing.T) {
	before := time.Now().Truncate(time.Second)
	rule := &resourcev1.DeviceTaintRule{Spec: resourcev1.DeviceTaintRuleSpec{Taint: resourcev1.DeviceTaint{Key: "k", Effect: "None"}}}
	scheme.Default(rule)
	if got := rule.Spec.Taint.TimeAdded; got == nil || got.Before(&metav1.Time{Time: before}) || got.Nanosecond() != 0 {
		t.Errorf("rule timeAdded = %v, want now to the second", got)
	}
	set := metav1.NewTime(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	slice := &resourcev1.ResourceSlice{Spec: resourcev1.ResourceSliceSpec{Devices: []resourcev1.Device{{Name: "d",
		Taints: []resourcev1.DeviceTaint{{Key: "a", Effect: "None"}, {Key: "b", Effect: "None", TimeAdded: &set}}}}}}
	scheme.Default(slice)
	taints := slice.Spec.Devices[0].Taints
	if taints[0].TimeAdded == nil || !taints[1].TimeAdded.Equal(&set) {
		t.Errorf("slice taints = %+v", taints)
	}
}
