package integration

import (
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	resourcev1 "k8s.io/api/resource/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"

	"github.com/tinykube/tinykube/internal/testserver"
)

// TestDynamicResourceAllocationAPI drives resource.k8s.io/v1 through
// client-go's typed clients as a DRA driver, the scheduler and kubectl
// would: discovery as upstream's, a claim's defaults, its spec kept and
// its status written only through /status and allocated once, a slice's
// node selection checked and its selectable fields, a taint rule's
// generation and timeAdded, the etcd keys, and kubectl get's columns.
func TestDynamicResourceAllocationAPI(t *testing.T) {
	s := testserver.Start(t, "")
	ctx := t.Context()
	createNamespace(t, s, "dra")
	rv1 := s.Client.ResourceV1()

	// Discovery: the five resources, scope and subresources as upstream,
	// without short names or categories.
	list, err := s.Client.Discovery().ServerResourcesForGroupVersion("resource.k8s.io/v1")
	if err != nil {
		t.Fatal(err)
	}
	served := map[string]string{}
	for _, r := range list.APIResources {
		served[r.Name] = fmt.Sprintf("%s namespaced=%v short=%v categories=%v", r.Kind, r.Namespaced, r.ShortNames, r.Categories)
	}
	for name, want := range map[string]string{
		"deviceclasses":           "DeviceClass namespaced=false short=[] categories=[]",
		"devicetaintrules":        "DeviceTaintRule namespaced=false short=[] categories=[]",
		"devicetaintrules/status": "DeviceTaintRule namespaced=false short=[] categories=[]",
		"resourceclaims":          "ResourceClaim namespaced=true short=[] categories=[]",
		"resourceclaims/status":   "ResourceClaim namespaced=true short=[] categories=[]",
		"resourceclaimtemplates":  "ResourceClaimTemplate namespaced=true short=[] categories=[]",
		"resourceslices":          "ResourceSlice namespaced=false short=[] categories=[]",
	} {
		if served[name] != want {
			t.Errorf("discovery %s = %q, want %q", name, served[name], want)
		}
	}
	if len(served) != 7 {
		t.Errorf("resource.k8s.io/v1 serves %d resources and subresources, want 7: %v", len(served), served)
	}

	// A claim: defaults applied, status dropped on create.
	claims := rv1.ResourceClaims("dra")
	claim, err := claims.Create(ctx, &resourcev1.ResourceClaim{
		ObjectMeta: metav1.ObjectMeta{Name: "gpu"},
		Spec: resourcev1.ResourceClaimSpec{Devices: resourcev1.DeviceClaim{Requests: []resourcev1.DeviceRequest{{
			Name: "gpu", Exactly: &resourcev1.ExactDeviceRequest{DeviceClassName: "gpu.example.com",
				Tolerations: []resourcev1.DeviceToleration{{Key: "example.com/maintenance"}}}}}}},
		Status: resourcev1.ResourceClaimStatus{ReservedFor: []resourcev1.ResourceClaimConsumerReference{{Resource: "pods", Name: "p", UID: "u"}}},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	exact := claim.Spec.Devices.Requests[0].Exactly
	if exact.AllocationMode != resourcev1.DeviceAllocationModeExactCount || exact.Count != 1 ||
		exact.Tolerations[0].Operator != resourcev1.DeviceTolerationOpEqual {
		t.Errorf("claim request not defaulted: %+v", exact)
	}
	if len(claim.Status.ReservedFor) != 0 || claim.Generation != 0 {
		t.Errorf("claim create: status %+v, generation %d", claim.Status, claim.Generation)
	}

	// The spec never changes.
	changed := claim.DeepCopy()
	changed.Spec.Devices.Requests[0].Exactly.Count = 2
	if _, err := claims.Update(ctx, changed, metav1.UpdateOptions{}); !apierrors.IsInvalid(err) {
		t.Errorf("claim spec update: %v, want Invalid", err)
	}

	// The scheduler allocates and reserves through /status; consumers
	// need an allocation, and an allocation, once made, stays.
	reserve := claim.DeepCopy()
	reserve.Status.ReservedFor = []resourcev1.ResourceClaimConsumerReference{{Resource: "pods", Name: "p", UID: "u"}}
	if _, err := claims.UpdateStatus(ctx, reserve, metav1.UpdateOptions{}); !apierrors.IsInvalid(err) {
		t.Errorf("reservedFor without allocation: %v, want Invalid", err)
	}
	reserve.Status.Allocation = &resourcev1.AllocationResult{Devices: resourcev1.DeviceAllocationResult{
		Results: []resourcev1.DeviceRequestAllocationResult{{Request: "gpu", Driver: "gpu.example.com", Pool: "n1", Device: "gpu-0"}}}}
	allocated, err := claims.UpdateStatus(ctx, reserve, metav1.UpdateOptions{})
	if err != nil {
		t.Fatalf("allocate: %v", err)
	}
	moved := allocated.DeepCopy()
	moved.Status.Allocation.Devices.Results[0].Device = "gpu-1"
	if _, err := claims.UpdateStatus(ctx, moved, metav1.UpdateOptions{}); !apierrors.IsInvalid(err) {
		t.Errorf("allocation change: %v, want Invalid", err)
	}
	// The main endpoint keeps the status it does not own.
	relabel := allocated.DeepCopy()
	relabel.Labels = map[string]string{"team": "ml"}
	relabel.Status = resourcev1.ResourceClaimStatus{}
	kept, err := claims.Update(ctx, relabel, metav1.UpdateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if kept.Status.Allocation == nil || len(kept.Status.ReservedFor) != 1 || kept.Labels["team"] != "ml" {
		t.Errorf("main endpoint update: labels %v, status %+v", kept.Labels, kept.Status)
	}

	// Etcd keys: /registry/<resource>[/<namespace>]/<name>, as upstream.
	if resp, err := s.EtcdClient().Get(ctx, "/registry/resourceclaims/dra/gpu"); err != nil || len(resp.Kvs) != 1 {
		t.Errorf("etcd /registry/resourceclaims/dra/gpu: %v, %v", resp, err)
	}

	// A claim template's spec never changes either.
	templates := rv1.ResourceClaimTemplates("dra")
	tpl, err := templates.Create(ctx, &resourcev1.ResourceClaimTemplate{ObjectMeta: metav1.ObjectMeta{Name: "gpu"},
		Spec: resourcev1.ResourceClaimTemplateSpec{Spec: claim.Spec}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	tpl.Spec.Spec.Devices.Requests[0].Name = "other"
	if _, err := templates.Update(ctx, tpl, metav1.UpdateOptions{}); !apierrors.IsInvalid(err) {
		t.Errorf("template spec update: %v, want Invalid", err)
	}

	// Slices: exactly one node selection; generation follows the spec;
	// selectable by node, driver and pool.
	slicesClient := rv1.ResourceSlices()
	slice := func(name, node, driver string) *resourcev1.ResourceSlice {
		return &resourcev1.ResourceSlice{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: resourcev1.ResourceSliceSpec{
			Driver: driver, NodeName: &node, Pool: resourcev1.ResourcePool{Name: node, ResourceSliceCount: 1},
			Devices: []resourcev1.Device{{Name: "dev-0"}}}}
	}
	both := slice("both", "n1", "gpu.example.com")
	both.Spec.AllNodes = new(bool)
	*both.Spec.AllNodes = true
	if _, err := slicesClient.Create(ctx, both, metav1.CreateOptions{}); !apierrors.IsInvalid(err) {
		t.Errorf("slice with nodeName and allNodes: %v, want Invalid", err)
	}
	for _, sl := range []*resourcev1.ResourceSlice{slice("n1-gpu", "n1", "gpu.example.com"), slice("n2-gpu", "n2", "gpu.example.com"),
		slice("n1-nic", "n1", "nic.example.com")} {
		created, err := slicesClient.Create(ctx, sl, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if created.Generation != 1 {
			t.Errorf("slice %s generation %d, want 1", created.Name, created.Generation)
		}
	}
	for selector, want := range map[string][]string{
		"spec.nodeName=n1":                             {"n1-gpu", "n1-nic"},
		"spec.driver=gpu.example.com":                  {"n1-gpu", "n2-gpu"},
		"spec.nodeName=n1,spec.driver=nic.example.com": {"n1-nic"},
		"spec.pool.name=n2":                            {"n2-gpu"},
	} {
		l, err := slicesClient.List(ctx, metav1.ListOptions{FieldSelector: selector})
		if err != nil {
			t.Fatalf("%s: %v", selector, err)
		}
		var names []string
		for _, it := range l.Items {
			names = append(names, it.Name)
		}
		slices.Sort(names)
		if !slices.Equal(names, want) {
			t.Errorf("field selector %s: %v, want %v", selector, names, want)
		}
	}
	if _, err := slicesClient.List(ctx, metav1.ListOptions{FieldSelector: "spec.devices=x"}); !apierrors.IsBadRequest(err) {
		t.Errorf("unsupported field selector: %v, want BadRequest", err)
	}
	// kube-scheduler and kubelet speak protobuf to built-in resources.
	pcfg := rest.CopyConfig(s.RESTConfig)
	pcfg.ContentType = runtime.ContentTypeProtobuf
	pcs, err := kubernetes.NewForConfig(pcfg)
	if err != nil {
		t.Fatal(err)
	}
	if l, err := pcs.ResourceV1().ResourceSlices().List(ctx, metav1.ListOptions{FieldSelector: "spec.nodeName=n2"}); err != nil ||
		len(l.Items) != 1 || l.Items[0].Spec.Driver != "gpu.example.com" {
		t.Errorf("protobuf list: %v, %+v", err, l)
	}
	if _, err := pcs.ResourceV1().DeviceClasses().Create(ctx, &resourcev1.DeviceClass{ObjectMeta: metav1.ObjectMeta{Name: "gpu.example.com"},
		Spec: resourcev1.DeviceClassSpec{Selectors: []resourcev1.DeviceSelector{{CEL: &resourcev1.CELDeviceSelector{
			Expression: `device.driver == "gpu.example.com"`}}}}}, metav1.CreateOptions{}); err != nil {
		t.Errorf("protobuf create: %v", err)
	}

	sl, err := slicesClient.Get(ctx, "n1-gpu", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	sl.Spec.Devices = append(sl.Spec.Devices, resourcev1.Device{Name: "dev-1"})
	if sl, err = slicesClient.Update(ctx, sl, metav1.UpdateOptions{}); err != nil || sl.Generation != 2 {
		t.Errorf("slice spec update: generation %d, %v", sl.Generation, err)
	}
	sl.Spec.Driver = "other.example.com"
	if _, err := slicesClient.Update(ctx, sl, metav1.UpdateOptions{}); !apierrors.IsInvalid(err) {
		t.Errorf("slice driver change: %v, want Invalid", err)
	}

	// A taint rule: timeAdded defaulted, restamped when the effect changes;
	// its status only through /status.
	rules := rv1.DeviceTaintRules()
	rule, err := rules.Create(ctx, &resourcev1.DeviceTaintRule{ObjectMeta: metav1.ObjectMeta{Name: "maintenance"},
		Spec: resourcev1.DeviceTaintRuleSpec{Taint: resourcev1.DeviceTaint{Key: "example.com/maintenance", Effect: resourcev1.DeviceTaintEffectNone}}},
		metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if rule.Spec.Taint.TimeAdded == nil || rule.Generation != 1 {
		t.Fatalf("taint rule create: timeAdded %v, generation %d", rule.Spec.Taint.TimeAdded, rule.Generation)
	}
	old := metav1.NewTime(time.Now().Add(-time.Hour).Truncate(time.Second))
	rule.Spec.Taint.TimeAdded = &old
	if rule, err = rules.Update(ctx, rule, metav1.UpdateOptions{}); err != nil || rule.Generation != 2 || !rule.Spec.Taint.TimeAdded.Equal(&old) {
		t.Fatalf("taint rule timeAdded update: %v, %+v", err, rule)
	}
	rule.Spec.Taint.Effect = resourcev1.DeviceTaintEffectNoExecute
	if rule, err = rules.Update(ctx, rule, metav1.UpdateOptions{}); err != nil || rule.Generation != 3 ||
		!rule.Spec.Taint.TimeAdded.After(old.Time) {
		t.Fatalf("taint rule effect change: %v, timeAdded %v (was %v)", err, rule.Spec.Taint.TimeAdded, old)
	}
	rule.Status.Conditions = []metav1.Condition{{Type: resourcev1.DeviceTaintConditionEvictionInProgress, Status: metav1.ConditionFalse,
		Reason: "NoPods", LastTransitionTime: metav1.Now(), ObservedGeneration: rule.Generation}}
	if rule, err = rules.UpdateStatus(ctx, rule, metav1.UpdateOptions{}); err != nil || len(rule.Status.Conditions) != 1 || rule.Generation != 3 {
		t.Fatalf("taint rule status: %v, %+v", err, rule)
	}
	rule.Status.Conditions[0].Reason = "not a reason!"
	if _, err := rules.UpdateStatus(ctx, rule, metav1.UpdateOptions{}); !apierrors.IsInvalid(err) {
		t.Errorf("invalid condition: %v, want Invalid", err)
	}

	// kubectl get: upstream's columns (time cells, last, are not compared).
	cfg := rest.CopyConfig(s.RESTConfig)
	cfg.NegotiatedSerializer = scheme.Codecs.WithoutConversion()
	rc, err := rest.UnversionedRESTClientFor(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		path  string
		times int
		want  string
	}{
		{"/apis/resource.k8s.io/v1/namespaces/dra/resourceclaims", 1, "[Name State Age] [gpu allocated,reserved]"},
		{"/apis/resource.k8s.io/v1/resourceslices", 1,
			"[Name Node Driver Pool Age] [n1-nic n1 nic.example.com n1]"},
		{"/apis/resource.k8s.io/v1/devicetaintrules", 2,
			"[Name Key Value Effect TimeAdded Age] [maintenance example.com/maintenance  NoExecute]"},
		{"/apis/resource.k8s.io/v1/namespaces/dra/resourceclaimtemplates", 1, "[Name Age] [gpu]"},
		{"/apis/resource.k8s.io/v1/deviceclasses", 1, "[Name Age] [gpu.example.com]"},
	} {
		req := rc.Get().AbsPath(tc.path)
		if tc.path == "/apis/resource.k8s.io/v1/resourceslices" {
			req = req.Param("fieldSelector", "spec.driver=nic.example.com")
		}
		raw, err := req.SetHeader("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io").Do(ctx).Raw()
		if err != nil {
			t.Fatalf("%s: %v", tc.path, err)
		}
		var table metav1.Table
		if err := json.Unmarshal(raw, &table); err != nil {
			t.Fatal(err)
		}
		var columns []string
		for _, c := range table.ColumnDefinitions {
			columns = append(columns, c.Name)
		}
		var cells []interface{}
		for _, r := range table.Rows {
			cells = append(cells, r.Cells[:len(r.Cells)-tc.times]...)
		}
		if got := fmt.Sprint(columns, " ", cells); got != tc.want {
			t.Errorf("%s table = %s, want %s", tc.path, got, tc.want)
		}
	}
}
