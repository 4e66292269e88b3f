package printers

import (
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Printers for admissionregistration.k8s.io: webhook configurations and
// admission policies with their bindings. Upstream writes these column
// descriptions out rather than taking them from the swagger docs.

func addAdmissionHandlers(g *Generator) {
	webhookColumns := []metav1.TableColumnDefinition{
		nameColumn(),
		col("Webhooks", "integer", "Webhooks indicates the number of webhooks registered in this configuration"),
		ageColumn(),
	}
	register(g, printerFor[*admissionregistrationv1.MutatingWebhookConfiguration]{
		columns: webhookColumns,
		cells: func(c *admissionregistrationv1.MutatingWebhookConfiguration, pc *printContext) ([]interface{}, error) {
			return []interface{}{c.Name, int64(len(c.Webhooks)), since(pc, c.CreationTimestamp)}, nil
		},
	})
	register(g, printerFor[*admissionregistrationv1.ValidatingWebhookConfiguration]{
		columns: webhookColumns,
		cells: func(c *admissionregistrationv1.ValidatingWebhookConfiguration, pc *printContext) ([]interface{}, error) {
			return []interface{}{c.Name, int64(len(c.Webhooks)), since(pc, c.CreationTimestamp)}, nil
		},
	})

	policyColumns := func(count, countDoc string) []metav1.TableColumnDefinition {
		return []metav1.TableColumnDefinition{
			nameColumn(),
			col(count, "integer", countDoc),
			col("ParamKind", "string", "ParamKind specifies the kind of resources used to parameterize this policy"),
			ageColumn(),
		}
	}
	register(g, printerFor[*admissionregistrationv1.ValidatingAdmissionPolicy]{
		columns: policyColumns("Validations", "Validations indicates the number of validation rules defined in this configuration"),
		cells: func(p *admissionregistrationv1.ValidatingAdmissionPolicy, pc *printContext) ([]interface{}, error) {
			return []interface{}{p.Name, int64(len(p.Spec.Validations)), paramKindString(p.Spec.ParamKind),
				since(pc, p.CreationTimestamp)}, nil
		},
	})
	register(g, printerFor[*admissionregistrationv1.MutatingAdmissionPolicy]{
		// Upstream's description says "Mutation", singular.
		columns: policyColumns("Mutations", "Mutation indicates the number of mutations rules defined in this configuration"),
		cells: func(p *admissionregistrationv1.MutatingAdmissionPolicy, pc *printContext) ([]interface{}, error) {
			return []interface{}{p.Name, int64(len(p.Spec.Mutations)), paramKindString(p.Spec.ParamKind),
				since(pc, p.CreationTimestamp)}, nil
		},
	})

	bindingColumns := []metav1.TableColumnDefinition{
		nameColumn(),
		col("PolicyName", "string", "PolicyName indicates the policy definition which the policy binding binded to"),
		col("ParamRef", "string", "ParamRef indicates the param resource which sets the configuration param"),
		ageColumn(),
	}
	register(g, printerFor[*admissionregistrationv1.ValidatingAdmissionPolicyBinding]{
		columns: bindingColumns,
		cells: func(b *admissionregistrationv1.ValidatingAdmissionPolicyBinding, pc *printContext) ([]interface{}, error) {
			return []interface{}{b.Name, b.Spec.PolicyName, paramRefString(b.Spec.ParamRef), since(pc, b.CreationTimestamp)}, nil
		},
	})
	register(g, printerFor[*admissionregistrationv1.MutatingAdmissionPolicyBinding]{
		columns: bindingColumns,
		cells: func(b *admissionregistrationv1.MutatingAdmissionPolicyBinding, pc *printContext) ([]interface{}, error) {
			return []interface{}{b.Name, b.Spec.PolicyName, paramRefString(b.Spec.ParamRef), since(pc, b.CreationTimestamp)}, nil
		},
	})
}

// paramKindString is "apiVersion/Kind", or "<unset>" for a policy without
// parameters.
func paramKindString(pk *admissionregistrationv1.ParamKind) string {
	if pk == nil {
		return "<unset>"
	}
	return pk.APIVersion + "/" + pk.Kind
}

// paramRefString is "namespace/name" for a named param ("*/name" when no
// namespace is given, as the printer cannot tell whether the param kind is
// cluster-scoped), else the selector in its Go (protobuf String) form, else
// "<unset>".
func paramRefString(pr *admissionregistrationv1.ParamRef) string {
	switch {
	case pr == nil:
		return "<unset>"
	case pr.Name != "" && pr.Namespace != "":
		return pr.Namespace + "/" + pr.Name
	case pr.Name != "":
		return "*/" + pr.Name
	case pr.Selector != nil:
		return pr.Selector.String()
	default:
		return "<unset>"
	}
}
