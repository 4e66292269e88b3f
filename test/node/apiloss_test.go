package node

import (
	"context"
	"io"
	"net"
	"net/url"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"

	"github.com/tinykube/tinykube/internal/controllertest"
	"github.com/tinykube/tinykube/internal/nodetest"
	"github.com/tinykube/tinykube/pkg/node"
)

// cutProxy forwards TCP from a loopback address to target until cut:
// then it stops listening and drops every connection, as a network
// partition between the node and its API server would, until restored
// on the same address.
type cutProxy struct {
	addr, target string

	mu    sync.Mutex
	ln    net.Listener
	conns map[net.Conn]bool
	wg    sync.WaitGroup
}

func startCutProxy(t *testing.T, target string) *cutProxy {
	t.Helper()
	p := &cutProxy{target: target, conns: map[net.Conn]bool{}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p.addr = ln.Addr().String()
	p.serve(ln)
	t.Cleanup(func() {
		p.cut()
		p.wg.Wait()
	})
	return p
}

func (p *cutProxy) serve(ln net.Listener) {
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", p.target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns[c], p.conns[up] = true, true
			p.mu.Unlock()
			for _, pair := range [][2]net.Conn{{c, up}, {up, c}} {
				p.wg.Add(1)
				go func() {
					defer p.wg.Done()
					_, _ = io.Copy(pair[0], pair[1])
					pair[0].Close()
					pair[1].Close()
				}()
			}
		}
	}()
}

// cut stops listening and drops every connection.
func (p *cutProxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for c := range p.conns {
		c.Close()
	}
	p.conns = map[net.Conn]bool{}
}

// restore listens again on the same address.
func (p *cutProxy) restore(t *testing.T) {
	t.Helper()
	var ln net.Listener
	controllertest.Eventually(t, "proxy listening again on "+p.addr, func(context.Context) (bool, error) {
		var err error
		ln, err = net.Listen("tcp", p.addr)
		return err == nil, nil
	})
	p.serve(ln)
}

// TestRealNodeSurvivesAPIServerLoss: the node loses its API server for
// 30 s (every connection to it cut, as a partition would) while a pod
// runs; its containers keep running, one of them exits meanwhile, and
// once the API server is reachable again the pod's stored status
// catches up: the exited container Terminated with its exit code, the
// other still Running, never restarted.
func TestRealNodeSurvivesAPIServerLoss(t *testing.T) {
	const outage = 30 * time.Second
	var proxy *cutProxy
	n := nodetest.StartNodeWith(t, func(c *node.Config) {
		u, err := url.Parse(c.RESTConfig.Host)
		if err != nil {
			t.Fatal(err)
		}
		proxy = startCutProxy(t, u.Host)
		rc := rest.CopyConfig(c.RESTConfig)
		rc.Host = "https://" + proxy.addr
		c.RESTConfig = rc
	})
	img := n.Busybox(t)
	ctx := context.Background()
	p := busyboxPod(n, "partitioned", img, "exec sleep 3600")
	p.Spec.Containers = append(p.Spec.Containers, corev1.Container{Name: "quitter", Image: img,
		Command: []string{"sh", "-c", "while [ ! -e /tmp/quit ]; do sleep 0.2; done; exit 3"}})
	if _, err := n.Client.CoreV1().Pods("default").Create(ctx, p, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	pod := waitPod(t, n, "partitioned", "Running with both containers", func(p *corev1.Pod) bool {
		running := 0
		for _, cs := range p.Status.ContainerStatuses {
			if cs.State.Running != nil {
				running++
			}
		}
		return running == 2
	})
	ids := map[string]string{}
	for _, cs := range pod.Status.ContainerStatuses {
		ids[cs.Name] = cs.ContainerID
	}
	mainPID := containerProcess(t, n, ids["main"])

	proxy.cut()
	cutAt := time.Now()
	// While the node is cut off: tell the quitter to exit (straight
	// through CRI, as the API server cannot reach the node either) and
	// see it exit; the other container keeps running.
	quitter := ids["quitter"][len("containerd://"):]
	if _, _, err := n.Runtime.CRI.ExecSync(ctx, quitter, []string{"touch", "/tmp/quit"}, 10*time.Second); err != nil {
		t.Fatalf("telling the quitter to exit: %v", err)
	}
	controllertest.Eventually(t, "the quitter exits while the node is cut off", func(ctx context.Context) (bool, error) {
		st, err := n.Runtime.CRI.ContainerStatus(ctx, quitter, false)
		return err == nil && st.GetStatus().GetExitCode() == 3 && st.GetStatus().GetFinishedAt() > 0, nil
	})
	stored, err := n.Client.CoreV1().Pods("default").Get(ctx, "partitioned", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, cs := range stored.Status.ContainerStatuses {
		if cs.Name == "quitter" && cs.State.Terminated != nil {
			t.Fatal("the quitter's exit reached the API server through a cut connection")
		}
	}
	select {
	case <-time.After(time.Until(cutAt.Add(outage))): // the rest of the outage
	case <-ctx.Done():
	}
	if _, err := os.Stat("/proc/" + strconv.Itoa(mainPID)); err != nil {
		t.Fatalf("the main container's process %d died during the outage", mainPID)
	}
	proxy.restore(t)

	pod = waitPod(t, n, "partitioned", "status caught up after the outage", func(p *corev1.Pod) bool {
		for _, cs := range p.Status.ContainerStatuses {
			if cs.Name == "quitter" {
				return cs.State.Terminated != nil
			}
		}
		return false
	})
	for _, cs := range pod.Status.ContainerStatuses {
		switch cs.Name {
		case "quitter":
			if cs.State.Terminated.ExitCode != 3 || cs.State.Terminated.Reason != "Error" {
				t.Errorf("quitter %+v", cs.State.Terminated)
			}
		case "main":
			if cs.State.Running == nil || cs.RestartCount != 0 || cs.ContainerID != ids["main"] {
				t.Errorf("main after the outage: %+v restarts %d id %s (was %s)", cs.State, cs.RestartCount, cs.ContainerID, ids["main"])
			}
		}
	}
	if pod.Status.Phase != corev1.PodRunning {
		t.Errorf("phase %s", pod.Status.Phase)
	}
	if _, err := os.Stat("/proc/" + strconv.Itoa(mainPID)); err != nil {
		t.Errorf("the main container's process %d is gone", mainPID)
	}
	// The node's Lease is renewed again.
	controllertest.Eventually(t, "the node's Lease renewed after the outage", func(ctx context.Context) (bool, error) {
		l, err := n.Client.CoordinationV1().Leases(corev1.NamespaceNodeLease).Get(ctx, n.Name, metav1.GetOptions{})
		return err == nil && l.Spec.RenewTime != nil && l.Spec.RenewTime.After(cutAt.Add(outage)), nil
	})
}
