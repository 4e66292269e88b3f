package deployment_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/util/retry"

	"github.com/tinykube/tinykube/internal/controllertest"
	"github.com/tinykube/tinykube/internal/testserver"
	"github.com/tinykube/tinykube/pkg/controller/deployment"
	"github.com/tinykube/tinykube/pkg/controller/internal/kubelettest"
	"github.com/tinykube/tinykube/pkg/controller/replicaset"
)

func newDeployment(name string, replicas int32, image string) *appsv1.Deployment {
	labels := map[string]string{"app": name}
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: appsv1.DeploymentSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: image}}},
			},
		},
	}
}

type env struct {
	t  *testing.T
	c  kubernetes.Interface
	ns string
}

func (e env) get(name string) *appsv1.Deployment {
	e.t.Helper()
	d, err := e.c.AppsV1().Deployments(e.ns).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		e.t.Fatal(err)
	}
	return d
}

func (e env) update(name string, mutate func(*appsv1.Deployment)) {
	e.t.Helper()
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		d := e.get(name)
		mutate(d)
		_, err := e.c.AppsV1().Deployments(e.ns).Update(context.Background(), d, metav1.UpdateOptions{})
		return err
	})
	if err != nil {
		e.t.Fatal(err)
	}
}

func (e env) replicaSets() []appsv1.ReplicaSet {
	e.t.Helper()
	l, err := e.c.AppsV1().ReplicaSets(e.ns).List(context.Background(), metav1.ListOptions{})
	if err != nil {
		e.t.Fatal(err)
	}
	return l.Items
}

// rsWithImage returns the ReplicaSet whose template runs image.
func (e env) rsWithImage(image string) *appsv1.ReplicaSet {
	for _, rs := range e.replicaSets() {
		if rs.Spec.Template.Spec.Containers[0].Image == image {
			return &rs
		}
	}
	e.t.Fatalf("no ReplicaSet with image %s", image)
	return nil
}

func condition(d *appsv1.Deployment, t appsv1.DeploymentConditionType) *appsv1.DeploymentCondition {
	for i := range d.Status.Conditions {
		if d.Status.Conditions[i].Type == t {
			return &d.Status.Conditions[i]
		}
	}
	return nil
}

// waitComplete waits for what `kubectl rollout status` waits for.
func (e env) waitComplete(name string) *appsv1.Deployment {
	e.t.Helper()
	var d *appsv1.Deployment
	controllertest.Eventually(e.t, "rollout of "+name, func(ctx context.Context) (bool, error) {
		var err error
		if d, err = e.c.AppsV1().Deployments(e.ns).Get(ctx, name, metav1.GetOptions{}); err != nil {
			return false, err
		}
		p := condition(d, appsv1.DeploymentProgressing)
		s, n := d.Status, *d.Spec.Replicas
		return s.ObservedGeneration >= d.Generation && s.UpdatedReplicas == n && s.Replicas == n &&
			s.AvailableReplicas == n && p != nil && p.Reason == "NewReplicaSetAvailable", nil
	})
	if a := condition(d, appsv1.DeploymentAvailable); a == nil || a.Status != corev1.ConditionTrue || a.Reason != "MinimumReplicasAvailable" {
		e.t.Errorf("Available condition %+v", a)
	}
	return d
}

func (e env) setImage(name, image string) {
	e.update(name, func(d *appsv1.Deployment) { d.Spec.Template.Spec.Containers[0].Image = image })
}

// podCounter watches a namespace's pods and remembers the most that
// ever existed at once, and calls onAdd for every new pod with the
// pods that existed just before it.
type podCounter struct {
	mu    sync.Mutex
	live  map[types.UID]*corev1.Pod
	max   int
	onAdd func(p *corev1.Pod, before map[types.UID]*corev1.Pod)
}

func countPods(t *testing.T, c kubernetes.Interface, ns string, onAdd func(*corev1.Pod, map[types.UID]*corev1.Pod)) *podCounter {
	w, err := c.CoreV1().Pods(ns).Watch(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	pc := &podCounter{live: map[types.UID]*corev1.Pod{}, onAdd: onAdd}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ev := range w.ResultChan() {
			p, ok := ev.Object.(*corev1.Pod)
			if !ok {
				continue
			}
			pc.mu.Lock()
			switch ev.Type {
			case watch.Added:
				if pc.onAdd != nil {
					pc.onAdd(p, pc.live)
				}
				pc.live[p.UID] = p
			case watch.Deleted:
				delete(pc.live, p.UID)
			}
			pc.max = max(pc.max, len(pc.live))
			pc.mu.Unlock()
		}
	}()
	t.Cleanup(func() { w.Stop(); <-done })
	return pc
}

func (pc *podCounter) peak() int {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	return pc.max
}

func TestDeployment(t *testing.T) {
	s := testserver.Start(t, "")
	c := s.Client
	controllertest.StartControllers(t, s, replicaset.NewReplicaSet, deployment.New)
	ctx := context.Background()
	setup := func(t *testing.T, ns string) (env, *kubelettest.Kubelet) {
		controllertest.CreateNamespace(t, c, ns)
		return env{t, c, ns}, kubelettest.Start(t, c, ns)
	}

	t.Run("rolling update within maxSurge, then rollback reuses the old ReplicaSet", func(t *testing.T) {
		e, _ := setup(t, "rolling")
		d := newDeployment("web", 4, "nginx:1")
		surge, unavailable := intstr.FromInt32(1), intstr.FromInt32(1)
		d.Spec.Strategy = appsv1.DeploymentStrategy{Type: appsv1.RollingUpdateDeploymentStrategyType,
			RollingUpdate: &appsv1.RollingUpdateDeployment{MaxSurge: &surge, MaxUnavailable: &unavailable}}
		d.Annotations = map[string]string{"kubernetes.io/change-cause": "first"}
		if _, err := c.AppsV1().Deployments(e.ns).Create(ctx, d, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		d = e.waitComplete("web")
		if d.Annotations[deployment.RevisionAnnotation] != "1" {
			t.Errorf("deployment revision %q, want 1", d.Annotations[deployment.RevisionAnnotation])
		}
		first := e.rsWithImage("nginx:1")
		hash := first.Labels[appsv1.DefaultDeploymentUniqueLabelKey]
		if hash == "" || first.Name != "web-"+hash || first.Spec.Template.Labels[appsv1.DefaultDeploymentUniqueLabelKey] != hash ||
			first.Spec.Selector.MatchLabels[appsv1.DefaultDeploymentUniqueLabelKey] != hash {
			t.Errorf("ReplicaSet %s: hash label %q not in name, template and selector", first.Name, hash)
		}
		want := map[string]string{deployment.RevisionAnnotation: "1", deployment.DesiredReplicasAnnotation: "4",
			deployment.MaxReplicasAnnotation: "5", "kubernetes.io/change-cause": "first"}
		for k, v := range want {
			if first.Annotations[k] != v {
				t.Errorf("ReplicaSet annotation %s = %q, want %q", k, first.Annotations[k], v)
			}
		}

		pods := countPods(t, c, e.ns, nil)
		e.update("web", func(d *appsv1.Deployment) {
			d.Spec.Template.Spec.Containers[0].Image = "nginx:2"
			d.Annotations["kubernetes.io/change-cause"] = "second"
		})
		d = e.waitComplete("web")
		if peak := pods.peak(); peak > 5 {
			t.Errorf("%d pods existed at once, want at most replicas+maxSurge = 5", peak)
		}
		second := e.rsWithImage("nginx:2")
		if second.Annotations[deployment.RevisionAnnotation] != "2" || d.Annotations[deployment.RevisionAnnotation] != "2" ||
			second.Annotations["kubernetes.io/change-cause"] != "second" {
			t.Errorf("after update: rs annotations %v, deployment revision %q", second.Annotations, d.Annotations[deployment.RevisionAnnotation])
		}
		controllertest.Eventually(t, "old ReplicaSet at 0", func(ctx context.Context) (bool, error) {
			rs, err := c.AppsV1().ReplicaSets(e.ns).Get(ctx, first.Name, metav1.GetOptions{})
			return err == nil && *rs.Spec.Replicas == 0 && rs.Status.Replicas == 0, nil
		})

		// kubectl rollout undo: the old ReplicaSet's template (without
		// its hash label) and annotations written back.
		e.update("web", func(d *appsv1.Deployment) {
			tmpl := first.Spec.Template.DeepCopy()
			delete(tmpl.Labels, appsv1.DefaultDeploymentUniqueLabelKey)
			d.Spec.Template = *tmpl
			d.Annotations["kubernetes.io/change-cause"] = "first"
		})
		d = e.waitComplete("web")
		if n := len(e.replicaSets()); n != 2 {
			t.Errorf("%d ReplicaSets after rollback, want the 2 there were", n)
		}
		back := e.rsWithImage("nginx:1")
		if back.Name != first.Name || back.Annotations[deployment.RevisionAnnotation] != "3" ||
			back.Annotations[deployment.RevisionHistoryAnnotation] != "1" || d.Annotations[deployment.RevisionAnnotation] != "3" {
			t.Errorf("after rollback: rs %s annotations %v, deployment revision %q", back.Name, back.Annotations, d.Annotations[deployment.RevisionAnnotation])
		}
		if rs := e.rsWithImage("nginx:2"); *rs.Spec.Replicas != 0 {
			t.Errorf("rolled-back ReplicaSet still has %d replicas", *rs.Spec.Replicas)
		}

		// Scaling alone creates no ReplicaSet.
		e.update("web", func(d *appsv1.Deployment) { *d.Spec.Replicas = 6 })
		e.waitComplete("web")
		if n := len(e.replicaSets()); n != 2 {
			t.Errorf("%d ReplicaSets after scaling, want 2", n)
		}
	})

	t.Run("pause stops the rollout, resume continues it", func(t *testing.T) {
		e, _ := setup(t, "pause")
		if _, err := c.AppsV1().Deployments(e.ns).Create(ctx, newDeployment("web", 2, "nginx:1"), metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		e.waitComplete("web")
		e.update("web", func(d *appsv1.Deployment) { d.Spec.Paused = true })
		e.setImage("web", "nginx:2")
		controllertest.Eventually(t, "DeploymentPaused", func(ctx context.Context) (bool, error) {
			d := e.get("web")
			p := condition(d, appsv1.DeploymentProgressing)
			return d.Status.ObservedGeneration == d.Generation && p != nil && p.Reason == "DeploymentPaused" && p.Status == corev1.ConditionUnknown, nil
		})
		if n := len(e.replicaSets()); n != 1 {
			t.Fatalf("paused deployment has %d ReplicaSets, want 1", n)
		}
		e.update("web", func(d *appsv1.Deployment) { d.Spec.Paused = false })
		e.waitComplete("web")
		if rs := e.rsWithImage("nginx:2"); rs.Status.AvailableReplicas != 2 {
			t.Errorf("new ReplicaSet has %d available", rs.Status.AvailableReplicas)
		}
	})

	t.Run("progress deadline exceeded when pods never become ready", func(t *testing.T) {
		e, kubelet := setup(t, "deadline")
		kubelet.SetFilter(func(*corev1.Pod) bool { return false })
		d := newDeployment("web", 2, "nginx:1")
		deadline := int32(2)
		d.Spec.ProgressDeadlineSeconds = &deadline
		if _, err := c.AppsV1().Deployments(e.ns).Create(ctx, d, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		controllertest.Eventually(t, "ProgressDeadlineExceeded", func(ctx context.Context) (bool, error) {
			p := condition(e.get("web"), appsv1.DeploymentProgressing)
			return p != nil && p.Reason == "ProgressDeadlineExceeded" && p.Status == corev1.ConditionFalse, nil
		})
		d = e.get("web")
		if a := condition(d, appsv1.DeploymentAvailable); a == nil || a.Status != corev1.ConditionFalse || a.Reason != "MinimumReplicasUnavailable" {
			t.Errorf("Available condition %+v", a)
		}
		if d.Status.UnavailableReplicas != 2 {
			t.Errorf("unavailableReplicas %d, want 2", d.Status.UnavailableReplicas)
		}
	})

	t.Run("Recreate deletes every old pod before creating new ones", func(t *testing.T) {
		e, _ := setup(t, "recreate")
		d := newDeployment("web", 3, "nginx:1")
		d.Spec.Strategy = appsv1.DeploymentStrategy{Type: appsv1.RecreateDeploymentStrategyType}
		if _, err := c.AppsV1().Deployments(e.ns).Create(ctx, d, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		e.waitComplete("web")
		var overlap []string
		countPods(t, c, e.ns, func(p *corev1.Pod, before map[types.UID]*corev1.Pod) {
			if p.Spec.Containers[0].Image != "nginx:2" {
				return
			}
			for _, old := range before {
				if old.Spec.Containers[0].Image == "nginx:1" {
					overlap = append(overlap, fmt.Sprintf("%s created while %s existed", p.Name, old.Name))
				}
			}
		})
		e.setImage("web", "nginx:2")
		e.waitComplete("web")
		if len(overlap) > 0 {
			t.Errorf("new pods overlapped old ones: %v", overlap)
		}
	})

	t.Run("revisionHistoryLimit removes old ReplicaSets", func(t *testing.T) {
		e, _ := setup(t, "history")
		d := newDeployment("web", 1, "nginx:1")
		limit := int32(1)
		d.Spec.RevisionHistoryLimit = &limit
		if _, err := c.AppsV1().Deployments(e.ns).Create(ctx, d, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		e.waitComplete("web")
		for _, image := range []string{"nginx:2", "nginx:3", "nginx:4"} {
			e.setImage("web", image)
			e.waitComplete("web")
		}
		controllertest.Eventually(t, "history trimmed to 1 old ReplicaSet", func(ctx context.Context) (bool, error) {
			return len(e.replicaSets()) == 2, nil
		})
		e.rsWithImage("nginx:4")
		e.rsWithImage("nginx:3")
	})
}
