package kubeletserver_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"

	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/remotecommand"
	"k8s.io/client-go/util/exec"

	"github.com/tinykube/tinykube/internal/streamtest"
	"github.com/tinykube/tinykube/pkg/pki"
)

type fixture struct {
	url     string
	bundle  *pki.Bundle
	rt      *streamtest.Runtime
	pod     *corev1.Pod
	client  *http.Client // with the kubelet-client certificate
	logDir  string
	current string // the running container's ID
}

func start(t *testing.T) *fixture {
	t.Helper()
	bundle, err := pki.Ensure(filepath.Join(t.TempDir(), "pki"), pki.Options{})
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{bundle: bundle, rt: streamtest.New(t), logDir: t.TempDir()}
	f.pod = &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "web", UID: "uid-1"},
		Spec: corev1.PodSpec{NodeName: "node-0", Containers: []corev1.Container{{Name: "app"}, {Name: "side"}}}}
	f.rt.AddSandbox(f.pod)
	old := filepath.Join(f.logDir, "0.log")
	cur := filepath.Join(f.logDir, "1.log")
	writeFile(t, old, "2024-01-02T03:04:00Z stdout F before the restart\n")
	writeFile(t, cur, "2024-01-02T03:04:01Z stdout F one\n2024-01-02T03:04:02Z stderr F two\n2024-01-02T03:04:03Z stdout P thr\n2024-01-02T03:04:03Z stdout F ee\n")
	f.rt.AddContainer(f.pod, "app", 0, old, false)
	f.current = f.rt.AddContainer(f.pod, "app", 1, cur, true)

	f.url = "https://" + streamtest.ServeKubelet(t, bundle, f.rt, func() []*corev1.Pod { return []*corev1.Pod{f.pod} }).String()
	f.client = f.clientAs(t, bundle.KubeletClientCertPEM, bundle.KubeletClientKeyPEM)
	return f
}

func (f *fixture) clientAs(t *testing.T, certPEM, keyPEM []byte) *http.Client {
	t.Helper()
	cfg := &tls.Config{RootCAs: f.bundle.CAPool}
	if certPEM != nil {
		cert, err := tls.X509KeyPair(certPEM, keyPEM)
		if err != nil {
			t.Fatal(err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return &http.Client{Transport: &http.Transport{TLSClientConfig: cfg}}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) get(t *testing.T, method, path string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, f.url+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := f.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestHealthzPodsAndAuth(t *testing.T) {
	f := start(t)
	if code, body := f.get(t, "GET", "/healthz"); code != 200 || body != "ok" {
		t.Errorf("healthz: %d %q", code, body)
	}
	code, body := f.get(t, "GET", "/pods")
	var list corev1.PodList
	if err := json.Unmarshal([]byte(body), &list); err != nil || code != 200 || len(list.Items) != 1 || list.Items[0].Name != "web" || list.Kind != "PodList" {
		t.Errorf("pods: %d %v %q", code, err, body)
	}
	if code, body := f.get(t, "GET", "/stats/summary"); code != http.StatusNotImplemented || !strings.Contains(body, "stats") {
		t.Errorf("stats/summary: %d %q", code, body)
	}

	// No client certificate: the handshake fails.
	if _, err := f.clientAs(t, nil, nil).Get(f.url + "/pods"); err == nil {
		t.Error("no client certificate: request succeeded")
	}
	// A certificate of the cluster CA outside system:masters: 403.
	certPEM, keyPEM, err := f.bundle.IssueClientCert("someone", []string{"devs"})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := f.clientAs(t, certPEM, keyPEM).Get(f.url + "/pods")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("unauthorized user: %d, want 403", resp.StatusCode)
	}
}

func TestContainerLogs(t *testing.T) {
	f := start(t)
	for _, tc := range []struct {
		query string
		code  int
		want  string
	}{
		{"", 200, "one\ntwo\nthree\n"},
		{"?tailLines=1", 200, "three\n"},
		{"?timestamps=true&tailLines=1", 200, "2024-01-02T03:04:03Z three\n"},
		{"?sinceTime=2024-01-02T03:04:02Z", 200, "two\nthree\n"},
		{"?limitBytes=5", 200, "one\nt"},
		{"?previous=true", 200, "before the restart\n"},
		{"?stream=Stderr", 200, "two\n"},
		{"?stream=Both", 400, "stream"},
		{"?tailLines=-1", 400, "tailLines"},
		{"?sinceSeconds=1&sinceTime=2024-01-02T03:04:02Z", 400, "at most one"},
	} {
		code, body := f.get(t, "GET", "/containerLogs/ns/web/app"+tc.query)
		if code != tc.code || (code == 200 && body != tc.want) || (code != 200 && !strings.Contains(body, tc.want)) {
			t.Errorf("%q: %d %q, want %d %q", tc.query, code, body, tc.code, tc.want)
		}
	}
	if code, body := f.get(t, "GET", "/containerLogs/ns/web/side"); code != 400 || !strings.Contains(body, `container "side" in pod "web" is waiting to start: ContainerCreating`) {
		t.Errorf("not started: %d %q", code, body)
	}
	if code, body := f.get(t, "GET", "/containerLogs/ns/web/nope"); code != 400 || !strings.Contains(body, "container nope is not valid for pod web") {
		t.Errorf("unknown container: %d %q", code, body)
	}
	if code, _ := f.get(t, "GET", "/containerLogs/ns/gone/app"); code != 404 {
		t.Errorf("unknown pod: %d", code)
	}
}

func TestRun(t *testing.T) {
	f := start(t)
	if code, body := f.get(t, "POST", "/run/ns/web/app?cmd="+url.QueryEscape("echo hello there")); code != 200 || body != "hello there\n" {
		t.Errorf("run: %d %q", code, body)
	}
	if code, body := f.get(t, "POST", "/run/ns/web/side?cmd=echo"); code != 400 || !strings.Contains(body, "waiting to start") {
		t.Errorf("run in a container not started: %d %q", code, body)
	}
}

func (f *fixture) restConfig() *rest.Config {
	return &rest.Config{Host: f.url, TLSClientConfig: rest.TLSClientConfig{CertData: f.bundle.KubeletClientCertPEM,
		KeyData: f.bundle.KubeletClientKeyPEM, CAData: f.bundle.CACertPEM}}
}

// TestExec: a SPDY exec through the kubelet API reaches the runtime's
// stream server: stdin comes back on stdout, exit codes come through.
func TestExec(t *testing.T) {
	f := start(t)
	u, _ := url.Parse(f.url + "/exec/ns/web/app?command=cat&stdin=1&stdout=1&stderr=1")
	ex, err := remotecommand.NewSPDYExecutor(f.restConfig(), "POST", u)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := ex.StreamWithContext(context.Background(), remotecommand.StreamOptions{Stdin: strings.NewReader("hello\n"), Stdout: &out, Stderr: io.Discard}); err != nil {
		t.Fatal(err)
	}
	if out.String() != "hello\n" {
		t.Errorf("stdout %q", out.String())
	}
	u, _ = url.Parse(f.url + "/exec/ns/web/app?command=exit&command=3&stdout=1")
	ex, err = remotecommand.NewSPDYExecutor(f.restConfig(), "POST", u)
	if err != nil {
		t.Fatal(err)
	}
	err = ex.StreamWithContext(context.Background(), remotecommand.StreamOptions{Stdout: io.Discard})
	var exit exec.CodeExitError
	if !errors.As(err, &exit) || exit.Code != 3 {
		t.Errorf("exit 3: %v", err)
	}
	// A request the kubelet refuses before upgrading.
	code, body := f.get(t, "POST", "/exec/ns/web/app?command=cat")
	if code != 400 || !strings.Contains(body, "at least 1 of stdin, stdout, stderr") {
		t.Errorf("no streams: %d %q", code, body)
	}
}
