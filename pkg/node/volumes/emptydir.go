package volumes

import (
	"fmt"
	"os"

	corev1 "k8s.io/api/core/v1"
)

// setUpEmptyDir makes the volume's directory (world-writable, as the
// kubelet's), and for medium Memory mounts a tmpfs on it, sized by
// sizeLimit or else the node's allocatable memory.
func (m *Manager) setUpEmptyDir(pod *corev1.Pod, v *corev1.Volume) (mounted, error) {
	dir := m.volumeDir(pod.UID, pluginEmptyDir, v.Name)
	switch v.EmptyDir.Medium {
	case corev1.StorageMediumDefault, corev1.StorageMediumMemory:
	default:
		return mounted{}, fmt.Errorf("emptyDir medium %q is not supported on this node", v.EmptyDir.Medium)
	}
	_, statErr := os.Stat(dir)
	fresh := os.IsNotExist(statErr)
	if err := os.MkdirAll(dir, 0o777); err != nil {
		return mounted{}, err
	}
	if v.EmptyDir.Medium == corev1.StorageMediumMemory {
		isMount, err := isMountPoint(dir)
		if err != nil {
			return mounted{}, err
		}
		if !isMount {
			var size int64
			if v.EmptyDir.SizeLimit != nil && !v.EmptyDir.SizeLimit.IsZero() {
				size = v.EmptyDir.SizeLimit.Value()
			} else if q, ok := m.cfg.Allocatable[corev1.ResourceMemory]; ok {
				size = q.Value()
			}
			if err := mountTmpfs(dir, size); err != nil {
				return mounted{}, fmt.Errorf("mounting tmpfs: %w", err)
			}
			fresh = true
		}
	}
	if fresh {
		if err := os.Chmod(dir, 0o777); err != nil {
			return mounted{}, err
		}
		if gid := fsGroup(pod); gid != nil {
			chownGroup(dir, *gid, 0o660)
		}
	}
	return mounted{path: dir}, nil
}
