package printers

import (
	"reflect"
	"testing"

	resourcev1 "k8s.io/api/resource/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// TestResourceRows checks the columns and cells of the resource.k8s.io
// printers against upstream's.
func TestResourceRows(t *testing.T) {
	columns := map[string]string{
		"DeviceClass":           "Name,Age",
		"ResourceClaimTemplate": "Name,Age",
		"ResourceClaim":         "Name,State,Age",
		"ResourceSlice":         "Name,Node,Driver,Pool,Age",
		"DeviceTaintRule":       "Name,Key,Value,Effect,TimeAdded,Age",
	}
	deleting := om("gone")
	deleting.DeletionTimestamp = &metav1.Time{Time: testNow}
	allocated := resourcev1.ResourceClaimStatus{Allocation: &resourcev1.AllocationResult{}}
	reserved := resourcev1.ResourceClaimStatus{Allocation: &resourcev1.AllocationResult{},
		ReservedFor: []resourcev1.ResourceClaimConsumerReference{{Resource: "pods", Name: "p", UID: "u"}}}
	added := ago(30 * 60e9)
	for _, tc := range []struct {
		name string
		obj  runtime.Object
		want []interface{}
	}{
		{"deviceclass", &resourcev1.DeviceClass{ObjectMeta: om("gpu")}, []interface{}{"gpu", "90m"}},
		{"claimtemplate", &resourcev1.ResourceClaimTemplate{ObjectMeta: om("tpl")}, []interface{}{"tpl", "90m"}},
		{"claim pending", &resourcev1.ResourceClaim{ObjectMeta: om("c")}, []interface{}{"c", "pending", "90m"}},
		{"claim allocated", &resourcev1.ResourceClaim{ObjectMeta: om("c"), Status: allocated}, []interface{}{"c", "allocated", "90m"}},
		{"claim reserved", &resourcev1.ResourceClaim{ObjectMeta: om("c"), Status: reserved}, []interface{}{"c", "allocated,reserved", "90m"}},
		{"claim deleted", &resourcev1.ResourceClaim{ObjectMeta: deleting}, []interface{}{"gone", "deleted", "90m"}},
		{"claim deleted allocated", &resourcev1.ResourceClaim{ObjectMeta: deleting, Status: allocated},
			[]interface{}{"gone", "deleted,allocated", "90m"}},
		{"slice on a node", &resourcev1.ResourceSlice{ObjectMeta: om("s"), Spec: resourcev1.ResourceSliceSpec{
			NodeName: ptr("n1"), Driver: "gpu.example.com", Pool: resourcev1.ResourcePool{Name: "n1"}}},
			[]interface{}{"s", "n1", "gpu.example.com", "n1", "90m"}},
		{"slice for all nodes", &resourcev1.ResourceSlice{ObjectMeta: om("s"), Spec: resourcev1.ResourceSliceSpec{
			AllNodes: ptr(true), Driver: "net.example.com", Pool: resourcev1.ResourcePool{Name: "fabric"}}},
			[]interface{}{"s", "", "net.example.com", "fabric", "90m"}},
		{"taint rule", &resourcev1.DeviceTaintRule{ObjectMeta: om("r"), Spec: resourcev1.DeviceTaintRuleSpec{
			Taint: resourcev1.DeviceTaint{Key: "example.com/broken", Value: "yes", Effect: resourcev1.DeviceTaintEffectNoExecute, TimeAdded: &added}}},
			[]interface{}{"r", "example.com/broken", "yes", "NoExecute", "30m", "90m"}},
		{"taint rule without time", &resourcev1.DeviceTaintRule{ObjectMeta: om("r"), Spec: resourcev1.DeviceTaintRuleSpec{
			Taint: resourcev1.DeviceTaint{Key: "k", Effect: resourcev1.DeviceTaintEffectNone}}},
			[]interface{}{"r", "k", "", "None", "", "90m"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			table, err := testGenerator().ToTable(tc.obj, nil, false)
			if err != nil {
				t.Fatal(err)
			}
			kind := reflect.TypeOf(tc.obj).Elem().Name()
			if got := columnSpec(table.ColumnDefinitions); got != columns[kind] {
				t.Errorf("columns\n got  %s\n want %s", got, columns[kind])
			}
			if len(table.Rows) != 1 {
				t.Fatalf("got %d rows", len(table.Rows))
			}
			if got := table.Rows[0].Cells; !reflect.DeepEqual(got, tc.want) {
				t.Errorf("cells\n got  %#v\n want %#v", got, tc.want)
			}
		})
	}
}
