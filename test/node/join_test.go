package node

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	certificatesv1 "k8s.io/api/certificates/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/utils/ptr"

	"github.com/tinykube/tinykube/internal/controllertest"
	"github.com/tinykube/tinykube/internal/nodetest"
	"github.com/tinykube/tinykube/pkg/cmd"
	"github.com/tinykube/tinykube/pkg/controller/certificates/approver"
	"github.com/tinykube/tinykube/pkg/node"
	"github.com/tinykube/tinykube/pkg/node/bootstrap"
	"github.com/tinykube/tinykube/pkg/node/containerd"
	"github.com/tinykube/tinykube/pkg/node/cri"
	"github.com/tinykube/tinykube/pkg/node/images"
)

// netnsLink is a network namespace joined to the host by a veth pair:
// the host side has HostIP, the namespace side NSIP, in a /30 of
// 10.250.0.0/16.
type netnsLink struct {
	NS, HostIP, NSIP string
}

func run(t *testing.T, args ...string) {
	t.Helper()
	if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// newNetns creates the namespace and the veth pair; both are deleted when
// the test ends.
func newNetns(t *testing.T) netnsLink {
	t.Helper()
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("no ip command (apt-get install iproute2)")
	}
	id := rand.IntN(1 << 14)
	l := netnsLink{NS: fmt.Sprintf("tkjoin-%d", id),
		HostIP: fmt.Sprintf("10.250.%d.%d", id>>6, (id&63)*4+1), NSIP: fmt.Sprintf("10.250.%d.%d", id>>6, (id&63)*4+2)}
	host, peer := fmt.Sprintf("tkj%dh", id), fmt.Sprintf("tkj%dn", id)
	run(t, "ip", "netns", "add", l.NS)
	t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", l.NS).Run() })
	run(t, "ip", "link", "add", host, "type", "veth", "peer", "name", peer)
	t.Cleanup(func() { _ = exec.Command("ip", "link", "del", host).Run() })
	run(t, "ip", "link", "set", peer, "netns", l.NS)
	run(t, "ip", "addr", "add", l.HostIP+"/30", "dev", host)
	run(t, "ip", "link", "set", host, "up")
	run(t, "ip", "-n", l.NS, "addr", "add", l.NSIP+"/30", "dev", peer)
	run(t, "ip", "-n", l.NS, "link", "set", peer, "up")
	run(t, "ip", "-n", l.NS, "link", "set", "lo", "up")
	run(t, "ip", "-n", l.NS, "route", "add", "default", "via", l.HostIP)
	return l
}

// TestJoin is issue 10's "a second node joins from its own network
// namespace with a bootstrap token and runs a pod": `tinykube server
// --node` listens on the host end of a veth pair; `tinykube token create
// --print-join-command` prints the join line; a second `tinykube node
// --runtime containerd` process, run inside the namespace with its own
// data dir and containerd, joins with it (the namespace is its only
// difference from the host: a different network, as on another host). The CSR is auto-approved and
// issued, the node's kubeconfig is system:node:<name>, the Node is
// Ready, its kubelet API gets a serving certificate from the cluster CA
// (kubelet-serving CSR), a pod pinned to it runs, and its log reaches
// kubectl through the API server and the joined node's kubelet API;
// restarted without the token, the node runs on as itself.
func TestJoin(t *testing.T) {
	nodetest.Skip(t)
	l := newNetns(t)
	s := nodetest.StartServerNode(t, fmt.Sprintf("host-%06d", rand.IntN(1e6)), "--bind-address", l.HostIP)

	var out bytes.Buffer
	tok := cmd.NewRootCommand()
	tok.SetArgs([]string{"token", "create", "--kubeconfig", s.Kubeconfig, "--ttl", "10m", "--description", "TestJoin", "--print-join-command"})
	tok.SetOut(&out)
	if err := tok.Execute(); err != nil {
		t.Fatal(err)
	}
	join := strings.Fields(strings.TrimSpace(out.String()))
	if len(join) != 10 || join[0] != "tinykube" || join[5] != "https://"+l.HostIP+":"+strings.Split(join[5], ":")[2] {
		t.Fatalf("join command %q: want tinykube node … --server https://%s:PORT …", out.String(), l.HostIP)
	}

	name := fmt.Sprintf("joined-%06d", rand.IntN(1e6))
	dir := filepath.Join(t.TempDir(), "n")
	args := append(join[1:], "--data-dir", dir, "--node-name", name, "--node-ip", l.NSIP, "--join-timeout", "90s")
	if _, err := exec.LookPath("nsenter"); err != nil {
		t.Skip("no nsenter (util-linux)")
	}
	var logs nodetest.LockedBuffer
	start := func(args []string) *nodetest.Process {
		t.Helper()
		return nodetest.StartInNetns(t, l.NS, args, &logs)
	}
	proc := start(args)
	paths, err := containerd.PathsFor(filepath.Join(dir, "containerd"))
	if err != nil {
		t.Fatal(err)
	}
	endpoint := "unix://" + paths.Socket
	t.Cleanup(func() {
		// Its pods first, deleted so that the node does not start them
		// again, and their sandboxes removed (a node leaves them running
		// when it stops, as a kubelet does); then the node and its
		// containerd, then what they left mounted.
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		_ = s.Client.CoreV1().Pods("default").Delete(ctx, "on-joined", metav1.DeleteOptions{GracePeriodSeconds: ptr.To[int64](0)})
		if rt, err := cri.Dial(ctx, endpoint, 10*time.Second); err == nil {
			controllertest.EventuallyWithin(t, "joined node's pod sandboxes removed", time.Minute, func(ctx context.Context) (bool, error) {
				_ = rt.RemoveAllPodSandboxes(ctx)
				left, err := rt.ListPodSandbox(ctx, nil)
				return err == nil && len(left) == 0, nil
			})
			rt.Close(ctx)
		}
		proc.Stop()
		if err := paths.UnmountAll(); err != nil {
			t.Errorf("unmounting the joined node's mounts: %v", err)
		}
		node.RemoveCgroups("/tinykube/" + name)
		if t.Failed() {
			t.Logf("joined node's log:\n%s", logs.String())
		}
	})
	ctx := context.Background()
	controllertest.EventuallyWithin(t, "joined node "+name+" Ready", 2*time.Minute, func(ctx context.Context) (bool, error) {
		if err := proc.Exited(); err != nil {
			return false, fmt.Errorf("the joining node exited: %v\n%s", err, logs.String())
		}
		n, err := s.Client.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, nil
		}
		for _, c := range n.Status.Conditions {
			if c.Type == corev1.NodeReady && c.Status == corev1.ConditionTrue {
				return len(n.Status.Addresses) > 0 && n.Status.Addresses[0].Address == l.NSIP, nil
			}
		}
		return false, nil
	})

	// Its CSR: asked for with the token, auto-approved, issued.
	csrs, err := s.Client.CertificatesV1().CertificateSigningRequests().List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, csr := range csrs.Items {
		if csr.Spec.SignerName != certificatesv1.KubeAPIServerClientKubeletSignerName || !strings.HasPrefix(csr.Spec.Username, "system:bootstrap:") {
			continue
		}
		found = true
		if len(csr.Status.Certificate) == 0 || len(csr.Status.Conditions) == 0 || csr.Status.Conditions[0].Type != certificatesv1.CertificateApproved ||
			csr.Status.Conditions[0].Reason != approver.Reason {
			t.Errorf("CSR %s: conditions %+v, %d certificate bytes", csr.Name, csr.Status.Conditions, len(csr.Status.Certificate))
		}
	}
	if !found {
		t.Fatalf("no CSR from the bootstrap token among %d", len(csrs.Items))
	}
	// Its own kubeconfig is system:node:<name>, and works from here.
	rc, err := clientcmd.BuildConfigFromFlags("", filepath.Join(dir, bootstrap.KubeconfigFile))
	if err != nil {
		t.Fatal(err)
	}
	review, err := kubernetes.NewForConfigOrDie(rc).AuthenticationV1().SelfSubjectReviews().Create(ctx, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if u := review.Status.UserInfo; u.Username != "system:node:"+name || !contains(u.Groups, "system:nodes") {
		t.Fatalf("the joined node's kubeconfig is %+v, want system:node:%s in system:nodes", u, name)
	}

	// Its kubelet API comes to serve a certificate from the cluster CA
	// for its address, through an auto-approved kubelet-serving CSR.
	admin, err := clientcmd.BuildConfigFromFlags("", s.Kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	adminCert, err := tls.X509KeyPair(admin.CertData, admin.KeyData)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(admin.CAData)
	controllertest.EventuallyWithin(t, "the joined node's kubelet API serves a certificate from the cluster CA", 2*time.Minute, func(ctx context.Context) (bool, error) {
		conn, err := tls.Dial("tcp", net.JoinHostPort(l.NSIP, "10250"), &tls.Config{RootCAs: roots, Certificates: []tls.Certificate{adminCert}})
		if err != nil {
			return false, nil
		}
		conn.Close()
		return true, nil
	})

	// A pod pinned to it runs, and its log reaches kubectl.
	if _, err := os.Stat("/bin/busybox"); err != nil {
		t.Skip("busybox-static not installed: apt-get install busybox-static")
	}
	img, err := images.Busybox(nodetest.BusyboxImage, "/bin/busybox")
	if err != nil {
		t.Fatal(err)
	}
	tar := filepath.Join(t.TempDir(), "busybox.tar")
	if err := images.WriteOCIArchiveFile(tar, img); err != nil {
		t.Fatal(err)
	}
	ictx, icancel := context.WithTimeout(ctx, time.Minute)
	defer icancel()
	if err := containerd.Import(ictx, "", endpoint, tar); err != nil {
		t.Fatal(err)
	}
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "on-joined", Namespace: "default"},
		Spec: corev1.PodSpec{NodeName: name, TerminationGracePeriodSeconds: ptr.To[int64](1),
			Containers: []corev1.Container{{Name: "main", Image: nodetest.BusyboxImage, ImagePullPolicy: corev1.PullNever,
				Command: []string{"sh", "-c", "echo hello from $(hostname); exec sleep 3600"}}}},
	}
	if _, err := s.Client.CoreV1().Pods("default").Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	controllertest.EventuallyWithin(t, "pod on the joined node Running", 2*time.Minute, func(ctx context.Context) (bool, error) {
		p, err := s.Client.CoreV1().Pods("default").Get(ctx, "on-joined", metav1.GetOptions{})
		return err == nil && p.Status.Phase == corev1.PodRunning, nil
	})
	controllertest.Eventually(t, "the pod's log through the API server", func(ctx context.Context) (bool, error) {
		b, err := s.Client.CoreV1().Pods("default").GetLogs("on-joined", &corev1.PodLogOptions{}).DoRaw(ctx)
		return err == nil && string(b) == "hello from on-joined\n", nil
	})
	if kubectl, err := exec.LookPath("kubectl"); err == nil {
		out, err := exec.Command(kubectl, "--kubeconfig", s.Kubeconfig, "logs", "-n", "default", "on-joined").CombinedOutput()
		if err != nil || string(out) != "hello from on-joined\n" {
			t.Fatalf("kubectl logs: %v\n%s", err, out)
		}
	}

	// Restarted without a token (or --server, or --runtime), the node
	// runs with the kubeconfig it got: no new CSR, its kubelet API back,
	// its pod's log readable again.
	before, err := s.Client.CertificatesV1().CertificateSigningRequests().List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	proc.Stop()
	proc = start([]string{"node", "--data-dir", dir, "--node-name", name, "--node-ip", l.NSIP})
	controllertest.EventuallyWithin(t, "the restarted node uses its own kubeconfig", time.Minute, func(context.Context) (bool, error) {
		if err := proc.Exited(); err != nil {
			return false, fmt.Errorf("the restarted node exited: %v\n%s", err, logs.String())
		}
		return strings.Count(logs.String(), "node: using its existing credentials") == 1, nil
	})
	controllertest.EventuallyWithin(t, "the pod's log through the restarted node", time.Minute, func(ctx context.Context) (bool, error) {
		b, err := s.Client.CoreV1().Pods("default").GetLogs("on-joined", &corev1.PodLogOptions{}).DoRaw(ctx)
		return err == nil && string(b) == "hello from on-joined\n", nil
	})
	after, err := s.Client.CertificatesV1().CertificateSigningRequests().List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(after.Items) != len(before.Items) {
		t.Errorf("%d CSRs after the restart, %d before", len(after.Items), len(before.Items))
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
