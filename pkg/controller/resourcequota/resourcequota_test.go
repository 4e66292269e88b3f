package resourcequota_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/tinykube/tinykube/internal/controllertest"
	"github.com/tinykube/tinykube/internal/testserver"
	"github.com/tinykube/tinykube/pkg/controller/resourcequota"
	"github.com/tinykube/tinykube/pkg/quota"
)

func start(t *testing.T, ns string) kubernetes.Interface {
	t.Helper()
	s := testserver.Start(t, "")
	controllertest.StartControllers(t, s, resourcequota.New)
	controllertest.CreateNamespace(t, s.Client, ns)
	return s.Client
}

func createQuota(t *testing.T, c kubernetes.Interface, ns, name string, hard map[string]string, scopes ...corev1.ResourceQuotaScope) {
	t.Helper()
	q := &corev1.ResourceQuota{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: corev1.ResourceQuotaSpec{Hard: list(hard), Scopes: scopes}}
	if _, err := c.CoreV1().ResourceQuotas(ns).Create(context.Background(), q, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

func list(m map[string]string) corev1.ResourceList {
	out := corev1.ResourceList{}
	for k, v := range m {
		out[corev1.ResourceName(k)] = resource.MustParse(v)
	}
	return out
}

// waitUsed waits until the quota's status.used has want (other names
// may be present too) and status.hard equals spec.hard.
func waitUsed(t *testing.T, c kubernetes.Interface, ns, name string, want map[string]string) {
	t.Helper()
	controllertest.Eventually(t, fmt.Sprintf("quota %s used %v", name, want), func(ctx context.Context) (bool, error) {
		q, err := c.CoreV1().ResourceQuotas(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		t.Logf("quota %s: hard %v used %v", name, quota.String(q.Status.Hard), quota.String(q.Status.Used))
		if len(q.Status.Hard) != len(q.Spec.Hard) {
			return false, nil
		}
		for k, v := range list(want) {
			got, ok := q.Status.Used[k]
			if !ok || got.Cmp(v) != 0 {
				return false, nil
			}
		}
		return true, nil
	})
}

func pod(name string, requests, limits map[string]string) *corev1.Pod {
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: corev1.PodSpec{Containers: []corev1.Container{{
		Name: "c", Image: "busybox", Resources: corev1.ResourceRequirements{Requests: list(requests), Limits: list(limits)},
	}}}}
}

// TestUsedTracksObjects: status.used follows creates (charged by
// admission) and deletes (recounted by the controller) of pods, services,
// config maps, secrets and a count/<resource>.<group> resource.
func TestUsedTracksObjects(t *testing.T) {
	ctx, ns := context.Background(), "q1"
	c := start(t, ns)
	createQuota(t, c, ns, "q", map[string]string{"pods": "10", "services": "10", "services.nodeports": "10",
		"configmaps": "10", "secrets": "10", "resourcequotas": "5", "count/deployments.apps": "5", "requests.cpu": "4"})
	zero := map[string]string{"pods": "0", "services": "0", "services.nodeports": "0", "configmaps": "0",
		"secrets": "0", "resourcequotas": "1", "count/deployments.apps": "0", "requests.cpu": "0"}
	waitUsed(t, c, ns, "q", zero)

	if _, err := c.CoreV1().Pods(ns).Create(ctx, pod("p", map[string]string{"cpu": "500m"}, nil), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "s"}, Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeNodePort,
		Ports: []corev1.ServicePort{{Name: "a", Port: 80}, {Name: "b", Port: 81}}}}
	if _, err := c.CoreV1().Services(ns).Create(ctx, svc, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CoreV1().ConfigMaps(ns).Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "cm"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CoreV1().Secrets(ns).Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "sec"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitUsed(t, c, ns, "q", map[string]string{"pods": "1", "requests.cpu": "500m", "services": "1", "services.nodeports": "2",
		"configmaps": "1", "secrets": "1", "resourcequotas": "1"})

	for _, del := range []func() error{
		func() error { return c.CoreV1().Pods(ns).Delete(ctx, "p", metav1.DeleteOptions{}) },
		func() error { return c.CoreV1().Services(ns).Delete(ctx, "s", metav1.DeleteOptions{}) },
		func() error { return c.CoreV1().ConfigMaps(ns).Delete(ctx, "cm", metav1.DeleteOptions{}) },
		func() error { return c.CoreV1().Secrets(ns).Delete(ctx, "sec", metav1.DeleteOptions{}) },
	} {
		if err := del(); err != nil {
			t.Fatal(err)
		}
	}
	waitUsed(t, c, ns, "q", zero)
}

// TestExceededIsForbidden: past hard the create is refused with 403 and
// upstream's message; a dry run does not charge; raising hard lets
// creates through again.
func TestExceededIsForbidden(t *testing.T) {
	ctx, ns := context.Background(), "q2"
	c := start(t, ns)
	createQuota(t, c, ns, "q", map[string]string{"pods": "2"})
	waitUsed(t, c, ns, "q", map[string]string{"pods": "0"})
	for _, name := range []string{"a", "b"} {
		if _, err := c.CoreV1().Pods(ns).Create(ctx, pod(name, nil, nil), metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	_, err := c.CoreV1().Pods(ns).Create(ctx, pod("c", nil, nil), metav1.CreateOptions{})
	want := `pods "c" is forbidden: exceeded quota: q, requested: pods=1, used: pods=2, limited: pods=2`
	if !apierrors.IsForbidden(err) || err.Error() != want {
		t.Fatalf("third pod: got %v, want 403 %q", err, want)
	}

	q, err := c.CoreV1().ResourceQuotas(ns).Get(ctx, "q", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	q.Spec.Hard[corev1.ResourcePods] = resource.MustParse("3")
	if _, err := c.CoreV1().ResourceQuotas(ns).Update(ctx, q, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	controllertest.Eventually(t, "status.hard raised", func(ctx context.Context) (bool, error) {
		q, err := c.CoreV1().ResourceQuotas(ns).Get(ctx, "q", metav1.GetOptions{})
		return err == nil && q.Status.Hard.Pods().Value() == 3, err
	})
	if _, err := c.CoreV1().Pods(ns).Create(ctx, pod("dry", nil, nil), metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}}); err != nil {
		t.Fatalf("dry run: %v", err)
	}
	if q, _ := c.CoreV1().ResourceQuotas(ns).Get(ctx, "q", metav1.GetOptions{}); q.Status.Used.Pods().Value() != 2 {
		t.Fatalf("a dry run charged the quota: used %v", q.Status.Used)
	}
	if _, err := c.CoreV1().Pods(ns).Create(ctx, pod("c", nil, nil), metav1.CreateOptions{}); err != nil {
		t.Fatalf("after raising hard: %v", err)
	}
	waitUsed(t, c, ns, "q", map[string]string{"pods": "3"})
}

// TestConcurrentCreates: the charge is a compare-and-swap, so no more
// creates pass than the quota allows.
func TestConcurrentCreates(t *testing.T) {
	ctx, ns := context.Background(), "q3"
	c := start(t, ns)
	createQuota(t, c, ns, "q", map[string]string{"configmaps": "5"})
	waitUsed(t, c, ns, "q", map[string]string{"configmaps": "0"})
	var ok, forbidden atomic.Int32
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := c.CoreV1().ConfigMaps(ns).Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("cm-%d", i)}}, metav1.CreateOptions{})
			switch {
			case err == nil:
				ok.Add(1)
			case apierrors.IsForbidden(err):
				forbidden.Add(1)
			default:
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if ok.Load() != 5 || forbidden.Load() != 15 {
		t.Fatalf("created %d, forbidden %d; want 5 and 15", ok.Load(), forbidden.Load())
	}
	waitUsed(t, c, ns, "q", map[string]string{"configmaps": "5"})
}

// TestComputeQuotaRequiresResources: a quota on cpu/memory refuses pods
// that do not state them, with upstream's message, and counts those
// that do.
func TestComputeQuotaRequiresResources(t *testing.T) {
	ctx, ns := context.Background(), "q4"
	c := start(t, ns)
	createQuota(t, c, ns, "compute", map[string]string{"requests.cpu": "1", "limits.memory": "1Gi"})
	waitUsed(t, c, ns, "compute", map[string]string{"requests.cpu": "0", "limits.memory": "0"})
	_, err := c.CoreV1().Pods(ns).Create(ctx, pod("bare", nil, nil), metav1.CreateOptions{})
	want := `pods "bare" is forbidden: failed quota: compute: must specify limits.memory for: c; requests.cpu for: c`
	if !apierrors.IsForbidden(err) || err.Error() != want {
		t.Fatalf("pod without requests: got %v, want 403 %q", err, want)
	}
	if _, err := c.CoreV1().Pods(ns).Create(ctx, pod("sized", map[string]string{"cpu": "600m"}, map[string]string{"memory": "512Mi"}), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitUsed(t, c, ns, "compute", map[string]string{"requests.cpu": "600m", "limits.memory": "512Mi"})
	_, err = c.CoreV1().Pods(ns).Create(ctx, pod("big", map[string]string{"cpu": "600m"}, map[string]string{"memory": "100Mi"}), metav1.CreateOptions{})
	if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), "exceeded quota: compute, requested: requests.cpu=600m, used: requests.cpu=600m, limited: requests.cpu=1") {
		t.Fatalf("pod past requests.cpu: got %v", err)
	}
}

// TestScopes: BestEffort/NotBestEffort and Terminating/NotTerminating
// quotas count only their pods; a pod that finishes stops counting.
func TestScopes(t *testing.T) {
	ctx, ns := context.Background(), "q5"
	c := start(t, ns)
	createQuota(t, c, ns, "be", map[string]string{"pods": "5"}, corev1.ResourceQuotaScopeBestEffort)
	createQuota(t, c, ns, "nbe", map[string]string{"pods": "5"}, corev1.ResourceQuotaScopeNotBestEffort)
	createQuota(t, c, ns, "term", map[string]string{"pods": "1"}, corev1.ResourceQuotaScopeTerminating)
	createQuota(t, c, ns, "nterm", map[string]string{"pods": "5"}, corev1.ResourceQuotaScopeNotTerminating)
	for _, q := range []string{"be", "nbe", "term", "nterm"} {
		waitUsed(t, c, ns, q, map[string]string{"pods": "0"})
	}
	if _, err := c.CoreV1().Pods(ns).Create(ctx, pod("besteffort", nil, nil), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CoreV1().Pods(ns).Create(ctx, pod("burstable", map[string]string{"cpu": "100m"}, nil), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	deadline := pod("deadline", nil, nil)
	deadline.Spec.ActiveDeadlineSeconds = new(int64(60))
	if _, err := c.CoreV1().Pods(ns).Create(ctx, deadline, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitUsed(t, c, ns, "be", map[string]string{"pods": "2"})
	waitUsed(t, c, ns, "nbe", map[string]string{"pods": "1"})
	waitUsed(t, c, ns, "term", map[string]string{"pods": "1"})
	waitUsed(t, c, ns, "nterm", map[string]string{"pods": "2"})

	deadline2 := pod("deadline2", nil, nil)
	deadline2.Spec.ActiveDeadlineSeconds = new(int64(60))
	if _, err := c.CoreV1().Pods(ns).Create(ctx, deadline2, metav1.CreateOptions{}); !apierrors.IsForbidden(err) {
		t.Fatalf("second terminating pod: got %v, want 403", err)
	}
	// A pod in a terminal phase gives its unit back.
	p, err := c.CoreV1().Pods(ns).Get(ctx, "deadline", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	p.Status.Phase = corev1.PodFailed
	if _, err := c.CoreV1().Pods(ns).UpdateStatus(ctx, p, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitUsed(t, c, ns, "term", map[string]string{"pods": "0"})
	if _, err := c.CoreV1().Pods(ns).Create(ctx, deadline2, metav1.CreateOptions{}); err != nil {
		t.Fatalf("terminating pod after the first finished: %v", err)
	}
}

// TestStatusHardRestored: a status.hard written by someone else is put
// back to spec.hard without waiting for the full resync.
func TestStatusHardRestored(t *testing.T) {
	ctx, ns := context.Background(), "q6"
	c := start(t, ns)
	createQuota(t, c, ns, "q", map[string]string{"secrets": "3"})
	waitUsed(t, c, ns, "q", map[string]string{"secrets": "0"})
	q, err := c.CoreV1().ResourceQuotas(ns).Get(ctx, "q", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	q.Status.Hard = list(map[string]string{"secrets": "7"})
	if _, err := c.CoreV1().ResourceQuotas(ns).UpdateStatus(ctx, q, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	controllertest.Eventually(t, "status.hard back to spec.hard", func(ctx context.Context) (bool, error) {
		q, err := c.CoreV1().ResourceQuotas(ns).Get(ctx, "q", metav1.GetOptions{})
		return err == nil && q.Status.Hard.Name("secrets", resource.DecimalSI).Value() == 3, err
	})
}

// TestUpdatesCharged: a pod that gains an active deadline moves into the
// Terminating scope and is charged there at once; a claim asking for
// more storage is charged the growth, and refused past hard.
func TestUpdatesCharged(t *testing.T) {
	ctx, ns := context.Background(), "q7"
	c := start(t, ns)
	createQuota(t, c, ns, "term", map[string]string{"pods": "1"}, corev1.ResourceQuotaScopeTerminating)
	createQuota(t, c, ns, "storage", map[string]string{"requests.storage": "10Gi"})
	waitUsed(t, c, ns, "term", map[string]string{"pods": "0"})
	waitUsed(t, c, ns, "storage", map[string]string{"requests.storage": "0"})

	p, err := c.CoreV1().Pods(ns).Create(ctx, pod("p", nil, nil), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	p.Spec.ActiveDeadlineSeconds = new(int64(60))
	if _, err := c.CoreV1().Pods(ns).Update(ctx, p, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	deadline := pod("p2", nil, nil)
	deadline.Spec.ActiveDeadlineSeconds = new(int64(60))
	if _, err := c.CoreV1().Pods(ns).Create(ctx, deadline, metav1.CreateOptions{}); !apierrors.IsForbidden(err) {
		t.Fatalf("second terminating pod: got %v, want 403", err)
	}

	claim := &corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Name: "data"}, Spec: corev1.PersistentVolumeClaimSpec{
		AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
		Resources:   corev1.VolumeResourceRequirements{Requests: list(map[string]string{"storage": "4Gi"})}}}
	claim, err = c.CoreV1().PersistentVolumeClaims(ns).Create(ctx, claim, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	claim.Status.Phase = corev1.ClaimBound // only a bound claim may grow
	if claim, err = c.CoreV1().PersistentVolumeClaims(ns).UpdateStatus(ctx, claim, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	claim.Spec.Resources.Requests = list(map[string]string{"storage": "8Gi"})
	if claim, err = c.CoreV1().PersistentVolumeClaims(ns).Update(ctx, claim, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitUsed(t, c, ns, "storage", map[string]string{"requests.storage": "8Gi"})
	claim.Spec.Resources.Requests = list(map[string]string{"storage": "12Gi"})
	_, err = c.CoreV1().PersistentVolumeClaims(ns).Update(ctx, claim, metav1.UpdateOptions{})
	want := `persistentvolumeclaims "data" is forbidden: exceeded quota: storage, requested: requests.storage=4Gi, used: requests.storage=8Gi, limited: requests.storage=10Gi`
	if !apierrors.IsForbidden(err) || err.Error() != want {
		t.Fatalf("claim past quota: got %v, want 403 %q", err, want)
	}
}
