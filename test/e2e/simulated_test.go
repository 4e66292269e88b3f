package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
)

// TestSimulatedNodes is what a user meets on simulated nodes
// (docs/simulated-nodes.md), with real kubectl against `tinykube server
// --simulated-nodes 1`: a Job made by `kubectl create job` completes and
// `kubectl wait` returns; a CronJob's Jobs complete and its history
// limit deletes the older ones; a pod whose ConfigMap (volume or env)
// does not exist waits with the kubelet's FailedMount event or
// CreateContainerConfigError and runs once it is created; images that
// cannot be pulled wait in ErrImagePull/ImagePullBackOff or
// InvalidImageName; the readiness annotations; `kubectl logs` is the
// synthetic log, and exec, attach, cp, port-forward and nodes/proxy say
// what is missing instead of a bare 404. One server; each kubectl
// works in its own namespace.
func TestSimulatedNodes(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: starts a server")
	}
	tk := buildTinykube(t)
	s := startServer(t, tk, "--simulated-nodes", "1", "--simulated-failing-images", "registry.example/broken/*")
	forEachKubectl(t, func(t *testing.T, i int, bin string) {
		start := time.Now()
		w := &workloads{k: newKubectl(t, bin, s.Kubeconfig), ns: fmt.Sprintf("sim%d", i), dir: t.TempDir()}
		w.k.run(t, "create", "namespace", w.ns)
		simulatedSession(t, w)
		t.Logf("simulated-node session took %s", time.Since(start).Round(time.Millisecond))
	})
}

const simulatedPods = `apiVersion: v1
kind: Pod
metadata: {name: needs-cm}
spec:
  containers:
  - {name: c, image: busybox, volumeMounts: [{name: cfg, mountPath: /cfg}]}
  volumes:
  - {name: cfg, configMap: {name: late-cfg}}
---
apiVersion: v1
kind: Pod
metadata: {name: needs-env}
spec:
  containers:
  - name: c
    image: busybox
    env:
    - name: X
      valueFrom: {configMapKeyRef: {name: late-env, key: x}}
---
apiVersion: v1
kind: Pod
metadata: {name: broken-image}
spec:
  containers:
  - {name: c, image: "registry.example/broken/app:1"}
---
apiVersion: v1
kind: Pod
metadata: {name: bad-ref}
spec:
  containers:
  - {name: c, image: "BUSYBOX"}
---
apiVersion: v1
kind: Pod
metadata:
  name: slow-ready
  annotations: {sim.tinykube.io/ready-after: "3s"}
spec:
  containers:
  - {name: c, image: busybox}
---
apiVersion: v1
kind: Pod
metadata:
  name: never-ready
  annotations: {sim.tinykube.io/ready: "false"}
spec:
  containers:
  - {name: c, image: busybox}
---
apiVersion: v1
kind: Pod
metadata: {name: web, labels: {app: web}}
spec:
  containers:
  - {name: c, image: nginx, ports: [{containerPort: 80}]}
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: tick}
spec:
  schedule: "0 0 1 1 *"
  suspend: true
  successfulJobsHistoryLimit: 1
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: Never
          containers:
          - {name: c, image: busybox, command: [sleep, "3600"]}
`

func simulatedSession(t *testing.T, w *workloads) {
	step := func(name string, f func(t *testing.T)) {
		t.Helper()
		if !t.Run(name, f) {
			t.FailNow()
		}
	}
	// Everything starts at once; the steps then look at each in turn.
	w.apply(t, "pods", simulatedPods)
	expectMatch(t, w.k.run(t, "create", "job", "once", "-n", w.ns, "--image=busybox", "--", "sleep", "3600"), `^job.batch/once created\n$`)
	for _, name := range []string{"m1", "m2", "m3"} {
		w.run(t, "create", "job", name, "--from=cronjob/tick")
	}

	step("job completes", func(t *testing.T) {
		// Its command would sleep an hour: a Job's pods complete after
		// 1-5 s on simulated nodes, as on kwok's.
		expectMatch(t, w.run(t, "wait", "--for=condition=complete", "job/once", "--timeout=60s"), `^job.batch/once condition met\n$`)
		rows := expectHeader(t, w.run(t, "get", "pods", "-l", "job-name=once"), "NAME READY STATUS RESTARTS AGE")
		if len(rows) != 2 || rows[1][2] != "Completed" {
			t.Fatalf("job pods: %q", rows)
		}
	})

	step("cronjob history limit", func(t *testing.T) {
		eventually(t, 60*time.Second, "only the newest of the CronJob's three Jobs is kept", func() error {
			var jobs batchv1.JobList
			if err := w.k.tryJSON(&jobs, w.in("get", "jobs", "-o", "json")...); err != nil {
				return err
			}
			var owned []string
			for _, j := range jobs.Items {
				if ownedBy(&j, "CronJob") {
					owned = append(owned, fmt.Sprintf("%s succeeded=%d", j.Name, j.Status.Succeeded))
				}
			}
			if strings.Join(owned, ",") != "m3 succeeded=1" {
				return fmt.Errorf("jobs of cronjob/tick: %q", owned)
			}
			return nil
		})
	})

	step("missing configmap volume", func(t *testing.T) {
		w.waitEvent(t, "needs-cm", "FailedMount", `MountVolume.SetUp failed for volume "cfg" : configmap "late-cfg" not found`)
		w.expectWaiting(t, "needs-cm", "ContainerCreating", "")
		w.run(t, "create", "configmap", "late-cfg", "--from-literal=k=v")
		expectMatch(t, w.run(t, "wait", "--for=condition=Ready", "pod/needs-cm", "--timeout=60s"), `condition met`)
	})

	step("missing configmap env", func(t *testing.T) {
		w.waitEvent(t, "needs-env", "Failed", `Error: configmap "late-env" not found`)
		w.expectWaiting(t, "needs-env", "CreateContainerConfigError", `configmap "late-env" not found`)
		rows := expectHeader(t, w.run(t, "get", "pod", "needs-env"), "NAME READY STATUS RESTARTS AGE")
		expectCells(t, rows[1], "needs-env", "0/1", "CreateContainerConfigError")
		w.run(t, "create", "configmap", "late-env", "--from-literal=x=1")
		expectMatch(t, w.run(t, "wait", "--for=condition=Ready", "pod/needs-env", "--timeout=60s"), `condition met`)
	})

	step("images that cannot be pulled", func(t *testing.T) {
		const ref = "registry.example/broken/app:1"
		w.waitEvent(t, "broken-image", "Failed", `Failed to pull image "`+ref+`": rpc error: code = NotFound desc = failed to pull and unpack image "`+ref+`"`)
		w.waitEvent(t, "broken-image", "BackOff", `Back-off pulling image "`+ref+`"`)
		w.expectWaiting(t, "broken-image", "ImagePullBackOff", `Back-off pulling image "`+ref+`": ErrImagePull: rpc error: code = NotFound`)
		w.k.fail(t, `container "c" in pod "broken-image" is waiting to start: trying and failing to pull image`, w.in("logs", "broken-image")...)
		w.waitEvent(t, "bad-ref", "InspectFailed", `Failed to apply default image tag "BUSYBOX": couldn't parse image name "BUSYBOX"`)
		w.expectWaiting(t, "bad-ref", "InvalidImageName", `Failed to apply default image tag "BUSYBOX"`)
	})

	step("readiness annotations", func(t *testing.T) {
		expectMatch(t, w.run(t, "wait", "--for=condition=Ready", "pod/slow-ready", "--timeout=30s"), `condition met`)
		var p corev1.Pod
		w.k.json(t, &p, w.in("get", "pod", "slow-ready", "-o", "json")...)
		started := p.Status.ContainerStatuses[0].State.Running.StartedAt.Time
		if ready := readySince(&p); ready.Sub(started) < 3*time.Second {
			t.Fatalf("slow-ready: ready at %v, started at %v; want 3s later", ready, started)
		}
		w.k.json(t, &p, w.in("get", "pod", "never-ready", "-o", "json")...)
		if p.Status.Phase != corev1.PodRunning || podReady(&p) {
			t.Fatalf("never-ready: phase %s, ready %v; want Running, not ready", p.Status.Phase, podReady(&p))
		}
	})

	step("logs exec attach cp port-forward", func(t *testing.T) {
		w.run(t, "wait", "--for=condition=Ready", "pod/web", "--timeout=30s")
		logs := w.run(t, "logs", "web")
		expectMatch(t, logs, `^tinykube: container "c" of pod `+w.ns+`/web \(image "nginx"\) started on simulated node "tinykube-node-0"\n`+
			`tinykube: this log is synthetic: simulated nodes run no processes`)
		expectMatch(t, w.run(t, "logs", "web", "--timestamps", "--tail=1"), `^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ tinykube: this log is synthetic`)
		w.k.fail(t, `previous terminated container "c" in pod "web" not found`, w.in("logs", "web", "--previous")...)
		// A completed Job pod's log says how it ended.
		expectMatch(t, w.run(t, "logs", "job/once"), `tinykube: container "once" exited with code 0 \(Completed\)\n$`)

		const missing = `simulated nodes run no containers; run ` + "`tinykube server --node`"
		// kubectl prints "Error from server (BadRequest): " (WebSocket)
		// or "unable to upgrade connection: " (SPDY) before the message.
		w.k.fail(t, `pods/exec: container "c" of pod "web" is on simulated node "tinykube-node-0": `+missing,
			"exec", "web", "-n", w.ns, "--", "ls")
		w.k.fail(t, `pods/attach: container "c" of pod "web" is on simulated node "tinykube-node-0": `+missing, w.in("attach", "web")...)
		w.k.fail(t, `pods/exec: container "c" of pod "web" is on simulated node`, w.in("cp", "web:/etc/hosts", w.dir+"/hosts")...)
		w.k.fail(t, `pods/portforward: pod "web" is on simulated node "tinykube-node-0": `+missing,
			w.in("port-forward", "pod/web", "0:80")...)
		w.k.fail(t, `nodes/proxy: node "tinykube-node-0" is simulated and serves no kubelet API`,
			"get", "--raw", "/api/v1/nodes/tinykube-node-0/proxy/healthz")
		w.run(t, "expose", "pod", "web", "--port=80")
		eventually(t, 30*time.Second, "services/proxy answers for simulated endpoints", func() error {
			_, errOut, err := w.k.exec("", []string{"get", "--raw", "/api/v1/namespaces/" + w.ns + "/services/web:80/proxy/"})
			if want := `services/proxy: the endpoints of service "web" are pods on simulated nodes`; err == nil || !strings.Contains(errOut, want) {
				return fmt.Errorf("err %v, stderr %q", err, errOut)
			}
			return nil
		})
		// No metrics API is served: kubectl says so itself.
		w.k.fail(t, "Metrics API not available", w.in("top", "pods")...)
		// kubectl debug adds an ephemeral container, which runs (as
		// simulated containers do) but cannot be attached to.
		w.run(t, "debug", "web", "--image=busybox", "-c", "dbg", "--profile=general")
		w.k.fail(t, `pods/attach: container "dbg" of pod "web" is on simulated node`, w.in("attach", "web", "-c", "dbg")...)
	})

	step("impersonation", func(t *testing.T) {
		out := w.run(t, "auth", "whoami", "--as=alice", "--as-group=devs", "-o", "jsonpath={.status.userInfo.username} {.status.userInfo.groups}")
		if out != `alice ["devs","system:authenticated"]` {
			t.Fatalf("auth whoami --as=alice --as-group=devs: %q", out)
		}
		out = w.run(t, "auth", "whoami", "--as=system:serviceaccount:"+w.ns+":default", "-o", "jsonpath={.status.userInfo.groups}")
		if want := `["system:serviceaccounts","system:serviceaccounts:` + w.ns + `","system:authenticated"]`; out != want {
			t.Fatalf("auth whoami as a service account: groups %s, want %s", out, want)
		}
	})
}

// waitEvent waits for an event about pod with reason and a message
// starting with msg.
func (w *workloads) waitEvent(t *testing.T, pod, reason, msg string) {
	t.Helper()
	eventually(t, 45*time.Second, fmt.Sprintf("%s event on pod %s", reason, pod), func() error {
		var list corev1.EventList
		if err := w.k.tryJSON(&list, w.in("get", "events", "--field-selector", "involvedObject.name="+pod, "-o", "json")...); err != nil {
			return err
		}
		var seen []string
		for _, e := range list.Items {
			if e.Reason == reason && strings.HasPrefix(e.Message, msg) {
				wantType := corev1.EventTypeWarning
				if reason == "BackOff" { // the image back-off is Normal, as upstream's
					wantType = corev1.EventTypeNormal
				}
				if e.Source.Component != "kubelet" || e.Source.Host != "tinykube-node-0" || e.Type != wantType {
					return fmt.Errorf("event %s %q: source %+v type %s", e.Reason, e.Message, e.Source, e.Type)
				}
				return nil
			}
			seen = append(seen, e.Reason+": "+e.Message)
		}
		return fmt.Errorf("events: %q", seen)
	})
}

// expectWaiting waits until pod's only container waits with reason (and
// a message starting with msg) and the pod is Pending.
func (w *workloads) expectWaiting(t *testing.T, pod, reason, msg string) {
	t.Helper()
	eventually(t, 30*time.Second, fmt.Sprintf("pod %s waiting in %s", pod, reason), func() error {
		var p corev1.Pod
		if err := w.k.tryJSON(&p, w.in("get", "pod", pod, "-o", "json")...); err != nil {
			return err
		}
		cs := p.Status.ContainerStatuses
		if p.Status.Phase != corev1.PodPending || len(cs) != 1 || cs[0].State.Waiting == nil ||
			cs[0].State.Waiting.Reason != reason || !strings.HasPrefix(cs[0].State.Waiting.Message, msg) {
			return fmt.Errorf("phase %s, containers %+v", p.Status.Phase, cs)
		}
		return nil
	})
}

// readySince is when the pod's Ready condition last became True.
func readySince(p *corev1.Pod) time.Time {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady && c.Status == corev1.ConditionTrue {
			return c.LastTransitionTime.Time
		}
	}
	return time.Time{}
}
