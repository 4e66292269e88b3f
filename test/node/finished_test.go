package node

import (
	"context"
	"os"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
	"k8s.io/utils/ptr"

	"github.com/tinykube/tinykube/internal/controllertest"
	"github.com/tinykube/tinykube/internal/nodetest"
	"github.com/tinykube/tinykube/pkg/node"
)

// finishedPod is what the runtime and the disk hold of a pod: its
// sandboxes, its containers and whether its log directory exists.
type finishedPod struct {
	sandboxes  []*runtimeapi.PodSandbox
	containers []*runtimeapi.Container
	logDir     bool
}

func inspectPod(ctx context.Context, t *testing.T, n *nodetest.Node, pod *corev1.Pod) finishedPod {
	t.Helper()
	sel := map[string]string{"io.kubernetes.pod.uid": string(pod.UID)}
	var f finishedPod
	var err error
	if f.sandboxes, err = n.Runtime.CRI.ListPodSandbox(ctx, &runtimeapi.PodSandboxFilter{LabelSelector: sel}); err != nil {
		t.Fatal(err)
	}
	if f.containers, err = n.Runtime.CRI.ListContainers(ctx, &runtimeapi.ContainerFilter{LabelSelector: sel}); err != nil {
		t.Fatal(err)
	}
	_, err = os.Stat(n.DataDir + "/pods/default_" + pod.Name + "_" + string(pod.UID))
	f.logDir = err == nil
	return f
}

// kept: the pod's one sandbox is stopped (its network torn down), its
// exited containers and logs are there.
func (f finishedPod) kept(containers int) bool {
	if len(f.sandboxes) != 1 || f.sandboxes[0].State != runtimeapi.PodSandboxState_SANDBOX_NOTREADY ||
		len(f.containers) != containers || !f.logDir {
		return false
	}
	for _, c := range f.containers {
		if c.State != runtimeapi.ContainerState_CONTAINER_EXITED {
			return false
		}
	}
	return true
}

func (f finishedPod) gone() bool {
	return len(f.sandboxes) == 0 && len(f.containers) == 0 && !f.logDir
}

func podLogs(ctx context.Context, n *nodetest.Node, name string, previous bool) (string, error) {
	b, err := n.Client.CoreV1().Pods("default").GetLogs(name, &corev1.PodLogOptions{Previous: previous}).DoRaw(ctx)
	return string(b), err
}

// TestRealFinishedPodsKeptUntilDeleted: a pod whose container exits 0
// ends Succeeded, one that exits 7 Failed with its exit code, one that
// failed once and then succeeded (restartPolicy OnFailure) Succeeded
// with restartCount 1; as the kubelet does, each keeps its exited
// containers, logs (pods/log, and --previous of the restarted one) and
// termination message while its sandbox is stopped — network torn
// down, IP freed (and no longer in its status), the
// PodReadyToStartContainers condition False — across a restart of the
// node agent, until the pod is deleted: then the sandbox, containers and
// log directory go, also for a pod deleted while the agent was down.
func TestRealFinishedPodsKeptUntilDeleted(t *testing.T) {
	n := nodetest.StartNodeWith(t, func(c *node.Config) { c.RestartBackoff = time.Second })
	img := n.Busybox(t)
	ctx := context.Background()
	retry := busyboxPod(n, "retry", img, `if [ -e /data/once ]; then echo second try; exit 0; fi; touch /data/once; echo first try; exit 1`)
	retry.Spec.RestartPolicy = corev1.RestartPolicyOnFailure
	retry.Spec.Volumes = []corev1.Volume{{Name: "data", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}}
	retry.Spec.Containers[0].VolumeMounts = []corev1.VolumeMount{{Name: "data", MountPath: "/data"}}
	for _, p := range []*corev1.Pod{
		busyboxPod(n, "done", img, `echo "$GREETING from a finished pod"; printf bye > /dev/termination-log`),
		busyboxPod(n, "broken", img, `echo about to fail; exit 7`),
		retry,
	} {
		if _, err := n.Client.CoreV1().Pods("default").Create(ctx, p, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	finished := func(p *corev1.Pod) bool {
		if p.Status.Phase != corev1.PodSucceeded && p.Status.Phase != corev1.PodFailed {
			return false
		}
		for _, c := range p.Status.Conditions {
			if c.Type == corev1.PodReadyToStartContainers {
				return c.Status == corev1.ConditionFalse
			}
		}
		return false
	}
	done := waitPod(t, n, "done", "Succeeded, its sandbox stopped", finished)
	broken := waitPod(t, n, "broken", "Failed, its sandbox stopped", finished)
	retried := waitPod(t, n, "retry", "Succeeded, its sandbox stopped", finished)
	if done.Status.Phase != corev1.PodSucceeded || broken.Status.Phase != corev1.PodFailed || retried.Status.Phase != corev1.PodSucceeded {
		t.Fatalf("phases: done %s, broken %s, retry %s", done.Status.Phase, broken.Status.Phase, retried.Status.Phase)
	}
	if term := done.Status.ContainerStatuses[0].State.Terminated; term == nil || term.ExitCode != 0 || term.Reason != "Completed" || term.Message != "bye" {
		t.Errorf("done: container state %+v", done.Status.ContainerStatuses[0].State)
	}
	if term := broken.Status.ContainerStatuses[0].State.Terminated; term == nil || term.ExitCode != 7 || term.Reason != "Error" {
		t.Errorf("broken: container state %+v", broken.Status.ContainerStatuses[0].State)
	}
	for _, p := range []*corev1.Pod{done, broken, retried} {
		if p.Status.PodIP != "" || len(p.Status.PodIPs) != 0 {
			t.Errorf("%s still reports the freed IP %s", p.Name, p.Status.PodIP)
		}
	}
	rcs := retried.Status.ContainerStatuses[0]
	if rcs.RestartCount != 1 || rcs.State.Terminated == nil || rcs.State.Terminated.ExitCode != 0 ||
		rcs.LastTerminationState.Terminated == nil || rcs.LastTerminationState.Terminated.ExitCode != 1 {
		t.Errorf("retry: container status %+v", rcs)
	}

	check := func(when string) {
		t.Helper()
		for name, want := range map[string]string{"done": "hello from a finished pod\n", "broken": "about to fail\n", "retry": "second try\n"} {
			if got, err := podLogs(ctx, n, name, false); err != nil || got != want {
				t.Errorf("%s: logs of %s: %q, %v; want %q", when, name, got, err, want)
			}
		}
		if got, err := podLogs(ctx, n, "retry", true); err != nil || got != "first try\n" {
			t.Errorf("%s: logs --previous of retry: %q, %v", when, got, err)
		}
		for _, p := range []*corev1.Pod{done, broken, retried} {
			var f finishedPod
			controllertest.Eventually(t, when+": "+p.Name+"'s sandbox stopped, its exited container and logs kept", func(ctx context.Context) (bool, error) {
				f = inspectPod(ctx, t, n, p)
				return f.kept(1), nil
			})
			// The sandbox's network is torn down: no IP any more.
			st, err := n.Runtime.CRI.PodSandboxStatus(ctx, f.sandboxes[0].Id, false)
			if err != nil {
				t.Fatal(err)
			}
			if ip := st.GetStatus().GetNetwork().GetIp(); ip != "" {
				t.Errorf("%s: %s's stopped sandbox still has IP %s", when, p.Name, ip)
			}
		}
	}
	check("finished")
	// The node's pod stats still read with stopped sandboxes on it.
	if _, err := n.Runtime.CRI.ListPodSandboxStats(ctx, &runtimeapi.PodSandboxStatsFilter{}); err != nil {
		t.Errorf("sandbox stats with finished pods on the node: %v", err)
	}

	n.RestartAgent(t, func() {
		if err := n.Client.CoreV1().Pods("default").Delete(ctx, "broken", metav1.DeleteOptions{GracePeriodSeconds: ptr.To[int64](0)}); err != nil {
			t.Fatal(err)
		}
	})
	controllertest.Eventually(t, "broken, deleted while the agent was down, removed from the node", func(ctx context.Context) (bool, error) {
		return inspectPod(ctx, t, n, broken).gone(), nil
	})
	// The new agent serves its kubelet API on a new port, which the
	// node's status tells the API server.
	controllertest.Eventually(t, "logs through the new agent's kubelet API", func(ctx context.Context) (bool, error) {
		_, err := podLogs(ctx, n, "done", false)
		return err == nil, nil
	})
	for name, want := range map[string]string{"done": "hello from a finished pod\n", "retry": "second try\n"} {
		if got, err := podLogs(ctx, n, name, false); err != nil || got != want {
			t.Errorf("after the restart: logs of %s: %q, %v; want %q", name, got, err, want)
		}
	}
	if got, err := podLogs(ctx, n, "retry", true); err != nil || got != "first try\n" {
		t.Errorf("after the restart: logs --previous of retry: %q, %v", got, err)
	}
	for _, p := range []*corev1.Pod{done, retried} {
		if f := inspectPod(ctx, t, n, p); !f.kept(1) {
			t.Errorf("after the restart: %s: sandboxes %v containers %v logDir %v", p.Name, f.sandboxes, f.containers, f.logDir)
		}
	}
	// The adopted pods' statuses stay as they were.
	for _, p := range []*corev1.Pod{done, retried} {
		got, err := n.Client.CoreV1().Pods("default").Get(ctx, p.Name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if cs := got.Status.ContainerStatuses[0]; cs.State.Terminated == nil || cs.RestartCount != p.Status.ContainerStatuses[0].RestartCount ||
			cs.State.Terminated.Message != p.Status.ContainerStatuses[0].State.Terminated.Message ||
			(p.Name == "retry" && cs.LastTerminationState.Terminated == nil) || got.Status.Phase != corev1.PodSucceeded {
			t.Errorf("after the restart: %s's status %+v", p.Name, got.Status)
		}
	}

	// Deleting them removes everything.
	for _, p := range []*corev1.Pod{done, retried} {
		if err := n.Client.CoreV1().Pods("default").Delete(ctx, p.Name, metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range []*corev1.Pod{done, retried} {
		controllertest.Eventually(t, p.Name+" deleted and removed from the node", func(ctx context.Context) (bool, error) {
			_, err := n.Client.CoreV1().Pods("default").Get(ctx, p.Name, metav1.GetOptions{})
			return apierrors.IsNotFound(err) && inspectPod(ctx, t, n, p).gone(), nil
		})
	}
	if _, err := podLogs(ctx, n, "done", false); !apierrors.IsNotFound(err) {
		t.Errorf("logs of a deleted pod: %v", err)
	}
}

// TestRealFinishedPodStopsSidecar: when a pod's regular container has
// completed, the node stops its sidecar (an init container with
// restartPolicy Always) and only then reports the pod Succeeded, the
// sidecar terminated; the pod stays Initialized and the sidecar's log
// stays.
func TestRealFinishedPodStopsSidecar(t *testing.T) {
	n := nodetest.StartNode(t)
	img := n.Busybox(t)
	ctx := context.Background()
	p := busyboxPod(n, "with-sidecar", img, `sleep 1; echo main done`)
	p.Spec.InitContainers = []corev1.Container{{Name: "sidecar", Image: img, RestartPolicy: ptr.To(corev1.ContainerRestartPolicyAlways),
		Command: []string{"sh", "-c", `echo sidecar up; trap 'echo sidecar stopped; exit 0' TERM; while true; do sleep 1; done`}}}
	w, err := n.Client.CoreV1().Pods("default").Watch(ctx, metav1.ListOptions{FieldSelector: "metadata.name=with-sidecar"})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	if _, err := n.Client.CoreV1().Pods("default").Create(ctx, p, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	// Every version written: never Succeeded while the sidecar runs.
	var pod *corev1.Pod
	timeout := time.After(time.Minute)
	for pod == nil {
		select {
		case ev, ok := <-w.ResultChan():
			if !ok {
				t.Fatal("watch ended")
			}
			p, ok := ev.Object.(*corev1.Pod)
			if !ok || p.Status.Phase != corev1.PodSucceeded {
				continue
			}
			if len(p.Status.InitContainerStatuses) != 1 || p.Status.InitContainerStatuses[0].State.Terminated == nil {
				t.Fatalf("Succeeded with the sidecar %+v", p.Status.InitContainerStatuses)
			}
			pod = p
		case <-timeout:
			t.Fatal("pod with-sidecar not Succeeded within a minute")
		}
	}
	if term := pod.Status.InitContainerStatuses[0].State.Terminated; term.ExitCode != 0 {
		t.Errorf("sidecar state %+v", term)
	}
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodInitialized && c.Status != corev1.ConditionTrue {
			t.Errorf("condition %+v", c)
		}
	}
	b, err := n.Client.CoreV1().Pods("default").GetLogs("with-sidecar", &corev1.PodLogOptions{Container: "sidecar"}).DoRaw(ctx)
	if err != nil || string(b) != "sidecar up\nsidecar stopped\n" {
		t.Errorf("sidecar logs: %q %v", b, err)
	}
	controllertest.Eventually(t, "the pod's sandbox stopped, its containers kept", func(ctx context.Context) (bool, error) {
		return inspectPod(ctx, t, n, pod).kept(2), nil
	})
}
