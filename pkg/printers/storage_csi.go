package printers

import (
	"strings"

	storagev1 "k8s.io/api/storage/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilptr "k8s.io/utils/ptr"
)

// Printers for the CSI objects of storage.k8s.io.

func addCSIHandlers(g *Generator) {
	register(g, printerFor[*storagev1.CSINode]{
		columns: []metav1.TableColumnDefinition{
			nameColumn(),
			col("Drivers", "integer", "Drivers indicates the number of CSI drivers registered on the node"),
			ageColumn(),
		},
		cells: func(n *storagev1.CSINode, pc *printContext) ([]interface{}, error) {
			return []interface{}{n.Name, int64(len(n.Spec.Drivers)), since(pc, n.CreationTimestamp)}, nil
		},
	})

	specDoc := storagev1.CSIDriverSpec{}.SwaggerDoc()
	register(g, printerFor[*storagev1.CSIDriver]{
		columns: []metav1.TableColumnDefinition{
			nameColumn(),
			col("AttachRequired", "boolean", specDoc["attachRequired"]),
			col("PodInfoOnMount", "boolean", specDoc["podInfoOnMount"]),
			col("StorageCapacity", "boolean", specDoc["storageCapacity"]),
			col("TokenRequests", "string", specDoc["tokenRequests"]),
			col("RequiresRepublish", "boolean", specDoc["requiresRepublish"]),
			col("Modes", "string", specDoc["volumeLifecycleModes"]),
			ageColumn(),
		},
		cells: func(d *storagev1.CSIDriver, pc *printContext) ([]interface{}, error) {
			s := d.Spec
			tokens := "<unset>"
			if s.TokenRequests != nil {
				aud := make([]string, len(s.TokenRequests))
				for i, t := range s.TokenRequests {
					aud[i] = t.Audience
				}
				tokens = strings.Join(aud, ",")
			}
			modes := make([]string, len(s.VolumeLifecycleModes))
			for i, m := range s.VolumeLifecycleModes {
				modes[i] = string(m)
			}
			return []interface{}{d.Name, utilptr.Deref(s.AttachRequired, true), utilptr.Deref(s.PodInfoOnMount, false),
				utilptr.Deref(s.StorageCapacity, false), tokens, utilptr.Deref(s.RequiresRepublish, false),
				orNone(strings.Join(modes, ",")), since(pc, d.CreationTimestamp)}, nil
		},
	})

	vaDoc := storagev1.VolumeAttachmentSpec{}.SwaggerDoc()
	register(g, printerFor[*storagev1.VolumeAttachment]{
		columns: []metav1.TableColumnDefinition{
			nameColumn(),
			// Upstream formats the attacher as a name too.
			{Name: "Attacher", Type: "string", Format: "name", Description: vaDoc["attacher"]},
			col("PV", "string", storagev1.VolumeAttachmentSource{}.SwaggerDoc()["persistentVolumeName"]),
			col("Node", "string", vaDoc["nodeName"]),
			col("Attached", "boolean", storagev1.VolumeAttachmentStatus{}.SwaggerDoc()["attached"]),
			ageColumn(),
		},
		cells: func(va *storagev1.VolumeAttachment, pc *printContext) ([]interface{}, error) {
			return []interface{}{va.Name, va.Spec.Attacher, deref(va.Spec.Source.PersistentVolumeName), va.Spec.NodeName, va.Status.Attached,
				since(pc, va.CreationTimestamp)}, nil
		},
	})
}
