package endpointslice_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"

	"github.com/tinykube/tinykube/internal/testserver"
	"github.com/tinykube/tinykube/pkg/controller/endpointslice"
	"github.com/tinykube/tinykube/pkg/controllermanager"
)

func start(t *testing.T) (context.Context, kubernetes.Interface) {
	t.Helper()
	s := testserver.Start(t, "")
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	cfg := controllermanager.DefaultConfig()
	cfg.RESTConfig, cfg.LeaderElect, cfg.Controllers = s.RESTConfig, false, []string{"endpointslice"}
	go func() { _ = controllermanager.Run(ctx, cfg) }()
	return ctx, s.Client
}

func runPod(ctx context.Context, t *testing.T, c kubernetes.Interface, name, ip string, ready bool) *corev1.Pod {
	t.Helper()
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"app": "web"}},
		Spec: corev1.PodSpec{NodeName: "node-1", Containers: []corev1.Container{{Name: "c", Image: "nginx",
			Ports: []corev1.ContainerPort{{Name: "http-port", ContainerPort: 8080}}}}},
	}
	pod, err := c.CoreV1().Pods("default").Create(ctx, pod, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	status := corev1.ConditionFalse
	if ready {
		status = corev1.ConditionTrue
	}
	pod.Status = corev1.PodStatus{Phase: corev1.PodRunning, PodIP: ip, PodIPs: []corev1.PodIP{{IP: ip}},
		Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: status}}}
	pod, err = c.CoreV1().Pods("default").UpdateStatus(ctx, pod, metav1.UpdateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return pod
}

func slices(ctx context.Context, c kubernetes.Interface, svc string) []discoveryv1.EndpointSlice {
	list, err := c.DiscoveryV1().EndpointSlices("default").List(ctx, metav1.ListOptions{LabelSelector: discoveryv1.LabelServiceName + "=" + svc})
	if err != nil {
		return nil
	}
	return list.Items
}

// TestEndpointSlices: labels, owner, generateName, conditions of ready,
// not-ready and terminating pods, named ports, and the 100-per-slice cut.
func TestEndpointSlices(t *testing.T) {
	ctx, c := start(t)
	svc, err := c.CoreV1().Services("default").Create(ctx, &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "web"},
		Spec: corev1.ServiceSpec{Selector: map[string]string{"app": "web"},
			Ports: []corev1.ServicePort{{Name: "http", Port: 80, TargetPort: intstr.FromString("http-port")}}}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	runPod(ctx, t, c, "a", "10.0.0.1", true)
	runPod(ctx, t, c, "b", "10.0.0.2", false)
	// Terminating: a finalizer keeps it around after delete.
	term := runPod(ctx, t, c, "z", "10.0.0.9", true)
	term.Finalizers = []string{"example.com/hold"}
	if _, err := c.CoreV1().Pods("default").Update(ctx, term, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := c.CoreV1().Pods("default").Delete(ctx, "z", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}

	var last []discoveryv1.EndpointSlice
	err = wait.PollUntilContextTimeout(ctx, 50*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		last = slices(ctx, c, "web")
		if len(last) != 1 || len(last[0].Endpoints) != 3 {
			return false, nil
		}
		s := last[0]
		if s.Labels[discoveryv1.LabelManagedBy] != endpointslice.ControllerName || s.AddressType != discoveryv1.AddressTypeIPv4 ||
			len(s.OwnerReferences) != 1 || s.OwnerReferences[0].UID != svc.UID || s.GenerateName != "web-" {
			return false, nil
		}
		if len(s.Ports) != 1 || *s.Ports[0].Port != 8080 || *s.Ports[0].Name != "http" {
			return false, nil
		}
		want := map[string][3]bool{"a": {true, true, false}, "b": {false, false, false}, "z": {false, true, true}}
		for _, ep := range s.Endpoints {
			w := want[ep.TargetRef.Name]
			got := [3]bool{*ep.Conditions.Ready, *ep.Conditions.Serving, *ep.Conditions.Terminating}
			if got != w || ep.NodeName == nil || *ep.NodeName != "node-1" {
				return false, nil
			}
		}
		return true, nil
	})
	if err != nil {
		t.Fatalf("slice: %v; last %+v", err, last)
	}

	// 150 pods: two slices, none over 100.
	for i := 0; i < 147; i++ {
		runPod(ctx, t, c, fmt.Sprintf("p%03d", i), fmt.Sprintf("10.0.1.%d", i), true)
	}
	err = wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 60*time.Second, true, func(ctx context.Context) (bool, error) {
		last = slices(ctx, c, "web")
		total := 0
		for _, s := range last {
			if len(s.Endpoints) > endpointslice.MaxEndpointsPerSlice {
				return false, fmt.Errorf("slice %s has %d endpoints", s.Name, len(s.Endpoints))
			}
			total += len(s.Endpoints)
		}
		return len(last) == 2 && total == 150, nil
	})
	if err != nil {
		t.Fatalf("150 endpoints in 2 slices: %v (%d slices)", err, len(last))
	}

	// Converged means quiet: no update loop against server defaults.
	list, err := c.DiscoveryV1().EndpointSlices("default").List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	timeout := int64(2)
	w, err := c.DiscoveryV1().EndpointSlices("default").Watch(ctx, metav1.ListOptions{ResourceVersion: list.ResourceVersion, TimeoutSeconds: &timeout})
	if err != nil {
		t.Fatal(err)
	}
	for ev := range w.ResultChan() {
		t.Errorf("slices changed after convergence: %s", ev.Type)
	}
}

// TestPlaceholderBecomesSlice: a Service without endpoints has one empty
// placeholder slice; when a pod appears that placeholder is rewritten
// with the ports and the endpoint (not a second slice created beside
// it), so no reader sees a port-less slice next to endpoints (upstream
// conformance "Expected EndpointSlice to have 1 ports, got 0").
func TestPlaceholderBecomesSlice(t *testing.T) {
	ctx, c := start(t)
	_, err := c.CoreV1().Services("default").Create(ctx, &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "web"},
		Spec: corev1.ServiceSpec{Selector: map[string]string{"app": "web"},
			Ports: []corev1.ServicePort{{Name: "example", Port: 80, TargetPort: intstr.FromInt32(3000)}}}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var placeholder string
	err = wait.PollUntilContextTimeout(ctx, 50*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		s := slices(ctx, c, "web")
		if len(s) != 1 || len(s[0].Ports) != 0 || len(s[0].Endpoints) != 0 {
			return false, nil
		}
		placeholder = s[0].Name
		return true, nil
	})
	if err != nil {
		t.Fatalf("placeholder slice: %v", err)
	}
	runPod(ctx, t, c, "a", "10.0.0.1", true)
	var last []discoveryv1.EndpointSlice
	err = wait.PollUntilContextTimeout(ctx, 50*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		last = slices(ctx, c, "web")
		for _, s := range last {
			if len(s.Endpoints) > 0 && len(s.Ports) != 1 {
				return false, fmt.Errorf("slice %s has endpoints and %d ports", s.Name, len(s.Ports))
			}
		}
		return len(last) == 1 && last[0].Name == placeholder && len(last[0].Ports) == 1 && *last[0].Ports[0].Port == 3000 &&
			len(last[0].Endpoints) == 1, nil
	})
	if err != nil {
		t.Fatalf("placeholder rewritten: %v; last %+v", err, last)
	}
}

// TestNoDuplicateSlices: pods of two port sets arriving right after the
// Service — syncs racing the informer's view of the controller's own
// creates — give exactly one slice per port set, never a duplicate
// created and deleted again (upstream conformance deletes every listed
// slice and fails on one the controller removed meanwhile).
func TestNoDuplicateSlices(t *testing.T) {
	ctx, c := start(t)
	w, err := c.DiscoveryV1().EndpointSlices("default").Watch(ctx, metav1.ListOptions{LabelSelector: discoveryv1.LabelServiceName + "=named"})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	if _, err := c.CoreV1().Services("default").Create(ctx, &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "named"},
		Spec: corev1.ServiceSpec{Selector: map[string]string{"app": "web"}, PublishNotReadyAddresses: true,
			Ports: []corev1.ServicePort{{Name: "http", Port: 80, TargetPort: intstr.FromString("http-port")}}}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	runPod(ctx, t, c, "a", "10.0.0.1", true)
	other := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "b", Labels: map[string]string{"app": "web"}},
		Spec: corev1.PodSpec{NodeName: "node-1", Containers: []corev1.Container{{Name: "c", Image: "nginx",
			Ports: []corev1.ContainerPort{{Name: "http-port", ContainerPort: 9090}}}}}}
	other, err = c.CoreV1().Pods("default").Create(ctx, other, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	other.Status = corev1.PodStatus{Phase: corev1.PodRunning, PodIP: "10.0.0.2", PodIPs: []corev1.PodIP{{IP: "10.0.0.2"}}}
	if _, err := c.CoreV1().Pods("default").UpdateStatus(ctx, other, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	// Many pod events, many syncs, while the first slices are written.
	for i := 0; i < 30; i++ {
		patch := fmt.Sprintf(`{"metadata":{"annotations":{"n":"%d"}}}`, i)
		if _, err := c.CoreV1().Pods("default").Patch(ctx, "b", types.MergePatchType, []byte(patch), metav1.PatchOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	added := map[string]bool{}
	deadline := time.After(30 * time.Second)
	for {
		select {
		case ev := <-w.ResultChan():
			s, ok := ev.Object.(*discoveryv1.EndpointSlice)
			if !ok {
				t.Fatalf("watch: %v", ev.Object)
			}
			switch ev.Type {
			case "ADDED":
				added[s.Name] = true
			case "DELETED":
				t.Fatalf("slice %s deleted while converging (slices added: %v)", s.Name, added)
			}
		case <-deadline:
			t.Fatalf("not converged; slices added: %v", added)
		}
		got := slices(ctx, c, "named")
		if len(got) == 2 && len(got[0].Endpoints) == 1 && len(got[1].Endpoints) == 1 {
			break
		}
	}
	if len(added) > 2 {
		t.Errorf("%d slices created for 2 port sets: %v", len(added), added)
	}
}
