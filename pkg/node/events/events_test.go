package events_test

import (
	"context"
	"errors"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"

	"github.com/tinykube/tinykube/internal/controllertest"
	"github.com/tinykube/tinykube/internal/testserver"
	"github.com/tinykube/tinykube/pkg/node/events"
)

func TestMessages(t *testing.T) {
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "web", UID: "u1"},
		Spec: corev1.PodSpec{InitContainers: []corev1.Container{{Name: "setup"}}, Containers: []corev1.Container{{Name: "app"}}}}
	for _, tc := range []struct{ got, want string }{
		{events.StoppingMessage("app"), "Stopping container app"},
		{events.ProbeKillMessage("app", "liveness", true), "Container app failed liveness probe, will be restarted"},
		{events.ProbeKillMessage("app", "startup", false), "Container app failed startup probe"},
		{events.BackOffMessage(pod, "app"), "Back-off restarting failed container app in pod web_ns(u1)"},
		{events.PullingMessage("busybox:1"), `Pulling image "busybox:1"`},
		{events.PulledMessage("busybox:1", 1234567*time.Microsecond, 2*time.Second, 42), `Successfully pulled image "busybox:1" in 1.234s (2s including waiting). Image size: 42 bytes.`},
		{events.PresentMessage("busybox:1"), `Container image "busybox:1" already present on machine and can be accessed by the pod`},
		{events.NeverPullMessage("busybox:1"), `Container image "busybox:1" is not present with pull policy of Never`},
		{events.PullBackOffMessage("busybox:1"), `Back-off pulling image "busybox:1"`},
		{events.PullFailedMessage("busybox:1", errors.New("not found")), `Failed to pull image "busybox:1": not found`},
		{events.InvalidImageMessage("Busy", errors.New("bad")), `Failed to apply default image tag "Busy": bad`},
		{events.InspectFailedMessage("", errors.New("down")), `Failed to inspect image "": down`},
		{events.MissingPullSecretsMessage([]string{"a", "b"}), "Unable to retrieve some image pull secrets (a, b); attempting to pull the image may not succeed."},
		{events.ContainerFailedMessage("ErrImagePull"), "Error: ErrImagePull"},
		{events.FailedMountMessage(errors.New("configmap \"x\" not found")), `Unable to attach or mount volumes: configmap "x" not found`},
		{events.ContainerRef(pod, "app").FieldPath, "spec.containers{app}"},
		{events.ContainerRef(pod, "setup").FieldPath, "spec.initContainers{setup}"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}

// TestRecorder: events reach the API server as the kubelet's, and
// repeats are aggregated into one Event with a count.
func TestRecorder(t *testing.T) {
	s := testserver.Start(t, "")
	ctx := context.Background()
	controllertest.CreateNamespace(t, s.Client, "ev")
	pod, err := s.Client.CoreV1().Pods("ev").Create(ctx, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p"},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "busybox"}}}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rec, stop := events.NewRecorder(ctx, s.Client, "node-1")
	defer stop()
	for i := 0; i < 3; i++ {
		rec.Event(events.ContainerRef(pod, "app"), corev1.EventTypeWarning, events.Unhealthy, "Liveness probe failed: HTTP probe failed with statuscode: 500")
	}
	controllertest.Eventually(t, "the aggregated Unhealthy event", func(ctx context.Context) (bool, error) {
		list, err := s.Client.CoreV1().Events("ev").List(ctx, metav1.ListOptions{
			FieldSelector: fields.OneTermEqualSelector("reason", events.Unhealthy).String()})
		if err != nil || len(list.Items) != 1 {
			return false, err
		}
		ev := list.Items[0]
		if ev.Source.Component != "kubelet" || ev.Source.Host != "node-1" || ev.ReportingController != "kubelet" && ev.ReportingController != "" {
			t.Fatalf("source %+v, reporting %q", ev.Source, ev.ReportingController)
		}
		if ev.InvolvedObject.FieldPath != "spec.containers{app}" || ev.InvolvedObject.UID != pod.UID {
			t.Fatalf("involved object %+v", ev.InvolvedObject)
		}
		return ev.Count == 3, nil
	})
}
