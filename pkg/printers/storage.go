package printers

import (
	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Printers for storage.k8s.io.

// Annotations that mark a StorageClass as the cluster default.
const (
	defaultClassAnnotation     = "storageclass.kubernetes.io/is-default-class"
	betaDefaultClassAnnotation = "storageclass.beta.kubernetes.io/is-default-class"
)

func addStorageHandlers(g *Generator) {
	scDoc := storagev1.StorageClass{}.SwaggerDoc()
	register(g, printerFor[*storagev1.StorageClass]{
		columns: []metav1.TableColumnDefinition{
			nameColumn(),
			col("Provisioner", "string", scDoc["provisioner"]),
			col("ReclaimPolicy", "string", scDoc["reclaimPolicy"]),
			col("VolumeBindingMode", "string", scDoc["volumeBindingMode"]),
			col("AllowVolumeExpansion", "string", scDoc["allowVolumeExpansion"]),
			ageColumn(),
		},
		prepare: func(items []*storagev1.StorageClass, pc *printContext) {
			// Only lists mark the default, as upstream does: a lone
			// object cannot know whether a newer default exists.
			pc.defaultStorageClass = effectiveDefaultClass(items)
		},
		cells: func(sc *storagev1.StorageClass, pc *printContext) ([]interface{}, error) {
			name := sc.Name
			if pc.defaultStorageClass != "" && name == pc.defaultStorageClass {
				name += " (default)"
			}
			reclaim := string(corev1.PersistentVolumeReclaimDelete)
			if sc.ReclaimPolicy != nil {
				reclaim = string(*sc.ReclaimPolicy)
			}
			binding := string(storagev1.VolumeBindingImmediate)
			if sc.VolumeBindingMode != nil {
				binding = string(*sc.VolumeBindingMode)
			}
			return []interface{}{name, sc.Provisioner, reclaim, binding, deref(sc.AllowVolumeExpansion),
				since(pc, sc.CreationTimestamp)}, nil
		},
	})
}

// effectiveDefaultClass is the default StorageClass that wins when several
// are annotated: the newest, ties broken by the smallest name.
func effectiveDefaultClass(items []*storagev1.StorageClass) string {
	var best *storagev1.StorageClass
	for _, sc := range items {
		if sc.Annotations[defaultClassAnnotation] != "true" && sc.Annotations[betaDefaultClassAnnotation] != "true" {
			continue
		}
		switch {
		case best == nil,
			sc.CreationTimestamp.After(best.CreationTimestamp.Time),
			sc.CreationTimestamp.Equal(&best.CreationTimestamp) && sc.Name < best.Name:
			best = sc
		}
	}
	if best == nil {
		return ""
	}
	return best.Name
}
