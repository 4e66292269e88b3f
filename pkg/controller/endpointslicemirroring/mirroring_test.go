package endpointslicemirroring_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"

	"github.com/tinykube/tinykube/internal/testserver"
	"github.com/tinykube/tinykube/pkg/controller/endpointslicemirroring"
	"github.com/tinykube/tinykube/pkg/controllermanager"
)

func start(t *testing.T) (context.Context, kubernetes.Interface) {
	t.Helper()
	s := testserver.Start(t, "")
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	cfg := controllermanager.DefaultConfig()
	cfg.RESTConfig, cfg.LeaderElect, cfg.Controllers = s.RESTConfig, false, []string{"endpointslicemirroring"}
	go func() { _ = controllermanager.Run(ctx, cfg) }()
	return ctx, s.Client
}

func eventually(t *testing.T, what string, cond func(ctx context.Context) (bool, error)) {
	t.Helper()
	if err := wait.PollUntilContextTimeout(context.Background(), 50*time.Millisecond, 30*time.Second, true, cond); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func mirrored(ctx context.Context, c kubernetes.Interface, name string) []discoveryv1.EndpointSlice {
	list, err := c.DiscoveryV1().EndpointSlices("default").List(ctx, metav1.ListOptions{LabelSelector: discoveryv1.LabelServiceName + "=" + name})
	if err != nil {
		return nil
	}
	return list.Items
}

// TestMirrorCustomEndpoints: the Endpoints of a selectorless Service are
// mirrored through create, update and delete, with upstream's labels,
// annotations and owner; a skip-mirror Endpoints and one of a Service
// with a selector are not; a Service gaining a selector loses its
// mirrored slices.
func TestMirrorCustomEndpoints(t *testing.T) {
	ctx, c := start(t)
	svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "custom"},
		Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{{Name: "example", Port: 80}}}}
	if _, err := c.CoreV1().Services("default").Create(ctx, svc, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	ep := &corev1.Endpoints{
		ObjectMeta: metav1.ObjectMeta{Name: "custom", Labels: map[string]string{"team": "a"},
			Annotations: map[string]string{"note": "x", corev1.EndpointsLastChangeTriggerTime: "2026-01-01T00:00:00Z"}},
		Subsets: []corev1.EndpointSubset{{Ports: []corev1.EndpointPort{{Port: 80}},
			Addresses:         []corev1.EndpointAddress{{IP: "10.1.2.3"}},
			NotReadyAddresses: []corev1.EndpointAddress{{IP: "10.1.2.4"}}}},
	}
	ep, err := c.CoreV1().Endpoints("default").Create(ctx, ep, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "mirrored on create", func(ctx context.Context) (bool, error) {
		s := mirrored(ctx, c, "custom")
		if len(s) != 1 {
			return false, nil
		}
		sl := s[0]
		if sl.Labels[discoveryv1.LabelManagedBy] != endpointslicemirroring.ControllerName || sl.Labels["team"] != "a" ||
			sl.Annotations["note"] != "x" || sl.Annotations[corev1.EndpointsLastChangeTriggerTime] != "" ||
			len(sl.OwnerReferences) != 1 || sl.OwnerReferences[0].Kind != "Endpoints" || sl.OwnerReferences[0].UID != ep.UID ||
			sl.AddressType != discoveryv1.AddressTypeIPv4 || sl.GenerateName != "custom-" {
			return false, nil
		}
		if len(sl.Ports) != 1 || *sl.Ports[0].Port != 80 || *sl.Ports[0].Protocol != corev1.ProtocolTCP || len(sl.Endpoints) != 2 {
			return false, nil
		}
		e0, e1 := sl.Endpoints[0], sl.Endpoints[1]
		return e0.Addresses[0] == "10.1.2.3" && *e0.Conditions.Ready && e1.Addresses[0] == "10.1.2.4" && !*e1.Conditions.Ready, nil
	})

	ep.Subsets = []corev1.EndpointSubset{{Ports: []corev1.EndpointPort{{Port: 80}}, Addresses: []corev1.EndpointAddress{{IP: "10.2.3.4"}}}}
	if _, err := c.CoreV1().Endpoints("default").Update(ctx, ep, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "mirrored on update", func(ctx context.Context) (bool, error) {
		s := mirrored(ctx, c, "custom")
		return len(s) == 1 && len(s[0].Endpoints) == 1 && s[0].Endpoints[0].Addresses[0] == "10.2.3.4", nil
	})

	if err := c.CoreV1().Endpoints("default").Delete(ctx, "custom", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "gone with the Endpoints", func(ctx context.Context) (bool, error) {
		return len(mirrored(ctx, c, "custom")) == 0, nil
	})

	// skip-mirror: never mirrored (the kubernetes Service's are so too).
	skip := &corev1.Endpoints{ObjectMeta: metav1.ObjectMeta{Name: "custom", Labels: map[string]string{discoveryv1.LabelSkipMirror: "true"}},
		Subsets: []corev1.EndpointSubset{{Ports: []corev1.EndpointPort{{Port: 80}}, Addresses: []corev1.EndpointAddress{{IP: "10.3.0.1"}}}}}
	if _, err := c.CoreV1().Endpoints("default").Create(ctx, skip, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	// More than MaxEndpointsPerSubset in one subset: cut at the max.
	big := &corev1.Endpoints{ObjectMeta: metav1.ObjectMeta{Name: "big"},
		Subsets: []corev1.EndpointSubset{{Ports: []corev1.EndpointPort{{Port: 80}}}}}
	for i := 0; i < endpointslicemirroring.MaxEndpointsPerSubset+5; i++ {
		big.Subsets[0].Addresses = append(big.Subsets[0].Addresses, corev1.EndpointAddress{IP: fmt.Sprintf("10.4.%d.%d", i/250, i%250+1)})
	}
	if _, err := c.CoreV1().Services("default").Create(ctx, &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "big"},
		Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{{Port: 80}}}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CoreV1().Endpoints("default").Create(ctx, big, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "big cut at the max", func(ctx context.Context) (bool, error) {
		s := mirrored(ctx, c, "big")
		return len(s) == 1 && len(s[0].Endpoints) == endpointslicemirroring.MaxEndpointsPerSubset, nil
	})
	if s := mirrored(ctx, c, "custom"); len(s) != 0 {
		t.Errorf("skip-mirror Endpoints mirrored: %d slices", len(s))
	}
	if s := mirrored(ctx, c, "kubernetes"); len(s) != 0 && s[0].Labels[discoveryv1.LabelManagedBy] == endpointslicemirroring.ControllerName {
		t.Errorf("kubernetes Endpoints mirrored")
	}

	// The Service gains a selector: its Endpoints are no longer custom.
	cur, err := c.CoreV1().Services("default").Get(ctx, "big", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cur.Spec.Selector = map[string]string{"app": "big"}
	if _, err := c.CoreV1().Services("default").Update(ctx, cur, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "unmirrored when the Service gets a selector", func(ctx context.Context) (bool, error) {
		return len(mirrored(ctx, c, "big")) == 0, nil
	})
}
