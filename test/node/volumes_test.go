package node

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/tinykube/tinykube/internal/controllertest"
	"github.com/tinykube/tinykube/internal/nodetest"
	"github.com/tinykube/tinykube/pkg/controller/localpath"
)

// fileHas waits until the file at path holds want (trimmed).
func fileHas(t *testing.T, path, want string, within time.Duration) {
	t.Helper()
	controllertest.EventuallyWithin(t, filepath.Base(path)+" = "+want, within, func(context.Context) (bool, error) {
		b, _ := os.ReadFile(path)
		return strings.TrimSpace(string(b)) == want, nil
	})
}

// TestRealVolumes runs busybox pods on a real node: a configMap volume
// whose update reaches the running container, env from a ConfigMap key
// and the downward API with $(VAR) expansion, a PVC of the default
// local-path class that binds and whose data outlives the pod, and a pod
// whose ConfigMap is missing: it waits in ContainerCreating with a
// FailedMount event, then starts once the ConfigMap exists; one whose
// env names a missing Secret waits in CreateContainerConfigError.
func TestRealVolumes(t *testing.T) {
	n := nodetest.StartNode(t)
	img := n.Busybox(t)
	controllertest.StartControllers(t, n.Server, localpath.New)
	ctx := context.Background()
	c := n.Client.CoreV1()
	if _, err := c.ConfigMaps("default").Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "cfg"},
		Data: map[string]string{"greeting": "hello"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PersistentVolumeClaims("default").Create(ctx, &corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Name: "data"},
		Spec: corev1.PersistentVolumeClaimSpec{AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			Resources: corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")}}}},
		metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	volumes := func(cm string) []corev1.Volume {
		return []corev1.Volume{
			{Name: "cfg", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: cm}}}},
			{Name: "out", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: out, Type: ptr.To(corev1.HostPathDirectory)}}},
			{Name: "data", VolumeSource: corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: "data"}}},
		}
	}
	mounts := []corev1.VolumeMount{{Name: "cfg", MountPath: "/cfg"}, {Name: "out", MountPath: "/out"}, {Name: "data", MountPath: "/data"}}
	reader := busyboxPod(n, "reader", img, `echo "$MSG" > /out/env
echo persisted > /data/f
while true; do cat /cfg/greeting > /out/seen.tmp && mv /out/seen.tmp /out/seen; sleep 1; done`)
	reader.Spec.Volumes, reader.Spec.Containers[0].VolumeMounts = volumes("cfg"), mounts
	reader.Spec.Containers[0].Env = []corev1.EnvVar{
		{Name: "GREETING", ValueFrom: &corev1.EnvVarSource{ConfigMapKeyRef: &corev1.ConfigMapKeySelector{
			LocalObjectReference: corev1.LocalObjectReference{Name: "cfg"}, Key: "greeting"}}},
		{Name: "POD_NAME", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.name"}}},
		{Name: "MSG", Value: "$(GREETING) from $(POD_NAME) $$(GREETING)"},
	}
	if _, err := c.Pods("default").Create(ctx, reader, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitPod(t, n, "reader", "Running", func(p *corev1.Pod) bool { return p.Status.Phase == corev1.PodRunning })
	fileHas(t, filepath.Join(out, "env"), "hello from reader $(GREETING)", 30*time.Second)
	fileHas(t, filepath.Join(out, "seen"), "hello", 30*time.Second)

	// The claim was bound to a local-path volume on this node.
	pvc, err := c.PersistentVolumeClaims("default").Get(ctx, "data", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if pvc.Status.Phase != corev1.ClaimBound || pvc.Annotations[localpath.AnnSelectedNode] != n.Name {
		t.Fatalf("claim %s %v", pvc.Status.Phase, pvc.Annotations)
	}
	pv, err := c.PersistentVolumes().Get(ctx, pvc.Spec.VolumeName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	fileHas(t, filepath.Join(pv.Spec.HostPath.Path, "f"), "persisted", 10*time.Second)

	// An update of the ConfigMap reaches the running container.
	cm, err := c.ConfigMaps("default").Get(ctx, "cfg", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cm.Data["greeting"] = "bye"
	if _, err := c.ConfigMaps("default").Update(ctx, cm, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	fileHas(t, filepath.Join(out, "seen"), "bye", time.Minute)

	// The claim's data outlives the pod.
	if err := c.Pods("default").Delete(ctx, "reader", metav1.DeleteOptions{GracePeriodSeconds: ptr.To[int64](1)}); err != nil {
		t.Fatal(err)
	}
	controllertest.EventuallyWithin(t, "reader deleted", time.Minute, func(ctx context.Context) (bool, error) {
		_, err := c.Pods("default").Get(ctx, "reader", metav1.GetOptions{})
		return apierrors.IsNotFound(err), nil
	})
	again := busyboxPod(n, "again", img, `cat /data/f > /out/again; exec sleep 3600`)
	again.Spec.Volumes, again.Spec.Containers[0].VolumeMounts = volumes("cfg"), mounts
	if _, err := c.Pods("default").Create(ctx, again, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	fileHas(t, filepath.Join(out, "again"), "persisted", time.Minute)

	// A missing ConfigMap: ContainerCreating and a FailedMount event,
	// until it is created.
	waiter := busyboxPod(n, "waiter", img, `cat /cfg/greeting > /out/late; exec sleep 3600`)
	waiter.Spec.Volumes, waiter.Spec.Containers[0].VolumeMounts = volumes("late"), mounts
	waiter, err = c.Pods("default").Create(ctx, waiter, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	controllertest.EventuallyWithin(t, "FailedMount event", time.Minute, func(ctx context.Context) (bool, error) {
		evs, err := c.Events("default").List(ctx, metav1.ListOptions{FieldSelector: "involvedObject.name=waiter"})
		if err != nil {
			return false, err
		}
		for _, e := range evs.Items {
			if e.Reason == "FailedMount" && e.Type == corev1.EventTypeWarning &&
				e.Message == `MountVolume.SetUp failed for volume "cfg" : configmap "late" not found` {
				return true, nil
			}
		}
		return false, nil
	})
	waitPod(t, n, "waiter", "waiting in ContainerCreating", func(p *corev1.Pod) bool {
		cs := p.Status.ContainerStatuses
		return p.Status.Phase == corev1.PodPending && len(cs) == 1 && cs[0].State.Waiting != nil && cs[0].State.Waiting.Reason == "ContainerCreating"
	})
	if _, err := c.ConfigMaps("default").Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "late"},
		Data: map[string]string{"greeting": "finally"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	fileHas(t, filepath.Join(out, "late"), "finally", time.Minute)
	waitPod(t, n, "waiter", "Running", func(p *corev1.Pod) bool { return p.Status.Phase == corev1.PodRunning })

	// A missing Secret for env: CreateContainerConfigError until it
	// exists.
	envwait := busyboxPod(n, "envwait", img, `echo "$PASSWORD" > /out/pw; exec sleep 3600`)
	envwait.Spec.Volumes = []corev1.Volume{volumes("cfg")[1]}
	envwait.Spec.Containers[0].VolumeMounts = []corev1.VolumeMount{mounts[1]}
	envwait.Spec.Containers[0].Env = []corev1.EnvVar{{Name: "PASSWORD", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
		LocalObjectReference: corev1.LocalObjectReference{Name: "creds"}, Key: "password"}}}}
	if _, err := c.Pods("default").Create(ctx, envwait, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitPod(t, n, "envwait", "waiting in CreateContainerConfigError", func(p *corev1.Pod) bool {
		cs := p.Status.ContainerStatuses
		return len(cs) == 1 && cs[0].State.Waiting != nil && cs[0].State.Waiting.Reason == "CreateContainerConfigError" &&
			cs[0].State.Waiting.Message == `secret "creds" not found`
	})
	if _, err := c.Secrets("default").Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "creds"},
		Data: map[string][]byte{"password": []byte("s3cret")}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	fileHas(t, filepath.Join(out, "pw"), "s3cret", time.Minute)

	// Deleting a pod removes its volumes from the node.
	if err := c.Pods("default").Delete(ctx, "waiter", metav1.DeleteOptions{GracePeriodSeconds: ptr.To[int64](1)}); err != nil {
		t.Fatal(err)
	}
	controllertest.EventuallyWithin(t, "waiter's volumes removed", time.Minute, func(context.Context) (bool, error) {
		_, err := os.Stat(filepath.Join(n.DataDir, "pods", string(waiter.UID)))
		return os.IsNotExist(err), nil
	})
}
