package endpoint_test

import (
	"context"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"

	"github.com/tinykube/tinykube/internal/testserver"
	"github.com/tinykube/tinykube/pkg/controller/endpoint"
	"github.com/tinykube/tinykube/pkg/controllermanager"
)

func start(t *testing.T) (context.Context, kubernetes.Interface) {
	t.Helper()
	s := testserver.Start(t, "")
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	cfg := controllermanager.DefaultConfig()
	cfg.RESTConfig, cfg.LeaderElect, cfg.Controllers = s.RESTConfig, false, []string{"endpoint"}
	go func() { _ = controllermanager.Run(ctx, cfg) }()
	return ctx, s.Client
}

// runPod creates a pod and plays its kubelet: Running with ip, Ready as
// given.
func runPod(ctx context.Context, t *testing.T, c kubernetes.Interface, name, ip string, ready bool, ports ...corev1.ContainerPort) {
	t.Helper()
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"app": "web"}},
		Spec: corev1.PodSpec{NodeName: "node-1",
			Containers: []corev1.Container{{Name: "c", Image: "nginx", Ports: ports}}},
	}
	pod, err := c.CoreV1().Pods("default").Create(ctx, pod, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	setReady(ctx, t, c, pod, ip, ready)
}

func setReady(ctx context.Context, t *testing.T, c kubernetes.Interface, pod *corev1.Pod, ip string, ready bool) {
	t.Helper()
	status := corev1.ConditionFalse
	if ready {
		status = corev1.ConditionTrue
	}
	pod.Status = corev1.PodStatus{Phase: corev1.PodRunning, PodIP: ip, PodIPs: []corev1.PodIP{{IP: ip}},
		Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: status}}}
	if _, err := c.CoreV1().Pods("default").UpdateStatus(ctx, pod, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
}

func ips(addrs []corev1.EndpointAddress) []string {
	var out []string
	for _, a := range addrs {
		out = append(out, a.IP)
	}
	return out
}

// TestEndpoints: ready and not-ready pods, named target ports (a pod
// without the name serves only the other port), updates as pods change;
// the selectorless kubernetes service is left alone.
func TestEndpoints(t *testing.T) {
	ctx, c := start(t)
	svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "web"}, Spec: corev1.ServiceSpec{
		Selector: map[string]string{"app": "web"},
		Ports: []corev1.ServicePort{
			{Name: "http", Port: 80, TargetPort: intstr.FromString("http-port")},
			{Name: "metrics", Port: 9090},
		}}}
	if _, err := c.CoreV1().Services("default").Create(ctx, svc, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	named := corev1.ContainerPort{Name: "http-port", ContainerPort: 8080}
	runPod(ctx, t, c, "a", "10.0.0.1", true, named)
	runPod(ctx, t, c, "b", "10.0.0.2", false, named)
	runPod(ctx, t, c, "c", "10.0.0.3", true) // no http-port

	want := func(what string, check func(ep *corev1.Endpoints) bool) {
		t.Helper()
		var last *corev1.Endpoints
		err := wait.PollUntilContextTimeout(ctx, 50*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
			ep, err := c.CoreV1().Endpoints("default").Get(ctx, "web", metav1.GetOptions{})
			if err != nil {
				return false, nil
			}
			last = ep
			return check(ep), nil
		})
		if err != nil {
			t.Fatalf("%s: %v; last %+v", what, err, last)
		}
	}
	want("two subsets", func(ep *corev1.Endpoints) bool {
		if len(ep.Subsets) != 2 || ep.Labels[endpoint.LabelManagedBy] != endpoint.ControllerName {
			return false
		}
		both, metricsOnly := ep.Subsets[0], ep.Subsets[1]
		if len(both.Ports) != 2 {
			both, metricsOnly = metricsOnly, both
		}
		ok := len(both.Ports) == 2 && len(metricsOnly.Ports) == 1 && metricsOnly.Ports[0].Port == 9090
		for _, p := range both.Ports {
			ok = ok && (p.Name == "http" && p.Port == 8080 || p.Name == "metrics" && p.Port == 9090)
		}
		a := both.Addresses
		ok = ok && len(a) == 1 && a[0].IP == "10.0.0.1" && a[0].TargetRef != nil && a[0].TargetRef.Name == "a" &&
			a[0].NodeName != nil && *a[0].NodeName == "node-1"
		ok = ok && len(both.NotReadyAddresses) == 1 && both.NotReadyAddresses[0].IP == "10.0.0.2"
		return ok && len(metricsOnly.Addresses) == 1 && metricsOnly.Addresses[0].IP == "10.0.0.3"
	})

	b, err := c.CoreV1().Pods("default").Get(ctx, "b", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	setReady(ctx, t, c, b, "10.0.0.2", true)
	if err := c.CoreV1().Pods("default").Delete(ctx, "c", metav1.DeleteOptions{GracePeriodSeconds: new(int64)}); err != nil {
		t.Fatal(err)
	}
	want("b ready, c gone", func(ep *corev1.Endpoints) bool {
		return len(ep.Subsets) == 1 && len(ep.Subsets[0].NotReadyAddresses) == 0 &&
			len(ips(ep.Subsets[0].Addresses)) == 2 && ips(ep.Subsets[0].Addresses)[1] == "10.0.0.2"
	})

	// The kubernetes service has no selector: not ours.
	if ep, err := c.CoreV1().Endpoints("default").Get(ctx, "kubernetes", metav1.GetOptions{}); err == nil {
		if _, ours := ep.Labels[endpoint.LabelManagedBy]; ours {
			t.Errorf("kubernetes endpoints taken over: %v", ep.Labels)
		}
	}

	if err := c.CoreV1().Services("default").Delete(ctx, "web", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	err = wait.PollUntilContextTimeout(ctx, 50*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		_, err := c.CoreV1().Endpoints("default").Get(ctx, "web", metav1.GetOptions{})
		return apierrors.IsNotFound(err), nil
	})
	if err != nil {
		t.Fatalf("endpoints of deleted service remain: %v", err)
	}
}

// TestIntTargetPort: a Service whose targetPort is a number, created
// while its pod has no IP yet (the controller writes empty Endpoints),
// then the pod gets its IP at once — the subsets must follow even when
// the second sync races the informer's view of the first create
// (upstream conformance "example-int-port").
func TestIntTargetPort(t *testing.T) {
	ctx, c := start(t)
	pod, err := c.CoreV1().Pods("default").Create(ctx, &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "p", Labels: map[string]string{"app": "int"}},
		Spec: corev1.PodSpec{NodeName: "node-1", Containers: []corev1.Container{{Name: "c", Image: "nginx",
			Ports: []corev1.ContainerPort{{Name: "example-name", ContainerPort: 3000}}}}},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "example-int-port"}, Spec: corev1.ServiceSpec{
		Selector: map[string]string{"app": "int"}, PublishNotReadyAddresses: true,
		Ports: []corev1.ServicePort{{Name: "example", Port: 80, TargetPort: intstr.FromInt32(3000), Protocol: corev1.ProtocolTCP}}}}
	if _, err := c.CoreV1().Services("default").Create(ctx, svc, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	setReady(ctx, t, c, pod, "10.0.0.7", false)
	var last *corev1.Endpoints
	err = wait.PollUntilContextTimeout(ctx, 50*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		ep, err := c.CoreV1().Endpoints("default").Get(ctx, "example-int-port", metav1.GetOptions{})
		if err != nil {
			return false, nil
		}
		last = ep
		if len(ep.Subsets) != 1 || len(ep.Subsets[0].Ports) != 1 || len(ep.Subsets[0].Addresses) != 1 {
			return false, nil
		}
		p := ep.Subsets[0].Ports[0]
		return p.Name == "example" && p.Port == 3000 && p.Protocol == corev1.ProtocolTCP &&
			ep.Subsets[0].Addresses[0].IP == "10.0.0.7", nil
	})
	if err != nil {
		t.Fatalf("endpoints of int-port service: %v; last %+v", err, last)
	}
}
