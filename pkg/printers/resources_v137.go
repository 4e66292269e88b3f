package printers

import (
	"strings"

	certificatesv1 "k8s.io/api/certificates/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	storagev1 "k8s.io/api/storage/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// Printers for the rest of the v1.37 GA surface: ComponentStatuses,
// CSIStorageCapacities and VolumeAttributesClasses, IPAddresses and
// ServiceCIDRs, ClusterTrustBundles and PodCertificateRequests, with
// upstream's columns.

func addV137Handlers(g *Generator) {
	register(g, printerFor[*corev1.ComponentStatus]{
		columns: []metav1.TableColumnDefinition{
			nameColumn(),
			col("Status", "string", "Status of the component conditions"),
			col("Message", "string", "Message of the component conditions"),
			col("Error", "string", "Error of the component conditions"),
		},
		cells: func(cs *corev1.ComponentStatus, _ *printContext) ([]interface{}, error) {
			status, message, errMsg := "Unknown", "", ""
			for _, c := range cs.Conditions {
				if c.Type != corev1.ComponentHealthy {
					continue
				}
				status = "Unhealthy"
				if c.Status == corev1.ConditionTrue {
					status = "Healthy"
				}
				message, errMsg = c.Message, c.Error
				break
			}
			return []interface{}{cs.Name, status, message, errMsg}, nil
		},
	})

	capDoc := storagev1.CSIStorageCapacity{}.SwaggerDoc()
	register(g, printerFor[*storagev1.CSIStorageCapacity]{
		columns: []metav1.TableColumnDefinition{
			nameColumn(),
			col("StorageClassName", "string", capDoc["storageClassName"]),
			col("Capacity", "string", capDoc["capacity"]),
		},
		cells: func(c *storagev1.CSIStorageCapacity, _ *printContext) ([]interface{}, error) {
			capacity := "<unset>"
			if c.Capacity != nil {
				capacity = c.Capacity.String()
			}
			return []interface{}{c.Name, c.StorageClassName, capacity}, nil
		},
	})

	register(g, printerFor[*storagev1.VolumeAttributesClass]{
		columns: []metav1.TableColumnDefinition{
			nameColumn(),
			col("DriverName", "string", storagev1.VolumeAttributesClass{}.SwaggerDoc()["driverName"]),
			ageColumn(),
		},
		cells: func(c *storagev1.VolumeAttributesClass, pc *printContext) ([]interface{}, error) {
			return []interface{}{c.Name, c.DriverName, since(pc, c.CreationTimestamp)}, nil
		},
	})

	register(g, printerFor[*networkingv1.ServiceCIDR]{
		columns: []metav1.TableColumnDefinition{
			nameColumn(),
			col("CIDRs", "string", networkingv1.ServiceCIDRSpec{}.SwaggerDoc()["cidrs"]),
			ageColumn(),
		},
		cells: func(c *networkingv1.ServiceCIDR, pc *printContext) ([]interface{}, error) {
			return []interface{}{c.Name, strings.Join(c.Spec.CIDRs, ","), since(pc, c.CreationTimestamp)}, nil
		},
	})

	// Upstream defines two columns for IPAddresses (and sends an age
	// cell no column describes); kubectl shows the two.
	register(g, printerFor[*networkingv1.IPAddress]{
		columns: []metav1.TableColumnDefinition{
			nameColumn(),
			col("ParentRef", "string", networkingv1.IPAddressSpec{}.SwaggerDoc()["parentRef"]),
		},
		cells: func(ip *networkingv1.IPAddress, _ *printContext) ([]interface{}, error) {
			parent := "<none>"
			if r := ip.Spec.ParentRef; r != nil {
				parent = r.Resource
				if r.Group != "" {
					parent += "." + r.Group
				}
				parent = strings.ToLower(parent)
				if r.Namespace != "" {
					parent += "/" + r.Namespace
				}
				parent += "/" + r.Name
			}
			return []interface{}{ip.Name, parent}, nil
		},
	})

	register(g, printerFor[*certificatesv1.ClusterTrustBundle]{
		columns: []metav1.TableColumnDefinition{
			nameColumn(),
			col("SignerName", "string", certificatesv1.ClusterTrustBundleSpec{}.SwaggerDoc()["signerName"]),
		},
		cells: func(b *certificatesv1.ClusterTrustBundle, _ *printContext) ([]interface{}, error) {
			return []interface{}{b.Name, orNone(b.Spec.SignerName)}, nil
		},
	})

	pcrDoc := certificatesv1.PodCertificateRequestSpec{}.SwaggerDoc()
	register(g, printerFor[*certificatesv1.PodCertificateRequest]{
		columns: []metav1.TableColumnDefinition{
			nameColumn(),
			col("PodName", "string", pcrDoc["podName"]),
			col("ServiceAccountName", "string", pcrDoc["serviceAccountName"]),
			col("NodeName", "string", pcrDoc["nodeName"]),
			col("SignerName", "string", pcrDoc["signerName"]),
			col("State", "string", "Is the request Pending, Issued, Denied, or Failed?"),
			wide("UnverifiedUserAnnotations", "string", pcrDoc["unverifiedUserAnnotations"]),
		},
		cells: func(r *certificatesv1.PodCertificateRequest, _ *printContext) ([]interface{}, error) {
			state := "Pending"
			for _, c := range r.Status.Conditions {
				switch c.Type {
				case certificatesv1.PodCertificateRequestConditionTypeIssued, certificatesv1.PodCertificateRequestConditionTypeDenied,
					certificatesv1.PodCertificateRequestConditionTypeFailed:
					state = c.Type
				}
			}
			return []interface{}{r.Name, r.Spec.PodName, r.Spec.ServiceAccountName, string(r.Spec.NodeName), r.Spec.SignerName,
				state, labels.FormatLabels(r.Spec.UnverifiedUserAnnotations)}, nil
		},
	})
}
