package garbagecollector_test

import (
	"context"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"

	"github.com/tinykube/tinykube/internal/controllertest"
	"github.com/tinykube/tinykube/internal/testserver"
	"github.com/tinykube/tinykube/pkg/controllermanager"
)

func start(t *testing.T) (context.Context, kubernetes.Interface) {
	t.Helper()
	s := testserver.Start(t, "")
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	cfg := controllermanager.DefaultConfig()
	cfg.RESTConfig, cfg.LeaderElect, cfg.Controllers = s.RESTConfig, false, []string{"garbagecollector"}
	go func() { _ = controllermanager.Run(ctx, cfg) }()
	return ctx, s.Client
}

func ref(kind, apiVersion, name string, uid types.UID, block bool) metav1.OwnerReference {
	return metav1.OwnerReference{APIVersion: apiVersion, Kind: kind, Name: name, UID: uid, BlockOwnerDeletion: &block}
}

func cmRef(cm *corev1.ConfigMap, block bool) metav1.OwnerReference {
	return ref("ConfigMap", "v1", cm.Name, cm.UID, block)
}

type fixture struct {
	ctx context.Context
	t   *testing.T
	c   kubernetes.Interface
	ns  string
}

func (f fixture) configMap(name string, finalizers []string, owners ...metav1.OwnerReference) *corev1.ConfigMap {
	f.t.Helper()
	cm, err := f.c.CoreV1().ConfigMaps(f.ns).Create(f.ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{
		Name: name, OwnerReferences: owners, Finalizers: finalizers}}, metav1.CreateOptions{})
	if err != nil {
		f.t.Fatal(err)
	}
	return cm
}

func (f fixture) secret(name string, finalizers []string, owners ...metav1.OwnerReference) {
	f.t.Helper()
	_, err := f.c.CoreV1().Secrets(f.ns).Create(f.ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{
		Name: name, OwnerReferences: owners, Finalizers: finalizers}}, metav1.CreateOptions{})
	if err != nil {
		f.t.Fatal(err)
	}
}

// secretsSeen returns once the collector has seen every secret created so
// far. Orphaning acts on the dependents the collector knows (as upstream's
// does), and its secrets and configmaps come on separate watches: without
// this barrier the owner's deletion can overtake its dependents' creation.
// The barrier is a secret whose owner never existed — the collector deletes
// it, and its secrets watch delivers in order.
func (f fixture) secretsSeen() {
	f.t.Helper()
	f.secret("barrier", nil, ref("ConfigMap", "v1", "never-existed", types.UID("00000000-0000-0000-0000-000000000001"), false))
	controllertest.Eventually(f.t, "barrier secret collected", f.secretGone("barrier"))
}

func (f fixture) secretGone(name string) func(context.Context) (bool, error) {
	return func(ctx context.Context) (bool, error) {
		_, err := f.c.CoreV1().Secrets(f.ns).Get(ctx, name, metav1.GetOptions{})
		return apierrors.IsNotFound(err), nil
	}
}

func (f fixture) getSecret(name string) *corev1.Secret {
	f.t.Helper()
	s, err := f.c.CoreV1().Secrets(f.ns).Get(f.ctx, name, metav1.GetOptions{})
	if err != nil {
		f.t.Fatalf("secret %s: %v", name, err)
	}
	return s
}

func (f fixture) deleteCM(name string, policy metav1.DeletionPropagation) {
	f.t.Helper()
	if err := f.c.CoreV1().ConfigMaps(f.ns).Delete(f.ctx, name, metav1.DeleteOptions{PropagationPolicy: &policy}); err != nil {
		f.t.Fatal(err)
	}
}

// TestBackground: dependents of a deleted owner are deleted once all
// their owners are gone; a dependent with a remaining owner stays (and
// loses the dangling reference); references to a reused name with another
// uid count as gone; cluster-scoped owners are looked up cluster-wide.
func TestBackground(t *testing.T) {
	ctx, c := start(t)
	f := fixture{ctx, t, c, "default"}

	owner := f.configMap("owner", nil)
	other := f.configMap("other", nil)
	f.secret("dep", nil, cmRef(owner, false))
	f.secret("shared", nil, cmRef(owner, false), cmRef(other, false))
	// "other" exists, but under a different uid: this owner is gone.
	f.secret("stale", nil, ref("ConfigMap", "v1", "other", "00000000-dead-beef-0000-000000000000", false))

	// A ReplicaSet and the pods it "created".
	labels := map[string]string{"app": "rs"}
	rs, err := c.AppsV1().ReplicaSets("default").Create(ctx, &appsv1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{Name: "rs"},
		Spec: appsv1.ReplicaSetSpec{Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "busybox"}}}}}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"rs-a", "rs-b"} {
		ctrl := true
		r := ref("ReplicaSet", "apps/v1", rs.Name, rs.UID, true)
		r.Controller = &ctrl
		_, err := c.CoreV1().Pods("default").Create(ctx, &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels, OwnerReferences: []metav1.OwnerReference{r}},
			Spec:       rs.Spec.Template.Spec}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
	}

	// Cluster-scoped owners of namespaced dependents.
	var nodes []*corev1.Node
	for _, name := range []string{"gone-node", "live-node"} {
		n, err := c.CoreV1().Nodes().Create(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		nodes = append(nodes, n)
	}
	f.secret("of-gone-node", nil, ref("Node", "v1", "gone-node", nodes[0].UID, false))
	f.secret("of-live-node", nil, ref("Node", "v1", "live-node", nodes[1].UID, false))

	f.deleteCM("owner", metav1.DeletePropagationBackground)
	if err := c.AppsV1().ReplicaSets("default").Delete(ctx, "rs", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := c.CoreV1().Nodes().Delete(ctx, "gone-node", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	controllertest.Eventually(t, "dependent of deleted owner gone", f.secretGone("dep"))
	controllertest.Eventually(t, "dependent of a reused name gone", f.secretGone("stale"))
	controllertest.Eventually(t, "dependent of deleted node gone", f.secretGone("of-gone-node"))
	controllertest.Eventually(t, "pods of deleted ReplicaSet gone", func(ctx context.Context) (bool, error) {
		pods, err := c.CoreV1().Pods("default").List(ctx, metav1.ListOptions{})
		return err == nil && len(pods.Items) == 0, err
	})
	controllertest.Eventually(t, "shared dependent keeps only its live owner", func(ctx context.Context) (bool, error) {
		s := f.getSecret("shared")
		return len(s.OwnerReferences) == 1 && s.OwnerReferences[0].UID == other.UID, nil
	})
	f.getSecret("of-live-node")
}

// TestForeground: the owner stays (deletionTimestamp, foregroundDeletion
// finalizer) until its blocking dependents are gone; non-blocking ones
// are deleted without holding it.
func TestForeground(t *testing.T) {
	ctx, c := start(t)
	f := fixture{ctx, t, c, "default"}
	owner := f.configMap("fg", nil)
	// The blocker has a finalizer of its own, so it lingers in deletion.
	f.secret("blocker", []string{"example.com/hold"}, cmRef(owner, true))
	f.secret("free", nil, cmRef(owner, false))
	// A grandchild under the blocker-free chain: child → grandchild.
	child := f.configMap("child", nil, cmRef(owner, true))
	f.secret("grandchild", nil, cmRef(child, true))
	f.secretsSeen()

	f.deleteCM("fg", metav1.DeletePropagationForeground)
	controllertest.Eventually(t, "non-blocking dependent deleted", f.secretGone("free"))
	controllertest.Eventually(t, "grandchild deleted", f.secretGone("grandchild"))
	controllertest.Eventually(t, "blocker being deleted", func(context.Context) (bool, error) {
		return f.getSecret("blocker").DeletionTimestamp != nil, nil
	})
	controllertest.Eventually(t, "child deleted", func(ctx context.Context) (bool, error) {
		_, err := c.CoreV1().ConfigMaps("default").Get(ctx, "child", metav1.GetOptions{})
		return apierrors.IsNotFound(err), nil
	})
	got, err := c.CoreV1().ConfigMaps("default").Get(ctx, "fg", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("owner went before its blocking dependent: %v", err)
	}
	if got.DeletionTimestamp == nil || len(got.Finalizers) != 1 || got.Finalizers[0] != metav1.FinalizerDeleteDependents {
		t.Fatalf("owner: deletionTimestamp %v finalizers %v", got.DeletionTimestamp, got.Finalizers)
	}

	b := f.getSecret("blocker")
	b.Finalizers = nil
	if _, err := c.CoreV1().Secrets("default").Update(ctx, b, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	controllertest.Eventually(t, "owner gone after its blocking dependent", func(ctx context.Context) (bool, error) {
		_, err := c.CoreV1().ConfigMaps("default").Get(ctx, "fg", metav1.GetOptions{})
		return apierrors.IsNotFound(err), nil
	})
}

// TestOrphan: dependents stay, without the reference to the deleted owner.
func TestOrphan(t *testing.T) {
	ctx, c := start(t)
	f := fixture{ctx, t, c, "default"}
	owner := f.configMap("orph", nil)
	keep := f.configMap("keep", nil)
	f.secret("x", nil, cmRef(owner, true))
	f.secret("y", nil, cmRef(owner, false), cmRef(keep, false))
	f.secretsSeen()

	f.deleteCM("orph", metav1.DeletePropagationOrphan)
	controllertest.Eventually(t, "owner gone", func(ctx context.Context) (bool, error) {
		_, err := c.CoreV1().ConfigMaps("default").Get(ctx, "orph", metav1.GetOptions{})
		return apierrors.IsNotFound(err), nil
	})
	if x := f.getSecret("x"); len(x.OwnerReferences) != 0 {
		t.Errorf("x still owned: %v", x.OwnerReferences)
	}
	if y := f.getSecret("y"); len(y.OwnerReferences) != 1 || y.OwnerReferences[0].UID != keep.UID {
		t.Errorf("y owners: %v", y.OwnerReferences)
	}
}

// TestForegroundCycle: three objects owning each other in a circle with
// blockOwnerDeletion; deleting one in foreground must not deadlock (the
// upstream conformance spec "should not be blocked by dependency circle").
func TestForegroundCycle(t *testing.T) {
	ctx, c := start(t)
	f := fixture{ctx, t, c, "default"}
	a := f.configMap("a", nil)
	b := f.configMap("b", nil, cmRef(a, true))
	cc := f.configMap("c", nil, cmRef(b, true))
	a.OwnerReferences = []metav1.OwnerReference{cmRef(cc, true)}
	if _, err := c.CoreV1().ConfigMaps("default").Update(ctx, a, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	f.deleteCM("a", metav1.DeletePropagationForeground)
	for _, name := range []string{"a", "b", "c"} {
		controllertest.Eventually(t, "configmap "+name+" gone", func(ctx context.Context) (bool, error) {
			_, err := c.CoreV1().ConfigMaps("default").Get(ctx, name, metav1.GetOptions{})
			return apierrors.IsNotFound(err), nil
		})
	}
}
