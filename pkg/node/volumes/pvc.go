package volumes

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// setUpClaim finds the PersistentVolume bound to the pod's claim and
// uses its path: hostPath (with its type check) or local. A claim that is
// missing or not bound yet is an error the pod waits out.
func (m *Manager) setUpClaim(ctx context.Context, pod *corev1.Pod, v *corev1.Volume, _ *sources) (mounted, error) {
	name := v.PersistentVolumeClaim.ClaimName
	pvc, err := m.cfg.Client.CoreV1().PersistentVolumeClaims(pod.Namespace).Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return mounted{}, fmt.Errorf("persistentvolumeclaim %q not found", name)
	}
	if err != nil {
		return mounted{}, err
	}
	if pvc.DeletionTimestamp != nil {
		return mounted{}, fmt.Errorf("persistentvolumeclaim %q is being deleted", name)
	}
	if pvc.Spec.VolumeName == "" || pvc.Status.Phase != corev1.ClaimBound {
		return mounted{}, fmt.Errorf("persistentvolumeclaim %q is not bound", name)
	}
	pv, err := m.cfg.Client.CoreV1().PersistentVolumes().Get(ctx, pvc.Spec.VolumeName, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return mounted{}, fmt.Errorf("persistentvolume %q of claim %q not found", pvc.Spec.VolumeName, name)
	}
	if err != nil {
		return mounted{}, err
	}
	if ref := pv.Spec.ClaimRef; ref == nil || ref.Namespace != pod.Namespace || ref.Name != name || (ref.UID != "" && ref.UID != pvc.UID) {
		return mounted{}, fmt.Errorf("persistentvolume %q is not bound to claim %q", pv.Name, name)
	}
	readOnly := v.PersistentVolumeClaim.ReadOnly
	switch {
	case pv.Spec.HostPath != nil:
		t := corev1.HostPathUnset
		if pv.Spec.HostPath.Type != nil {
			t = *pv.Spec.HostPath.Type
		}
		if err := checkHostPath(pv.Spec.HostPath.Path, t); err != nil {
			return mounted{}, err
		}
		return mounted{path: pv.Spec.HostPath.Path, readOnly: readOnly}, nil
	case pv.Spec.Local != nil:
		if err := checkHostPath(pv.Spec.Local.Path, corev1.HostPathDirectory); err != nil {
			return mounted{}, fmt.Errorf("local volume %s: %w", pv.Name, err)
		}
		if gid := fsGroup(pod); gid != nil && !readOnly {
			chownGroup(pv.Spec.Local.Path, *gid, 0o660)
		}
		return mounted{path: pv.Spec.Local.Path, readOnly: readOnly}, nil
	}
	return mounted{}, fmt.Errorf("persistentvolume %q: only hostPath and local volumes are supported on this node", pv.Name)
}
