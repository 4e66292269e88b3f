package containerd

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"text/template"
)

// Paths are where one node's containerd keeps everything.
type Paths struct {
	// Dir is the node's containerd directory (DataDir/containerd).
	Dir string
	// Config is Dir/config.toml; Root and State are containerd's root
	// and state dirs; Log is its stdout and stderr.
	Config, Root, State, Log string
	// Socket is the gRPC (CRI) socket: Dir/containerd.sock, or a short
	// path under /tmp when that would be too long for a unix socket.
	Socket string
	// CNIConfDir holds the node's CNI conflist; CNIDataDir the IP
	// allocations (host-local's or tinykube-cni's); CNIBinDir the node's
	// own plugin links when it runs tinykube-cni.
	CNIConfDir, CNIDataDir, CNIBinDir string
}

// maxSocketPath leaves room under the 108-byte sun_path limit for the
// ".ttrpc" socket containerd opens next to the gRPC one.
const maxSocketPath = 100

// PathsFor lays out a containerd under dir.
func PathsFor(dir string) (Paths, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return Paths{}, err
	}
	p := Paths{Dir: dir, Config: filepath.Join(dir, "config.toml"),
		Root: filepath.Join(dir, "root"), State: filepath.Join(dir, "state"), Log: filepath.Join(dir, "containerd.log"),
		Socket: filepath.Join(dir, "containerd.sock"), CNIConfDir: filepath.Join(dir, "cni", "net.d"), CNIDataDir: filepath.Join(dir, "cni", "ipam"),
		CNIBinDir: filepath.Join(dir, "cni", "bin")}
	if len(p.Socket) > maxSocketPath {
		// Deterministic per dir, so a restarted node finds it again.
		sum := sha256.Sum256([]byte(dir))
		p.Socket = filepath.Join(os.TempDir(), "tinykube-"+hex.EncodeToString(sum[:6]), "containerd.sock")
		if len(p.Socket) > maxSocketPath {
			return Paths{}, fmt.Errorf("containerd socket path %s is too long for a unix socket", p.Socket)
		}
	}
	return p, nil
}

// configTemplate is containerd 1.6's config (version 2). Notes:
//   - restrict_oom_score_adj: containers may not lower their OOM score
//     below containerd's (needed when the node is not the machine's
//     only OOM-sensitive tenant, and in user namespaces);
//   - SystemdCgroup = false: cgroupfs, the node creates pod cgroups
//     itself (no systemd on the machines tinykube targets);
//   - the runc root is under our state dir, so runc's state never mixes
//     with another containerd's (shim sockets in /run/containerd/s are
//     named by a hash of our socket path, so they never collide either);
//   - stream_server_port "0": exec/attach/port-forward URLs on any free
//     loopback port (the node's kubelet API proxies to them);
//   - netns_mounts_under_state_dir: the pods' network namespaces are
//     mounted under our state dir, not in the machine's /var/run/netns
//     with every other containerd's. containerd 1.6 leaves the netns of
//     a sandbox whose creation failed (runc refusing its sysctls, say)
//     mounted, with no sandbox left to remove it; under the state dir it
//     is still ours, and Paths.UnmountAll takes it away with the node;
//   - the "opt" plugin would install into /opt/containerd, shared by
//     every containerd on the machine: it is disabled.
var configTemplate = template.Must(template.New("config.toml").Parse(`# Written by tinykube for this node's private containerd; rewritten at every start.
version = 2
root = "{{.Root}}"
state = "{{.State}}"
disabled_plugins = ["io.containerd.internal.v1.opt", "io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper"]

[grpc]
  address = "{{.Socket}}"

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "{{.PauseImage}}"
  restrict_oom_score_adj = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  enable_selinux = false
  disable_apparmor = true
  netns_mounts_under_state_dir = true

  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"

    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"

      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        Root = "{{.State}}/runc"

  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "{{.CNIBinDir}}"
    conf_dir = "{{.CNIConfDir}}"
    max_conf_num = 1
`))

// writeConfig writes p.Config.
func writeConfig(p Paths, pauseImage, cniBinDir string) error {
	var b bytes.Buffer
	if err := configTemplate.Execute(&b, struct {
		Paths
		PauseImage, CNIBinDir string
	}{p, pauseImage, cniBinDir}); err != nil {
		return err
	}
	return os.WriteFile(p.Config, b.Bytes(), 0o600)
}
