package e2e

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// simulatedNodes is the node count of the workloads server; the test's
// expectations (spread, one DaemonSet pod per node, "0/3 nodes are
// available") are written for it.
const simulatedNodes = 3

// TestWorkloads drives the control loops — controller manager, scheduler
// and simulated nodes — with real kubectl against `tinykube server
// --simulated-nodes 3`: Deployments (spread, scale, rollout, undo,
// history, pause/resume, cascading and orphaning deletes), Jobs, a
// CronJob, a DaemonSet, a StatefulSet, drain under a PodDisruptionBudget,
// taints, an unschedulable pod, a node that stops heartbeating, and
// namespace deletion. The steps share one server and build on each other.
func TestWorkloads(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the workloads session takes a minute or two")
	}
	tk := buildTinykube(t)
	kubectlBin := buildKubectl(t)
	// A short grace period, so a killed node goes Unknown in seconds; it
	// must stay above the in-process nodes' 10 s Lease renewal.
	s := startServer(t, tk, "--simulated-nodes", fmt.Sprint(simulatedNodes), "--node-monitor-grace-period", "15s")
	start := time.Now()
	w := &workloads{k: newKubectl(t, kubectlBin, s.Kubeconfig), ns: "wl", dir: t.TempDir(), tinykube: tk, kubeconfig: s.Kubeconfig}
	w.session(t)
	t.Logf("workloads session (kubectl-go.mod) took %s", time.Since(start).Round(time.Millisecond))

	t.Run("kubectl-preinstalled", func(t *testing.T) {
		bin := preinstalledKubectl()
		if bin == "" {
			t.Skip("no preinstalled kubectl")
		}
		start := time.Now()
		old := &workloads{k: newKubectl(t, bin, s.Kubeconfig), ns: "wl-old", dir: t.TempDir()}
		old.k.run(t, "create", "namespace", old.ns)
		old.coreFlow(t)
		t.Logf("core flow (preinstalled kubectl) took %s", time.Since(start).Round(time.Millisecond))
	})
}

// workloads is one kubectl working in one namespace of the server.
type workloads struct {
	k          *kubectl
	ns         string
	dir        string
	tinykube   string // binary, to start an extra node process
	kubeconfig string
}

// in appends the namespace flag to args.
func (w *workloads) in(args ...string) []string { return append(args, "-n", w.ns) }

// run runs kubectl in the namespace.
func (w *workloads) run(t *testing.T, args ...string) string {
	t.Helper()
	return w.k.run(t, w.in(args...)...)
}

// apply applies a manifest (its objects in the namespace).
func (w *workloads) apply(t *testing.T, name, manifest string) string {
	t.Helper()
	return w.run(t, "apply", "-f", writeFile(t, w.dir, name+".yaml", manifest, 0o644))
}

// tryJSON runs kubectl args and decodes stdout into v; unlike
// kubectl.json it reports failure instead of failing the test, for use
// inside eventually.
func (k *kubectl) tryJSON(v any, args ...string) error {
	out, errOut, err := k.exec("", args)
	if err != nil {
		return fmt.Errorf("kubectl %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(errOut))
	}
	return json.Unmarshal([]byte(out), v)
}

// pollInterval is how often eventually looks again.
const pollInterval = 250 * time.Millisecond

// eventually calls check until it returns nil, failing t with check's
// last error if timeout passes first.
func eventually(t *testing.T, timeout time.Duration, what string, check func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := check()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s: %v", what, timeout, err)
		}
		time.Sleep(pollInterval)
	}
}

// pods lists the namespace's pods matching selector.
func (w *workloads) pods(selector string) ([]corev1.Pod, error) {
	var l corev1.PodList
	if err := w.k.tryJSON(&l, w.in("get", "pods", "-l", selector, "-o", "json")...); err != nil {
		return nil, err
	}
	return l.Items, nil
}

// running filters the pods that are Running and Ready and not deleting.
func running(pods []corev1.Pod) []corev1.Pod {
	var out []corev1.Pod
	for _, p := range pods {
		if p.DeletionTimestamp == nil && p.Status.Phase == corev1.PodRunning && podReady(&p) {
			out = append(out, p)
		}
	}
	return out
}

func podReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// nodesOf returns the sorted distinct node names of pods.
func nodesOf(pods []corev1.Pod) []string {
	var nodes []string
	for _, p := range pods {
		if !slices.Contains(nodes, p.Spec.NodeName) {
			nodes = append(nodes, p.Spec.NodeName)
		}
	}
	sort.Strings(nodes)
	return nodes
}

func podSummary(pods []corev1.Pod) string {
	var b strings.Builder
	for _, p := range pods {
		del := ""
		if p.DeletionTimestamp != nil {
			del = " deleting"
		}
		fmt.Fprintf(&b, "%s(%s on %q ready=%v%s) ", p.Name, p.Status.Phase, p.Spec.NodeName, podReady(&p), del)
	}
	return b.String()
}

// waitRunning waits until exactly n pods matching selector are Running and
// Ready (and none other exists that is not being deleted), and returns them.
func (w *workloads) waitRunning(t *testing.T, selector string, n int, timeout time.Duration) []corev1.Pod {
	t.Helper()
	var got []corev1.Pod
	eventually(t, timeout, fmt.Sprintf("%d running pods -l %s", n, selector), func() error {
		all, err := w.pods(selector)
		if err != nil {
			return err
		}
		got = running(all)
		live := 0
		for _, p := range all {
			if p.DeletionTimestamp == nil {
				live++
			}
		}
		if len(got) != n || live != n {
			return fmt.Errorf("%d running of %d live: %s", len(got), live, podSummary(all))
		}
		return nil
	})
	return got
}

// replicaSets lists the namespace's ReplicaSets matching selector.
func (w *workloads) replicaSets(selector string) ([]appsv1.ReplicaSet, error) {
	var l appsv1.ReplicaSetList
	if err := w.k.tryJSON(&l, w.in("get", "rs", "-l", selector, "-o", "json")...); err != nil {
		return nil, err
	}
	return l.Items, nil
}

func (w *workloads) deployment(t *testing.T, name string) *appsv1.Deployment {
	t.Helper()
	var d appsv1.Deployment
	w.k.json(t, &d, w.in("get", "deployment", name, "-o", "json")...)
	return &d
}

// gone waits until kubectl get args answers NotFound.
func (w *workloads) gone(t *testing.T, timeout time.Duration, args ...string) {
	t.Helper()
	eventually(t, timeout, "kubectl get "+strings.Join(args, " ")+" NotFound", func() error {
		out, errOut, err := w.k.exec("", w.in(append([]string{"get"}, args...)...))
		if err == nil || !strings.Contains(errOut, "NotFound") {
			return fmt.Errorf("still there (err %v): %s%s", err, out, errOut)
		}
		return nil
	})
}

// rolloutStatus runs `kubectl rollout status` and checks it exits 0 and
// reports success (a StatefulSet's defaulted rollingUpdate.partition makes
// kubectl say "partitioned roll out complete", as against upstream).
func (w *workloads) rolloutStatus(t *testing.T, kind, name string) {
	t.Helper()
	out := w.run(t, "rollout", "status", kind+"/"+name, "--timeout=60s")
	expectMatch(t, out, `(?m)(successfully rolled out|^partitioned roll out complete: \d+ new pods have been updated\.\.\.)\n$`)
}

// coreFlow is the Deployment part of the session, in w's existing
// namespace: spread over the nodes, scale, rolling update, history, undo,
// pause/resume and cascading delete. It is what every kubectl version
// must do.
func (w *workloads) coreFlow(t *testing.T) {
	step := func(name string, f func(t *testing.T)) {
		t.Helper()
		if !t.Run(name, f) {
			t.FailNow()
		}
	}
	step("create deployment spreads 3 pods over 3 nodes", func(t *testing.T) {
		expectMatch(t, w.run(t, "create", "deployment", "web", "--image=nginx:1.25", "--replicas=3"),
			`^deployment.apps/web created\n$`)
		w.rolloutStatus(t, "deployment", "web")
		pods := w.waitRunning(t, "app=web", 3, 30*time.Second)
		if nodes := nodesOf(pods); len(nodes) != simulatedNodes {
			t.Fatalf("3 replicas on nodes %q, want 3 different nodes: %s", nodes, podSummary(pods))
		}
		for _, p := range pods {
			if p.Status.PodIP == "" || p.Status.StartTime == nil || len(p.Status.ContainerStatuses) != 1 || !p.Status.ContainerStatuses[0].Ready {
				t.Fatalf("pod %s status: %+v", p.Name, p.Status)
			}
		}
		rows := expectHeader(t, w.run(t, "get", "deployment", "web"), "NAME READY UP-TO-DATE AVAILABLE AGE")
		expectCells(t, row(t, rows, 0, "web"), "web", "3/3", "3", "3")
	})
	step("scale to 10", func(t *testing.T) {
		expectMatch(t, w.run(t, "scale", "deployment", "web", "--replicas=10"), `^deployment.apps/web scaled\n$`)
		w.rolloutStatus(t, "deployment", "web")
		pods := w.waitRunning(t, "app=web", 10, 30*time.Second)
		if nodes := nodesOf(pods); len(nodes) != simulatedNodes {
			t.Fatalf("10 replicas on nodes %q: %s", nodes, podSummary(pods))
		}
	})
	step("expose: EndpointSlice lists the ready pods", func(t *testing.T) {
		expectMatch(t, w.run(t, "expose", "deployment", "web", "--port=80"), `^service/web exposed\n$`)
		pods := w.waitRunning(t, "app=web", 10, 10*time.Second)
		var want []string
		for _, p := range pods {
			want = append(want, p.Status.PodIP)
		}
		sort.Strings(want)
		eventually(t, 30*time.Second, "EndpointSlice of service web", func() error {
			var l discoveryv1.EndpointSliceList
			if err := w.k.tryJSON(&l, w.in("get", "endpointslices", "-l", "kubernetes.io/service-name=web", "-o", "json")...); err != nil {
				return err
			}
			var got []string
			for _, sl := range l.Items {
				for _, e := range sl.Endpoints {
					if e.Conditions.Ready != nil && *e.Conditions.Ready {
						got = append(got, e.Addresses...)
					}
				}
			}
			sort.Strings(got)
			if strings.Join(got, " ") != strings.Join(want, " ") {
				return fmt.Errorf("ready endpoints %q, want %q", got, want)
			}
			return nil
		})
		w.run(t, "delete", "service", "web")
	})
	var oldRS string
	step("set image rolls out a new ReplicaSet", func(t *testing.T) {
		rss, err := w.replicaSets("app=web")
		if err != nil || len(rss) != 1 {
			t.Fatalf("before set image: %d ReplicaSets (%v), want 1", len(rss), err)
		}
		oldRS = rss[0].Name
		expectMatch(t, w.run(t, "set", "image", "deployment/web", "nginx=nginx:1.27"), `^deployment.apps/web image updated\n$`)
		w.rolloutStatus(t, "deployment", "web")
		eventually(t, 30*time.Second, "old ReplicaSet at 0, new at 10", func() error {
			rss, err := w.replicaSets("app=web")
			if err != nil {
				return err
			}
			var summary []string
			ok := len(rss) == 2
			for _, rs := range rss {
				summary = append(summary, fmt.Sprintf("%s spec=%d status=%d image=%s", rs.Name, *rs.Spec.Replicas, rs.Status.Replicas, rs.Spec.Template.Spec.Containers[0].Image))
				want := int32(10)
				if rs.Name == oldRS {
					want = 0
				} else if rs.Spec.Template.Spec.Containers[0].Image != "nginx:1.27" {
					ok = false
				}
				if *rs.Spec.Replicas != want || rs.Status.Replicas != want || rs.Status.ReadyReplicas != want {
					ok = false
				}
			}
			if !ok {
				return fmt.Errorf("ReplicaSets: %s", strings.Join(summary, "; "))
			}
			return nil
		})
		pods := w.waitRunning(t, "app=web", 10, 30*time.Second)
		for _, p := range pods {
			if img := p.Spec.Containers[0].Image; img != "nginx:1.27" {
				t.Fatalf("pod %s runs %s after the rollout", p.Name, img)
			}
		}
	})
	step("rollout history", func(t *testing.T) {
		out := w.run(t, "rollout", "history", "deployment/web")
		expectMatch(t, out, `(?m)^deployment.apps/web $`)
		rows := expectHeader(t, out[strings.Index(out, "REVISION"):], "REVISION CHANGE-CAUSE")
		if len(rows) != 3 || rows[1][0] != "1" || rows[2][0] != "2" {
			t.Fatalf("history rows %q, want revisions 1 and 2", rows)
		}
		expectMatch(t, w.run(t, "rollout", "history", "deployment/web", "--revision=1"), `(?m)^\s+Image:\s+nginx:1.25$`)
		rows = expectHeader(t, w.run(t, "get", "rs", "-l", "app=web"), "NAME DESIRED CURRENT READY AGE")
		expectCells(t, row(t, rows, 0, oldRS), oldRS, "0", "0", "0")
		d := w.deployment(t, "web")
		for _, c := range d.Status.Conditions {
			if c.Status != corev1.ConditionTrue || (c.Type == appsv1.DeploymentProgressing && c.Reason != "NewReplicaSetAvailable") {
				t.Fatalf("deployment condition %+v", c)
			}
		}
		if len(d.Status.Conditions) != 2 || d.Status.AvailableReplicas != 10 || d.Status.UpdatedReplicas != 10 {
			t.Fatalf("deployment status %+v", d.Status)
		}
	})
	step("rollout undo restores the image", func(t *testing.T) {
		expectMatch(t, w.run(t, "rollout", "undo", "deployment/web"), `^deployment.apps/web rolled back\n$`)
		if img := w.deployment(t, "web").Spec.Template.Spec.Containers[0].Image; img != "nginx:1.25" {
			t.Fatalf("image after undo = %s, want nginx:1.25", img)
		}
		w.rolloutStatus(t, "deployment", "web")
		pods := w.waitRunning(t, "app=web", 10, 30*time.Second)
		for _, p := range pods {
			if img := p.Spec.Containers[0].Image; img != "nginx:1.25" {
				t.Fatalf("pod %s runs %s after undo", p.Name, img)
			}
		}
		// The first ReplicaSet is reused, and its revision moves to 3.
		var rs appsv1.ReplicaSet
		w.k.json(t, &rs, w.in("get", "rs", oldRS, "-o", "json")...)
		if *rs.Spec.Replicas != 10 || rs.Annotations["deployment.kubernetes.io/revision"] != "3" {
			t.Fatalf("ReplicaSet %s after undo: replicas %d revision %q", oldRS, *rs.Spec.Replicas, rs.Annotations["deployment.kubernetes.io/revision"])
		}
		rows := table(w.run(t, "rollout", "history", "deployment/web"))
		var revs []string
		for _, r := range rows[2:] {
			revs = append(revs, r[0])
		}
		if strings.Join(revs, " ") != "2 3" {
			t.Fatalf("history after undo: revisions %q, want 2 3", revs)
		}
	})
	step("rollout pause and resume", func(t *testing.T) {
		expectMatch(t, w.run(t, "rollout", "pause", "deployment/web"), `^deployment.apps/web paused\n$`)
		w.run(t, "set", "image", "deployment/web", "nginx=nginx:1.28")
		eventually(t, 30*time.Second, "Progressing=Unknown DeploymentPaused", func() error {
			var d appsv1.Deployment
			if err := w.k.tryJSON(&d, w.in("get", "deployment", "web", "-o", "json")...); err != nil {
				return err
			}
			if d.Status.ObservedGeneration != d.Generation {
				return fmt.Errorf("observedGeneration %d of %d", d.Status.ObservedGeneration, d.Generation)
			}
			for _, c := range d.Status.Conditions {
				if c.Type == appsv1.DeploymentProgressing && c.Reason == "DeploymentPaused" {
					return nil
				}
			}
			return fmt.Errorf("conditions %+v", d.Status.Conditions)
		})
		rss, err := w.replicaSets("app=web")
		if err != nil {
			t.Fatal(err)
		}
		for _, rs := range rss {
			if rs.Spec.Template.Spec.Containers[0].Image == "nginx:1.28" {
				t.Fatalf("paused deployment rolled out ReplicaSet %s", rs.Name)
			}
		}
		for _, p := range w.waitRunning(t, "app=web", 10, 10*time.Second) {
			if img := p.Spec.Containers[0].Image; img != "nginx:1.25" {
				t.Fatalf("pod %s runs %s while paused", p.Name, img)
			}
		}
		expectMatch(t, w.run(t, "rollout", "resume", "deployment/web"), `^deployment.apps/web resumed\n$`)
		w.rolloutStatus(t, "deployment", "web")
		for _, p := range w.waitRunning(t, "app=web", 10, 30*time.Second) {
			if img := p.Spec.Containers[0].Image; img != "nginx:1.28" {
				t.Fatalf("pod %s runs %s after resume", p.Name, img)
			}
		}
	})
	step("delete deployment removes its ReplicaSets and pods", func(t *testing.T) {
		expectMatch(t, w.run(t, "delete", "deployment", "web"), `^deployment.apps "web" deleted`)
		eventually(t, 30*time.Second, "web's ReplicaSets and pods gone", func() error {
			rss, err := w.replicaSets("app=web")
			if err != nil {
				return err
			}
			pods, err := w.pods("app=web")
			if err != nil {
				return err
			}
			if len(rss) != 0 || len(pods) != 0 {
				return fmt.Errorf("%d ReplicaSets, pods %s", len(rss), podSummary(pods))
			}
			return nil
		})
	})
	step("delete --cascade=orphan leaves the pods", func(t *testing.T) {
		w.run(t, "create", "deployment", "orphan", "--image=nginx:1.25", "--replicas=2")
		w.rolloutStatus(t, "deployment", "orphan")
		before := w.waitRunning(t, "app=orphan", 2, 30*time.Second)
		expectMatch(t, w.run(t, "delete", "deployment", "orphan", "--cascade=orphan"), `^deployment.apps "orphan" deleted`)
		w.gone(t, 30*time.Second, "deployment", "orphan")
		eventually(t, 30*time.Second, "orphaned ReplicaSet without owner", func() error {
			rss, err := w.replicaSets("app=orphan")
			if err != nil {
				return err
			}
			if len(rss) != 1 || len(rss[0].OwnerReferences) != 0 || *rss[0].Spec.Replicas != 2 {
				return fmt.Errorf("ReplicaSets %+v", rss)
			}
			return nil
		})
		after := w.waitRunning(t, "app=orphan", 2, 10*time.Second)
		for i := range after {
			if after[i].UID != before[i].UID {
				t.Fatalf("orphaned pods replaced: %s → %s", podSummary(before), podSummary(after))
			}
		}
		// Leave no unmanaged pods behind (drain would refuse them).
		w.run(t, "delete", "rs", "-l", "app=orphan", "--wait=false")
		eventually(t, 30*time.Second, "orphan pods gone", func() error {
			pods, err := w.pods("app=orphan")
			if err != nil || len(pods) != 0 {
				return fmt.Errorf("%v %s", err, podSummary(pods))
			}
			return nil
		})
	})
}

// session runs the whole scenario with w's kubectl.
func (w *workloads) session(t *testing.T) {
	step := func(name string, f func(t *testing.T)) {
		t.Helper()
		if !t.Run(name, f) {
			t.FailNow()
		}
	}
	step("nodes Ready", func(t *testing.T) {
		eventually(t, 60*time.Second, fmt.Sprintf("%d Ready nodes", simulatedNodes), func() error {
			var l corev1.NodeList
			if err := w.k.tryJSON(&l, "get", "nodes", "-o", "json"); err != nil {
				return err
			}
			ready := 0
			for _, n := range l.Items {
				if nodeReady(&n) == corev1.ConditionTrue && n.Spec.PodCIDR != "" {
					ready++
				}
			}
			if ready != simulatedNodes {
				return fmt.Errorf("%d of %d nodes Ready with a podCIDR", ready, len(l.Items))
			}
			return nil
		})
		rows := expectHeader(t, w.k.run(t, "get", "nodes"), "NAME STATUS ROLES AGE VERSION")
		for i := 0; i < simulatedNodes; i++ {
			expectCells(t, row(t, rows, 0, nodeName(i)), nodeName(i), "Ready")
		}
	})
	// The CronJob goes first: it fires on the next minute boundary, which
	// it reaches while the other steps run.
	var cronCreated time.Time
	step("create cronjob", func(t *testing.T) {
		w.k.run(t, "create", "namespace", w.ns)
		cronCreated = time.Now()
		expectMatch(t, w.apply(t, "cron", cronJobManifest), `^cronjob.batch/tick created\n$`)
	})

	w.coreFlow(t)

	step("jobs complete and fail", func(t *testing.T) {
		w.apply(t, "jobs", jobsManifest)
		expectMatch(t, w.run(t, "wait", "--for=condition=Complete", "job/ok", "--timeout=60s"), `^job.batch/ok condition met\n$`)
		expectMatch(t, w.run(t, "wait", "--for=condition=Failed", "job/bad", "--timeout=60s"), `^job.batch/bad condition met\n$`)
		var ok, bad batchv1.Job
		w.k.json(t, &ok, w.in("get", "job", "ok", "-o", "json")...)
		w.k.json(t, &bad, w.in("get", "job", "bad", "-o", "json")...)
		if ok.Status.Succeeded != 1 || ok.Status.Failed != 0 || ok.Status.CompletionTime == nil {
			t.Fatalf("job ok status: %+v", ok.Status)
		}
		if bad.Status.Failed != 2 || bad.Status.Succeeded != 0 || jobCondition(&bad, batchv1.JobFailed) != "BackoffLimitExceeded" {
			t.Fatalf("job bad status: %+v", bad.Status)
		}
		rows := expectHeader(t, w.run(t, "get", "jobs"), "NAME STATUS COMPLETIONS DURATION AGE")
		expectCells(t, row(t, rows, 0, "ok"), "ok", "Complete", "1/1")
		expectCells(t, row(t, rows, 0, "bad"), "bad", "Failed", "0/1")
		pods, err := w.pods("job-name=bad")
		if err != nil {
			t.Fatal(err)
		}
		failed := 0
		for _, p := range pods {
			if p.Status.Phase == corev1.PodFailed {
				failed++
			}
		}
		if failed != 2 {
			t.Fatalf("job bad: %d Failed pods, want 2 (backoffLimit 1): %s", failed, podSummary(pods))
		}
		// The STATUS column shows the terminated containers' reasons.
		rows = expectHeader(t, w.run(t, "get", "pods", "-l", "job-name in (ok,bad)"), "NAME READY STATUS RESTARTS AGE")
		for _, r := range rows[1:] {
			want := "Error"
			if strings.HasPrefix(r[0], "ok-") {
				want = "Completed"
			}
			expectCells(t, r, r[0], "0/1", want, "0")
		}
	})

	step("daemonset has one pod per node", func(t *testing.T) {
		w.apply(t, "ds", daemonSetManifest)
		w.rolloutStatus(t, "daemonset", "agent")
		pods := w.waitRunning(t, "app=agent", simulatedNodes, 30*time.Second)
		if nodes := nodesOf(pods); len(nodes) != simulatedNodes {
			t.Fatalf("DaemonSet pods on nodes %q: %s", nodes, podSummary(pods))
		}
		rows := expectHeader(t, w.run(t, "get", "ds", "agent"), "NAME DESIRED CURRENT READY UP-TO-DATE AVAILABLE NODE SELECTOR AGE")
		n := fmt.Sprint(simulatedNodes)
		expectCells(t, row(t, rows, 0, "agent"), "agent", n, n, n, n, n, "<none>")
	})

	step("daemonset rolling update", func(t *testing.T) {
		w.run(t, "set", "image", "daemonset/agent", "c=busybox:1.37")
		w.rolloutStatus(t, "daemonset", "agent")
		pods := w.waitRunning(t, "app=agent", simulatedNodes, 30*time.Second)
		for _, p := range pods {
			if img := p.Spec.Containers[0].Image; img != "busybox:1.37" {
				t.Fatalf("%s runs %s after the rolling update", p.Name, img)
			}
		}
		if nodes := nodesOf(pods); len(nodes) != simulatedNodes {
			t.Fatalf("DaemonSet pods on nodes %q after the update", nodes)
		}
	})

	step("statefulset creates db-0, db-1, db-2 in order", func(t *testing.T) {
		watch := w.k.start(t, w.in("get", "pods", "-l", "app=db", "--watch", "--no-headers",
			"-o", `custom-columns=NAME:.metadata.name,PHASE:.status.phase,READY:.status.conditions[?(@.type=="Ready")].status`)...)
		w.apply(t, "sts", statefulSetManifest)
		w.rolloutStatus(t, "statefulset", "db")
		pods := w.waitRunning(t, "app=db", 3, 30*time.Second)
		var names []string
		for _, p := range pods {
			names = append(names, p.Name)
		}
		if strings.Join(names, " ") != "db-0 db-1 db-2" {
			t.Fatalf("StatefulSet pods %q", names)
		}
		// Each pod is added only once its predecessor is Running and
		// Ready: the watch shows every state each pod went through.
		var seen []string
		readyPods := map[string]bool{}
		for len(seen) < 3 {
			f := strings.Fields(watch.expectLine(t, `^db-\d\s+\S+\s+\S+$`, 10*time.Second))
			if !slices.Contains(seen, f[0]) {
				if n := len(seen); n > 0 && !readyPods[seen[n-1]] {
					t.Fatalf("%s appeared before %s was Ready (saw %q)", f[0], seen[n-1], seen)
				}
				seen = append(seen, f[0])
			}
			if f[1] == "Running" && f[2] == "True" {
				readyPods[f[0]] = true
			}
		}
		if strings.Join(seen, " ") != "db-0 db-1 db-2" {
			t.Fatalf("pods appeared in order %q, want db-0 db-1 db-2", seen)
		}
		var c [3]time.Time
		for i, p := range pods {
			c[i] = p.CreationTimestamp.Time
		}
		if c[1].Before(c[0]) || c[2].Before(c[1]) {
			t.Fatalf("creationTimestamps out of order: %v", c)
		}
		rows := expectHeader(t, w.run(t, "get", "pods", "-l", "app=db", "-o", "wide"), "NAME READY STATUS RESTARTS AGE IP NODE NOMINATED NODE READINESS GATES")
		for _, p := range pods {
			expectCells(t, row(t, rows, 0, p.Name), p.Name, "1/1", "Running", "0", "*", p.Status.PodIP, p.Spec.NodeName)
		}
	})

	step("statefulset rolling update goes from db-2 down to db-0", func(t *testing.T) {
		events := w.k.start(t, w.in("get", "pods", "-l", "app=db", "--watch-only", "--output-watch-events", "--no-headers",
			"-o", "custom-columns=EVENT:.type,NAME:.object.metadata.name")...)
		w.run(t, "set", "image", "statefulset/db", "c=postgres:17")
		w.rolloutStatus(t, "statefulset", "db")
		for _, p := range w.waitRunning(t, "app=db", 3, 30*time.Second) {
			if img := p.Spec.Containers[0].Image; img != "postgres:17" {
				t.Fatalf("%s runs %s after the rolling update", p.Name, img)
			}
		}
		for _, want := range []string{"db-2", "db-1", "db-0"} {
			if got := strings.Fields(events.expectLine(t, `^DELETED\s`, 30*time.Second)); got[1] != want {
				t.Fatalf("replaced %s, want %s next", got[1], want)
			}
		}
	})

	step("statefulset scales down in reverse order", func(t *testing.T) {
		events := w.k.start(t, w.in("get", "pods", "-l", "app=db", "--watch-only", "--output-watch-events", "--no-headers",
			"-o", "custom-columns=EVENT:.type,NAME:.object.metadata.name")...)
		expectMatch(t, w.run(t, "scale", "statefulset", "db", "--replicas=1"), `^statefulset.apps/db scaled\n$`)
		w.rolloutStatus(t, "statefulset", "db")
		w.waitRunning(t, "app=db", 1, 30*time.Second)
		// db-1 is deleted only once db-2 is gone.
		if got := strings.Fields(events.expectLine(t, `^DELETED\s`, 30*time.Second)); got[1] != "db-2" {
			t.Fatalf("first deleted %s, want db-2", got[1])
		}
		if got := strings.Fields(events.expectLine(t, `^(DELETED\s|MODIFIED\s+db-1$)`, 30*time.Second)); got[0] != "MODIFIED" {
			t.Fatalf("db-1 deleted without a graceful deletion first")
		}
		if got := strings.Fields(events.expectLine(t, `^DELETED\s`, 30*time.Second)); got[1] != "db-1" {
			t.Fatalf("second deleted %s, want db-1", got[1])
		}
	})

	step("tainted node gets no pods without a toleration", func(t *testing.T) {
		tainted := nodeName(0)
		w.k.run(t, "taint", "node", tainted, "dedicated=special:NoSchedule")
		w.run(t, "create", "deployment", "spread", "--image=nginx:1.25", "--replicas=6")
		w.rolloutStatus(t, "deployment", "spread")
		for _, p := range w.waitRunning(t, "app=spread", 6, 30*time.Second) {
			if p.Spec.NodeName == tainted {
				t.Fatalf("pod %s scheduled onto tainted %s", p.Name, tainted)
			}
		}
		// Pinned to the tainted node: Pending without the toleration,
		// Running with it.
		w.apply(t, "pinned", fmt.Sprintf(pinnedManifest, tainted))
		w.waitRunning(t, "app=pinned-tolerating", 1, 30*time.Second)
		eventually(t, 30*time.Second, "untolerating pod FailedScheduling", func() error {
			out, _, err := w.k.exec("", w.in("describe", "pod", "pinned-intolerant"))
			if err != nil {
				return err
			}
			if !strings.Contains(out, fmt.Sprintf("0/%d nodes are available: 1 node(s) had untolerated taint(s), %d node(s) didn't match Pod's node affinity/selector.", simulatedNodes, simulatedNodes-1)) {
				return fmt.Errorf("describe:\n%s", out)
			}
			return nil
		})
		var p corev1.Pod
		w.k.json(t, &p, w.in("get", "pod", "pinned-intolerant", "-o", "json")...)
		if p.Spec.NodeName != "" || p.Status.Phase != corev1.PodPending {
			t.Fatalf("intolerant pod: node %q phase %s", p.Spec.NodeName, p.Status.Phase)
		}
		// Wait: a bare pod left on a node would make the drain step refuse
		// that node ("cannot delete Pods that declare no controller").
		w.run(t, "delete", "pod", "pinned-intolerant", "pinned-tolerating")
		w.k.run(t, "taint", "node", tainted, "dedicated=special:NoSchedule-")
		w.run(t, "delete", "deployment", "spread", "--wait=false")
	})

	step("pod requesting more CPU than any node stays Pending", func(t *testing.T) {
		w.apply(t, "big", bigPodManifest)
		want := fmt.Sprintf("0/%d nodes are available: %d Insufficient cpu.", simulatedNodes, simulatedNodes)
		eventually(t, 30*time.Second, "FailedScheduling event", func() error {
			out, _, err := w.k.exec("", w.in("describe", "pod", "big"))
			if err != nil {
				return err
			}
			if !regexp.MustCompile(`(?m)^\s+Warning\s+FailedScheduling\s`).MatchString(out) || !strings.Contains(out, want) {
				return fmt.Errorf("describe lacks a FailedScheduling %q:\n%s", want, out)
			}
			return nil
		})
		var p corev1.Pod
		w.k.json(t, &p, w.in("get", "pod", "big", "-o", "json")...)
		if p.Spec.NodeName != "" || p.Status.Phase != corev1.PodPending {
			t.Fatalf("big pod: node %q phase %s", p.Spec.NodeName, p.Status.Phase)
		}
		w.run(t, "delete", "pod", "big", "--wait=false")
	})

	step("drain respects the PodDisruptionBudget", func(t *testing.T) {
		w.apply(t, "pdb", pdbManifest)
		pods := w.waitRunning(t, "app=guarded", 4, 30*time.Second)
		eventually(t, 30*time.Second, "PDB sees 4 healthy pods", func() error {
			var pdb policyv1.PodDisruptionBudget
			if err := w.k.tryJSON(&pdb, w.in("get", "pdb", "guarded", "-o", "json")...); err != nil {
				return err
			}
			if pdb.Status.CurrentHealthy != 4 || pdb.Status.DisruptionsAllowed != 1 {
				return fmt.Errorf("status %+v", pdb.Status)
			}
			return nil
		})
		// Drain the node holding the most guarded pods: with
		// maxUnavailable 1, its second eviction has to wait for the first
		// pod's replacement to be Ready elsewhere.
		count := map[string]int{}
		victim := ""
		for _, p := range pods {
			count[p.Spec.NodeName]++
			if victim == "" || count[p.Spec.NodeName] > count[victim] {
				victim = p.Spec.NodeName
			}
		}
		if count[victim] < 2 {
			t.Fatalf("no node has two guarded pods: %s", podSummary(pods))
		}
		expectMatch(t, w.k.run(t, "cordon", victim), `^node/`+victim+` cordoned\n$`)
		var n corev1.Node
		w.k.json(t, &n, "get", "node", victim, "-o", "json")
		if !n.Spec.Unschedulable {
			t.Fatal("cordon did not set spec.unschedulable")
		}
		out, errOut, err := w.k.exec("", []string{"drain", victim, "--ignore-daemonsets", "--delete-emptydir-data", "--timeout=90s"})
		if err != nil {
			t.Fatalf("drain: %v\nstdout:\n%s\nstderr:\n%s", err, out, errOut)
		}
		expectMatch(t, out, `(?m)^node/`+victim+` drained$`)
		expectMatch(t, errOut, `error when evicting pods/"guarded-\S+" -n "`+w.ns+`" \(will retry after 5s\): Cannot evict pod as it would violate the pod's disruption budget.`)
		after := w.waitRunning(t, "app=guarded", 4, 30*time.Second)
		for _, p := range after {
			if p.Spec.NodeName == victim {
				t.Fatalf("guarded pod %s still on drained %s", p.Name, victim)
			}
		}
		var all corev1.PodList
		w.k.json(t, &all, "get", "pods", "-A", "--field-selector", "spec.nodeName="+victim, "-o", "json")
		for _, p := range all.Items {
			if p.DeletionTimestamp == nil && !ownedBy(&p, "DaemonSet") && p.Status.Phase != corev1.PodSucceeded && p.Status.Phase != corev1.PodFailed {
				t.Fatalf("pod %s/%s left on drained node", p.Namespace, p.Name)
			}
		}
		expectMatch(t, w.k.run(t, "uncordon", victim), `^node/`+victim+` uncordoned\n$`)
	})

	step("node that stops heartbeating goes NotReady and its pods move", func(t *testing.T) {
		extra := nodeName(simulatedNodes)
		stop := w.startNode(t, simulatedNodes)
		eventually(t, 30*time.Second, extra+" Ready", func() error {
			var n corev1.Node
			if err := w.k.tryJSON(&n, "get", "node", extra, "-o", "json"); err != nil {
				return err
			}
			if nodeReady(&n) != corev1.ConditionTrue {
				return fmt.Errorf("conditions %+v", n.Status.Conditions)
			}
			return nil
		})
		// Put the pods on the extra node by cordoning the others.
		for i := 0; i < simulatedNodes; i++ {
			w.k.run(t, "cordon", nodeName(i))
		}
		w.apply(t, "fragile", fragileManifest)
		for _, p := range w.waitRunning(t, "app=fragile", 2, 30*time.Second) {
			if p.Spec.NodeName != extra {
				t.Fatalf("fragile pod %s on %s, want %s", p.Name, p.Spec.NodeName, extra)
			}
		}
		for i := 0; i < simulatedNodes; i++ {
			w.k.run(t, "uncordon", nodeName(i))
		}
		stop()
		eventually(t, 60*time.Second, extra+" NotReady", func() error {
			rows := table(w.k.run(t, "get", "node", extra))
			if len(rows) != 2 || rows[1][1] != "NotReady" {
				return fmt.Errorf("get node: %q", rows)
			}
			return nil
		})
		var n corev1.Node
		w.k.json(t, &n, "get", "node", extra, "-o", "json")
		if !hasTaint(&n, corev1.TaintNodeUnreachable, corev1.TaintEffectNoExecute) {
			t.Fatalf("NotReady node lacks the unreachable NoExecute taint: %+v", n.Spec.Taints)
		}
		for _, p := range w.waitRunning(t, "app=fragile", 2, 60*time.Second) {
			if p.Spec.NodeName == extra {
				t.Fatalf("fragile pod %s still on dead %s", p.Name, extra)
			}
		}
		// Nobody confirms the deletions on a dead node; remove it and its
		// pods as an operator would.
		w.k.run(t, "delete", "node", extra)
		eventually(t, 30*time.Second, "pods of "+extra+" gone", func() error {
			var l corev1.PodList
			if err := w.k.tryJSON(&l, "get", "pods", "-A", "--field-selector", "spec.nodeName="+extra, "-o", "json"); err != nil {
				return err
			}
			for _, p := range l.Items {
				w.k.exec("", []string{"delete", "pod", "-n", p.Namespace, p.Name, "--force", "--grace-period=0"}) //nolint:errcheck // checked on the next poll
			}
			if len(l.Items) > 0 {
				return fmt.Errorf("pods %s", podSummary(l.Items))
			}
			return nil
		})
	})

	step("cronjob created jobs on schedule", func(t *testing.T) {
		// */1 fires at the first minute boundary after creation.
		due := cronCreated.Truncate(time.Minute).Add(time.Minute)
		eventually(t, time.Until(due)+45*time.Second, "CronJob tick ran a Job", func() error {
			var cj batchv1.CronJob
			if err := w.k.tryJSON(&cj, w.in("get", "cronjob", "tick", "-o", "json")...); err != nil {
				return err
			}
			var jobs batchv1.JobList
			if err := w.k.tryJSON(&jobs, w.in("get", "jobs", "-o", "json")...); err != nil {
				return err
			}
			var owned []string
			for _, j := range jobs.Items {
				if ownedBy(&j, "CronJob") && j.OwnerReferences[0].Name == "tick" {
					owned = append(owned, j.Name)
				}
			}
			if cj.Status.LastScheduleTime == nil || len(owned) == 0 {
				return fmt.Errorf("lastScheduleTime %v, jobs %q", cj.Status.LastScheduleTime, owned)
			}
			return nil
		})
		w.run(t, "wait", "--for=jsonpath={.status.lastSuccessfulTime}", "cronjob/tick", "--timeout=60s")
		// A Job by hand from the CronJob's template.
		expectMatch(t, w.run(t, "create", "job", "manual", "--from=cronjob/tick"), `^job.batch/manual created\n$`)
		w.run(t, "wait", "--for=condition=Complete", "job/manual", "--timeout=60s")
	})

	step("deleting the namespace removes everything in it", func(t *testing.T) {
		out := w.run(t, "get", "all", "-o", "name")
		for _, want := range []string{"pod/db-0", "daemonset.apps/agent", "statefulset.apps/db", "job.batch/ok", "cronjob.batch/tick"} {
			expectMatch(t, out, `(?m)^`+regexp.QuoteMeta(want)+`$`)
		}
		expectMatch(t, w.k.run(t, "delete", "namespace", w.ns, "--timeout=90s"), `^namespace "`+w.ns+`" deleted`)
		w.k.fail(t, "NotFound", "get", "namespace", w.ns)
		left := w.run(t, "get", "all,configmaps,secrets,serviceaccounts,events,poddisruptionbudgets,controllerrevisions,endpointslices", "-o", "name")
		if left != "" {
			t.Fatalf("objects left in the deleted namespace:\n%s", left)
		}
	})
}

func nodeName(i int) string { return fmt.Sprintf("tinykube-node-%d", i) }

func nodeReady(n *corev1.Node) corev1.ConditionStatus {
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status
		}
	}
	return ""
}

func hasTaint(n *corev1.Node, key string, effect corev1.TaintEffect) bool {
	for _, t := range n.Spec.Taints {
		if t.Key == key && t.Effect == effect {
			return true
		}
	}
	return false
}

func jobCondition(j *batchv1.Job, typ batchv1.JobConditionType) string {
	for _, c := range j.Status.Conditions {
		if c.Type == typ && c.Status == corev1.ConditionTrue {
			return c.Reason
		}
	}
	return ""
}

// ownedBy reports whether obj's controller is of kind.
func ownedBy(obj metav1.Object, kind string) bool {
	for _, r := range obj.GetOwnerReferences() {
		if r.Kind == kind && r.Controller != nil && *r.Controller {
			return true
		}
	}
	return false
}

// startNode runs `tinykube node --simulated 1 --first-index i` against the
// server with a fast Lease, and returns a func that kills it (SIGKILL: a
// node that just stops).
func (w *workloads) startNode(t *testing.T, i int) (kill func()) {
	t.Helper()
	logPath := filepath.Join(w.dir, fmt.Sprintf("node-%d.log", i))
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(w.tinykube, "node", "--kubeconfig", w.kubeconfig, "--simulated", "1", "--first-index", fmt.Sprint(i),
		"--lease-duration", "4s", "--lease-renew-interval", "1s")
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); logFile.Close(); close(done) }() //nolint:errcheck // killed on purpose
	kill = func() {
		cmd.Process.Signal(syscall.SIGKILL) //nolint:errcheck // may have exited
		<-done
	}
	t.Cleanup(func() {
		kill()
		if t.Failed() {
			f, _ := os.Open(logPath)
			if f != nil {
				defer f.Close()
				b, _ := io.ReadAll(bufio.NewReader(f))
				t.Logf("node %d log:\n%s", i, b)
			}
		}
	})
	return kill
}

const cronJobManifest = `apiVersion: batch/v1
kind: CronJob
metadata:
  name: tick
spec:
  schedule: "*/1 * * * *"
  jobTemplate:
    spec:
      template:
        metadata:
          annotations:
            sim.tinykube.io/exit-after: 1s
        spec:
          restartPolicy: Never
          containers:
          - name: c
            image: busybox
`

const jobsManifest = `apiVersion: batch/v1
kind: Job
metadata:
  name: ok
spec:
  template:
    metadata:
      annotations:
        sim.tinykube.io/exit-after: 1s
        sim.tinykube.io/exit-code: "0"
    spec:
      restartPolicy: Never
      containers:
      - name: c
        image: busybox
---
apiVersion: batch/v1
kind: Job
metadata:
  name: bad
spec:
  backoffLimit: 1
  template:
    metadata:
      annotations:
        sim.tinykube.io/exit-after: 500ms
        sim.tinykube.io/exit-code: "1"
    spec:
      restartPolicy: Never
      containers:
      - name: c
        image: busybox
`

const daemonSetManifest = `apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: agent
spec:
  selector:
    matchLabels: {app: agent}
  template:
    metadata:
      labels: {app: agent}
    spec:
      containers:
      - name: c
        image: busybox
`

const statefulSetManifest = `apiVersion: v1
kind: Service
metadata:
  name: db
spec:
  clusterIP: None
  selector: {app: db}
  ports:
  - port: 5432
---
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: db
spec:
  serviceName: db
  replicas: 3
  selector:
    matchLabels: {app: db}
  template:
    metadata:
      labels: {app: db}
    spec:
      containers:
      - name: c
        image: postgres:16
`

// pinnedManifest takes the node name.
const pinnedManifest = `apiVersion: v1
kind: Pod
metadata:
  name: pinned-intolerant
  labels: {app: pinned-intolerant}
spec:
  nodeSelector: {kubernetes.io/hostname: %[1]s}
  containers:
  - name: c
    image: busybox
---
apiVersion: v1
kind: Pod
metadata:
  name: pinned-tolerating
  labels: {app: pinned-tolerating}
spec:
  nodeSelector: {kubernetes.io/hostname: %[1]s}
  tolerations:
  - {key: dedicated, operator: Equal, value: special, effect: NoSchedule}
  containers:
  - name: c
    image: busybox
`

const bigPodManifest = `apiVersion: v1
kind: Pod
metadata:
  name: big
spec:
  containers:
  - name: c
    image: busybox
    resources:
      requests: {cpu: "100"}
`

const pdbManifest = `apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: guarded
spec:
  maxUnavailable: 1
  selector:
    matchLabels: {app: guarded}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: guarded
spec:
  replicas: 4
  selector:
    matchLabels: {app: guarded}
  template:
    metadata:
      labels: {app: guarded}
    spec:
      containers:
      - name: c
        image: nginx:1.25
        volumeMounts:
        - {name: scratch, mountPath: /scratch}
      volumes:
      - name: scratch
        emptyDir: {}
`

// fragileManifest's pods leave an unreachable node at once instead of
// after the default 300 s.
const fragileManifest = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: fragile
spec:
  replicas: 2
  selector:
    matchLabels: {app: fragile}
  template:
    metadata:
      labels: {app: fragile}
    spec:
      tolerations:
      - {key: node.kubernetes.io/unreachable, operator: Exists, effect: NoExecute, tolerationSeconds: 0}
      - {key: node.kubernetes.io/not-ready, operator: Exists, effect: NoExecute, tolerationSeconds: 0}
      containers:
      - name: c
        image: nginx:1.25
`
