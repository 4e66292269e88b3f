package localpath_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/tinykube/tinykube/internal/controllertest"
	"github.com/tinykube/tinykube/internal/testserver"
	"github.com/tinykube/tinykube/pkg/controller/localpath"
)

func claim(name string, class *string) *corev1.PersistentVolumeClaim {
	return &corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: corev1.PersistentVolumeClaimSpec{
		StorageClassName: class,
		AccessModes:      []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
		Resources:        corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("2Gi")}}}}
}

// TestProvision: the server's default local-path class exists; a claim
// without a class gets it; it waits for a consumer, then a scheduled pod
// using it selects its node, a hostPath PV pinned there is created under
// the class's path and both are Bound; deleting the claim deletes the
// volume. An Immediate class provisions on a Ready node at once.
func TestProvision(t *testing.T) {
	s := testserver.Start(t, "")
	ctx := context.Background()
	sc, err := s.Client.StorageV1().StorageClasses().Get(ctx, localpath.ClassName, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("default class: %v", err)
	}
	if sc.Provisioner != localpath.Provisioner || sc.Annotations[localpath.AnnDefaultClass] != "true" ||
		*sc.VolumeBindingMode != storagev1.VolumeBindingWaitForFirstConsumer || sc.Parameters["path"] != filepath.Join(s.DataDir, "storage") {
		t.Errorf("default class %+v", sc)
	}
	controllertest.StartControllers(t, s, localpath.New)
	controllertest.CreateNamespace(t, s.Client, "app")
	claims := s.Client.CoreV1().PersistentVolumeClaims("app")
	if _, err := claims.Create(ctx, claim("data", nil), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	controllertest.Eventually(t, "default class assigned", func(ctx context.Context) (bool, error) {
		pvc, err := claims.Get(ctx, "data", metav1.GetOptions{})
		return err == nil && pvc.Spec.StorageClassName != nil && *pvc.Spec.StorageClassName == localpath.ClassName, err
	})
	// No consumer yet: the claim stays pending, with no selected node.
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "user"}, Spec: corev1.PodSpec{
		Containers: []corev1.Container{{Name: "c", Image: "busybox"}},
		Volumes: []corev1.Volume{{Name: "d", VolumeSource: corev1.VolumeSource{
			PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: "data"}}}}}}
	if _, err := s.Client.CoreV1().Pods("app").Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	pvc, err := claims.Get(ctx, "data", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if pvc.Annotations[localpath.AnnSelectedNode] != "" || pvc.Spec.VolumeName != "" {
		t.Fatalf("claim provisioned before its pod was scheduled: %+v", pvc)
	}
	if err := s.Client.CoreV1().Pods("app").Bind(ctx, &corev1.Binding{ObjectMeta: metav1.ObjectMeta{Name: "user"},
		Target: corev1.ObjectReference{Kind: "Node", Name: "node-a"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	controllertest.Eventually(t, "claim bound", func(ctx context.Context) (bool, error) {
		pvc, err = claims.Get(ctx, "data", metav1.GetOptions{})
		return err == nil && pvc.Status.Phase == corev1.ClaimBound, err
	})
	if pvc.Annotations[localpath.AnnSelectedNode] != "node-a" || pvc.Spec.VolumeName != "pvc-"+string(pvc.UID) ||
		pvc.Status.Capacity.Storage().String() != "2Gi" {
		t.Errorf("bound claim %+v", pvc)
	}
	pv, err := s.Client.CoreV1().PersistentVolumes().Get(ctx, pvc.Spec.VolumeName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	controllertest.Eventually(t, "volume bound", func(ctx context.Context) (bool, error) {
		pv, err = s.Client.CoreV1().PersistentVolumes().Get(ctx, pvc.Spec.VolumeName, metav1.GetOptions{})
		return err == nil && pv.Status.Phase == corev1.VolumeBound, err
	})
	if hp := pv.Spec.HostPath; hp == nil || *hp.Type != corev1.HostPathDirectoryOrCreate ||
		!strings.HasPrefix(hp.Path, filepath.Join(s.DataDir, "storage")+"/pvc-") || !strings.HasSuffix(hp.Path, "_app_data") {
		t.Errorf("volume source %+v", pv.Spec.PersistentVolumeSource)
	}
	terms := pv.Spec.NodeAffinity.Required.NodeSelectorTerms
	if len(terms) != 1 || terms[0].MatchExpressions[0].Key != corev1.LabelHostname || terms[0].MatchExpressions[0].Values[0] != "node-a" {
		t.Errorf("node affinity %+v", pv.Spec.NodeAffinity)
	}
	if ref := pv.Spec.ClaimRef; ref == nil || ref.UID != pvc.UID || pv.Spec.StorageClassName != localpath.ClassName ||
		pv.Spec.PersistentVolumeReclaimPolicy != corev1.PersistentVolumeReclaimDelete {
		t.Errorf("volume %+v", pv.Spec)
	}

	if err := claims.Delete(ctx, "data", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	controllertest.Eventually(t, "volume deleted with its claim", func(ctx context.Context) (bool, error) {
		_, err := s.Client.CoreV1().PersistentVolumes().Get(ctx, pv.Name, metav1.GetOptions{})
		return apierrors.IsNotFound(err), nil
	})

	// Immediate binding: provisioned on a Ready node without a consumer.
	imm := localpath.DefaultStorageClass(t.TempDir())
	imm.Name, imm.Annotations = "fast", nil
	imm.VolumeBindingMode = ptr.To(storagev1.VolumeBindingImmediate)
	if _, err := s.Client.StorageV1().StorageClasses().Create(ctx, imm, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "node-b", Labels: map[string]string{corev1.LabelHostname: "host-b"}}}
	node, err = s.Client.CoreV1().Nodes().Create(ctx, node, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	node.Status.Conditions = []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue}}
	if _, err := s.Client.CoreV1().Nodes().UpdateStatus(ctx, node, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := claims.Create(ctx, claim("now", ptr.To("fast")), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	controllertest.Eventually(t, "immediate claim bound", func(ctx context.Context) (bool, error) {
		pvc, err = claims.Get(ctx, "now", metav1.GetOptions{})
		return err == nil && pvc.Status.Phase == corev1.ClaimBound, err
	})
	pv, err = s.Client.CoreV1().PersistentVolumes().Get(ctx, pvc.Spec.VolumeName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if v := pv.Spec.NodeAffinity.Required.NodeSelectorTerms[0].MatchExpressions[0].Values[0]; v != "host-b" {
		t.Errorf("immediate volume pinned to %q, want node-b's hostname host-b", v)
	}
	// A claim of another provisioner's class is left alone.
	other := localpath.DefaultStorageClass("/x")
	other.Name, other.Annotations, other.Provisioner = "other", nil, "example.com/nfs"
	other.VolumeBindingMode = ptr.To(storagev1.VolumeBindingImmediate)
	if _, err := s.Client.StorageV1().StorageClasses().Create(ctx, other, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := claims.Create(ctx, claim("foreign", ptr.To("other")), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := claims.Create(ctx, claim("marker", ptr.To("fast")), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	controllertest.Eventually(t, "marker claim bound", func(ctx context.Context) (bool, error) {
		pvc, err = claims.Get(ctx, "marker", metav1.GetOptions{})
		return err == nil && pvc.Status.Phase == corev1.ClaimBound, err
	})
	if pvc, err := claims.Get(ctx, "foreign", metav1.GetOptions{}); err != nil || pvc.Spec.VolumeName != "" || pvc.Annotations[localpath.AnnSelectedNode] != "" {
		t.Errorf("claim of another provisioner touched: %+v %v", pvc, err)
	}
}
