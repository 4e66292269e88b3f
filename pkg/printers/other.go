package printers

import (
	"strconv"
	"strings"

	coordinationv1 "k8s.io/api/coordination/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	policyv1 "k8s.io/api/policy/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Printers for the small groups: coordination.k8s.io, discovery.k8s.io,
// policy and scheduling.k8s.io.

func addOtherHandlers(g *Generator) {
	register(g, printerFor[*coordinationv1.Lease]{
		columns: []metav1.TableColumnDefinition{
			nameColumn(),
			col("Holder", "string", coordinationv1.LeaseSpec{}.SwaggerDoc()["holderIdentity"]),
			ageColumn(),
		},
		cells: func(l *coordinationv1.Lease, pc *printContext) ([]interface{}, error) {
			return []interface{}{l.Name, deref(l.Spec.HolderIdentity), since(pc, l.CreationTimestamp)}, nil
		},
	})

	sliceDoc := discoveryv1.EndpointSlice{}.SwaggerDoc()
	register(g, printerFor[*discoveryv1.EndpointSlice]{
		columns: []metav1.TableColumnDefinition{
			nameColumn(),
			col("AddressType", "string", sliceDoc["addressType"]),
			col("Ports", "string", sliceDoc["ports"]),
			col("Endpoints", "string", sliceDoc["endpoints"]),
			ageColumn(),
		},
		cells: func(s *discoveryv1.EndpointSlice, pc *printContext) ([]interface{}, error) {
			return []interface{}{s.Name, string(s.AddressType), slicePorts(s.Ports), sliceEndpoints(s.Endpoints),
				since(pc, s.CreationTimestamp)}, nil
		},
	})

	register(g, printerFor[*policyv1.PodDisruptionBudget]{
		columns: []metav1.TableColumnDefinition{
			nameColumn(),
			col("Min Available", "string", "The minimum number of pods that must be available."),
			col("Max Unavailable", "string", "The maximum number of pods that may be unavailable."),
			col("Allowed Disruptions", "integer", "Calculated number of pods that may be disrupted at this time."),
			ageColumn(),
		},
		cells: func(pdb *policyv1.PodDisruptionBudget, pc *printContext) ([]interface{}, error) {
			minAvailable, maxUnavailable := "N/A", "N/A"
			if v := pdb.Spec.MinAvailable; v != nil {
				minAvailable = v.String()
			}
			if v := pdb.Spec.MaxUnavailable; v != nil {
				maxUnavailable = v.String()
			}
			return []interface{}{pdb.Name, minAvailable, maxUnavailable, int64(pdb.Status.DisruptionsAllowed),
				since(pc, pdb.CreationTimestamp)}, nil
		},
	})

	pcDoc := schedulingv1.PriorityClass{}.SwaggerDoc()
	register(g, printerFor[*schedulingv1.PriorityClass]{
		columns: []metav1.TableColumnDefinition{
			nameColumn(),
			col("Value", "integer", pcDoc["value"]),
			col("Global-Default", "boolean", pcDoc["globalDefault"]),
			ageColumn(),
			// Upstream gives this column priority 0 although the server
			// only fills it when printing wide; since the server always
			// prints wide the column is always present.
			col("PreemptionPolicy", "string", pcDoc["preemptionPolicy"]),
		},
		cells: func(p *schedulingv1.PriorityClass, pc *printContext) ([]interface{}, error) {
			policy := ""
			if p.PreemptionPolicy != nil {
				policy = string(*p.PreemptionPolicy)
			}
			return []interface{}{p.Name, int64(p.Value), p.GlobalDefault, since(pc, p.CreationTimestamp), policy}, nil
		},
	})
}

// slicePorts lists up to three port numbers ("*" for unset, the name when
// only that is known), "<unset>" when there are none.
func slicePorts(ports []discoveryv1.EndpointPort) string {
	list := make([]string, 0, len(ports))
	for _, p := range ports {
		switch {
		case p.Port != nil:
			list = append(list, strconv.Itoa(int(*p.Port)))
		case p.Name != nil:
			list = append(list, *p.Name)
		default:
			list = append(list, "*")
		}
	}
	return listWithMore(list)
}

// sliceEndpoints lists up to three endpoint addresses.
func sliceEndpoints(endpoints []discoveryv1.Endpoint) string {
	var list []string
	for _, e := range endpoints {
		list = append(list, e.Addresses...)
	}
	return listWithMore(list)
}

// listWithMore joins the first three entries, adding "+ N more..." for the
// rest, or says "<unset>" for an empty list.
func listWithMore(list []string) string {
	if len(list) == 0 {
		return "<unset>"
	}
	if len(list) <= maxListed {
		return strings.Join(list, ",")
	}
	return strings.Join(list[:maxListed], ",") + " + " + strconv.Itoa(len(list)-maxListed) + " more..."
}
