package containerd

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/tinykube/tinykube/pkg/network/cni"
	"github.com/tinykube/tinykube/pkg/node/images"
)

// ErrNotInstalled is returned by Start when there is no containerd (or
// ctr, or runc) binary.
var ErrNotInstalled = errors.New("containerd not found: install Debian's containerd, runc and containernetworking-plugins packages (apt-get install containerd runc containernetworking-plugins)")

// Config configures a node's containerd.
type Config struct {
	// Dir holds everything (see Paths); created if missing.
	Dir string
	// Binary and Ctr are the containerd and ctr executables ("": looked
	// up in PATH).
	Binary, Ctr string
	// CNIBinDir holds the CNI plugins (Debian: /usr/lib/cni).
	CNIBinDir string
	// CNI is the pod network plugin: CNIReference ("" here; `tinykube
	// node` defaults to CNITinykube) or CNITinykube (cni_tinykube.go).
	CNI string
	// TinykubeBinary is the tinykube executable linked as tinykube-cni
	// ("": this process's own executable, which must answer as the
	// plugin: cni.ServeIfCalled ran in main or TestMain).
	TinykubeBinary string
	// ClusterCIDR is what tinykube-cni does not masquerade ("": the
	// node's podCIDR).
	ClusterCIDR string
	// PodMTU is tinykube-cni's MTU ("0": its default, 1500), lowered
	// below the parent link's by an overlay (pkg/network/routes.PodMTU).
	PodMTU int
	// PauseImage is the sandbox image, built and imported at start.
	PauseImage string
	// StartTimeout bounds the wait for the socket.
	StartTimeout time.Duration
	// StopTimeout is how long Stop waits after SIGTERM before SIGKILL.
	StopTimeout time.Duration
	Logger      *slog.Logger
}

// DefaultConfig returns the defaults for a containerd under dir.
func DefaultConfig(dir string) Config {
	return Config{Dir: dir, CNIBinDir: "/usr/lib/cni", PauseImage: images.PauseImage,
		StartTimeout: 30 * time.Second, StopTimeout: 10 * time.Second}
}

// Containerd is a running, supervised containerd.
type Containerd struct {
	cfg   Config
	paths Paths
	log   *slog.Logger

	mu       sync.Mutex
	cmd      *exec.Cmd
	exited   chan struct{} // closed when cmd has exited
	stopping bool
	// supervised is closed when the supervisor goroutine ends.
	supervised chan struct{}
}

// Start writes the config, starts containerd, waits until its socket
// answers and imports the pause image. A missing binary is
// ErrNotInstalled, at once.
func Start(ctx context.Context, cfg Config) (*Containerd, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	var err error
	if cfg.Binary, err = lookPath(cfg.Binary, "containerd"); err != nil {
		return nil, err
	}
	if cfg.Ctr, err = lookPath(cfg.Ctr, "ctr"); err != nil {
		return nil, err
	}
	if _, err := lookPath("", "runc"); err != nil {
		return nil, err
	}
	if os.Geteuid() != 0 {
		return nil, errors.New("containerd: a real node runs containers and needs root (run tinykube as root)")
	}
	if cfg.CNIBinDir == "" || cfg.PauseImage == "" || cfg.Dir == "" || cfg.StartTimeout <= 0 {
		return nil, fmt.Errorf("containerd: Dir, CNIBinDir, PauseImage and StartTimeout are required")
	}
	if err := validCNI(cfg.CNI); err != nil {
		return nil, err
	}
	plugin := "bridge"
	if cfg.CNI == CNITinykube {
		plugin = "portmap"
	}
	if _, err := os.Stat(filepath.Join(cfg.CNIBinDir, plugin)); err != nil {
		return nil, fmt.Errorf("%w (no CNI %s plugin in %s)", ErrNotInstalled, plugin, cfg.CNIBinDir)
	}
	p, err := PathsFor(cfg.Dir)
	if err != nil {
		return nil, err
	}
	for _, d := range []string{p.Dir, p.Root, p.State, p.CNIConfDir, p.CNIDataDir, filepath.Dir(p.Socket)} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, err
		}
	}
	binDir := cfg.CNIBinDir
	if cfg.CNI == CNITinykube {
		if cfg.TinykubeBinary == "" {
			if !cni.Serves() {
				return nil, errors.New("containerd: tinykube-cni: this executable does not answer as the CNI plugin (no cni.ServeIfCalled in its main); set TinykubeBinary or use the reference plugins")
			}
			if cfg.TinykubeBinary, err = os.Executable(); err != nil {
				return nil, fmt.Errorf("containerd: tinykube-cni: %w", err)
			}
		}
		if err := linkTinykubeCNI(p, cfg.TinykubeBinary, cfg.CNIBinDir); err != nil {
			return nil, err
		}
		binDir = p.CNIBinDir
	}
	if err := writeConfig(p, cfg.PauseImage, binDir); err != nil {
		return nil, err
	}
	c := &Containerd{cfg: cfg, paths: p, log: cfg.Logger, supervised: make(chan struct{})}
	if err := c.stopLeftover(); err != nil {
		return nil, err
	}
	if err := c.start(ctx); err != nil {
		return nil, err
	}
	go c.supervise()
	if err := c.importPause(ctx); err != nil {
		c.Stop()
		return nil, err
	}
	return c, nil
}

func lookPath(given, name string) (string, error) {
	if given == "" {
		given = name
	}
	p, err := exec.LookPath(given)
	if err != nil {
		return "", fmt.Errorf("%w (%s: %v)", ErrNotInstalled, name, err)
	}
	return p, nil
}

// Endpoint is the CRI endpoint, "unix://<socket>".
func (c *Containerd) Endpoint() string { return "unix://" + c.paths.Socket }

// WriteCNIConfig writes the node's conflist for its podCIDRs for the
// configured plugin (Config.CNI).
func (c *Containerd) WriteCNIConfig(podCIDRs string) error {
	if c.cfg.CNI == CNITinykube {
		return c.paths.writeTinykubeCNIConfig(podCIDRs, c.cfg.ClusterCIDR, c.cfg.PodMTU)
	}
	return c.paths.WriteCNIConfig(podCIDRs)
}

// Paths returns where this containerd keeps its files.
func (c *Containerd) Paths() Paths { return c.paths }

// Pid is the current containerd process's ID.
func (c *Containerd) Pid() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cmd.Process.Pid
}

// start runs containerd once and waits for its socket.
func (c *Containerd) start(ctx context.Context) error {
	_ = os.Remove(c.paths.Socket) // stale from a killed run
	logf, err := os.OpenFile(c.paths.Log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	defer logf.Close()
	cmd := exec.Command(c.cfg.Binary, "--config", c.paths.Config)
	cmd.Stdout, cmd.Stderr = logf, logf
	// Its own process group: a Ctrl-C at the terminal reaches tinykube,
	// which then stops containerd in order. If tinykube dies without
	// stopping it, the kernel sends it SIGTERM (Pdeathsig). The kernel
	// ties that to the OS thread that forked it, so a goroutine locked
	// to that thread starts containerd and waits for it: the thread
	// lives as long as containerd does.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	started := make(chan error, 1)
	exited := make(chan struct{})
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		err := cmd.Start()
		started <- err
		if err == nil {
			_ = cmd.Wait()
		}
		close(exited)
	}()
	if err := <-started; err != nil {
		return fmt.Errorf("starting containerd: %w", err)
	}
	_ = os.WriteFile(c.pidFile(), []byte(strconv.Itoa(cmd.Process.Pid)), 0o600)
	c.mu.Lock()
	c.cmd, c.exited = cmd, exited
	c.mu.Unlock()

	deadline := time.NewTimer(c.cfg.StartTimeout)
	defer deadline.Stop()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		if conn, err := net.DialTimeout("unix", c.paths.Socket, time.Second); err == nil {
			conn.Close()
			c.log.Info("containerd: running", "pid", cmd.Process.Pid, "socket", c.paths.Socket, "log", c.paths.Log)
			return nil
		}
		select {
		case <-exited:
			return fmt.Errorf("containerd exited at start (%v); its log %s ends:\n%s", cmd.ProcessState, c.paths.Log, c.logTail())
		case <-deadline.C:
			c.kill(cmd, exited)
			return fmt.Errorf("containerd did not open %s within %v; its log %s ends:\n%s", c.paths.Socket, c.cfg.StartTimeout, c.paths.Log, c.logTail())
		case <-ctx.Done():
			c.kill(cmd, exited)
			return ctx.Err()
		case <-tick.C:
		}
	}
}

func (c *Containerd) pidFile() string { return filepath.Join(c.paths.Dir, "containerd.pid") }

// stopLeftover ends a containerd of an earlier run on the same
// directory that is still running (its tinykube was killed): two
// containerds must never share a root.
func (c *Containerd) stopLeftover() error {
	b, err := os.ReadFile(c.pidFile())
	if err != nil {
		return nil
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return nil
	}
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil || !strings.Contains(string(cmdline), c.paths.Config) {
		return nil // gone, or the pid is someone else's now
	}
	c.log.Warn("containerd: stopping the one left running by an earlier run", "pid", pid)
	_ = syscall.Kill(pid, syscall.SIGTERM)
	for i := 0; i < 100; i++ {
		if _, err := os.Stat(fmt.Sprintf("/proc/%d", pid)); err != nil {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	_ = syscall.Kill(pid, syscall.SIGKILL)
	for i := 0; i < 50; i++ {
		if _, err := os.Stat(fmt.Sprintf("/proc/%d", pid)); err != nil {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("containerd %d of an earlier run on %s does not stop", pid, c.paths.Dir)
}

// supervise restarts containerd when it dies, with a back-off from 1 s
// doubling to 30 s, until Stop.
func (c *Containerd) supervise() {
	defer close(c.supervised)
	backoff := time.Second
	for {
		c.mu.Lock()
		exited, cmd := c.exited, c.cmd
		c.mu.Unlock()
		<-exited
		c.mu.Lock()
		stopping := c.stopping
		c.mu.Unlock()
		if stopping {
			return
		}
		c.log.Error("containerd: exited unexpectedly, restarting", "state", cmd.ProcessState.String(), "in", backoff, "log", c.paths.Log)
		time.Sleep(backoff)
		backoff = min(2*backoff, 30*time.Second)
		c.mu.Lock()
		stopping = c.stopping
		c.mu.Unlock()
		if stopping {
			return
		}
		if err := c.start(context.Background()); err != nil {
			c.log.Error("containerd: restart failed", "err", err)
			c.mu.Lock()
			if c.exited == exited { // never got as far as a new process
				e := make(chan struct{})
				close(e)
				c.exited = e
			}
			c.mu.Unlock()
		}
	}
}

// Stop ends containerd: SIGTERM, then SIGKILL after StopTimeout. Pods'
// containers (their shims) keep running, as with any containerd; remove
// them first (RemoveAllPods) when they must go too.
func (c *Containerd) Stop() error {
	c.mu.Lock()
	c.stopping = true
	cmd, exited := c.cmd, c.exited
	c.mu.Unlock()
	if cmd != nil {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(c.cfg.StopTimeout):
			c.log.Warn("containerd: no exit after SIGTERM, killing", "waited", c.cfg.StopTimeout)
			c.kill(cmd, exited)
		}
	}
	<-c.supervised
	_ = os.Remove(c.paths.Socket)
	_ = os.Remove(c.pidFile())
	if filepath.Dir(c.paths.Socket) != c.paths.Dir {
		_ = os.Remove(filepath.Dir(c.paths.Socket)) // the short /tmp dir, if empty
	}
	return nil
}

func (c *Containerd) kill(cmd *exec.Cmd, exited chan struct{}) {
	_ = cmd.Process.Kill()
	<-exited
}

// logTail returns the last lines of containerd's log.
func (c *Containerd) logTail() string {
	b, _ := os.ReadFile(c.paths.Log)
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(b)
}

// importPause builds the pause image and imports it.
func (c *Containerd) importPause(ctx context.Context) error {
	img, err := images.Pause("")
	if err != nil {
		return err
	}
	img.Ref = c.cfg.PauseImage
	tarPath := filepath.Join(c.paths.Dir, "pause.tar")
	if err := images.WriteOCIArchiveFile(tarPath, img); err != nil {
		return err
	}
	return c.ImportImage(ctx, tarPath)
}

// ImportImage loads an OCI layout or docker-archive tar into the CRI
// namespace (k8s.io) of this containerd.
func (c *Containerd) ImportImage(ctx context.Context, tarPath string) error {
	return Import(ctx, c.cfg.Ctr, c.Endpoint(), tarPath)
}

// Import loads an image tar into the containerd at endpoint with ctr
// ("" = from PATH), in the CRI namespace k8s.io, unpacked for the
// default snapshotter.
func Import(ctx context.Context, ctr, endpoint, tarPath string) error {
	ctr, err := lookPath(ctr, "ctr")
	if err != nil {
		return err
	}
	sock := endpoint
	if len(sock) > 7 && sock[:7] == "unix://" {
		sock = sock[7:]
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, ctr, "--address", sock, "--namespace", "k8s.io", "images", "import", tarPath)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("importing %s: %s: %w", tarPath, bytes.TrimSpace(out.Bytes()), err)
	}
	return nil
}
