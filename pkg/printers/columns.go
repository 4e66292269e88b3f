package printers

import (
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/duration"
)

// Column building blocks. Descriptions come from the API types' swagger
// docs, as upstream's do, so they stay in step with k8s.io/api.

var objectMetaDoc = metav1.ObjectMeta{}.SwaggerDoc()

// col is a column shown by plain kubectl get.
func col(name, typ, description string) metav1.TableColumnDefinition {
	return metav1.TableColumnDefinition{Name: name, Type: typ, Description: description}
}

// wide is a priority-1 column, shown only by kubectl get -o wide.
func wide(name, typ, description string) metav1.TableColumnDefinition {
	return metav1.TableColumnDefinition{Name: name, Type: typ, Description: description, Priority: 1}
}

// nameColumn is the object name, formatted "name" so kubectl can prefix it
// with the resource when printing several kinds.
func nameColumn() metav1.TableColumnDefinition {
	return metav1.TableColumnDefinition{Name: "Name", Type: "string", Format: "name", Description: objectMetaDoc["name"]}
}

// ageColumn is the time since creation.
func ageColumn() metav1.TableColumnDefinition {
	return col("Age", "string", objectMetaDoc["creationTimestamp"])
}

// containersColumn and imagesColumn summarise a pod template (priority 1).
func containersColumn() metav1.TableColumnDefinition {
	return wide("Containers", "string", "Names of each container in the template.")
}

func imagesColumn() metav1.TableColumnDefinition {
	return wide("Images", "string", "Images referenced by each container in the template.")
}

// since renders the time elapsed from t to the print time the way kubectl
// does ("5m", "3d12h"), or "<unknown>" for an unset time.
func since(pc *printContext, t metav1.Time) string {
	if t.IsZero() {
		return "<unknown>"
	}
	return duration.HumanDuration(pc.now.Sub(t.Time))
}

// sinceMicro is since for MicroTime fields (events).
func sinceMicro(pc *printContext, t metav1.MicroTime) string {
	if t.IsZero() {
		return "<unknown>"
	}
	return duration.HumanDuration(pc.now.Sub(t.Time))
}

// containerCells joins container names and images with commas.
func containerCells(containers []corev1.Container) (names, images string) {
	n := make([]string, len(containers))
	im := make([]string, len(containers))
	for i, c := range containers {
		n[i], im[i] = c.Name, c.Image
	}
	return strings.Join(n, ","), strings.Join(im, ",")
}

// orNone returns s, or "<none>" when it is empty.
func orNone(s string) string {
	if s == "" {
		return "<none>"
	}
	return s
}

// boolPtrString renders an optional bool as upstream does: True, False or
// <unset>.
func boolPtrString(b *bool) string {
	switch {
	case b == nil:
		return "<unset>"
	case *b:
		return "True"
	default:
		return "False"
	}
}

// deref returns *p, or zero when p is nil.
func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
