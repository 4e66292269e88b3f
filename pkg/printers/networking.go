package printers

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	nodev1 "k8s.io/api/node/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Printers for networking.k8s.io and node.k8s.io.

func addNetworkingHandlers(g *Generator) {
	register(g, printerFor[*networkingv1.Ingress]{
		columns: []metav1.TableColumnDefinition{
			nameColumn(),
			col("Class", "string", "The name of the IngressClass resource that should be used for additional configuration"),
			col("Hosts", "string", "Hosts that incoming requests are matched against before the ingress rule"),
			col("Address", "string", "Address is a list containing ingress points for the load-balancer"),
			col("Ports", "string", "Ports of TLS configurations that open"),
			ageColumn(),
		},
		cells: func(ing *networkingv1.Ingress, pc *printContext) ([]interface{}, error) {
			class := "<none>"
			if ing.Spec.IngressClassName != nil {
				class = *ing.Spec.IngressClassName
			}
			ports := "80"
			if len(ing.Spec.TLS) > 0 {
				ports = "80, 443"
			}
			return []interface{}{ing.Name, class, ingressHosts(ing.Spec.Rules), ingressAddress(ing.Status.LoadBalancer),
				ports, since(pc, ing.CreationTimestamp)}, nil
		},
	})

	register(g, printerFor[*networkingv1.IngressClass]{
		columns: []metav1.TableColumnDefinition{
			nameColumn(),
			col("Controller", "string", "Controller that is responsible for handling this class"),
			col("Parameters", "string", "A reference to a resource with additional parameters"),
			ageColumn(),
		},
		cells: func(ic *networkingv1.IngressClass, pc *printContext) ([]interface{}, error) {
			name := ic.Name
			if ic.Annotations[networkingv1.AnnotationIsDefaultIngressClass] == "true" {
				name += " (default)"
			}
			params := "<none>"
			if p := ic.Spec.Parameters; p != nil {
				params = p.Kind
				if p.APIGroup != nil {
					params += "." + *p.APIGroup
				}
				params += "/" + p.Name
			}
			return []interface{}{name, ic.Spec.Controller, params, since(pc, ic.CreationTimestamp)}, nil
		},
	})

	register(g, printerFor[*networkingv1.NetworkPolicy]{
		columns: []metav1.TableColumnDefinition{
			nameColumn(),
			col("Pod-Selector", "string", networkingv1.NetworkPolicySpec{}.SwaggerDoc()["podSelector"]),
			ageColumn(),
		},
		cells: func(np *networkingv1.NetworkPolicy, pc *printContext) ([]interface{}, error) {
			return []interface{}{np.Name, metav1.FormatLabelSelector(&np.Spec.PodSelector), since(pc, np.CreationTimestamp)}, nil
		},
	})

	register(g, printerFor[*nodev1.RuntimeClass]{
		columns: []metav1.TableColumnDefinition{
			nameColumn(),
			col("Handler", "string", nodev1.RuntimeClass{}.SwaggerDoc()["handler"]),
			ageColumn(),
		},
		cells: func(rc *nodev1.RuntimeClass, pc *printContext) ([]interface{}, error) {
			return []interface{}{rc.Name, rc.Handler, since(pc, rc.CreationTimestamp)}, nil
		},
	})
}

// ingressHosts lists the first three rule hosts, "*" when no rule names
// one, as kubectl shows them.
func ingressHosts(rules []networkingv1.IngressRule) string {
	const max = 3
	var hosts []string
	for _, r := range rules {
		if len(hosts) == max {
			return fmt.Sprintf("%s + %d more...", strings.Join(hosts, ","), len(rules)-max)
		}
		if r.Host != "" {
			hosts = append(hosts, r.Host)
		}
	}
	if len(hosts) == 0 {
		return "*"
	}
	return strings.Join(hosts, ",")
}

// ingressAddress is the distinct load-balancer IPs (or hostnames), sorted.
func ingressAddress(lb networkingv1.IngressLoadBalancerStatus) string {
	var s corev1.LoadBalancerStatus
	for _, in := range lb.Ingress {
		s.Ingress = append(s.Ingress, corev1.LoadBalancerIngress{IP: in.IP, Hostname: in.Hostname})
	}
	return strings.Join(loadBalancerIngress(s), ",")
}
