package volumes

import (
	"io/fs"
	"os"
	"path/filepath"

	corev1 "k8s.io/api/core/v1"
)

func fsGroup(pod *corev1.Pod) *int64 {
	if sc := pod.Spec.SecurityContext; sc != nil {
		return sc.FSGroup
	}
	return nil
}

// chownGroup gives everything under dir to group gid and adds mask to
// its modes (directories also get the group's execute bit and setgid, so
// new files inherit the group), as the kubelet's volume ownership does.
// It is best effort: a node not running as root keeps the files as they
// are.
func chownGroup(dir string, gid int64, mask os.FileMode) {
	_ = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.Type()&fs.ModeSymlink != 0 {
			return nil
		}
		if err := os.Lchown(path, -1, int(gid)); err != nil {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return nil
		}
		m := info.Mode() | mask
		if d.IsDir() {
			m |= 0o110 | os.ModeSetgid
		}
		_ = os.Chmod(path, m&(os.ModePerm|os.ModeSetgid))
		return nil
	})
}
