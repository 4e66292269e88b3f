package replicaset_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/tinykube/tinykube/internal/controllertest"
	"github.com/tinykube/tinykube/internal/testserver"
	"github.com/tinykube/tinykube/pkg/controller/internal/kubelettest"
	"github.com/tinykube/tinykube/pkg/controller/replicaset"
)

func template(app string) corev1.PodTemplateSpec {
	return corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": app}},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "nginx"}}},
	}
}

func newRS(name string, replicas int32) *appsv1.ReplicaSet {
	return &appsv1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: appsv1.ReplicaSetSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": name}},
			Template: template(name),
		},
	}
}

// activePods lists the pods of ns that are not being deleted.
func activePods(ctx context.Context, c kubernetes.Interface, ns string) ([]corev1.Pod, error) {
	list, err := c.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, err
	}
	var out []corev1.Pod
	for _, p := range list.Items {
		if p.DeletionTimestamp == nil {
			out = append(out, p)
		}
	}
	return out, nil
}

func waitPods(t *testing.T, c kubernetes.Interface, ns string, n int) []corev1.Pod {
	t.Helper()
	var pods []corev1.Pod
	controllertest.Eventually(t, fmt.Sprintf("%d pods in %s", n, ns), func(ctx context.Context) (bool, error) {
		var err error
		pods, err = activePods(ctx, c, ns)
		return err == nil && len(pods) == n, nil
	})
	return pods
}

func waitRSStatus(t *testing.T, c kubernetes.Interface, ns, name string, ok func(appsv1.ReplicaSetStatus) bool) *appsv1.ReplicaSet {
	t.Helper()
	var rs *appsv1.ReplicaSet
	controllertest.Eventually(t, "status of ReplicaSet "+name, func(ctx context.Context) (bool, error) {
		var err error
		rs, err = c.AppsV1().ReplicaSets(ns).Get(ctx, name, metav1.GetOptions{})
		return err == nil && rs.Status.ObservedGeneration == rs.Generation && ok(rs.Status), nil
	})
	return rs
}

func scaleRS(t *testing.T, c kubernetes.Interface, ns, name string, n int32) {
	t.Helper()
	ctx := context.Background()
	s, err := c.AppsV1().ReplicaSets(ns).GetScale(ctx, name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	s.Spec.Replicas = n
	if _, err := c.AppsV1().ReplicaSets(ns).UpdateScale(ctx, name, s, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
}

func TestReplicaSet(t *testing.T) {
	s := testserver.Start(t, "")
	c := s.Client
	controllertest.StartControllers(t, s, replicaset.NewReplicaSet, replicaset.NewReplicationController)
	ctx := context.Background()

	t.Run("creates pods with owner references and reports status", func(t *testing.T) {
		ns := "rs-create"
		controllertest.CreateNamespace(t, c, ns)
		kubelettest.Start(t, c, ns)
		rs, err := c.AppsV1().ReplicaSets(ns).Create(ctx, newRS("web", 3), metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		pods := waitPods(t, c, ns, 3)
		for _, p := range pods {
			if !strings.HasPrefix(p.Name, "web-") || p.Labels["app"] != "web" {
				t.Errorf("pod %s: name or labels not from template: %v", p.Name, p.Labels)
			}
			ref := metav1.GetControllerOf(&p)
			if ref == nil || ref.UID != rs.UID || ref.Kind != "ReplicaSet" || ref.APIVersion != "apps/v1" ||
				ref.BlockOwnerDeletion == nil || !*ref.BlockOwnerDeletion {
				t.Errorf("pod %s: controller ref %+v", p.Name, ref)
			}
		}
		got := waitRSStatus(t, c, ns, "web", func(s appsv1.ReplicaSetStatus) bool {
			return s.Replicas == 3 && s.FullyLabeledReplicas == 3 && s.ReadyReplicas == 3 && s.AvailableReplicas == 3
		})
		if got.Status.TerminatingReplicas == nil || *got.Status.TerminatingReplicas != 0 {
			t.Errorf("terminatingReplicas = %v, want 0", got.Status.TerminatingReplicas)
		}

		// A deleted pod is replaced.
		if err := c.CoreV1().Pods(ns).Delete(ctx, pods[0].Name, metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		controllertest.Eventually(t, "replacement pod", func(ctx context.Context) (bool, error) {
			now, err := activePods(ctx, c, ns)
			return err == nil && len(now) == 3 && !slices.ContainsFunc(now, func(p corev1.Pod) bool { return p.Name == pods[0].Name }), nil
		})
	})

	t.Run("scales up and down, deleting not-ready pods first", func(t *testing.T) {
		ns := "rs-scale"
		controllertest.CreateNamespace(t, c, ns)
		kubelet := kubelettest.Start(t, c, ns)
		if _, err := c.AppsV1().ReplicaSets(ns).Create(ctx, newRS("web", 2), metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		first := waitPods(t, c, ns, 2)
		waitRSStatus(t, c, ns, "web", func(s appsv1.ReplicaSetStatus) bool { return s.ReadyReplicas == 2 })
		// Pods created from now on never become ready.
		kubelet.SetFilter(func(p *corev1.Pod) bool {
			return slices.ContainsFunc(first, func(f corev1.Pod) bool { return f.Name == p.Name })
		})
		scaleRS(t, c, ns, "web", 5)
		waitPods(t, c, ns, 5)
		waitRSStatus(t, c, ns, "web", func(s appsv1.ReplicaSetStatus) bool { return s.Replicas == 5 && s.ReadyReplicas == 2 })
		scaleRS(t, c, ns, "web", 2)
		left := waitPods(t, c, ns, 2)
		for _, p := range left {
			if !slices.ContainsFunc(first, func(f corev1.Pod) bool { return f.Name == p.Name }) {
				t.Errorf("kept not-ready pod %s, deleted a ready one", p.Name)
			}
		}
		waitRSStatus(t, c, ns, "web", func(s appsv1.ReplicaSetStatus) bool { return s.Replicas == 2 && s.ReadyReplicas == 2 })
		scaleRS(t, c, ns, "web", 0)
		waitPods(t, c, ns, 0)
	})

	t.Run("adopts matching orphans and releases pods that stop matching", func(t *testing.T) {
		ns := "rs-adopt"
		controllertest.CreateNamespace(t, c, ns)
		orphan := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "orphan", Labels: map[string]string{"app": "web"}},
			Spec: template("web").Spec}
		if _, err := c.CoreV1().Pods(ns).Create(ctx, orphan, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		rs, err := c.AppsV1().ReplicaSets(ns).Create(ctx, newRS("web", 2), metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		waitPods(t, c, ns, 2)
		controllertest.Eventually(t, "orphan adopted", func(ctx context.Context) (bool, error) {
			p, err := c.CoreV1().Pods(ns).Get(ctx, "orphan", metav1.GetOptions{})
			if err != nil {
				return false, err
			}
			ref := metav1.GetControllerOf(p)
			return ref != nil && ref.UID == rs.UID && ref.BlockOwnerDeletion != nil && *ref.BlockOwnerDeletion, nil
		})
		waitRSStatus(t, c, ns, "web", func(s appsv1.ReplicaSetStatus) bool { return s.Replicas == 2 })
		if pods, _ := activePods(ctx, c, ns); len(pods) != 2 {
			t.Fatalf("%d pods after adoption, want 2", len(pods))
		}

		// Relabel the adopted pod: it is released and replaced.
		p, err := c.CoreV1().Pods(ns).Get(ctx, "orphan", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		p.Labels["app"] = "other"
		if _, err := c.CoreV1().Pods(ns).Update(ctx, p, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
		controllertest.Eventually(t, "relabelled pod released", func(ctx context.Context) (bool, error) {
			p, err := c.CoreV1().Pods(ns).Get(ctx, "orphan", metav1.GetOptions{})
			return err == nil && metav1.GetControllerOf(p) == nil, nil
		})
		waitPods(t, c, ns, 3) // two owned plus the released one
		waitRSStatus(t, c, ns, "web", func(s appsv1.ReplicaSetStatus) bool { return s.Replicas == 2 })
	})

	t.Run("ReplicationController", func(t *testing.T) {
		ns := "rc"
		controllertest.CreateNamespace(t, c, ns)
		kubelettest.Start(t, c, ns)
		replicas := int32(3)
		tmpl := template("legacy")
		rc, err := c.CoreV1().ReplicationControllers(ns).Create(ctx, &corev1.ReplicationController{
			ObjectMeta: metav1.ObjectMeta{Name: "legacy"},
			Spec:       corev1.ReplicationControllerSpec{Replicas: &replicas, Selector: map[string]string{"app": "legacy"}, Template: &tmpl},
		}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range waitPods(t, c, ns, 3) {
			ref := metav1.GetControllerOf(&p)
			if ref == nil || ref.UID != rc.UID || ref.Kind != "ReplicationController" || ref.APIVersion != "v1" {
				t.Errorf("pod %s: controller ref %+v", p.Name, ref)
			}
		}
		controllertest.Eventually(t, "RC status", func(ctx context.Context) (bool, error) {
			rc, err := c.CoreV1().ReplicationControllers(ns).Get(ctx, "legacy", metav1.GetOptions{})
			s := rc.Status
			return err == nil && s.ObservedGeneration == rc.Generation && s.Replicas == 3 && s.ReadyReplicas == 3 &&
				s.AvailableReplicas == 3 && s.FullyLabeledReplicas == 3, nil
		})
		rc, err = c.CoreV1().ReplicationControllers(ns).Get(ctx, "legacy", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		one := int32(1)
		rc.Spec.Replicas = &one
		if _, err := c.CoreV1().ReplicationControllers(ns).Update(ctx, rc, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
		waitPods(t, c, ns, 1)
	})
}

// TestMinReadySeconds: ready pods become available only once
// minReadySeconds have passed on the controller's clock (a fake one,
// stepped past them: the controller's own delayed requeue notices).
func TestMinReadySeconds(t *testing.T) {
	s := testserver.Start(t, "")
	c := s.Client
	clk := clocktesting.NewFakeClock(time.Now())
	controllertest.StartControllersOnClock(t, s, clk, replicaset.NewReplicaSet)
	const ns = "rs-minready"
	controllertest.CreateNamespace(t, c, ns)
	kubelettest.Start(t, c, ns)
	rs := newRS("web", 2)
	rs.Spec.MinReadySeconds = 60
	if _, err := c.AppsV1().ReplicaSets(ns).Create(context.Background(), rs, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitRSStatus(t, c, ns, "web", func(s appsv1.ReplicaSetStatus) bool { return s.ReadyReplicas == 2 && s.AvailableReplicas == 0 })
	clk.Step(2 * time.Minute)
	waitRSStatus(t, c, ns, "web", func(s appsv1.ReplicaSetStatus) bool { return s.ReadyReplicas == 2 && s.AvailableReplicas == 2 })
}
