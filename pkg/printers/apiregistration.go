package printers

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	apiregistrationv1 "k8s.io/kube-aggregator/pkg/apis/apiregistration/v1"
)

// Printers for apiregistration.k8s.io: APIServices, with the columns of
// the kube-aggregator's own table convertor.

func addAPIRegistrationHandlers(g *Generator) {
	register(g, printerFor[*apiregistrationv1.APIService]{
		columns: []metav1.TableColumnDefinition{
			nameColumn(),
			col("Service", "string", "The reference to the service that hosts this API endpoint."),
			col("Available", "string", "Whether this service is available."),
			ageColumn(),
		},
		cells: func(a *apiregistrationv1.APIService, pc *printContext) ([]interface{}, error) {
			return []interface{}{a.Name, apiServiceService(a), apiServiceAvailable(a), since(pc, a.CreationTimestamp)}, nil
		},
	})
}

// apiServiceService is "Local" or the Service's namespace/name.
func apiServiceService(a *apiregistrationv1.APIService) string {
	if s := a.Spec.Service; s != nil {
		return s.Namespace + "/" + s.Name
	}
	return "Local"
}

// apiServiceAvailable is the Available condition's status, with its
// reason when not True ("False (ServiceNotFound)"); Unknown when unset.
func apiServiceAvailable(a *apiregistrationv1.APIService) string {
	for _, c := range a.Status.Conditions {
		if c.Type != apiregistrationv1.Available {
			continue
		}
		if c.Status != apiregistrationv1.ConditionTrue && c.Reason != "" {
			return string(c.Status) + " (" + c.Reason + ")"
		}
		return string(c.Status)
	}
	return string(apiregistrationv1.ConditionUnknown)
}
