package integration

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

// process is a `tinykube server` subprocess.
type process struct {
	cmd    *exec.Cmd
	stderr *bytes.Buffer
	client kubernetes.Interface
}

// buildTinykube builds cmd/tinykube into a temp dir.
func buildTinykube(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "tinykube")
	out, err := exec.Command("go", "build", "-o", bin, "github.com/tinykube/tinykube/cmd/tinykube").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// startProcess runs `tinykube apiserver` on dir and port (fsync on, as
// in production) and waits until /readyz answers ok.
func startProcess(t *testing.T, bin, dir string, port int) *process {
	t.Helper()
	p := &process{stderr: &bytes.Buffer{}}
	p.cmd = exec.Command(bin, "apiserver", "--data-dir", dir, "--secure-port", strconv.Itoa(port))
	p.cmd.Stderr = p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.kill() })
	err := wait.PollUntilContextTimeout(context.Background(), 100*time.Millisecond, 60*time.Second, false, func(ctx context.Context) (bool, error) {
		cfg, err := clientcmd.BuildConfigFromFlags("", filepath.Join(dir, "admin.kubeconfig"))
		if err != nil {
			return false, nil // not written yet
		}
		cfg.QPS, cfg.Burst = -1, 0
		cs, err := kubernetes.NewForConfig(cfg)
		if err != nil {
			return false, err
		}
		body, err := cs.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(ctx)
		if err == nil && string(body) == "ok" {
			p.client = cs
			return true, nil
		}
		return false, nil
	})
	if err != nil {
		t.Fatalf("server not ready after 60s: %v\n%s", err, p.stderr.String())
	}
	return p
}

// kill sends SIGKILL and reaps the process.
func (p *process) kill() {
	if p.cmd.ProcessState == nil {
		_ = p.cmd.Process.Kill()
		_ = p.cmd.Wait()
	}
}

// TestDurabilityKill9: 1,000 concurrent ConfigMap creates against a real
// `tinykube` process that is SIGKILLed part-way; after a restart on the
// same data dir every create that was answered with success is there.
func TestDurabilityKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the tinykube binary")
	}
	bin := buildTinykube(t)
	dir := t.TempDir()
	port := freePort(t)
	p := startProcess(t, bin, dir, port)

	const total, workers, killAfter = 1000, 32, 300
	var (
		mu     sync.Mutex
		acked  []string
		nAcked atomic.Int64
		killed sync.Once
		wg     sync.WaitGroup
	)
	names := make(chan string, total)
	for i := range total {
		names <- fmt.Sprintf("cm-%04d", i)
	}
	close(names)
	cms := p.client.CoreV1().ConfigMaps("default")
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for name := range names {
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				_, err := cms.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: name}, Data: map[string]string{"n": name}}, metav1.CreateOptions{})
				cancel()
				if err != nil {
					continue
				}
				mu.Lock()
				acked = append(acked, name)
				mu.Unlock()
				if nAcked.Add(1) == killAfter {
					killed.Do(p.kill)
				}
			}
		}()
	}
	wg.Wait()
	killed.Do(p.kill)
	if len(acked) < killAfter || len(acked) == total {
		t.Fatalf("%d creates acknowledged: the kill did not land part-way", len(acked))
	}
	t.Logf("%d of %d creates acknowledged before SIGKILL", len(acked), total)

	p = startProcess(t, bin, dir, port)
	list, err := p.client.CoreV1().ConfigMaps("default").List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	stored := map[string]bool{}
	for _, c := range list.Items {
		stored[c.Name] = c.Data["n"] == c.Name
	}
	var lost []string
	for _, name := range acked {
		if !stored[name] {
			lost = append(lost, name)
		}
	}
	if len(lost) > 0 {
		t.Errorf("%d acknowledged creates lost after kill -9: %v", len(lost), lost)
	}
	t.Logf("%d ConfigMaps stored after restart", len(stored))
}
