package namespace_test

import (
	"context"
	"fmt"
	"regexp"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/tinykube/tinykube/internal/controllertest"
	"github.com/tinykube/tinykube/internal/testserver"
)

// TestCreateInTerminatingNamespace: the 403 names the object being
// created and carries the NamespaceTerminating cause, as upstream's
// NamespaceLifecycle admission; controllers read the cause to stop
// retrying creates in a namespace being deleted.
func TestCreateInTerminatingNamespace(t *testing.T) {
	s := testserver.Start(t, "") // no namespace controller: a deleted namespace stays Terminating
	ctx := context.Background()
	if _, err := s.Client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "doomed"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := s.Client.CoreV1().Namespaces().Delete(ctx, "doomed", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	// The check reads the watch cache, which sees the deletion a moment
	// later.
	var err error
	i := 0
	controllertest.EventuallyWithin(t, "creates in the terminating namespace to be refused", 5*time.Second, func(ctx context.Context) (bool, error) {
		cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("late-%d", i)}}
		i++
		_, err = s.Client.CoreV1().ConfigMaps("doomed").Create(ctx, cm, metav1.CreateOptions{})
		return err != nil, nil
	})
	if !apierrors.IsForbidden(err) {
		t.Fatalf("create in a terminating namespace: %v, want 403", err)
	}
	if !apierrors.HasStatusCause(err, corev1.NamespaceTerminatingCause) {
		t.Errorf("403 lacks the %s cause: %#v", corev1.NamespaceTerminatingCause, err)
	}
	const want = `is forbidden: unable to create new content in namespace doomed because it is being terminated`
	if !regexp.MustCompile(`^configmaps "late-\d+" ` + want + `$`).MatchString(err.Error()) {
		t.Errorf("error %q, want %q", err, want)
	}
}
