package defaults_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	eventsv1 "k8s.io/api/events/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	resourcev1 "k8s.io/api/resource/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/yaml"

	"github.com/tinykube/tinykube/pkg/api/defaults"
)

// scheme holds the served groups and our defaulters, built here rather than
// taken from pkg/api so this package's tests stand on their own.
var scheme = func() *runtime.Scheme {
	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{
		corev1.AddToScheme, appsv1.AddToScheme, batchv1.AddToScheme, coordinationv1.AddToScheme,
		discoveryv1.AddToScheme, eventsv1.AddToScheme, policyv1.AddToScheme, rbacv1.AddToScheme,
		schedulingv1.AddToScheme, storagev1.AddToScheme, networkingv1.AddToScheme, resourcev1.AddToScheme, defaults.RegisterDefaults,
	} {
		if err := add(s); err != nil {
			panic(err)
		}
	}
	return s
}()

// defaultCase is an object as a client sends it and the object upstream
// v1.37 stores for it, both as YAML. The kind/apiVersion in "in" picks the
// Go type.
type defaultCase struct {
	name string
	in   string
	want string
}

// decode reads a YAML manifest into its registered Go type, rejecting
// unknown fields so that a typo in an expectation cannot pass silently.
func decode(t *testing.T, manifest string) runtime.Object {
	t.Helper()
	j, err := yaml.YAMLToJSON([]byte(strings.ReplaceAll(manifest, "\t", "  ")))
	if err != nil {
		t.Fatalf("yaml: %v", err)
	}
	var tm struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
	}
	if err := json.Unmarshal(j, &tm); err != nil {
		t.Fatal(err)
	}
	gv, err := schema.ParseGroupVersion(tm.APIVersion)
	if err != nil {
		t.Fatal(err)
	}
	obj, err := scheme.New(gv.WithKind(tm.Kind))
	if err != nil {
		t.Fatalf("new %s %s: %v", tm.APIVersion, tm.Kind, err)
	}
	dec := json.NewDecoder(bytes.NewReader(j))
	dec.DisallowUnknownFields()
	if err := dec.Decode(obj); err != nil {
		t.Fatalf("decode %s: %v", tm.Kind, err)
	}
	return obj
}

func mustJSON(t *testing.T, obj runtime.Object) string {
	t.Helper()
	b, err := json.Marshal(obj)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// runDefaultCases checks each case against its expectation, and that a
// second defaulting pass changes nothing.
func runDefaultCases(t *testing.T, cases []defaultCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			obj := decode(t, tc.in)
			scheme.Default(obj)
			got, want := mustJSON(t, obj), mustJSON(t, decode(t, tc.want))
			if got != want {
				t.Fatalf("defaulted object differs\n got: %s\nwant: %s", got, want)
			}
			scheme.Default(obj)
			if again := mustJSON(t, obj); again != got {
				t.Fatalf("defaulting is not idempotent\n once: %s\ntwice: %s", got, again)
			}
		})
	}
}
