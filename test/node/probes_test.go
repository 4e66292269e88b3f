package node

import (
	"context"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/utils/ptr"

	"github.com/tinykube/tinykube/internal/controllertest"
	"github.com/tinykube/tinykube/internal/nodetest"
)

// events lists the node's events about pod name, oldest first, as
// "Type Reason Message".
func podEvents(t *testing.T, n *nodetest.Node, name string) []string {
	t.Helper()
	list, err := n.Client.CoreV1().Events("default").List(context.Background(), metav1.ListOptions{
		FieldSelector: fields.OneTermEqualSelector("involvedObject.name", name).String()})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range list.Items {
		if e.Source.Component == "kubelet" && e.Source.Host == n.Name {
			out = append(out, e.Type+" "+e.Reason+" "+e.Message)
		}
	}
	return out
}

func waitEvents(t *testing.T, n *nodetest.Node, name string, want ...string) []string {
	t.Helper()
	var evs []string
	controllertest.EventuallyWithin(t, "events of "+name+": "+strings.Join(want, "; "), time.Minute, func(context.Context) (bool, error) {
		evs = podEvents(t, n, name)
		for _, w := range want {
			found := false
			for _, e := range evs {
				found = found || strings.HasPrefix(e, w)
			}
			if !found {
				return false, nil
			}
		}
		return true, nil
	})
	return evs
}

func execProbe(cmd ...string) *corev1.Probe {
	return &corev1.Probe{ProbeHandler: corev1.ProbeHandler{Exec: &corev1.ExecAction{Command: cmd}},
		PeriodSeconds: 1, TimeoutSeconds: 5, SuccessThreshold: 1, FailureThreshold: 1}
}

// TestRealLivenessProbe: a container whose liveness probe starts failing
// is killed (within the probe's own grace period) and restarted, with
// the kubelet's Unhealthy and Killing events, which kubectl describe
// shows in order.
func TestRealLivenessProbe(t *testing.T) {
	n := nodetest.StartNode(t)
	img := n.Busybox(t)
	ctx := context.Background()
	pod := busyboxPod(n, "liveness", img, "touch /tmp/healthy; sleep 2; rm /tmp/healthy; exec sleep 3600")
	pod.Spec.RestartPolicy = corev1.RestartPolicyAlways
	probe := execProbe("cat", "/tmp/healthy")
	probe.TerminationGracePeriodSeconds = ptr.To[int64](1) // sleep as PID 1 ignores SIGTERM
	pod.Spec.Containers[0].LivenessProbe = probe
	if _, err := n.Client.CoreV1().Pods("default").Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	p := waitPod(t, n, "liveness", "restarted by its liveness probe", func(p *corev1.Pod) bool {
		return len(p.Status.ContainerStatuses) == 1 && p.Status.ContainerStatuses[0].RestartCount >= 1
	})
	if last := p.Status.ContainerStatuses[0].LastTerminationState.Terminated; last == nil || last.ExitCode != 137 {
		t.Errorf("last state %+v, want killed (137)", p.Status.ContainerStatuses[0].LastTerminationState)
	}
	waitEvents(t, n, "liveness",
		"Normal Pulled Container image",
		"Normal Created Container created",
		"Normal Started Container started",
		"Warning Unhealthy Liveness probe failed: cat: can't open '/tmp/healthy': No such file or directory",
		"Normal Killing Container main failed liveness probe, will be restarted")

	controllertest.EventuallyWithin(t, "the restart's Created and Started events", time.Minute, func(ctx context.Context) (bool, error) {
		list, err := n.Client.CoreV1().Events("default").List(ctx, metav1.ListOptions{
			FieldSelector: fields.OneTermEqualSelector("involvedObject.name", "liveness").String()})
		if err != nil {
			return false, err
		}
		twice := 0
		for _, e := range list.Items {
			if (e.Reason == "Created" || e.Reason == "Started") && e.Count >= 2 {
				twice++
			}
		}
		return twice == 2, nil
	})

	kubectl := "/usr/bin/kubectl"
	if _, err := os.Stat(kubectl); err != nil {
		t.Skip("no kubectl to describe the pod with")
	}
	out, err := exec.Command(kubectl, "--kubeconfig", n.Server.KubeconfigPath, "describe", "pod", "-n", "default", "liveness").CombinedOutput()
	if err != nil {
		t.Fatalf("kubectl describe: %v\n%s", err, out)
	}
	i := strings.Index(string(out), "Events:")
	if i < 0 {
		t.Fatalf("no events in kubectl describe:\n%s", out)
	}
	// kubectl sorts by last occurrence, to the second: check the rows,
	// and that the container's start shows twice (the restart).
	events := string(out[i:])
	for _, want := range []string{
		"Liveness probe failed: cat: can't open '/tmp/healthy'",
		"Container main failed liveness probe, will be restarted",
		"Back-off restarting failed container main in pod liveness_default(",
		`Container image "` + img + `" already present on machine`,
	} {
		if !strings.Contains(events, want) {
			t.Errorf("kubectl describe lacks %q:\n%s", want, events)
		}
	}
	for _, reason := range []string{"Created", "Started"} {
		if !regexp.MustCompile(`Normal\s+` + reason + `\s+.*\(x2 over`).MatchString(events) {
			t.Errorf("kubectl describe does not show %s twice:\n%s", reason, events)
		}
	}
	if !strings.Contains(events, "kubelet") {
		t.Errorf("events not from the kubelet:\n%s", events)
	}
}

// TestRealReadinessProbes: httpGet and tcpSocket probes reach the pod
// on its IP; readiness (an exec probe) decides Ready, not running.
func TestRealReadinessProbes(t *testing.T) {
	n := nodetest.StartNode(t)
	img := n.Busybox(t)
	ctx := context.Background()
	pod := busyboxPod(n, "ready", img, "mkdir -p /www; echo ok > /www/index.html; exec httpd -f -p 8080 -h /www")
	pod.Spec.RestartPolicy = corev1.RestartPolicyAlways
	c := &pod.Spec.Containers[0]
	c.Ports = []corev1.ContainerPort{{Name: "http", ContainerPort: 8080}}
	c.StartupProbe = &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/index.html", Port: intstr.FromString("http")}},
		PeriodSeconds: 1, TimeoutSeconds: 1, SuccessThreshold: 1, FailureThreshold: 30}
	c.LivenessProbe = &corev1.Probe{ProbeHandler: corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromInt32(8080)}},
		PeriodSeconds: 1, TimeoutSeconds: 1, SuccessThreshold: 1, FailureThreshold: 3}
	c.ReadinessProbe = execProbe("cat", "/tmp/ready")
	if _, err := n.Client.CoreV1().Pods("default").Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	p := waitPod(t, n, "ready", "started, not Ready", func(p *corev1.Pod) bool {
		return len(p.Status.ContainerStatuses) == 1 && p.Status.ContainerStatuses[0].Started != nil && *p.Status.ContainerStatuses[0].Started &&
			readyOf(p) == corev1.ConditionFalse
	})
	id := strings.TrimPrefix(p.Status.ContainerStatuses[0].ContainerID, "containerd://")
	if _, _, err := n.Runtime.CRI.ExecSync(ctx, id, []string{"touch", "/tmp/ready"}, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	waitPod(t, n, "ready", "Ready", func(p *corev1.Pod) bool {
		return readyOf(p) == corev1.ConditionTrue && p.Status.ContainerStatuses[0].Ready
	})
	if _, _, err := n.Runtime.CRI.ExecSync(ctx, id, []string{"rm", "/tmp/ready"}, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	p = waitPod(t, n, "ready", "not Ready again", func(p *corev1.Pod) bool {
		return readyOf(p) == corev1.ConditionFalse
	})
	if rc := p.Status.ContainerStatuses[0].RestartCount; rc != 0 {
		t.Fatalf("restarted %d times: its liveness (tcpSocket) probe failed", rc)
	}
	waitEvents(t, n, "ready", "Warning Unhealthy Readiness probe failed: cat: can't open '/tmp/ready'")
}

// TestRealPreStopHook: deleting a pod runs its preStop hook before the
// container gets SIGTERM, and the container's TERM handler runs well
// within the grace period.
func TestRealPreStopHook(t *testing.T) {
	n := nodetest.StartNode(t)
	img := n.Busybox(t)
	ctx := context.Background()
	pods := n.Client.CoreV1().Pods("default")
	// Exit 0 on TERM if the preStop hook ran first, 7 if not.
	pod := busyboxPod(n, "prestop", img, `trap 'if [ -e /tmp/prestop ]; then exit 0; else exit 7; fi' TERM; while true; do sleep 0.2; done`)
	pod.Spec.TerminationGracePeriodSeconds = ptr.To[int64](30)
	pod.Spec.Containers[0].Lifecycle = &corev1.Lifecycle{
		PostStart: &corev1.LifecycleHandler{Exec: &corev1.ExecAction{Command: []string{"touch", "/tmp/poststart"}}},
		PreStop:   &corev1.LifecycleHandler{Exec: &corev1.ExecAction{Command: []string{"touch", "/tmp/prestop"}}},
	}
	if _, err := pods.Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	p := waitPod(t, n, "prestop", "Running", func(p *corev1.Pod) bool { return p.Status.Phase == corev1.PodRunning })
	id := strings.TrimPrefix(p.Status.ContainerStatuses[0].ContainerID, "containerd://")
	if _, _, err := n.Runtime.CRI.ExecSync(ctx, id, []string{"cat", "/tmp/poststart"}, 10*time.Second); err != nil {
		t.Fatalf("the postStart hook did not run: %v", err)
	}

	w, err := pods.Watch(ctx, metav1.ListOptions{FieldSelector: "metadata.name=prestop", ResourceVersion: p.ResourceVersion})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	if err := pods.Delete(ctx, "prestop", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	var final *corev1.ContainerStateTerminated
	timeout := time.After(time.Minute)
	for deleted := false; !deleted; {
		select {
		case ev := <-w.ResultChan():
			if p, ok := ev.Object.(*corev1.Pod); ok && len(p.Status.ContainerStatuses) == 1 && p.Status.ContainerStatuses[0].State.Terminated != nil {
				final = p.Status.ContainerStatuses[0].State.Terminated
			}
			deleted = ev.Type == watch.Deleted
		case <-timeout:
			t.Fatal("pod not deleted within a minute")
		}
	}
	// 0: the TERM handler ran after the hook; 7: TERM came first; 137:
	// no TERM handled before the grace period ended (SIGKILL).
	if final == nil || final.ExitCode != 0 {
		t.Fatalf("final container state %+v: want exit 0 (TERM after the preStop hook)", final)
	}
	waitEvents(t, n, "prestop", "Normal Killing Stopping container main")
	if _, err := pods.Get(ctx, "prestop", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Fatalf("pod still there: %v", err)
	}
}

func readyOf(p *corev1.Pod) corev1.ConditionStatus {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status
		}
	}
	return ""
}
