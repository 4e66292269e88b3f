package printers

import (
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Printers for PersistentVolumes and PersistentVolumeClaims.

func addVolumeHandlers(g *Generator) {
	pvSpecDoc := corev1.PersistentVolumeSpec{}.SwaggerDoc()
	pvStatusDoc := corev1.PersistentVolumeStatus{}.SwaggerDoc()
	register(g, printerFor[*corev1.PersistentVolume]{
		columns: []metav1.TableColumnDefinition{
			nameColumn(),
			col("Capacity", "string", pvSpecDoc["capacity"]),
			col("Access Modes", "string", pvSpecDoc["accessModes"]),
			col("Reclaim Policy", "string", pvSpecDoc["persistentVolumeReclaimPolicy"]),
			col("Status", "string", pvStatusDoc["phase"]),
			col("Claim", "string", pvSpecDoc["claimRef"]),
			col("StorageClass", "string", "StorageClass of the pv"),
			col("VolumeAttributesClass", "string", "VolumeAttributesClass of the pv"),
			col("Reason", "string", pvStatusDoc["reason"]),
			ageColumn(),
			wide("VolumeMode", "string", pvSpecDoc["volumeMode"]),
		},
		cells: func(pv *corev1.PersistentVolume, pc *printContext) ([]interface{}, error) {
			claim := ""
			if ref := pv.Spec.ClaimRef; ref != nil {
				claim = ref.Namespace + "/" + ref.Name
			}
			phase := string(pv.Status.Phase)
			if pv.DeletionTimestamp != nil {
				phase = "Terminating"
			}
			class, ok := pv.Annotations[corev1.BetaStorageClassAnnotation]
			if !ok {
				class = pv.Spec.StorageClassName
			}
			capacity := pv.Spec.Capacity[corev1.ResourceStorage]
			return []interface{}{pv.Name, capacity.String(), accessModes(pv.Spec.AccessModes),
				string(pv.Spec.PersistentVolumeReclaimPolicy), phase, claim, class,
				orUnset(pv.Spec.VolumeAttributesClassName), pv.Status.Reason,
				since(pc, pv.CreationTimestamp), volumeMode(pv.Spec.VolumeMode)}, nil
		},
	})

	pvcSpecDoc := corev1.PersistentVolumeClaimSpec{}.SwaggerDoc()
	pvcStatusDoc := corev1.PersistentVolumeClaimStatus{}.SwaggerDoc()
	register(g, printerFor[*corev1.PersistentVolumeClaim]{
		columns: []metav1.TableColumnDefinition{
			nameColumn(),
			col("Status", "string", pvcStatusDoc["phase"]),
			col("Volume", "string", pvcSpecDoc["volumeName"]),
			col("Capacity", "string", pvcStatusDoc["capacity"]),
			col("Access Modes", "string", pvcStatusDoc["accessModes"]),
			col("StorageClass", "string", "StorageClass of the pvc"),
			col("VolumeAttributesClass", "string", "VolumeAttributesClass of the pvc"),
			ageColumn(),
			wide("VolumeMode", "string", pvcSpecDoc["volumeMode"]),
		},
		cells: func(pvc *corev1.PersistentVolumeClaim, pc *printContext) ([]interface{}, error) {
			phase := string(pvc.Status.Phase)
			if pvc.DeletionTimestamp != nil {
				phase = "Terminating"
			}
			// Capacity and access modes are the bound volume's.
			capacity, modes := "", ""
			if pvc.Spec.VolumeName != "" {
				q := pvc.Status.Capacity[corev1.ResourceStorage]
				capacity, modes = q.String(), accessModes(pvc.Status.AccessModes)
			}
			class, ok := pvc.Annotations[corev1.BetaStorageClassAnnotation]
			if !ok {
				class = deref(pvc.Spec.StorageClassName)
			}
			return []interface{}{pvc.Name, phase, pvc.Spec.VolumeName, capacity, modes, class,
				orUnset(pvc.Spec.VolumeAttributesClassName), since(pc, pvc.CreationTimestamp),
				volumeMode(pvc.Spec.VolumeMode)}, nil
		},
	})
}

// accessModes abbreviates access modes in a fixed order: RWO,ROX,RWX,RWOP.
func accessModes(modes []corev1.PersistentVolumeAccessMode) string {
	has := map[corev1.PersistentVolumeAccessMode]bool{}
	for _, m := range modes {
		has[m] = true
	}
	var out []string
	for _, m := range []struct {
		mode  corev1.PersistentVolumeAccessMode
		short string
	}{
		{corev1.ReadWriteOnce, "RWO"},
		{corev1.ReadOnlyMany, "ROX"},
		{corev1.ReadWriteMany, "RWX"},
		{corev1.ReadWriteOncePod, "RWOP"},
	} {
		if has[m.mode] {
			out = append(out, m.short)
		}
	}
	return strings.Join(out, ",")
}

func volumeMode(m *corev1.PersistentVolumeMode) string {
	if m == nil {
		return "<unset>"
	}
	return string(*m)
}

// orUnset returns *s, or "<unset>" when s is nil.
func orUnset(s *string) string {
	if s == nil {
		return "<unset>"
	}
	return *s
}
