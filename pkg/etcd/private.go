package etcd

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"time"
)

// The embedded member serves clients and peers on unix sockets in its
// data dir, with no TCP port at all. A unix socket is only as private as
// the directories above it: connecting needs search permission on each of
// them, so a 0700 data dir owned by the server's user keeps every other
// local user (root aside) away from the store, where a loopback port let
// any of them read Secrets and write keys past the API server's checks.
const (
	clientSocket = "etcd.sock"
	peerSocket   = "etcd-peer.sock"
	// maxSocketPath is the longest socket path that binds everywhere
	// (sun_path is 108 bytes on Linux, 104 on the BSDs, NUL included).
	maxSocketPath = 103
)

// ErrNotPrivate is returned for a data dir that another user owns: the
// server cannot make it private, so it refuses to keep the store there.
var ErrNotPrivate = errors.New("not owned by this user")

// PrivateDir creates dir (and missing parents) with mode 0700, or makes an
// existing dir 0700 if it was looser, saying so on log (a warning if it
// held anything). A dir owned by
// another user is refused (ErrNotPrivate): its owner could open it again.
//
// Tightening rather than refusing: the dirs are tinykube's own, and a
// looser mode almost always comes from a `mkdir` the user ran before
// pointing --data-dir at it (0755 under the usual umask). Refusing would
// turn that harmless habit into a failed start for no gain, since the fix
// is the same chmod; ssh refuses a loose key because it cannot know that
// the key is its own to change, which is not the case here.
func PrivateDir(dir string, log *slog.Logger) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return fmt.Errorf("%s is not a directory", dir)
	}
	if uid, ok := fileOwner(fi); ok && uid != os.Geteuid() {
		return fmt.Errorf("%s: %w (uid %d, this process runs as uid %d), so it cannot be kept private; chown it or choose another --data-dir", dir, ErrNotPrivate, uid, os.Geteuid())
	}
	if mode := fi.Mode().Perm(); mode&0o077 != 0 {
		if err := os.Chmod(dir, 0o700); err != nil {
			return fmt.Errorf("%s has mode %#o, open to other users, and could not be made 0700: %w", dir, mode, err)
		}
		if log == nil {
			log = slog.Default()
		}
		// Warn when there was something to see: an empty dir (a test's
		// temp dir, a fresh mkdir) exposed nothing.
		level := slog.LevelInfo
		if entries, _ := os.ReadDir(dir); len(entries) > 0 {
			level = slog.LevelWarn
		}
		log.Log(context.Background(), level, "data dir was open to other users; made it private", "dir", dir, "was", fmt.Sprintf("%#o", mode), "now", "0700")
	}
	return nil
}

// socketDir returns the dir that holds the member's sockets: dataDir
// itself, or, when its path is too long for a socket address, a new
// private temp dir that the caller removes on Close (remove non-nil).
func socketDir(dataDir string) (dir string, remove func(), err error) {
	abs, err := filepath.Abs(dataDir)
	if err != nil {
		return "", nil, err
	}
	if len(filepath.Join(abs, peerSocket)) <= maxSocketPath {
		return abs, nil, nil
	}
	tmp, err := os.MkdirTemp("", "tinykube-etcd-") // mode 0700
	if err != nil {
		return "", nil, err
	}
	return tmp, func() { os.RemoveAll(tmp) }, nil
}

// checkNotServed refuses to start when another process already serves
// sock: etcd removes a socket file before binding its own, which would
// cut that process off its store.
func checkNotServed(sock string) error {
	c, err := net.DialTimeout("unix", sock, time.Second)
	if err != nil {
		return nil // absent or stale: etcd replaces it
	}
	c.Close()
	return fmt.Errorf("etcd: %s is served by another process: is another server running on this data dir?", sock)
}
