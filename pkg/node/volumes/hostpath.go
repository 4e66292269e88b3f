package volumes

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	corev1 "k8s.io/api/core/v1"
)

// checkHostPath applies a hostPath volume's type: the *OrCreate types
// make a missing directory (0755, with its parents) or empty file (0644,
// in an existing directory); the others require the path to exist and be
// of that kind. Unset checks nothing.
func checkHostPath(path string, t corev1.HostPathType) error {
	info, err := os.Stat(path)
	exists := err == nil
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("hostPath type check failed: %w", err)
	}
	is := func(want fs.FileMode, what string) error {
		if !exists {
			return fmt.Errorf("hostPath type check failed: %s does not exist", path)
		}
		if info.Mode().Type() != want {
			return fmt.Errorf("hostPath type check failed: %s is not %s", path, what)
		}
		return nil
	}
	switch t {
	case corev1.HostPathUnset:
		return nil
	case corev1.HostPathDirectoryOrCreate:
		if !exists {
			if err := os.MkdirAll(path, 0o755); err != nil {
				return fmt.Errorf("hostPath type check failed: creating %s: %w", path, err)
			}
			return nil
		}
		return is(fs.ModeDir, "a directory")
	case corev1.HostPathDirectory:
		return is(fs.ModeDir, "a directory")
	case corev1.HostPathFileOrCreate:
		if !exists {
			f, err := os.OpenFile(path, os.O_CREATE|os.O_RDONLY, 0o644)
			if err != nil {
				return fmt.Errorf("hostPath type check failed: creating %s: %w", path, err)
			}
			return f.Close()
		}
		return is(0, "a file")
	case corev1.HostPathFile:
		return is(0, "a file")
	case corev1.HostPathSocket:
		return is(fs.ModeSocket, "a socket file")
	case corev1.HostPathCharDev:
		return is(fs.ModeDevice|fs.ModeCharDevice, "a character device")
	case corev1.HostPathBlockDev:
		return is(fs.ModeDevice, "a block device")
	}
	return fmt.Errorf("hostPath type check failed: unknown type %q", t)
}
