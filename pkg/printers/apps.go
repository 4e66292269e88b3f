package printers

import (
	"fmt"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Printers for the apps group.

func addAppsHandlers(g *Generator) {
	register(g, printerFor[*appsv1.Deployment]{
		columns: []metav1.TableColumnDefinition{
			nameColumn(),
			col("Ready", "string", "Number of the pod with ready state"),
			col("Up-to-date", "string", appsv1.DeploymentStatus{}.SwaggerDoc()["updatedReplicas"]),
			col("Available", "string", appsv1.DeploymentStatus{}.SwaggerDoc()["availableReplicas"]),
			ageColumn(),
			containersColumn(),
			imagesColumn(),
			wide("Selector", "string", appsv1.DeploymentSpec{}.SwaggerDoc()["selector"]),
		},
		cells: func(d *appsv1.Deployment, pc *printContext) ([]interface{}, error) {
			names, images := containerCells(d.Spec.Template.Spec.Containers)
			selector := "<invalid>"
			if s, err := metav1.LabelSelectorAsSelector(d.Spec.Selector); err == nil {
				selector = s.String()
			}
			return []interface{}{d.Name, fmt.Sprintf("%d/%d", d.Status.ReadyReplicas, deref(d.Spec.Replicas)),
				int64(d.Status.UpdatedReplicas), int64(d.Status.AvailableReplicas), since(pc, d.CreationTimestamp),
				names, images, selector}, nil
		},
	})

	register(g, printerFor[*appsv1.ReplicaSet]{
		columns: []metav1.TableColumnDefinition{
			nameColumn(),
			col("Desired", "integer", appsv1.ReplicaSetSpec{}.SwaggerDoc()["replicas"]),
			col("Current", "integer", appsv1.ReplicaSetStatus{}.SwaggerDoc()["replicas"]),
			col("Ready", "integer", appsv1.ReplicaSetStatus{}.SwaggerDoc()["readyReplicas"]),
			ageColumn(),
			containersColumn(),
			imagesColumn(),
			wide("Selector", "string", appsv1.ReplicaSetSpec{}.SwaggerDoc()["selector"]),
		},
		cells: func(rs *appsv1.ReplicaSet, pc *printContext) ([]interface{}, error) {
			names, images := containerCells(rs.Spec.Template.Spec.Containers)
			return []interface{}{rs.Name, int64(deref(rs.Spec.Replicas)), int64(rs.Status.Replicas),
				int64(rs.Status.ReadyReplicas), since(pc, rs.CreationTimestamp),
				names, images, metav1.FormatLabelSelector(rs.Spec.Selector)}, nil
		},
	})

	register(g, printerFor[*appsv1.StatefulSet]{
		columns: []metav1.TableColumnDefinition{
			nameColumn(),
			col("Ready", "string", "Number of the pod with ready state"),
			ageColumn(),
			containersColumn(),
			imagesColumn(),
		},
		cells: func(ss *appsv1.StatefulSet, pc *printContext) ([]interface{}, error) {
			names, images := containerCells(ss.Spec.Template.Spec.Containers)
			return []interface{}{ss.Name, fmt.Sprintf("%d/%d", ss.Status.ReadyReplicas, deref(ss.Spec.Replicas)),
				since(pc, ss.CreationTimestamp), names, images}, nil
		},
	})

	dsStatusDoc := appsv1.DaemonSetStatus{}.SwaggerDoc()
	register(g, printerFor[*appsv1.DaemonSet]{
		columns: []metav1.TableColumnDefinition{
			nameColumn(),
			col("Desired", "integer", dsStatusDoc["desiredNumberScheduled"]),
			col("Current", "integer", dsStatusDoc["currentNumberScheduled"]),
			col("Ready", "integer", dsStatusDoc["numberReady"]),
			col("Up-to-date", "integer", dsStatusDoc["updatedNumberScheduled"]),
			col("Available", "integer", dsStatusDoc["numberAvailable"]),
			col("Node Selector", "string", corev1.PodSpec{}.SwaggerDoc()["nodeSelector"]),
			ageColumn(),
			containersColumn(),
			imagesColumn(),
			wide("Selector", "string", appsv1.DaemonSetSpec{}.SwaggerDoc()["selector"]),
		},
		cells: func(ds *appsv1.DaemonSet, pc *printContext) ([]interface{}, error) {
			names, images := containerCells(ds.Spec.Template.Spec.Containers)
			st := ds.Status
			return []interface{}{ds.Name, int64(st.DesiredNumberScheduled), int64(st.CurrentNumberScheduled),
				int64(st.NumberReady), int64(st.UpdatedNumberScheduled), int64(st.NumberAvailable),
				labels.FormatLabels(ds.Spec.Template.Spec.NodeSelector), since(pc, ds.CreationTimestamp),
				names, images, metav1.FormatLabelSelector(ds.Spec.Selector)}, nil
		},
	})

	register(g, printerFor[*appsv1.ControllerRevision]{
		columns: []metav1.TableColumnDefinition{
			nameColumn(),
			col("Controller", "string", "Controller of the object"),
			col("Revision", "string", appsv1.ControllerRevision{}.SwaggerDoc()["revision"]),
			ageColumn(),
		},
		cells: func(cr *appsv1.ControllerRevision, pc *printContext) ([]interface{}, error) {
			controller := "<none>"
			if ref := metav1.GetControllerOf(cr); ref != nil {
				gv, err := schema.ParseGroupVersion(ref.APIVersion)
				if err != nil {
					return nil, err
				}
				controller = ref.Name
				if gk := gv.WithKind(ref.Kind).GroupKind(); !gk.Empty() {
					controller = strings.ToLower(gk.String()) + "/" + ref.Name
				}
			}
			return []interface{}{cr.Name, controller, cr.Revision, since(pc, cr.CreationTimestamp)}, nil
		},
	})
}
