package e2e

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr/funcr"
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
)

// TestEnvtest is what a controller's test suite does with
// controller-runtime's envtest, pointed at a `tinykube server` instead of
// the kube-apiserver and etcd binaries envtest would start (docs/envtest.md
// shows the same code): envtest installs a CRD from a directory
// (CRDInstallOptions) and waits for it to be served, a manager runs a small
// reconciler on it, and Stop uninstalls the CRD again.
//
// The two ways envtest users choose an existing cluster are both covered:
// UseExistingCluster with Config in code, and USE_EXISTING_CLUSTER=true
// with KUBECONFIG in the environment and no code change.
func TestEnvtest(t *testing.T) {
	tk := buildTinykube(t)
	logs := captureControllerRuntimeLogs(t)

	t.Run("Config", func(t *testing.T) {
		s := startServer(t, tk)
		cfg, err := clientcmd.BuildConfigFromFlags("", s.Kubeconfig)
		if err != nil {
			t.Fatal(err)
		}
		env := &envtest.Environment{
			UseExistingCluster: ptr.To(true),
			Config:             cfg,
			CRDInstallOptions:  greetingCRDs(),
		}
		envtestSuite(t, env, logs)
	})

	t.Run("environment", func(t *testing.T) {
		s := startServer(t, tk)
		t.Setenv("KUBECONFIG", s.Kubeconfig)
		t.Setenv("USE_EXISTING_CLUSTER", "true")
		env := &envtest.Environment{CRDInstallOptions: greetingCRDs()}
		envtestSuite(t, env, logs)
		if env.Config == nil || env.Config.Host != s.URL {
			t.Errorf("envtest's config from KUBECONFIG: host %v, want %s", env.Config, s.URL)
		}
	})

	// A long-lived tinykube serving suite after suite: CleanUpAfterUse
	// deletes the CRD and the next suite creates it again.
	t.Run("CRD reinstalled", func(t *testing.T) {
		// The informer of the re-created CRD's resource relists (after
		// the 404s while the CRD was gone) too late to see the Greeting
		// come and go: the garbage collector, which found the Greeting
		// by lookup, must recheck it (a virtual owner) until it observes
		// it or finds it gone, so that its ConfigMap is collected.
		s := startServer(t, tk)
		cfg, err := clientcmd.BuildConfigFromFlags("", s.Kubeconfig)
		if err != nil {
			t.Fatal(err)
		}
		for range 2 {
			env := &envtest.Environment{UseExistingCluster: ptr.To(true), Config: cfg, CRDInstallOptions: greetingCRDs()}
			envtestSuite(t, env, logs)
		}
	})
}

// greetingCRDs installs testdata/envtest/crds, and uninstalls it on Stop.
func greetingCRDs() envtest.CRDInstallOptions {
	return envtest.CRDInstallOptions{
		Paths:              []string{filepath.Join("testdata", "envtest", "crds")},
		ErrorIfPathMissing: true,
		CleanUpAfterUse:    true,
	}
}

var greetingGVK = schema.GroupVersionKind{Group: "envtest.example.com", Version: "v1", Kind: "Greeting"}

// envtestSuite starts env, runs the Greeting reconciler under a manager,
// checks what it does, and stops env (which must uninstall the CRD).
func envtestSuite(t *testing.T, env *envtest.Environment, logs *syncBuffer) {
	cfg, err := env.Start()
	if err != nil {
		t.Fatalf("envtest Start: %v", err)
	}
	if len(env.CRDs) != 1 || env.CRDs[0].Name != "greetings.envtest.example.com" {
		t.Fatalf("envtest installed %d CRDs, want greetings.envtest.example.com", len(env.CRDs))
	}
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			env.Stop() //nolint:errcheck // best effort after a failure
		}
		if t.Failed() {
			t.Logf("controller-runtime log:\n%s", logs.String())
		}
	})

	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	if err := apiextensionsv1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:  scheme,
		Metrics: metricsserver.Options{BindAddress: "0"},
	})
	if err != nil {
		t.Fatalf("new manager: %v", err)
	}
	greeting := &unstructured.Unstructured{}
	greeting.SetGroupVersionKind(greetingGVK)
	err = ctrl.NewControllerManagedBy(mgr).
		Named(fmt.Sprintf("greeting-%d", time.Now().UnixNano())). // controller names are process-wide
		For(greeting).
		Owns(&corev1.ConfigMap{}).
		Complete(&greetingReconciler{Client: mgr.GetClient()})
	if err != nil {
		t.Fatalf("build controller: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	mgrDone := make(chan error, 1)
	go func() { mgrDone <- mgr.Start(ctx) }()
	stopManager := sync.OnceValue(func() error { cancel(); return <-mgrDone })
	defer stopManager() //nolint:errcheck // checked below unless the test failed first

	c, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		t.Fatal(err)
	}
	g := &unstructured.Unstructured{Object: map[string]any{
		"metadata": map[string]any{"name": "hi", "namespace": "default"},
		"spec":     map[string]any{"name": "envtest"},
	}}
	g.SetGroupVersionKind(greetingGVK)
	if err := c.Create(ctx, g); err != nil {
		t.Fatalf("create Greeting: %v", err)
	}

	// The reconciler answers in status and in a ConfigMap it owns.
	key := types.NamespacedName{Namespace: "default", Name: "hi"}
	eventually(t, 30*time.Second, "Greeting status.reply and its ConfigMap", func() error {
		got := &unstructured.Unstructured{}
		got.SetGroupVersionKind(greetingGVK)
		if err := c.Get(ctx, key, got); err != nil {
			return err
		}
		if reply, _, _ := unstructured.NestedString(got.Object, "status", "reply"); reply != "hello, envtest" {
			return fmt.Errorf("status.reply %q", reply)
		}
		cm := &corev1.ConfigMap{}
		if err := c.Get(ctx, types.NamespacedName{Namespace: "default", Name: "greeting-hi"}, cm); err != nil {
			return err
		}
		if cm.Data["reply"] != "hello, envtest" {
			return fmt.Errorf("ConfigMap data %v", cm.Data)
		}
		if ref := metav1.GetControllerOf(cm); ref == nil || ref.UID != got.GetUID() {
			return fmt.Errorf("ConfigMap controller %v, want the Greeting %s", ref, got.GetUID())
		}
		return nil
	})

	// A change to the spec is reconciled again.
	eventually(t, 30*time.Second, "Greeting spec update", func() error {
		got := &unstructured.Unstructured{}
		got.SetGroupVersionKind(greetingGVK)
		if err := c.Get(ctx, key, got); err != nil {
			return err
		}
		if err := unstructured.SetNestedField(got.Object, "tinykube", "spec", "name"); err != nil {
			return err
		}
		return c.Update(ctx, got)
	})
	eventually(t, 30*time.Second, "ConfigMap after the spec update", func() error {
		cm := &corev1.ConfigMap{}
		if err := c.Get(ctx, types.NamespacedName{Namespace: "default", Name: "greeting-hi"}, cm); err != nil {
			return err
		}
		if cm.Data["reply"] != "hello, tinykube" {
			return fmt.Errorf("ConfigMap data %v", cm.Data)
		}
		return nil
	})

	// Deleting the Greeting deletes its ConfigMap (the server's garbage
	// collector follows the owner reference).
	if err := c.Delete(ctx, g); err != nil {
		t.Fatalf("delete Greeting: %v", err)
	}
	eventually(t, 30*time.Second, "owned ConfigMap garbage-collected", func() error {
		err := c.Get(ctx, types.NamespacedName{Namespace: "default", Name: "greeting-hi"}, &corev1.ConfigMap{})
		if apierrors.IsNotFound(err) {
			return nil
		}
		return fmt.Errorf("ConfigMap still there (err %v)", err)
	})

	if err := stopManager(); err != nil {
		t.Errorf("manager: %v", err)
	}
	stopped = true
	if err := env.Stop(); err != nil {
		t.Fatalf("envtest Stop: %v", err)
	}
	// CleanUpAfterUse: Stop deleted the CRD. envtest does not wait for it
	// to go (its finalizer first deletes the Greetings), nor does
	// upstream's API server delete it at once: wait, as a suite that
	// reinstalls it must.
	eventually(t, 30*time.Second, "CRD gone after envtest Stop", func() error {
		err := c.Get(context.Background(), types.NamespacedName{Name: "greetings.envtest.example.com"}, &apiextensionsv1.CustomResourceDefinition{})
		if apierrors.IsNotFound(err) {
			return nil
		}
		return fmt.Errorf("CRD still there (err %v)", err)
	})
}

// greetingReconciler sets a Greeting's status.reply to "hello, <spec.name>"
// and keeps a ConfigMap greeting-<name> with the same reply, owned by it.
type greetingReconciler struct {
	client.Client
}

func (r *greetingReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	g := &unstructured.Unstructured{}
	g.SetGroupVersionKind(greetingGVK)
	if err := r.Get(ctx, req.NamespacedName, g); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if g.GetDeletionTimestamp() != nil {
		return ctrl.Result{}, nil
	}
	name, _, _ := unstructured.NestedString(g.Object, "spec", "name")
	reply := "hello, " + name

	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "greeting-" + g.GetName(), Namespace: g.GetNamespace()}}
	if _, err := controllerutil.CreateOrUpdate(ctx, r.Client, cm, func() error {
		cm.Data = map[string]string{"reply": reply}
		return controllerutil.SetControllerReference(g, cm, r.Scheme())
	}); err != nil {
		return ctrl.Result{}, err
	}

	if got, _, _ := unstructured.NestedString(g.Object, "status", "reply"); got != reply {
		if err := unstructured.SetNestedField(g.Object, reply, "status", "reply"); err != nil {
			return ctrl.Result{}, err
		}
		if err := r.Status().Update(ctx, g); err != nil {
			return ctrl.Result{}, err
		}
	}
	return ctrl.Result{}, nil
}

// syncBuffer is a bytes.Buffer safe for concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// controllerRuntimeLogs is where controller-runtime's process-wide logger
// writes in this test binary (it can be set only once).
var controllerRuntimeLogs = sync.OnceValue(func() *syncBuffer {
	buf := &syncBuffer{}
	ctrllog.SetLogger(funcr.New(func(prefix, args string) {
		fmt.Fprintf(buf, "%s %s %s\n", time.Now().Format("15:04:05.000"), prefix, args)
	}, funcr.Options{Verbosity: 1}))
	return buf
})

func captureControllerRuntimeLogs(*testing.T) *syncBuffer { return controllerRuntimeLogs() }
