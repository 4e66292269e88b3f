package volumes

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// File is one file of a projected volume.
type File struct {
	Data []byte
	Mode os.FileMode
}

const (
	dataDirName    = "..data"
	newDataDirName = "..data_tmp"
)

// WriteAtomic makes dir hold exactly payload (relative path -> file) the
// way the kubelet's atomic writer does, so that a reader never sees a
// half-written update:
//
//  1. the files are written into a new ..<timestamp> directory in dir,
//     and setPerms (if any) is applied to it;
//  2. a ..data symlink pointing at it replaces the old one by rename;
//  3. each top-level name of the payload is a symlink to ..data/<name>;
//     names no longer in the payload are removed;
//  4. the previous ..<timestamp> directory is removed.
//
// It writes nothing and reports false when dir already holds payload.
func WriteAtomic(dir string, payload map[string]File, setPerms func(string) error) (bool, error) {
	for p := range payload {
		if err := validatePath(p); err != nil {
			return false, err
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return false, err
	}
	oldTS, err := os.Readlink(filepath.Join(dir, dataDirName))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return false, err
	}
	if oldTS != "" {
		same, err := holds(filepath.Join(dir, oldTS), payload)
		if err != nil {
			return false, err
		}
		if same {
			return false, nil
		}
	}
	tsDir, err := os.MkdirTemp(dir, time.Now().UTC().Format("..2006_01_02_15_04_05."))
	if err != nil {
		return false, err
	}
	if err := writePayload(tsDir, payload); err != nil {
		os.RemoveAll(tsDir)
		return false, err
	}
	if setPerms != nil {
		if err := setPerms(tsDir); err != nil {
			os.RemoveAll(tsDir)
			return false, err
		}
	}
	tmpLink := filepath.Join(dir, newDataDirName)
	if err := os.Remove(tmpLink); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return false, err
	}
	if err := os.Symlink(filepath.Base(tsDir), tmpLink); err != nil {
		return false, err
	}
	if err := os.Rename(tmpLink, filepath.Join(dir, dataDirName)); err != nil {
		return false, err
	}
	want := map[string]bool{}
	for p := range payload {
		top, _, _ := strings.Cut(p, "/")
		want[top] = true
	}
	for top := range want {
		link := filepath.Join(dir, top)
		if _, err := os.Lstat(link); err == nil {
			continue
		}
		if err := os.Symlink(filepath.Join(dataDirName, top), link); err != nil {
			return false, err
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return false, err
	}
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, "..") || want[name] || e.Type()&fs.ModeSymlink == 0 {
			continue
		}
		if err := os.Remove(filepath.Join(dir, name)); err != nil {
			return false, err
		}
	}
	if oldTS != "" && oldTS != filepath.Base(tsDir) {
		if err := os.RemoveAll(filepath.Join(dir, oldTS)); err != nil {
			return false, err
		}
	}
	return true, nil
}

// validatePath refuses paths that could leave the volume or collide with
// the writer's own names.
func validatePath(p string) error {
	switch {
	case p == "":
		return errors.New("invalid path: must not be empty")
	case filepath.IsAbs(p):
		return fmt.Errorf("invalid path %q: must be relative", p)
	case strings.HasPrefix(p, ".."):
		return fmt.Errorf("invalid path %q: must not start with '..'", p)
	case len(p) > 4096:
		return fmt.Errorf("invalid path %q: too long", p)
	}
	for _, part := range strings.Split(p, "/") {
		if part == ".." || part == "" || part == "." {
			return fmt.Errorf("invalid path %q: must not contain '..', '.' or empty elements", p)
		}
	}
	return nil
}

func writePayload(dir string, payload map[string]File) error {
	for p, f := range payload {
		full := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(full, f.Data, 0o600); err != nil {
			return err
		}
		if err := os.Chmod(full, f.Mode); err != nil {
			return err
		}
	}
	return nil
}

// holds reports whether dir has exactly payload's files, data and modes.
func holds(dir string, payload map[string]File) (bool, error) {
	seen := 0
	same := true
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(dir, path)
		f, ok := payload[rel]
		if !ok {
			same = false
			return filepath.SkipAll
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if info.Mode().Perm() != f.Mode.Perm() || !bytes.Equal(data, f.Data) {
			same = false
			return filepath.SkipAll
		}
		seen++
		return nil
	})
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	return same && seen == len(payload), err
}
