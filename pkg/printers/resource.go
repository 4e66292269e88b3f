package printers

import (
	"strings"

	resourcev1 "k8s.io/api/resource/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Printers for resource.k8s.io (dynamic resource allocation).

func addResourceHandlers(g *Generator) {
	nameAge := []metav1.TableColumnDefinition{nameColumn(), ageColumn()}
	register(g, printerFor[*resourcev1.DeviceClass]{
		columns: nameAge,
		cells: func(c *resourcev1.DeviceClass, pc *printContext) ([]interface{}, error) {
			return []interface{}{c.Name, since(pc, c.CreationTimestamp)}, nil
		},
	})
	register(g, printerFor[*resourcev1.ResourceClaimTemplate]{
		columns: nameAge,
		cells: func(t *resourcev1.ResourceClaimTemplate, pc *printContext) ([]interface{}, error) {
			return []interface{}{t.Name, since(pc, t.CreationTimestamp)}, nil
		},
	})

	register(g, printerFor[*resourcev1.ResourceClaim]{
		columns: []metav1.TableColumnDefinition{
			nameColumn(),
			col("State", "string", "A summary of the current state (allocated, pending, reserved, etc.)."),
			ageColumn(),
		},
		cells: func(c *resourcev1.ResourceClaim, pc *printContext) ([]interface{}, error) {
			return []interface{}{c.Name, resourceClaimState(c), since(pc, c.CreationTimestamp)}, nil
		},
	})

	sliceDoc := resourcev1.ResourceSliceSpec{}.SwaggerDoc()
	register(g, printerFor[*resourcev1.ResourceSlice]{
		columns: []metav1.TableColumnDefinition{
			nameColumn(),
			col("Node", "string", sliceDoc["nodeName"]),
			col("Driver", "string", sliceDoc["driver"]),
			col("Pool", "string", resourcev1.ResourcePool{}.SwaggerDoc()["name"]),
			ageColumn(),
		},
		cells: func(s *resourcev1.ResourceSlice, pc *printContext) ([]interface{}, error) {
			return []interface{}{s.Name, deref(s.Spec.NodeName), s.Spec.Driver, s.Spec.Pool.Name, since(pc, s.CreationTimestamp)}, nil
		},
	})

	// Upstream prints the taint, not the selector (which may be long).
	taintDoc := resourcev1.DeviceTaint{}.SwaggerDoc()
	register(g, printerFor[*resourcev1.DeviceTaintRule]{
		columns: []metav1.TableColumnDefinition{
			nameColumn(),
			col("Key", "string", taintDoc["key"]),
			col("Value", "string", taintDoc["value"]),
			col("Effect", "string", taintDoc["effect"]),
			col("TimeAdded", "string", taintDoc["timeAdded"]),
			ageColumn(),
		},
		cells: func(r *resourcev1.DeviceTaintRule, pc *printContext) ([]interface{}, error) {
			t := r.Spec.Taint
			added := ""
			if t.TimeAdded != nil {
				added = since(pc, *t.TimeAdded)
			}
			return []interface{}{r.Name, t.Key, t.Value, string(t.Effect), added, since(pc, r.CreationTimestamp)}, nil
		},
	})
}

// resourceClaimState summarises a claim: deleted, then pending (not
// allocated) or allocated and, with consumers, reserved.
func resourceClaimState(c *resourcev1.ResourceClaim) string {
	var states []string
	if c.DeletionTimestamp != nil {
		states = append(states, "deleted")
	}
	switch {
	case c.Status.Allocation != nil:
		states = append(states, "allocated")
		if len(c.Status.ReservedFor) > 0 {
			states = append(states, "reserved")
		}
	case c.DeletionTimestamp == nil:
		states = append(states, "pending")
	}
	return strings.Join(states, ",")
}
