package validation

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	resourcev1 "k8s.io/api/resource/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

func validClaimSpec() resourcev1.ResourceClaimSpec {
	return resourcev1.ResourceClaimSpec{Devices: resourcev1.DeviceClaim{Requests: []resourcev1.DeviceRequest{{
		Name: "gpu", Exactly: &resourcev1.ExactDeviceRequest{DeviceClassName: "gpu.example.com",
			AllocationMode: resourcev1.DeviceAllocationModeExactCount, Count: 1}}}}}
}

func validSliceSpec() resourcev1.ResourceSliceSpec {
	return resourcev1.ResourceSliceSpec{Driver: "gpu.example.com", NodeName: ptr("n1"),
		Pool:    resourcev1.ResourcePool{Name: "n1", ResourceSliceCount: 1},
		Devices: []resourcev1.Device{{Name: "gpu-0"}}}
}

// TestResourceRules: each case breaks one rule of a valid resource.k8s.io
// object and expects the error upstream reports, at its path.
func TestResourceRules(t *testing.T) {
	meta := func(ns string) metav1.ObjectMeta { return metav1.ObjectMeta{Name: "x", Namespace: ns} }
	claim := func(edit func(*resourcev1.ResourceClaimSpec)) runtime.Object {
		s := validClaimSpec()
		edit(&s)
		return &resourcev1.ResourceClaim{ObjectMeta: meta("ns"), Spec: s}
	}
	slice := func(edit func(*resourcev1.ResourceSliceSpec)) runtime.Object {
		s := validSliceSpec()
		edit(&s)
		return &resourcev1.ResourceSlice{ObjectMeta: meta(""), Spec: s}
	}
	for _, tc := range []struct {
		name  string
		obj   runtime.Object
		field string
		typ   field.ErrorType
	}{
		{"claim request neither exactly nor firstAvailable", claim(func(s *resourcev1.ResourceClaimSpec) {
			s.Devices.Requests[0].Exactly = nil
		}), "spec.devices.requests[0]", field.ErrorTypeRequired},
		{"claim request both", claim(func(s *resourcev1.ResourceClaimSpec) {
			s.Devices.Requests[0].FirstAvailable = []resourcev1.DeviceSubRequest{{Name: "a", DeviceClassName: "c",
				AllocationMode: resourcev1.DeviceAllocationModeAll}}
		}), "spec.devices.requests[0]", field.ErrorTypeInvalid},
		{"claim request name not a label", claim(func(s *resourcev1.ResourceClaimSpec) { s.Devices.Requests[0].Name = "GPU" }),
			"spec.devices.requests[0].name", field.ErrorTypeInvalid},
		{"claim duplicate request", claim(func(s *resourcev1.ResourceClaimSpec) {
			s.Devices.Requests = append(s.Devices.Requests, s.Devices.Requests[0])
		}), "spec.devices.requests[1].name", field.ErrorTypeDuplicate},
		{"claim without class", claim(func(s *resourcev1.ResourceClaimSpec) { s.Devices.Requests[0].Exactly.DeviceClassName = "" }),
			"spec.devices.requests[0].exactly.deviceClassName", field.ErrorTypeRequired},
		{"claim zero count", claim(func(s *resourcev1.ResourceClaimSpec) { s.Devices.Requests[0].Exactly.Count = 0 }),
			"spec.devices.requests[0].exactly.count", field.ErrorTypeInvalid},
		{"claim count with All", claim(func(s *resourcev1.ResourceClaimSpec) {
			s.Devices.Requests[0].Exactly.AllocationMode = resourcev1.DeviceAllocationModeAll
		}), "spec.devices.requests[0].exactly.count", field.ErrorTypeInvalid},
		{"claim unknown allocation mode", claim(func(s *resourcev1.ResourceClaimSpec) {
			s.Devices.Requests[0].Exactly.AllocationMode = "Some"
		}), "spec.devices.requests[0].exactly.allocationMode", field.ErrorTypeNotSupported},
		{"claim selector without cel", claim(func(s *resourcev1.ResourceClaimSpec) {
			s.Devices.Requests[0].Exactly.Selectors = []resourcev1.DeviceSelector{{}}
		}), "spec.devices.requests[0].exactly.selectors[0].cel", field.ErrorTypeRequired},
		{"claim subrequest without class", claim(func(s *resourcev1.ResourceClaimSpec) {
			s.Devices.Requests[0].Exactly = nil
			s.Devices.Requests[0].FirstAvailable = []resourcev1.DeviceSubRequest{{Name: "a",
				AllocationMode: resourcev1.DeviceAllocationModeExactCount, Count: 1}}
		}), "spec.devices.requests[0].firstAvailable[0].deviceClassName", field.ErrorTypeRequired},
		{"claim constraint on unknown request", claim(func(s *resourcev1.ResourceClaimSpec) {
			s.Devices.Constraints = []resourcev1.DeviceConstraint{{Requests: []string{"nic"}, MatchAttribute: ptr(resourcev1.FullyQualifiedName("example.com/numa"))}}
		}), "spec.devices.constraints[0].requests[0]", field.ErrorTypeInvalid},
		{"claim constraint attribute without domain", claim(func(s *resourcev1.ResourceClaimSpec) {
			s.Devices.Constraints = []resourcev1.DeviceConstraint{{MatchAttribute: ptr(resourcev1.FullyQualifiedName("numa"))}}
		}), "spec.devices.constraints[0].matchAttribute", field.ErrorTypeInvalid},
		{"claim config not a JSON object", claim(func(s *resourcev1.ResourceClaimSpec) {
			s.Devices.Config = []resourcev1.DeviceClaimConfiguration{{DeviceConfiguration: resourcev1.DeviceConfiguration{
				Opaque: &resourcev1.OpaqueDeviceConfiguration{Driver: "gpu.example.com", Parameters: runtime.RawExtension{Raw: []byte("[1]")}}}}}
		}), "spec.devices.config[0].opaque.parameters", field.ErrorTypeInvalid},
		{"claim toleration value with Exists", claim(func(s *resourcev1.ResourceClaimSpec) {
			s.Devices.Requests[0].Exactly.Tolerations = []resourcev1.DeviceToleration{{Key: "k", Operator: resourcev1.DeviceTolerationOpExists, Value: "v"}}
		}), "spec.devices.requests[0].exactly.tolerations[0].value", field.ErrorTypeInvalid},
		{"claim name", &resourcev1.ResourceClaim{ObjectMeta: metav1.ObjectMeta{Name: "Bad_Name", Namespace: "ns"}, Spec: validClaimSpec()},
			"metadata.name", field.ErrorTypeInvalid},
		{"template labels", &resourcev1.ResourceClaimTemplate{ObjectMeta: meta("ns"), Spec: resourcev1.ResourceClaimTemplateSpec{
			ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"a": "not valid!"}}, Spec: validClaimSpec()}},
			"spec.metadata.labels", field.ErrorTypeInvalid},
		{"template request", &resourcev1.ResourceClaimTemplate{ObjectMeta: meta("ns"), Spec: resourcev1.ResourceClaimTemplateSpec{
			Spec: resourcev1.ResourceClaimSpec{Devices: resourcev1.DeviceClaim{Requests: []resourcev1.DeviceRequest{{Name: "a"}}}}}},
			"spec.spec.devices.requests[0]", field.ErrorTypeRequired},
		{"class selector expression empty", &resourcev1.DeviceClass{ObjectMeta: meta(""), Spec: resourcev1.DeviceClassSpec{
			Selectors: []resourcev1.DeviceSelector{{CEL: &resourcev1.CELDeviceSelector{}}}}},
			"spec.selectors[0].cel.expression", field.ErrorTypeRequired},
		{"class config without opaque", &resourcev1.DeviceClass{ObjectMeta: meta(""), Spec: resourcev1.DeviceClassSpec{
			Config: []resourcev1.DeviceClassConfiguration{{}}}}, "spec.config[0].opaque", field.ErrorTypeRequired},
		{"class extended resource name native", &resourcev1.DeviceClass{ObjectMeta: meta(""), Spec: resourcev1.DeviceClassSpec{
			ExtendedResourceName: ptr("cpu")}}, "spec.extendedResourceName", field.ErrorTypeInvalid},
		{"slice without node selection", slice(func(s *resourcev1.ResourceSliceSpec) { s.NodeName = nil }),
			"spec", field.ErrorTypeRequired},
		{"slice with two node selections", slice(func(s *resourcev1.ResourceSliceSpec) { s.AllNodes = ptr(true) }),
			"spec", field.ErrorTypeInvalid},
		{"slice allNodes false", slice(func(s *resourcev1.ResourceSliceSpec) { s.AllNodes = ptr(false) }),
			"spec.allNodes", field.ErrorTypeInvalid},
		{"slice node selector with two terms", slice(func(s *resourcev1.ResourceSliceSpec) {
			s.NodeName = nil
			term := corev1.NodeSelectorTerm{MatchExpressions: []corev1.NodeSelectorRequirement{{Key: "zone", Operator: corev1.NodeSelectorOpExists}}}
			s.NodeSelector = &corev1.NodeSelector{NodeSelectorTerms: []corev1.NodeSelectorTerm{term, term}}
		}), "spec.nodeSelector.nodeSelectorTerms", field.ErrorTypeInvalid},
		{"slice without driver", slice(func(s *resourcev1.ResourceSliceSpec) { s.Driver = "" }), "spec.driver", field.ErrorTypeRequired},
		{"slice without pool", slice(func(s *resourcev1.ResourceSliceSpec) { s.Pool.Name = "" }), "spec.pool.name", field.ErrorTypeRequired},
		{"slice zero slice count", slice(func(s *resourcev1.ResourceSliceSpec) { s.Pool.ResourceSliceCount = 0 }),
			"spec.pool.resourceSliceCount", field.ErrorTypeInvalid},
		{"slice duplicate device", slice(func(s *resourcev1.ResourceSliceSpec) { s.Devices = append(s.Devices, s.Devices[0]) }),
			"spec.devices[1].name", field.ErrorTypeDuplicate},
		{"slice device node without per-device selection", slice(func(s *resourcev1.ResourceSliceSpec) { s.Devices[0].NodeName = ptr("n1") }),
			"spec.devices[0]", field.ErrorTypeInvalid},
		{"slice attribute with two values", slice(func(s *resourcev1.ResourceSliceSpec) {
			s.Devices[0].Attributes = map[resourcev1.QualifiedName]resourcev1.DeviceAttribute{"model": {IntValue: ptr(int64(1)), BoolValue: ptr(true)}}
		}), "spec.devices[0].attributes[model]", field.ErrorTypeInvalid},
		{"slice taint bad effect", slice(func(s *resourcev1.ResourceSliceSpec) {
			s.Devices[0].Taints = []resourcev1.DeviceTaint{{Key: "k", Effect: "Evict"}}
		}), "spec.devices[0].taints[0].effect", field.ErrorTypeNotSupported},
		{"taint rule without effect", &resourcev1.DeviceTaintRule{ObjectMeta: meta(""), Spec: resourcev1.DeviceTaintRuleSpec{
			Taint: resourcev1.DeviceTaint{Key: "example.com/broken"}}}, "spec.taint.effect", field.ErrorTypeRequired},
		{"taint rule bad key", &resourcev1.DeviceTaintRule{ObjectMeta: meta(""), Spec: resourcev1.DeviceTaintRuleSpec{
			Taint: resourcev1.DeviceTaint{Key: "not a key", Effect: resourcev1.DeviceTaintEffectNone}}}, "spec.taint.key", field.ErrorTypeInvalid},
		{"taint rule bad pool", &resourcev1.DeviceTaintRule{ObjectMeta: meta(""), Spec: resourcev1.DeviceTaintRuleSpec{
			DeviceSelector: &resourcev1.DeviceTaintSelector{Pool: ptr("Bad/")},
			Taint:          resourcev1.DeviceTaint{Key: "k", Effect: resourcev1.DeviceTaintEffectNone}}}, "spec.deviceSelector.pool", field.ErrorTypeInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if errs := ValidateCreate(tc.obj); !hasError(errs, tc.field, tc.typ) {
				t.Errorf("want %s at %s, got %v", tc.typ, tc.field, errs)
			}
		})
	}

	valid := []runtime.Object{
		claim(func(*resourcev1.ResourceClaimSpec) {}),
		slice(func(*resourcev1.ResourceSliceSpec) {}),
		&resourcev1.DeviceClass{ObjectMeta: meta(""), Spec: resourcev1.DeviceClassSpec{ExtendedResourceName: ptr("example.com/gpu"),
			Selectors: []resourcev1.DeviceSelector{{CEL: &resourcev1.CELDeviceSelector{Expression: `device.driver == "gpu.example.com"`}}}}},
		&resourcev1.DeviceTaintRule{ObjectMeta: meta(""), Spec: resourcev1.DeviceTaintRuleSpec{
			Taint: resourcev1.DeviceTaint{Key: "example.com/broken", Effect: resourcev1.DeviceTaintEffectNoExecute}}},
	}
	for _, obj := range valid {
		if errs := ValidateCreate(obj); len(errs) > 0 {
			t.Errorf("%T: %v", obj, errs)
		}
	}
}

// TestResourceUpdates: a claim's and a template's spec never change, a
// slice keeps its driver, pool and node, and a claim's allocation needs
// to be made once and kept.
func TestResourceUpdates(t *testing.T) {
	m := metav1.ObjectMeta{Name: "x", Namespace: "ns", ResourceVersion: "1"}
	c := &resourcev1.ResourceClaim{ObjectMeta: m, Spec: validClaimSpec()}
	c2 := c.DeepCopy()
	c2.Spec.Devices.Requests[0].Exactly.Count = 2
	if errs := ValidateUpdate(c2, c); !hasError(errs, "spec", field.ErrorTypeInvalid) {
		t.Errorf("claim spec change: %v", errs)
	}
	tpl := &resourcev1.ResourceClaimTemplate{ObjectMeta: m, Spec: resourcev1.ResourceClaimTemplateSpec{Spec: validClaimSpec()}}
	tpl2 := tpl.DeepCopy()
	tpl2.Spec.Spec.Devices.Requests = nil
	if errs := ValidateUpdate(tpl2, tpl); !hasError(errs, "spec", field.ErrorTypeInvalid) {
		t.Errorf("template spec change: %v", errs)
	}
	s := &resourcev1.ResourceSlice{ObjectMeta: metav1.ObjectMeta{Name: "x", ResourceVersion: "1"}, Spec: validSliceSpec()}
	s2 := s.DeepCopy()
	s2.Spec.Driver, s2.Spec.NodeName = "other.example.com", ptr("n2")
	for _, p := range []string{"spec.driver", "spec.nodeName"} {
		if errs := ValidateUpdate(s2, s); !hasError(errs, p, field.ErrorTypeInvalid) {
			t.Errorf("slice %s change: %v", p, errs)
		}
	}

	// Status: reservedFor needs an allocation; results must name a request.
	st := c.DeepCopy()
	st.Status.ReservedFor = []resourcev1.ResourceClaimConsumerReference{{Resource: "pods", Name: "p", UID: "u1"}}
	if errs := ValidateStatusUpdate(st, c); !hasError(errs, "status.reservedFor", field.ErrorTypeForbidden) {
		t.Errorf("reservedFor without allocation: %v", errs)
	}
	result := resourcev1.DeviceRequestAllocationResult{Request: "gpu", Driver: "gpu.example.com", Pool: "n1", Device: "gpu-0"}
	st.Status.Allocation = &resourcev1.AllocationResult{Devices: resourcev1.DeviceAllocationResult{
		Results: []resourcev1.DeviceRequestAllocationResult{result}}}
	if errs := ValidateStatusUpdate(st, c); len(errs) > 0 {
		t.Errorf("valid allocation: %v", errs)
	}
	bad := st.DeepCopy()
	bad.Status.Allocation.Devices.Results[0].Request = "nic"
	if errs := ValidateStatusUpdate(bad, c); !hasError(errs, "status.allocation.devices.results[0].request", field.ErrorTypeInvalid) {
		t.Errorf("result for unknown request: %v", errs)
	}
	moved := st.DeepCopy()
	moved.Status.Allocation.Devices.Results[0].Device = "gpu-1"
	if errs := ValidateStatusUpdate(moved, st); !hasError(errs, "status.allocation", field.ErrorTypeInvalid) {
		t.Errorf("allocation change: %v", errs)
	}
	deleting := st.DeepCopy()
	deleting.DeletionTimestamp = &metav1.Time{}
	more := deleting.DeepCopy()
	more.Status.ReservedFor = append(more.Status.ReservedFor, resourcev1.ResourceClaimConsumerReference{Resource: "pods", Name: "q", UID: "u2"})
	if errs := ValidateStatusUpdate(more, deleting); !hasError(errs, "status.reservedFor", field.ErrorTypeForbidden) {
		t.Errorf("new consumer while deleting: %v", errs)
	}
}
